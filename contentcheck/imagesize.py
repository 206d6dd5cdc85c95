"""Width and height of a local image (PNG, GIF, JPEG, WebP, SVG), so a warning about an image
without a size can say which size to write. Standard library only; None when unsure."""

from __future__ import annotations

import re
import struct
from pathlib import Path

_SVG_LENGTH = re.compile(r"^\s*([\d.]+)\s*(px)?\s*$")


def image_size(path: Path) -> tuple[int, int] | None:
    try:
        head = path.read_bytes()[:256 * 1024]
    except OSError:
        return None
    try:
        if head.startswith(b"\x89PNG\r\n\x1a\n"):
            return struct.unpack(">II", head[16:24])
        if head[:6] in (b"GIF87a", b"GIF89a"):
            return struct.unpack("<HH", head[6:10])
        if head.startswith(b"\xff\xd8"):
            return _jpeg_size(head)
        if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
            return _webp_size(head)
        if path.suffix.lower() == ".svg":
            return _svg_size(head.decode("utf-8", "replace"))
    except (struct.error, ValueError, IndexError):
        return None
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    offset = 2
    while offset + 9 < len(data):
        if data[offset] != 0xFF:
            return None
        marker = data[offset + 1]
        length = struct.unpack(">H", data[offset + 2:offset + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[offset + 5:offset + 9])
            return width, height
        offset += 2 + length
    return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8X":
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return width, height
    if chunk == b"VP8 ":
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L":
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return None


def _svg_size(text: str) -> tuple[int, int] | None:
    tag = re.search(r"<svg\b[^>]*>", text, re.S)
    if not tag:
        return None
    attributes = dict(re.findall(r'([\w:-]+)\s*=\s*"([^"]*)"', tag.group(0)))
    width, height = (_SVG_LENGTH.match(attributes.get(name, "")) for name in ("width", "height"))
    if width and height:
        return round(float(width.group(1))), round(float(height.group(1)))
    box = attributes.get("viewBox", "").replace(",", " ").split()
    if len(box) == 4:
        return round(float(box[2])), round(float(box[3]))
    return None
