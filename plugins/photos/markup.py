"""Rewrite the ``<img>`` tags of rendered content into ``<picture>`` elements (no Pelican, no
Pillow): what to write for one image is given by a callable, so this tests alone."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from html.parser import HTMLParser

from .variants import MIME, Photo, Variant


@dataclass(frozen=True)
class ImageTag:
    start: int  # offsets of the whole tag in the HTML
    end: int
    attributes: dict[str, str]


class _ImageFinder(HTMLParser):
    """Every ``<img>`` not already inside a ``<picture>`` the author wrote, with its offsets."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[ImageTag] = []
        self._line_starts = [0]
        # HTMLParser counts lines by "\n" only.
        for line in html.split("\n"):
            self._line_starts.append(self._line_starts[-1] + len(line) + 1)
        self._pictures = 0

    def handle_starttag(self, tag, attrs):
        if tag == "picture":
            self._pictures += 1
        elif tag == "img" and not self._pictures:
            self._image(attrs)

    def handle_startendtag(self, tag, attrs):
        if tag == "img" and not self._pictures:
            self._image(attrs)

    def handle_endtag(self, tag):
        if tag == "picture" and self._pictures:
            self._pictures -= 1

    def _image(self, attrs):
        line, column = self.getpos()
        start = self._line_starts[line - 1] + column
        text = self.get_starttag_text() or ""
        self.tags.append(ImageTag(start, start + len(text), {name: value or "" for name, value in attrs}))


def find_images(html: str) -> list[ImageTag]:
    finder = _ImageFinder(html)
    finder.feed(html)
    finder.close()
    return finder.tags


def author_size(attributes: dict[str, str]) -> tuple[int | None, int | None]:
    """The ``width``/``height`` the author wrote, in pixels (``100`` or ``100px``; a percentage
    or anything else is not a display width)."""
    def pixels(name: str) -> int | None:
        value = attributes.get(name, "").strip().removesuffix("px")
        return int(value) if value.isdigit() and int(value) > 0 else None
    return pixels("width"), pixels("height")


def display_width(attributes: dict[str, str], photo_width: int, photo_height: int) -> int | None:
    """The width the author shows the image at, from ``width``, or from ``height`` and the ratio."""
    width, height = author_size(attributes)
    if width:
        return width
    if height:
        return max(1, round(height * photo_width / photo_height))
    return None


def srcset(variants: list[Variant], base_url: str) -> str:
    return ", ".join(f"{base_url}/{v.name} {v.width}w" for v in variants)


def picture(attributes: dict[str, str], photo: Photo, original_format: str, base_url: str, sizes: str, lazy: bool) -> str:
    """The ``<picture>`` for one image: a ``<source>`` per modern format, then the ``<img>`` in
    the original's format with its size written, keeping the author's other attributes."""
    shown = display_width(attributes, photo.width, photo.height)
    width, height = author_size(attributes)
    if shown:
        width, height = shown, height or max(1, round(shown * photo.height / photo.width))
        sizes = f"{shown}px"
    else:
        width, height = photo.width, photo.height
    fallback = photo.in_format(original_format)
    image = dict(attributes)
    image.update({
        "src": f"{base_url}/{fallback[-1].name}",
        "srcset": srcset(fallback, base_url),
        "sizes": sizes,
        "width": str(width),
        "height": str(height),
    })
    image.setdefault("alt", "")
    if lazy:
        image.setdefault("loading", "lazy")
        image.setdefault("decoding", "async")
    sources = [
        f'<source type="{MIME[image_format]}" srcset="{escape(srcset(photo.in_format(image_format), base_url))}" sizes="{escape(sizes)}">'
        for image_format in dict.fromkeys(v.format for v in photo.variants)
        if image_format != original_format
    ]
    tag = "<img " + " ".join(f'{name}="{escape(value)}"' for name, value in image.items()) + ">"
    return "<picture>" + "".join(sources) + tag + "</picture>"


def rewrite(html: str, replacement: Callable[[ImageTag], str | None]) -> str:
    """``html`` with each image replaced by ``replacement(tag)``, or kept when it answers None."""
    pieces, position = [], 0
    for tag in find_images(html):
        new = replacement(tag)
        if new is None:
            continue
        pieces.append(html[position:tag.start])
        pieces.append(new)
        position = tag.end
    pieces.append(html[position:])
    return "".join(pieces)
