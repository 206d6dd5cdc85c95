"""The build's identity: one digest of everything that shapes the output.

Two builds of the same content with the same identity write the same files, so a cache (Pelican's
content cache, the record of what each output showed) is only ever used under the identity it was
made with. The identity covers:

- every settings value as Pelican read it (functions by their code), but the knobs of the build
  mechanics that never change a written byte (the content cache's own settings);
- the ``PLUGINS`` list and the files of each plugin (ours on ``PLUGIN_PATHS`` and PyPI ones);
- the theme's files (templates and static files) and any template overrides;
- every installed distribution's name and version (Pelican, Markdown, Jinja, Pygments, the
  plugins' own distributions and whatever they import), and the Python version;
- the project's own build code (every module of the project's packages).

Files are hashed by content, not by time: a touched but unchanged template keeps the identity.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import hashlib
import importlib.util
import os
import re
import sys
import types
from pathlib import Path, PurePath
from typing import Any, Iterable

from shared.targets import PROJECT_ROOT

# Settings of the build's mechanics: where the caches live and how they are checked, whether the
# output folder is emptied first. None of them changes what a build writes.
MECHANICS_SETTINGS = frozenset({
    "CACHE_PATH", "MEDIA_CACHE_PATH", "CACHE_CONTENT", "LOAD_CONTENT_CACHE", "CONTENT_CACHING_LAYER", "CHECK_MODIFIED_METHOD",
    "GZIP_CACHE", "DELETE_OUTPUT_DIRECTORY", "OUTPUT_RETENTION", "WRITE_SELECTED",
})
# The project's packages that are not part of a build (every other one is: the build entry, the
# modules our plugins import).
NOT_BUILD_PACKAGES = frozenset({"tests", "bench", "scripts"})
SKIPPED_PARTS = {"__pycache__", ".git", "node_modules"}


@dataclasses.dataclass(frozen=True)
class BuildIdentity:
    """The digest, and the digest of each part (to say which part changed)."""

    parts: dict[str, str]

    @functools.cached_property
    def digest(self) -> str:
        text = "\n".join(f"{name}={value}" for name, value in sorted(self.parts.items()))
        return hashlib.sha256(text.encode()).hexdigest()

    @property
    def short(self) -> str:
        return self.digest[:16]

    def changed_parts(self, other: "BuildIdentity | None") -> list[str]:
        """The parts that differ from ``other`` (all of them when there is none)."""
        if other is None:
            return sorted(self.parts)
        names = set(self.parts) | set(other.parts)
        return sorted(name for name in names if self.parts.get(name) != other.parts.get(name))


def build_identity(settings: dict) -> BuildIdentity:
    """The identity of a build with ``settings`` (as :func:`pelican.settings.read_settings`
    returned them, before Pelican loaded the plugins)."""
    return BuildIdentity({
        "settings": settings_digest(settings),
        "plugins": files_digest(plugin_files(settings)),
        "theme": files_digest(theme_files(settings)),
        "installed": installed_digest(),
        "build code": files_digest(project_build_files()),
    })


# --- settings ------------------------------------------------------------------------------------


def settings_digest(settings: dict) -> str:
    shaping = {name: value for name, value in settings.items() if name not in MECHANICS_SETTINGS}
    return hashlib.sha256(canonical(shaping).encode()).hexdigest()


def canonical(value: Any) -> str:
    """A text for ``value`` that is equal across processes exactly when the value is: no memory
    addresses, dicts and sets in order, functions by their code."""
    if value is None or isinstance(value, (bool, int, float, str, bytes)):
        return repr(value)
    if isinstance(value, PurePath):
        return f"path:{value}"
    if isinstance(value, dict):
        return "{" + ",".join(sorted(f"{canonical(k)}:{canonical(v)}" for k, v in value.items())) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(canonical(item) for item in value) + "]"
    if isinstance(value, (set, frozenset)):
        return "set{" + ",".join(sorted(canonical(item) for item in value)) + "}"
    if isinstance(value, re.Pattern):
        return f"re:{value.pattern!r}/{value.flags}"
    if isinstance(value, (datetime.date, datetime.time, datetime.timedelta)):
        return f"{type(value).__name__}:{value!r}"
    if isinstance(value, types.ModuleType):
        return f"module:{value.__name__}"
    if isinstance(value, functools.partial):
        return f"partial:{canonical(value.func)}{canonical(value.args)}{canonical(value.keywords)}"
    code = getattr(value, "__code__", None)
    if isinstance(code, types.CodeType):
        return f"function:{getattr(value, '__module__', '')}.{value.__qualname__}:{code_digest(code)}"
    if isinstance(value, type):
        return f"class:{value.__module__}.{value.__qualname__}"
    text = repr(value)
    # An object whose repr is its address says nothing stable; its type and fields do.
    if " at 0x" in text:
        fields = getattr(value, "__dict__", None)
        return f"{type(value).__module__}.{type(value).__qualname__}:{canonical(fields) if fields else ''}"
    return f"{type(value).__qualname__}:{text}"


def code_digest(code: types.CodeType) -> str:
    parts = [code.co_code, repr(code.co_names).encode(), repr(code.co_varnames).encode()]
    for constant in code.co_consts:
        parts.append(code_digest(constant).encode() if isinstance(constant, types.CodeType) else repr(constant).encode())
    return hashlib.sha256(b"\0".join(parts)).hexdigest()[:16]


# --- files ---------------------------------------------------------------------------------------


def files_digest(files: Iterable[Path]) -> str:
    """Names and contents of ``files`` (each once); a file that cannot be read counts as absent."""
    digest = hashlib.sha256()
    for path in sorted({Path(f) for f in files}):
        digest.update(str(path).encode() + b"\0")
        try:
            digest.update(hashlib.sha256(path.read_bytes()).digest())
        except OSError:
            digest.update(b"absent")
    return digest.hexdigest()


def tree_files(root: Path) -> list[Path]:
    """Every file under ``root`` (or ``root`` itself when it is a file), caches left out."""
    root = Path(root)
    if root.is_file():
        return [root]
    found = []
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = [name for name in subfolders if name not in SKIPPED_PARTS]
        found.extend(Path(folder, name) for name in names if not name.endswith((".pyc", ".pyo")))
    return found


def plugin_files(settings: dict) -> list[Path]:
    """The files of every plugin in ``PLUGINS``: a folder on ``PLUGIN_PATHS``, a namespace
    plugin (``pelican.plugins.<name>``) or a plain module, as Pelican would find it."""
    files: list[Path] = []
    for plugin in settings.get("PLUGINS") or []:
        location = plugin_location(plugin, settings.get("PLUGIN_PATHS") or [])
        if location is not None:
            files.extend(tree_files(location))
    return files


def plugin_location(plugin: Any, plugin_paths: Iterable[str]) -> Path | None:
    if isinstance(plugin, types.ModuleType):
        return _module_location(plugin.__spec__) if plugin.__spec__ else None
    name = str(plugin)
    for folder in plugin_paths:
        base = Path(folder) / Path(*name.split("."))
        if base.is_dir():
            return base
        if base.with_suffix(".py").is_file():
            return base.with_suffix(".py")
    for module_name in (f"pelican.plugins.{name}", name):
        try:
            spec = importlib.util.find_spec(module_name)
        except (ImportError, ValueError):
            spec = None
        if spec is not None:
            return _module_location(spec)
    return None


def _module_location(spec) -> Path | None:
    if spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    return Path(spec.origin) if spec.origin and os.path.exists(spec.origin) else None


def theme_files(settings: dict) -> list[Path]:
    roots = [settings.get("THEME"), *(settings.get("THEME_TEMPLATES_OVERRIDES") or [])]
    return [file for root in roots if root and Path(root).exists() for file in tree_files(Path(root))]


def project_build_files() -> list[Path]:
    packages = [
        folder for folder in PROJECT_ROOT.iterdir()
        if folder.name not in NOT_BUILD_PACKAGES and (folder / "__init__.py").is_file()
    ]
    return [file for package in packages for file in tree_files(package) if file.suffix == ".py"]


# --- installed versions --------------------------------------------------------------------------


def installed_digest() -> str:
    """Every installed distribution's name and version, from the names of the ``*.dist-info``
    folders of the interpreter's package folders (reading each one's metadata takes ~0.3 s), and
    the Python version. Other ``sys.path`` entries (the working folder Pelican adds) are not
    installations."""
    found = []
    folders = {entry for entry in sys.path if Path(entry).name in ("site-packages", "dist-packages")}
    for folder in sorted(folders):
        try:
            with os.scandir(folder) as listing:
                found.extend(item.name for item in listing if item.name.endswith(".dist-info"))
        except OSError:
            continue
    return hashlib.sha256(f"{sys.version}|{sorted(found)}".encode()).hexdigest()
