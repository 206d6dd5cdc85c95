"""What a page's content asks the browser for: links, images, inline code. Plain HTMLParser."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

# Elements whose URL attribute the browser loads or follows, and the CSP directive that governs it.
URL_ATTRIBUTES = {
    ("a", "href"): None,
    ("img", "src"): "img-src",
    ("source", "src"): "media-src",
    ("video", "src"): "media-src",
    ("audio", "src"): "media-src",
    ("iframe", "src"): "frame-src",
    ("script", "src"): "script-src",
    ("link", "href"): "style-src",
}


@dataclass(frozen=True)
class Reference:
    tag: str
    url: str
    directive: str | None  # None: a link the reader follows, not something the page loads


@dataclass(frozen=True)
class Image:
    src: str
    width: str = ""
    height: str = ""

    @property
    def has_size(self) -> bool:
        return bool(self.width and self.height)


@dataclass
class ContentScan:
    references: list[Reference] = field(default_factory=list)
    images: list[Image] = field(default_factory=list)
    inline_styles: list[str] = field(default_factory=list)  # the tag carrying style=, or "style"
    inline_scripts: int = 0
    event_handlers: list[tuple[str, str]] = field(default_factory=list)  # (tag, "onclick") and friends


class _Scanner(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.scan = ContentScan()
        self._script_is_inline = False

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        if "style" in attributes:
            self.scan.inline_styles.append(f"<{tag} style=…>")
        if tag == "style":
            self.scan.inline_styles.append("<style>")
        self.scan.event_handlers.extend((tag, name) for name in attributes if name.startswith("on"))
        for (element, attribute), directive in URL_ATTRIBUTES.items():
            if tag == element and attributes.get(attribute):
                if tag == "link" and "stylesheet" not in attributes.get("rel", "").split():
                    continue
                self.scan.references.append(Reference(tag, attributes[attribute].strip(), directive))
        if tag == "img" and attributes.get("src"):
            self.scan.images.append(Image(attributes["src"], attributes.get("width", "").strip(), attributes.get("height", "").strip()))
        if tag == "script":
            runs = attributes.get("type", "text/javascript") in ("", "text/javascript", "module", "application/javascript")
            self._script_is_inline = runs and "src" not in attributes

    def handle_data(self, data):
        if self._script_is_inline and data.strip():
            self.scan.inline_scripts += 1
            self._script_is_inline = False

    def handle_endtag(self, tag):
        if tag == "script":
            self._script_is_inline = False


def scan_content(html: str) -> ContentScan:
    scanner = _Scanner()
    scanner.feed(html or "")
    scanner.close()
    return scanner.scan
