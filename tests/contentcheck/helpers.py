"""Helpers of the content check's tests."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image

from contentcheck.check import CheckReport


def shown(report: CheckReport) -> list[str]:
    """The report's lines as `make check` prints them, each path from its content/ on."""
    return [_from_content(str(problem)) for problem in report.problems]


def _from_content(line: str) -> str:
    at = line.find("content/")
    return line[at:] if at >= 0 else line


def png(width: int, height: int) -> bytes:
    """A real PNG of the given size."""
    raw = b"".join(b"\x00" + b"\x80\x80\x80" * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def gif(width: int, height: int) -> bytes:
    """A real one-colour GIF of the given size."""
    buffer = io.BytesIO()
    Image.new("P", (width, height)).save(buffer, format="GIF")
    return buffer.getvalue()
