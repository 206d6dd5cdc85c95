"""Pure helpers (no Pelican): page keys from output files, the hashed script name, options."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote, urlsplit

from shared.pagekey import normalise_page_key

log = logging.getLogger(__name__)

DEFAULTS = {
    "enabled": True,
    "api_path": "/api/hits",
    "label": "Views",
    "site_label": "Visits to this site",
    "manifest": "counter-pages.json",
    "script_dir": "js",
    # Output files that get no widget and are not counted.
    "exclude": ["404.html"],
}

SCRIPT_SOURCE = Path(__file__).with_name("static") / "counter.js"


def merge_options(
    settings: Mapping,
    setting: str,
    defaults: dict,
    fault: Callable[[str, Any], str | None],
    logger: logging.Logger = log,
) -> dict:
    """Merge the dict setting ``setting`` over ``defaults``. A setting that is not a dict, an
    unknown option, or a value ``fault`` finds fault with (its answer says what the value must
    be) is a warning on ``logger``, and the default stands."""
    given = settings.get(setting) or {}
    if not isinstance(given, dict):
        logger.warning("%s must be a dict, got %s; using the defaults", setting, type(given).__name__)
        given = {}
    options = dict(defaults)
    for name, value in given.items():
        if name not in defaults:
            logger.warning("%s: unknown option %r ignored", setting, name)
            continue
        wanted = fault(name, value)
        if wanted:
            logger.warning("%s[%r] must be %s, got %r; using %r", setting, name, wanted, value, defaults[name])
            continue
        options[name] = value
    return options


def _fault(name: str, value: Any) -> str | None:
    expected = type(DEFAULTS[name])
    return None if isinstance(value, expected) else expected.__name__


def read_options(settings: dict) -> dict:
    """Merge VISITOR_COUNTER over the defaults; a bad value warns and falls back."""
    options = merge_options(settings, "VISITOR_COUNTER", DEFAULTS, _fault)
    api_path = options["api_path"]
    if not api_path.startswith("/") or "//" in api_path:
        log.warning("VISITOR_COUNTER['api_path'] must be a same-origin path like /api/hits, got %r; using the default", api_path)
        options["api_path"] = DEFAULTS["api_path"]
    return options


def site_path_prefix(siteurl: str) -> str:
    """The path part of SITEURL (``https://x.org/blog`` -> ``/blog``), so keys match published URLs."""
    return urlsplit(siteurl or "").path.rstrip("/")


def page_key_for(output_file: str, siteurl: str = "") -> str:
    """Canonical page key for a file Pelican writes (``posts/x/index.html`` -> ``/posts/x/``)."""
    relative = PurePosixPath(str(output_file).replace("\\", "/")).as_posix().lstrip("/")
    url_path = site_path_prefix(siteurl) + "/" + quote(relative, safe="/")
    return normalise_page_key(url_path)


def script_name(source: bytes, script_dir: str) -> str:
    """Content-hashed file name, so the script can be cached forever."""
    digest = hashlib.sha256(source).hexdigest()[:10]
    return f"{script_dir.strip('/')}/counter.{digest}.js"
