"""The PHOTOS setting over its defaults, and which images the plugin takes over. No Pelican, no
Pillow: the content check imports this to know which images need no size written by hand."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import Any

from plugins.listed import listed
from plugins.visitor_counter.keys import merge_options

log = logging.getLogger(__name__)

PLUGIN_NAME = "photos"
# Formats worth resizing and re-encoding. A GIF may be animated and an SVG scales by itself:
# both pass through untouched.
RASTER_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")

DEFAULTS: dict[str, Any] = {
    "enabled": True,
    # Widths offered in srcset for an image shown at the column's width, capped at the original's
    # (an image is never enlarged). The column is 664 px (41.5rem): 664 fits it at 1x (a desktop,
    # a 360 px phone at 2x, Lighthouse's 412 px phone at 1.75x), 1328 at 2x; 1000 a 360-412 px
    # phone at 2.6-3x; 480 the smallest screens. Lighthouse flags a variant more than ~4 KB larger
    # than its box: with 800 in place of 664 it flagged every photo of a post.
    "widths": [480, 664, 1000, 1328],
    # What the browser is told the image's displayed width is: the theme's column (.wrap is 44rem
    # wide with 1.25rem padding each side, the full width less the padding on a phone).
    "sizes": "(min-width: 44rem) 41.5rem, calc(100vw - 2.5rem)",
    # Formats offered beside the original's, best first; AVIF only where Pillow can write it.
    "formats": ["avif", "webp"],
    "quality": {"jpeg": 82, "webp": 80, "avif": 60, "png": 100},
    # libavif's speed, 0-10: 9 encoded a 1600 px photo in 0.3 s here against 1.1 s at 8 and 2.8 s
    # at 6, for 81 KB against 95 KB and 60 KB (WebP: 99 KB); each variant is encoded once.
    "avif_speed": 9,
    # Images before this one on a page load eagerly (the first screen); the rest lazily.
    "eager": 1,
    # `make check` warns on an original heavier than this: it slows every build that sees it
    # first, and a repository of them grows fast.
    "max_original_bytes": 5 * 1024 * 1024,
    # Under the build's MEDIA_CACHE_PATH (else CACHE_PATH): each variant is encoded once per source and settings.
    "cache_dir": "photos",
}


def _fault(name: str, value: Any) -> str | None:
    if name == "widths":
        good = isinstance(value, list) and value and all(isinstance(w, int) and w > 0 for w in value)
        return None if good else "a non-empty list of positive whole numbers"
    if name == "formats":
        good = isinstance(value, list) and all(f in ("avif", "webp") for f in value)
        return None if good else 'a list of "avif" and "webp"'
    if name == "quality":
        good = isinstance(value, dict) and all(isinstance(q, int) and 1 <= q <= 100 for q in value.values())
        return None if good else "a dict of format -> quality from 1 to 100"
    if name == "avif_speed":
        return None if isinstance(value, int) and 0 <= value <= 10 else "a whole number from 0 to 10"
    if name in ("eager", "max_original_bytes"):
        return None if isinstance(value, int) and value >= 0 else "a whole number of 0 or more"
    expected = type(DEFAULTS[name])
    return None if isinstance(value, expected) else expected.__name__


def read_options(settings: Mapping) -> dict:
    options = merge_options(settings, "PHOTOS", DEFAULTS, _fault, log)
    options["quality"] = {**DEFAULTS["quality"], **options["quality"]}
    return options


def plugin_active(settings: Mapping) -> bool:
    """Whether a build with ``settings`` runs the plugin, enabled."""
    return listed(settings, PLUGIN_NAME) and bool(read_options(settings)["enabled"])


def is_raster(path: str) -> bool:
    return PurePosixPath(path.split("?", 1)[0].split("#", 1)[0]).suffix.lower() in RASTER_SUFFIXES
