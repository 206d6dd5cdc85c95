"""How publish and rollback word their numbers for people."""

from __future__ import annotations

import unicodedata

# Control (Cc), format (Cf: bidi overrides, zero-width) and lone surrogate (Cs) characters: a
# name read from the bucket (a lock holder, a key, who published) could carry ANSI escapes
# that recolour, hide or rewrite the terminal's lines.
_UNPRINTABLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs"})


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """``counted(1, "file")`` -> "1 file"; ``counted(2, "file")`` -> "2 files"."""
    return f"{count} {noun if count == 1 else plural or noun + 's'}"


def human_bytes(count: int) -> str:
    if count < 1000:
        return f"{count} B"
    if count < 1_000_000:
        return f"{count / 1000:.1f} kB"
    return f"{count / 1_000_000:.1f} MB"


def destination(bucket: str, distribution_id: str | None, site_url: str | None) -> str:
    """Where a publish or rollback went, in one line."""
    parts = [f"bucket {bucket}"]
    parts.append(f"CloudFront distribution {distribution_id}" if distribution_id else "no CloudFront distribution")
    if site_url:
        parts.append(f"site {site_url}")
    return ", ".join(parts)


def terminal_safe(text: str) -> str:
    """``text`` with every control, format and surrogate character written as an escape
    (``\\x1b``, ``\\u202e``), so what reaches the terminal is what it says."""
    if text.isprintable():
        return text
    return "".join(
        ch.encode("unicode_escape", "backslashreplace").decode("ascii")
        if unicodedata.category(ch) in _UNPRINTABLE_CATEGORIES
        else ch
        for ch in text
    )
