"""Build the Pelican site from Python, so every caller (tasks, publish, tests, bench) builds alike."""

from __future__ import annotations

import logging
import os
import runpy
from pathlib import Path

from .targets import PROJECT_ROOT


class SiteBuildError(RuntimeError):
    """Pelican reported an error (it logs some, such as a plugin that fails to load, and goes on)."""


class _ErrorCollector(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def build_site(
    settings_file: str | os.PathLike = "pelicanconf.py",
    output_path: str | os.PathLike | None = None,
    overrides: dict | None = None,
) -> Path:
    """Run Pelican with ``settings_file`` (relative to the project root) and return the output path.

    Any error Pelican logs fails the build: a site published without its counter plugin, or
    with a broken template, is worse than no publish.
    """
    from pelican import Pelican
    from pelican.settings import read_settings

    override = dict(overrides or {})
    if output_path is not None:
        override["OUTPUT_PATH"] = str(Path(output_path).resolve())
    pelican_log = logging.getLogger("pelican")
    collector = _ErrorCollector()
    pelican_log.addHandler(collector)
    previous_level = pelican_log.level
    pelican_log.setLevel(logging.WARNING)
    try:
        settings = read_settings(str(_settings_path(settings_file)), override=override)
        Pelican(settings).run()
    finally:
        pelican_log.removeHandler(collector)
        pelican_log.setLevel(previous_level)
    if collector.messages:
        raise SiteBuildError("site build failed:\n  " + "\n  ".join(collector.messages))
    return Path(settings["OUTPUT_PATH"])


def _settings_path(settings_file: str | os.PathLike) -> Path:
    path = Path(settings_file)
    return path if path.is_absolute() else PROJECT_ROOT / path


def page_manifest_name(
    settings_file: str | os.PathLike = "pelicanconf.py", overrides: dict | None = None
) -> str:
    """The file the visitor_counter plugin writes its page manifest to when building with
    ``settings_file`` and ``overrides``: its ``manifest`` option, read by the plugin's own
    option reader. The settings file is run without Pelican, which publish need not import."""
    from plugins.visitor_counter.keys import read_options

    settings = runpy.run_path(str(_settings_path(settings_file)))
    settings.update(overrides or {})
    return read_options(settings)["manifest"]
