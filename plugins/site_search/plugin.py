"""Signal handlers: read the options, give templates the search assets, collect the pages a reader
should find, and write the index and the search page's own script and stylesheet.

The index is a site-wide output built after the HTML (``finalized``), from the files the build
left in the output, whichever of them this build rewrote: an incremental build that rewrites one
post still gets an index of every post.
"""

from __future__ import annotations

import hashlib
import logging
import time
from pathlib import Path

from plugins.visitor_counter.keys import merge_options

from .bundle import BUNDLE_DIR, pages_digest, write_bundle

log = logging.getLogger(__name__)

DEFAULTS = {"enabled": True}
STATIC = Path(__file__).with_name("static")
# Published pages only: a draft, a hidden page or a future post is never indexed, in any build.
INDEXED_STATUS = "published"

# The digest of what the last index in each output folder was made from: a long-running preview
# whose rebuild changed no indexed page skips Pagefind. Checked against the files on disk too.
_last_indexed: dict[Path, str] = {}


def _fault(name, value):
    return None if isinstance(value, type(DEFAULTS[name])) else type(DEFAULTS[name]).__name__


def read_options(settings: dict) -> dict:
    return merge_options(settings, "SITE_SEARCH", DEFAULTS, _fault, log)


def fingerprinted_name(source: Path, folder: str) -> str:
    """``js/search.<first 10 hex of sha256>.js``: a new name whenever the bytes change."""
    digest = hashlib.sha256(source.read_bytes()).hexdigest()[:10]
    return f"{folder}/{source.stem}.{digest}{source.suffix}"


class SearchBuild:
    """State of one Pelican run: options, the assets' hashed names, the pages to index."""

    def __init__(self, settings: dict):
        self.options = read_options(settings)
        self.output_path = Path(settings["OUTPUT_PATH"])
        siteurl = (settings.get("SITEURL") or "").rstrip("/")
        # The search page's own script and stylesheet: source file -> fingerprinted output name.
        self.assets = {
            STATIC / "search.js": fingerprinted_name(STATIC / "search.js", "js"),
            STATIC / "search.css": fingerprinted_name(STATIC / "search.css", "css"),
        }
        script, style = self.assets.values()
        self.template_data = {
            "script": f"{siteurl}/{script}",
            "style": f"{siteurl}/{style}",
            "bundle": f"{siteurl}/{BUNDLE_DIR}/",
        }
        self.pages: list[str] = []

    @property
    def enabled(self) -> bool:
        return bool(self.options["enabled"])


_build: SearchBuild | None = None


def configure(pelican) -> None:
    from plugins.listed import listed

    global _build
    _build = SearchBuild(pelican.settings) if listed(pelican.settings, __package__) else None


def expose_to_templates(generator) -> None:
    if _build is not None and _build.enabled:
        generator.env.globals["site_search"] = _build.template_data


def collect_indexed_pages(generators) -> None:
    """Posts and pages as this build publishes them (their translations too), by output file."""
    if _build is None or not _build.enabled:
        return
    pages = []
    for generator in generators:
        for name in ("articles", "translations", "pages"):
            for content in getattr(generator, name, None) or ():
                if getattr(content, "status", "") == INDEXED_STATUS and getattr(content, "save_as", ""):
                    pages.append(content.save_as)
    _build.pages = sorted(set(pages))


def write_search(pelican) -> None:
    """The search page's assets, then the index of the collected pages."""
    if _build is None or not _build.enabled:
        return
    output = _build.output_path
    for source, target in _build.assets.items():
        destination = output / target
        if not destination.is_file():
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_bytes(source.read_bytes())
    digest = pages_digest(output, _build.pages)
    key = output.resolve()
    if _last_indexed.get(key) == digest and (output / BUNDLE_DIR / "pagefind-entry.json").is_file():
        log.info("site_search: no indexed page changed; index kept")
        return
    started = time.perf_counter()
    report = write_bundle(output, _build.pages)
    _last_indexed[key] = digest
    log.info(
        "site_search: %d pages indexed in %.1f s; %d of %d index files written, %d removed",
        report.pages, time.perf_counter() - started, len(report.written), report.files, len(report.removed),
    )
