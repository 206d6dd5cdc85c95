"""Build the Pelican site from Python, so every caller (tasks, publish, serve, tests, bench,
the content check) builds alike and reports Pelican's problems alike.

Pelican logs most content problems and goes on (a post with a bad ``Date:`` is skipped with
"Could not process ./post.md", its reason only in the exception being handled); a broken template
or settings file raises instead. :func:`run_build` turns both into :class:`BuildProblem` values
naming the file, the line where it is known, and Pelican's own reason. :func:`build_site` fails on
any error among them and logs the warnings.
"""

from __future__ import annotations

import logging
import os
import re
import runpy
import sys
import traceback
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from deploy.content_tree import content_tree_problems
from shared.targets import PROJECT_ROOT

if TYPE_CHECKING:
    from sitebuild.cache import BuildCache
    from sitebuild.incremental import IncrementalRun

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BuildProblem:
    """One warning or error from a build, as an author reads it: ``content/post.md:2: error: ...``."""

    file: str | None  # shown relative to the project root when inside it, else absolute
    line: int | None
    message: str  # Pelican's own words, with the reason from its exception when it had one
    level: str  # "error" or "warning"
    rule: str = ""  # what found it ("pelican" for the build itself), so a long report can count by rule

    @property
    def is_error(self) -> bool:
        return self.level == "error"

    @property
    def where(self) -> str:
        if self.file is None:
            return ""
        return f"{self.file}:{self.line}" if self.line else self.file

    def __str__(self) -> str:
        where = self.where
        return f"{where}: {self.level}: {self.message}" if where else f"{self.level}: {self.message}"


class SiteBuildError(RuntimeError):
    """The build had errors; ``problems`` lists every one (and the warnings beside them)."""

    def __init__(self, problems: list[BuildProblem]):
        self.problems = list(problems)
        errors = [p for p in self.problems if p.is_error]
        super().__init__(
            f"site build failed ({len(errors)} error{'s' if len(errors) != 1 else ''}):\n  "
            + "\n  ".join(str(p) for p in errors)
        )


class ProblemList:
    """What a build or a check found: its ``problems`` split into errors and warnings."""

    problems: list[BuildProblem]

    @property
    def errors(self) -> list[BuildProblem]:
        return [p for p in self.problems if p.is_error]

    @property
    def warnings(self) -> list[BuildProblem]:
        return [p for p in self.problems if not p.is_error]

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class BuildReport(ProblemList):
    output: Path
    problems: list[BuildProblem] = field(default_factory=list)
    settings: dict = field(default_factory=dict, repr=False)
    incremental: "IncrementalRun | None" = field(default=None, repr=False)  # what was rendered and kept


def run_build(
    settings_file: str | os.PathLike = "pelicanconf.py",
    output_path: str | os.PathLike | None = None,
    overrides: dict | None = None,
    content_path: str | os.PathLike | None = None,
) -> BuildReport:
    """Run Pelican once and report every warning and error it had; never raises for a problem of
    the site (a bad post, template or settings file), only for a bug of the caller."""
    from sitebuild.incremental import run_pelican
    from sitebuild.receivers import plugin_receivers_released

    override = dict(overrides or {})
    if output_path is not None:
        override["OUTPUT_PATH"] = str(Path(output_path).resolve())
    if content_path is not None:
        override["PATH"] = str(Path(content_path).resolve())
    report = BuildReport(output=Path(override.get("OUTPUT_PATH", PROJECT_ROOT / "output")))
    with collect_problems() as collector:
        try:
            settings = read_pelican_settings(settings_file, override)
            report.settings = settings
            report.output = Path(settings["OUTPUT_PATH"])
            collector.content_path = Path(settings["PATH"])
            tree_problems = content_tree_problems(collector.content_path)
            for path, message in tree_problems:
                # the entry itself, not where a link leads
                shown = str(Path(display_path(Path(path).parent)) / Path(path).name)
                collector.problems.append(BuildProblem(shown, None, message, "error", "content tree"))
            if not tree_problems:  # a pipe would hang the build, a loop bury the report
                cache = use_build_cache(settings)
                with plugin_receivers_released():
                    report.incremental = run_pelican(settings, cache)
        except Exception as error:  # noqa: BLE001 - Pelican raises many kinds; each becomes a problem
            collector.add_exception(error)
    report.problems = collector.problems
    return report


