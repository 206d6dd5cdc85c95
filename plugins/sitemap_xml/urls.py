"""Pure helpers (no Pelican): which written files belong in the sitemap, and the XML for them."""

from __future__ import annotations

import re
from datetime import datetime
from xml.sax.saxutils import escape

# Not worth a search result: the 404 page, numbered listing pages, anything not a page.
EXCLUDED = (re.compile(r"(^|/)404\.html$"), re.compile(r"(^|/)page/\d+/index\.html$"))


def listed(output_file: str, status: str = "published") -> bool:
    return output_file.endswith(".html") and status == "published" and not any(p.search(output_file) for p in EXCLUDED)


def url_for(siteurl: str, output_file: str) -> str:
    path = re.sub(r"(^|/)index\.html$", r"\1", output_file.replace("\\", "/"))
    return f"{siteurl.rstrip('/')}/{path}"


def sitemap_xml(entries: dict[str, datetime | None]) -> str:
    """``entries``: URL -> last modified (None for listings, which change with every post)."""
    lines = ['<?xml version="1.0" encoding="utf-8"?>', '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    for url in sorted(entries):
        lastmod = entries[url]
        stamp = f"<lastmod>{lastmod.date().isoformat()}</lastmod>" if lastmod else ""
        lines.append(f"<url><loc>{escape(url)}</loc>{stamp}</url>")
    lines.append("</urlset>")
    return "\n".join(lines) + "\n"
