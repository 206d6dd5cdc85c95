"""Drawing one share card (Pillow; no Pelican). Its bytes depend only on the text, the colours,
the font file and Pillow's version, so they are cached under a key made of those."""

from __future__ import annotations

import hashlib
import io
import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from PIL import Image, ImageColor, ImageDraw, ImageFont

SIZE = (1200, 630)  # Open Graph's recommended size: sharp on a 2x screen, 1.91:1
MARGIN = 80
# This file's own bytes are part of every card's key: a change to the drawing redraws every card.
CODE_DIGEST = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]
# Debian's fonts-dejavu-core (the Makefile installs it); Pillow finds it by name on the font path.
FONTS = {"bold": "DejaVuSans-Bold.ttf", "regular": "DejaVuSans.ttf"}
# The theme's light colours (theme/static/css/main.css), used when its stylesheet cannot be read.
THEME_COLOURS = {"bg": "#fdfcf9", "fg": "#1f2328", "muted": "#57606a", "accent": "#0b5cad", "rule": "#e3e0d8"}
_VARIABLE = re.compile(r"--(bg|fg|muted|accent|rule)\s*:\s*(#[0-9a-fA-F]{3,8})\s*;")


def theme_colours(stylesheet: Path) -> dict[str, str]:
    """The colours the theme's first ``:root`` block sets (light mode), over the defaults."""
    try:
        text = stylesheet.read_text(encoding="utf-8")
    except OSError:
        return dict(THEME_COLOURS)
    root = re.search(r":root\s*\{([^}]*)\}", text)
    return {**THEME_COLOURS, **dict(_VARIABLE.findall(root.group(1) if root else ""))}


@cache
def font(kind: str, size: int, path: str = "") -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """``path``, else DejaVu from the system, else the font Pillow ships (Aileron, since 10.1)."""
    for candidate in filter(None, (path, FONTS[kind])):
        try:
            return ImageFont.truetype(candidate, size)
        except OSError:
            continue
    return ImageFont.load_default(size)


@cache
def font_identity(path: str = "") -> str:
    """What the fonts in use are, for the cache key: their files' digests."""
    parts = []
    for kind in FONTS:
        chosen = font(kind, 10, path)
        file = getattr(chosen, "path", None)
        parts.append(hashlib.sha256(Path(file).read_bytes()).hexdigest()[:16] if isinstance(file, str) else repr(chosen))
    return ",".join(parts)


@dataclass(frozen=True)
class CardText:
    title: str
    site_name: str
    date: str


def card_key(text: CardText, colours: dict, font_path: str = "") -> str:
    described = json.dumps(
        {"text": text.__dict__, "colours": colours, "fonts": font_identity(font_path),
         "pillow": Image.__version__, "code": CODE_DIGEST},
        sort_keys=True,
    )
    return hashlib.sha256(described.encode()).hexdigest()[:32]


def _wrap(draw: ImageDraw.ImageDraw, text: str, face, width: int) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and draw.textlength(f"{lines[-1]} {word}", font=face) <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines


def _title_lines(draw, title: str, width: int, font_path: str):
    """The largest size from 72 px down at which the title fits in four lines; past that, the
    fourth line ends in an ellipsis."""
    for size in range(72, 40, -8):
        face = font("bold", size, font_path)
        lines = _wrap(draw, title, face, width)
        if len(lines) <= 4:
            return face, size, lines
    lines = lines[:4]
    while draw.textlength(lines[3] + "…", font=face) > width and " " in lines[3]:
        lines[3] = lines[3].rsplit(" ", 1)[0]
    lines[3] += "…"
    return face, size, lines


def draw_card(text: CardText, colours: dict, font_path: str = "") -> bytes:
    """The card as PNG bytes: site name above, the title large, the date below, an accent bar."""
    image = Image.new("RGB", SIZE, colours["bg"])
    draw = ImageDraw.Draw(image)
    width = SIZE[0] - 2 * MARGIN
    draw.rectangle((0, 0, 24, SIZE[1]), fill=colours["accent"])
    draw.text((MARGIN, MARGIN), text.site_name, font=font("bold", 36, font_path), fill=colours["accent"])
    face, size, lines = _title_lines(draw, text.title, width, font_path)
    line_height = round(size * 1.2)
    top = (SIZE[1] - line_height * len(lines)) // 2 + 10
    for number, line in enumerate(lines):
        draw.text((MARGIN, top + number * line_height), line, font=face, fill=colours["fg"])
    draw.line((MARGIN, SIZE[1] - MARGIN - 52, SIZE[0] - MARGIN, SIZE[1] - MARGIN - 52), fill=colours["rule"], width=2)
    draw.text((MARGIN, SIZE[1] - MARGIN - 32), text.date, font=font("regular", 32, font_path), fill=colours["muted"])
    buffer = io.BytesIO()
    # zlib level 3: a third of level 6's time (a 700-post site draws 700 cards on its first
    # publish) for 21 KB against 16 KB a card.
    _in_palette(image, colours).save(buffer, format="PNG", compress_level=3)
    return buffer.getvalue()


def _in_palette(image: Image.Image, colours: dict) -> Image.Image:
    """The card in 64 colours, 16 steps from the page colour to each ink: anti-aliased text stays
    smooth, the theme's colours stay exact, and the PNG is 40 % of the full-colour one's bytes."""
    page = ImageColor.getrgb(colours["bg"])
    palette = []
    for name in ("fg", "muted", "accent", "rule"):
        ink = ImageColor.getrgb(colours[name])
        for step in range(16):
            palette += [round(page[i] + (ink[i] - page[i]) * step / 15) for i in range(3)]
    reference = Image.new("P", (1, 1))
    reference.putpalette(palette)
    return image.quantize(palette=reference, dither=Image.Dither.NONE)