def build_site(
    settings_file: str | os.PathLike = "pelicanconf.py",
    output_path: str | os.PathLike | None = None,
    overrides: dict | None = None,
    content_path: str | os.PathLike | None = None,
) -> Path:
    """Run Pelican with ``settings_file`` (relative to the project root) and return the output path.

    Any error Pelican reports fails the build with :class:`SiteBuildError`: a site published
    without a post, its counter plugin, or with a broken template, is worse than no publish.
    Warnings are logged, one line each, and the build goes on.
    """
    report = run_build(settings_file, output_path, overrides, content_path)
    for warning in report.warnings:
        log.warning("%s", warning)
    if not report.ok:
        raise SiteBuildError(report.problems)
    return report.output


def use_build_cache(settings: dict) -> "BuildCache":
    """Point Pelican's content cache at the cache of this build's identity (beside the output),
    so a change of settings, plugins, theme or installed versions reads everything again."""
    from sitebuild.cache import BuildCache
    from sitebuild.identity import build_identity

    cache = BuildCache.beside(Path(settings["OUTPUT_PATH"]), build_identity(settings))
    cache.open()
    settings.update(
        CACHE_CONTENT=True,
        LOAD_CONTENT_CACHE=True,
        CONTENT_CACHING_LAYER="reader",
        # By content, not time: two saves within the file system's clock tick are both seen.
        CHECK_MODIFIED_METHOD="md5",
        GZIP_CACHE=False,
        CACHE_PATH=str(cache.content_cache),
        # Shared across outputs when the caller names it (tests building one site twice).
        MEDIA_CACHE_PATH=settings.get("MEDIA_CACHE_PATH") or str(cache.media_cache),
    )
    return cache


def read_pelican_settings(settings_file: str | os.PathLike, override: dict | None = None) -> dict:
    from pelican.settings import read_settings

    return read_settings(str(settings_path(settings_file)), override=dict(override or {}))


def settings_path(settings_file: str | os.PathLike) -> Path:
    path = Path(settings_file)
    return path if path.is_absolute() else PROJECT_ROOT / path


def page_manifest_name(
    settings_file: str | os.PathLike = "pelicanconf.py", overrides: dict | None = None
) -> str:
    """The file the visitor_counter plugin writes its page manifest to when building with
    ``settings_file`` and ``overrides``: its ``manifest`` option, read by the plugin's own
    option reader. The settings file is run without Pelican, which publish need not import."""
    from plugins.visitor_counter.keys import read_options

    settings = runpy.run_path(str(settings_path(settings_file)))
    settings.update(overrides or {})
    return read_options(settings)["manifest"]


# --- collecting Pelican's problems ---------------------------------------------------------------


class ProblemCollector(logging.Handler):
    """Turns the warnings and errors Pelican logs during one build into :class:`BuildProblem`."""

    def __init__(self):
        super().__init__(level=logging.WARNING)
        self.problems: list[BuildProblem] = []
        self.content_path: Path | None = None

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        # "Could not process %s" is logged inside Pelican's except block: the reason is there.
        error = sys.exc_info()[1]
        source = self._source_of(record)
        line = None
        if error is not None:
            message = f"{message}: {_reason(error)}"
            line = _line_of(error, source)
        level = "error" if record.levelno >= logging.ERROR else "warning"
        self.problems.append(BuildProblem(display_path(source), line, message, level))

    def add_exception(self, error: BaseException) -> None:
        """A build that raised (a template, the settings file, a plugin): name the file at fault."""
        source, line = _raised_at(error)
        self.problems.append(BuildProblem(display_path(source), line, _reason(error), "error"))

    def _source_of(self, record: logging.LogRecord) -> Path | None:
        args = record.args if isinstance(record.args, tuple) else ()
        for arg in args:
            source = getattr(arg, "source_path", None)
            if source:
                return Path(source)
        for arg in args:
            if isinstance(arg, (str, os.PathLike)):
                candidate = Path(arg)
                if not candidate.is_absolute() and self.content_path is not None:
                    candidate = self.content_path / candidate
                if candidate.suffix and candidate.is_file():
                    return candidate.resolve()
        return None


