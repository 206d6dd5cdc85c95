"""Signal handlers: start a fresh list each build, collect written pages, write sitemap.xml."""

from __future__ import annotations

import logging
from pathlib import Path

from .urls import listed, sitemap_xml, url_for

log = logging.getLogger(__name__)


class SitemapBuild:
    def __init__(self, settings: dict):
        self.siteurl = settings.get("SITEURL", "") or ""
        self.output_path = Path(settings["OUTPUT_PATH"])
        self.entries: dict = {}


_build: SitemapBuild | None = None


def start_build(pelican) -> None:
    global _build
    _build = SitemapBuild(pelican.settings)


def collect_page(path, context) -> None:
    if _build is None or not context or not context.get("output_file"):
        return
    content = context.get("article") or context.get("page")
    status = getattr(content, "status", "published") if content is not None else "published"
    if listed(context["output_file"], status):
        lastmod = getattr(content, "modified", None) or getattr(content, "date", None) if content is not None else None
        _build.entries[url_for(_build.siteurl, context["output_file"])] = lastmod


def write_sitemap(pelican) -> None:
    if _build is None:
        return
    target = _build.output_path / "sitemap.xml"
    target.write_text(sitemap_xml(_build.entries), encoding="utf-8")
    log.info("sitemap_xml: %d URLs in %s", len(_build.entries), target.name)
