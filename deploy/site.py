"""Build the Pelican site from Python, so every caller (tasks, publish, tests, bench) builds alike."""

from __future__ import annotations

import logging
import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def build_site(
    settings_file: str | os.PathLike = "pelicanconf.py",
    output_path: str | os.PathLike | None = None,
    overrides: dict | None = None,
) -> Path:
    """Run Pelican with ``settings_file`` (relative to the project root) and return the output path."""
    from pelican import Pelican
    from pelican.settings import read_settings

    override = dict(overrides or {})
    if output_path is not None:
        override["OUTPUT_PATH"] = str(Path(output_path).resolve())
    settings_path = Path(settings_file)
    if not settings_path.is_absolute():
        settings_path = PROJECT_ROOT / settings_path
    settings = read_settings(str(settings_path), override=override)
    logging.getLogger("pelican").setLevel(logging.WARNING)
    Pelican(settings).run()
    return Path(settings["OUTPUT_PATH"])