@contextmanager
def collect_problems() -> Iterator[ProblemCollector]:
    """Collect what Pelican logs at WARNING and above while the block runs, instead of letting
    it reach the console as bare lines; the caller reports the problems."""
    from pelican.log import LimitFilter

    # Pelican drops a message it has logged once in this process: a long-running preview must
    # hear about a problem again at every rebuild that still has it.
    LimitFilter._raised_messages.clear()
    LimitFilter._group_count.clear()
    pelican_log = logging.getLogger("pelican")
    collector = ProblemCollector()
    saved = pelican_log.level, pelican_log.propagate
    pelican_log.addHandler(collector)
    pelican_log.setLevel(logging.WARNING)
    pelican_log.propagate = False
    try:
        yield collector
    finally:
        pelican_log.removeHandler(collector)
        pelican_log.level, pelican_log.propagate = saved


def _reason(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    if isinstance(error, SyntaxError) and error.msg:
        text = error.msg
    return text if isinstance(error, (ValueError, SyntaxError)) else f"{type(error).__name__}: {text}"


_QUOTED = re.compile(r"'([^']+)'|\"([^\"]+)\"")


def _line_of(error: BaseException, source: Path | None) -> int | None:
    """The line of ``source`` holding the value Pelican's reason quotes ("'2024-13-45' is not a
    valid date" points at the ``Date:`` line)."""
    if source is None or not source.is_file():
        return None
    quoted = [a or b for a, b in _QUOTED.findall(str(error))]
    if not quoted:
        return None
    try:
        lines = source.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    for number, text in enumerate(lines, start=1):
        if any(value in text for value in quoted):
            return number
    return None


def _is_file(name: str | os.PathLike) -> bool:
    """Whether ``name`` is a file; a name the system cannot even look up (too long, a NUL) is not."""
    try:
        return Path(name).is_file()
    except (OSError, ValueError):
        return False


def _raised_at(error: BaseException) -> tuple[Path | None, int | None]:
    filename = getattr(error, "filename", None)  # SyntaxError, Jinja's TemplateSyntaxError
    if filename and _is_file(filename):
        return Path(filename).resolve(), getattr(error, "lineno", None)
    # Otherwise the deepest frame that is the site's own file (a template, a plugin, settings).
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        path = Path(frame.filename)
        if _is_file(path) and not _is_library(path) and not _is_build_machinery(path):
            return path.resolve(), frame.lineno
    return None, None


def _is_build_machinery(path: Path) -> bool:
    """This module and the build package: never the site's file at fault."""
    resolved = path.resolve()
    return resolved == Path(__file__).resolve() or resolved.is_relative_to(PROJECT_ROOT / "sitebuild")


def _is_library(path: Path) -> bool:
    parts = path.resolve().parts
    return "site-packages" in parts or "dist-packages" in parts or str(path).startswith(sys.base_prefix)


def display_path(path: Path | None) -> str | None:
    """``path`` as an author reads it: relative to where they are, or to the project."""
    if path is None:
        return None
    path = path.resolve()
    for base in (Path.cwd().resolve(), PROJECT_ROOT):
        try:
            return str(path.relative_to(base))
        except ValueError:
            continue
    return str(path)
