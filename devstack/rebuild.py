"""The writing loop of ``make serve``: watch the site's sources, rebuild with Pelican, publish
what changed into the local bucket with the real publish code, and tell the open pages.

A rebuild that fails publishes nothing: the bucket keeps the last good site and the problems
go to the terminal (one line each, Pelican's own reason with the file) and to the open pages
(:mod:`devstack.livereload`). Counts are in the table, which a rebuild never touches.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from deploy.diff import url_paths
from deploy.site import BuildReport, run_build

log = logging.getLogger(__name__)

# Editors write these beside the file they save; none of them is part of the site.
EDITOR_DEBRIS = (".swp", ".swx", ".swo", "~", ".tmp", ".kate-swp")
# How long the watcher waits for a burst of saves (an editor's write, rename, chmod) to settle.
SETTLE_MS = 40


@dataclass
class PreviewSources:
    """What a preview build reads: the settings file and what it points at."""

    settings_file: Path
    content_path: Path
    theme_path: Path | None = None
    plugin_paths: list[Path] = field(default_factory=list)

    @classmethod
    def from_settings(cls, settings_file: Path, settings: dict) -> "PreviewSources":
        theme = Path(settings["THEME"]) if settings.get("THEME") else None
        plugins = [Path(p) for p in settings.get("PLUGIN_PATHS", []) if Path(p).is_dir()]
        return cls(Path(settings_file).resolve(), Path(settings["PATH"]).resolve(), theme, plugins)

    def watched(self) -> list[Path]:
        paths = [self.settings_file, self.content_path, *self.plugin_paths]
        if self.theme_path is not None and self.theme_path.is_dir():
            paths.append(self.theme_path)
        return [p for p in dict.fromkeys(paths) if p.exists()]

    def is_plugin(self, path: Path) -> bool:
        return any(path.is_relative_to(root) for root in self.plugin_paths)


@dataclass
class Rebuild:
    """One pass of the loop, for the terminal line and the open pages."""

    report: BuildReport
    build_seconds: float
    publish_seconds: float = 0.0
    changed_paths: list[str] = field(default_factory=list)
    summary_line: str = ""

    @property
    def ok(self) -> bool:
        return self.report.ok


def is_source(path: str) -> bool:
    name = Path(path).name
    return not (
        name.startswith((".#", ".~")) or name.endswith(EDITOR_DEBRIS)
        or "__pycache__" in Path(path).parts or name.endswith(".pyc")
    )


def forget_plugin_modules(plugin_paths: Iterable[Path]) -> list[str]:
    """Drop the project's plugin modules (and their signal receivers) so the next build imports
    the edited code: Pelican imports a plugin once per process."""
    from pelican import signals

    roots = [Path(p).resolve() for p in plugin_paths]
    dropped = []
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if file and any(Path(file).resolve().is_relative_to(root) for root in roots):
            del sys.modules[name]
            dropped.append(name)
    for signal in vars(signals).values():
        receivers = getattr(signal, "receivers", None)
        if not isinstance(receivers, dict):
            continue
        for reference in list(receivers.values()):
            receiver = reference() if callable(reference) and hasattr(reference, "__callback__") else reference
            if getattr(receiver, "__module__", None) in dropped:
                signal.disconnect(receiver)
    return dropped


class SiteWatcher:
    """Runs ``rebuild`` (build, publish, announce) on every change of the sources, in a thread."""

    def __init__(self, sources: PreviewSources, rebuild: Callable[[], Rebuild], say: Callable[[str], None] = print):
        self.sources = sources
        self.rebuild = rebuild
        self.say = say
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.ready = threading.Event()

    def start(self) -> "SiteWatcher":
        self._thread = threading.Thread(target=self._run, name="site-watcher", daemon=True)
        self._thread.start()
        self.ready.wait(10)
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def _run(self) -> None:
        from watchfiles import watch

        watched = [str(p) for p in self.sources.watched()]
        for changes in watch(
            *watched, watch_filter=lambda _change, path: is_source(path), stop_event=self._stop,
            step=SETTLE_MS, debounce=1000, yield_on_timeout=True, rust_timeout=200,
        ):
            self.ready.set()
            if not changes:
                continue
            paths = sorted({Path(path) for _, path in changes})
            if any(self.sources.is_plugin(p) for p in paths):
                forget_plugin_modules(self.sources.plugin_paths)
            self.say(f"changed: {', '.join(_shown(p) for p in paths[:3])}{' …' if len(paths) > 3 else ''}")
            try:
                self.rebuild()
            except Exception as error:  # noqa: BLE001 - the loop outlives any one rebuild
                log.exception("rebuild failed")
                self.say(f"error: rebuild failed: {error}")


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def changed_url_paths(actions: list[dict[str, str]]) -> list[str]:
    return sorted({path for action in actions for path in url_paths(action["key"])})


def timed(function: Callable, *args, **kwargs):
    started = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - started


__all__ = ["PreviewSources", "Rebuild", "SiteWatcher", "changed_url_paths", "run_build", "timed"]
