"""Pure helpers (no Pelican): move a page's inline styles and scripts into files of their own.

The site's Content-Security-Policy allows styles and scripts from the site only (``'self'``), so
a browser ignores ``style="…"``, ``<style>`` and inline ``<script>`` that the author (or a
plugin) put into a page. :func:`extract_inline` rewrites the page so nothing is dropped:

- each distinct ``style="…"`` becomes a class (``inline-<hash>``), its declarations marked
  ``!important`` so they still win over the theme as an inline style does;
- ``<style>`` blocks move, in order, into the same stylesheet (linked at the end of ``<head>``);
- each inline ``<script>`` becomes a file (``<script src>``) at the same place in the page;
- an image embedded as a ``data:`` URI (a notebook's plot) becomes a file once it is larger than
  ``EMBEDDED_IMAGE_MAX`` bytes: pages stay small, and browsers cache the image.

Every name is a hash of what it holds and nothing else, so a page gives the same bytes in a full
build and an incremental one, and identical content shares one file (cacheable forever).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass, field
from html import escape
from html.parser import HTMLParser

CLASS_PREFIX = "inline-"
# A <script> of another type is data (JSON-LD, templates): not run, so the CSP does not apply.
_RUNNABLE_TYPES = {"", "text/javascript", "application/javascript", "module", "text/ecmascript"}
# Elements that never hold a parsed start tag's text the way HTML does.
_RAW_TEXT = ("script", "style")
# Under the output folder, relative to SITEURL.
STYLESHEET_DIR, SCRIPT_DIR, IMAGE_DIR = "css", "js", "images"
# An embedded image up to this size stays in the page (an icon); a larger one becomes a file.
EMBEDDED_IMAGE_MAX = 2048
_IMAGE_TYPES = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp", "image/svg+xml": "svg"}


def fingerprint(data: str) -> str:
    return hashlib.sha256(data.encode("utf-8")).hexdigest()[:10]


def declarations(style: str) -> list[str]:
    """``a: b; c: url(x;y)`` -> ``["a: b", "c: url(x;y)"]``: split on ``;`` outside brackets and quotes."""
    parts, current, depth, quote = [], [], 0, ""
    for char in style:
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth = max(0, depth - 1)
        elif char == ";" and depth == 0:
            parts.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    parts.append("".join(current).strip())
    return [part for part in parts if ":" in part]


def style_rule(style: str) -> tuple[str, str] | None:
    """The class name and the rule standing for one ``style`` attribute (None when it is empty)."""
    found = declarations(style)
    if not found:
        return None
    important = [d if d.lower().replace(" ", "").endswith("!important") else f"{d} !important" for d in found]
    body = "; ".join(important)
    name = CLASS_PREFIX + fingerprint(body)
    return name, f".{name} {{ {body}; }}"


def embedded_image(src: str) -> tuple[str, bytes] | None:
    """``(name, bytes)`` for a ``data:image/…;base64,`` URI worth a file of its own, else None."""
    head, comma, data = src.partition(",")
    if not comma or not head.lower().startswith("data:") or not head.lower().endswith(";base64"):
        return None
    extension = _IMAGE_TYPES.get(head[5:-7].strip().lower())
    if extension is None or len(data) * 3 // 4 <= EMBEDDED_IMAGE_MAX:
        return None
    try:
        payload = base64.b64decode("".join(data.split()), validate=True)
    except (binascii.Error, ValueError):
        return None
    return f"{IMAGE_DIR}/embedded.{hashlib.sha256(payload).hexdigest()[:10]}.{extension}", payload


@dataclass
class Extracted:
    html: str
    stylesheet: str = ""  # the page's own rules, in page order ("" when it needs none)
    files: dict[str, str | bytes] = field(default_factory=dict)  # path under the output -> contents

    @property
    def stylesheet_name(self) -> str:
        return f"{STYLESHEET_DIR}/inline.{fingerprint(self.stylesheet)}.css" if self.stylesheet else ""


class _Rewriter(HTMLParser):
    def __init__(self, html: str):
        super().__init__(convert_charrefs=False)
        self.html = html
        self.line_starts = [0]
        for number, char in enumerate(html):
            if char == "\n":
                self.line_starts.append(number + 1)
        self.edits: list[tuple[int, int, str]] = []  # (start, end, replacement) on the original text
        self.rules: list[str] = []
        self.files: dict[str, str | bytes] = {}
        self._open: tuple[str, int, dict] | None = None  # a <style>/<script> being read

    def position(self) -> int:
        line, column = self.getpos()
        return self.line_starts[line - 1] + column

    def handle_starttag(self, tag, attrs):
        self._tag(tag, attrs, self.get_starttag_text() or "", closed=False)

    def handle_startendtag(self, tag, attrs):
        self._tag(tag, attrs, self.get_starttag_text() or "", closed=True)

    def _tag(self, tag, attrs, text, closed):
        start = self.position()
        end = start + len(text)
        attributes = dict(attrs)
        if tag in _RAW_TEXT:
            runnable = tag == "style" or (attributes.get("type") or "").strip().lower() in _RUNNABLE_TYPES
            if runnable and "src" not in attributes:
                self._open = (tag, start, attributes)
                return
        style = attributes.get("style")
        image = embedded_image(attributes.get("src") or "") if tag == "img" else None
        if style is None and image is None:
            return
        kept = [(name, value) for name, value in attrs if name not in ("style", "class")]
        if image is not None:
            path, payload = image
            self.files[path] = payload
            kept = [(name, "\0" + path if name == "src" else value) for name, value in kept]
        classes = (attributes.get("class") or "").split()
        rule = style_rule(style) if style is not None else None
        if rule is not None:
            name, text_rule = rule
            if text_rule not in self.rules:
                self.rules.append(text_rule)
            classes.append(name)
        if classes:
            kept.append(("class", " ".join(dict.fromkeys(classes))))
        self.edits.append((start, end, _start_tag(tag, kept, closed)))

    def handle_endtag(self, tag):
        if self._open is None or tag != self._open[0]:
            return
        opened_tag, start, attributes = self._open
        self._open = None
        close_start = self.position()
        close_end = self.html.index(">", close_start) + 1
        body = self.html[self.html.index(">", start) + 1: close_start]
        if opened_tag == "style":
            media = (attributes.get("media") or "").strip()
            block = body.strip()
            if block:
                self.rules.append(f"@media {media} {{\n{block}\n}}" if media and media != "all" else block)
            self.edits.append((start, close_end, ""))
            return
        if not body.strip():
            return
        source = body.strip("\n") + "\n"
        path = f"{SCRIPT_DIR}/inline.{fingerprint(source)}.js"
        self.files[path] = source
        kept = [(key, value) for key, value in attributes.items() if key != "src"]
        self.edits.append((start, close_end, _start_tag("script", [*kept, ("src", "\0" + path)], False) + "</script>"))


def _start_tag(tag: str, attrs: list[tuple[str, str | None]], closed: bool) -> str:
    parts = [tag]
    for name, value in attrs:
        parts.append(name if value is None else f'{name}="{escape(value, quote=True)}"')
    return "<" + " ".join(parts) + (" />" if closed else ">")


def extract_inline(html: str, site_url: str) -> Extracted:
    """Rewrite ``html``; the files it now links are ``{site_url}/<path>``, the stylesheet too
    (its ``<link>`` goes last in ``<head>``)."""
    rewriter = _Rewriter(html)
    rewriter.feed(html)
    rewriter.close()
    if not rewriter.edits:
        return Extracted(html)
    pieces, last = [], 0
    for start, end, replacement in sorted(rewriter.edits):
        pieces.append(html[last:start])
        pieces.append(replacement.replace('src="\0', f'src="{site_url}/'))
        last = end
    pieces.append(html[last:])
    moved = Extracted("".join(pieces), "\n".join(rewriter.rules) + "\n" if rewriter.rules else "", rewriter.files)
    if moved.stylesheet:
        moved.files[moved.stylesheet_name] = moved.stylesheet
        moved.html = link_stylesheet(moved.html, f"{site_url}/{moved.stylesheet_name}")
    return moved


def link_stylesheet(html: str, href: str) -> str:
    """Put ``<link rel="stylesheet" href>`` last in ``<head>`` (after the theme's, so it wins a tie)."""
    link = f'<link rel="stylesheet" href="{escape(href, quote=True)}">'
    position = html.find("</head>")
    if position < 0:
        return link + html
    return html[:position] + link + "\n" + html[position:]
