"""Page keys: the one normaliser shared by the Pelican plugin, the handler and publish.

A page key is the page's canonical URL path as published: ``/``, ``/posts/hello/``,
``/about/``, ``/page/2/``. The plugin writes keys into the page manifest and the widget
placeholder, publish registers them in DynamoDB, and the handler normalises what a browser
sends; all three must agree byte for byte, so all three call :func:`normalise_page_key`.

Steps, in order: percent-decode (once; strict UTF-8), Unicode NFC, collapse repeated slashes,
drop a trailing ``index.html`` segment. Rejected with :class:`PageKeyError`: anything not a
string, a key not starting with ``/``, a ``.`` or ``..`` segment, control characters,
backslashes, lone surrogates, more than 512 bytes of UTF-8, and a key that still decodes after
one decoding (double percent-encoding): accepting it would make the normaliser not idempotent,
so a key that the plugin normalised could change when the handler normalises it again.

Pure standard library: the plugin and publish import it without boto3.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import unquote

MAX_PAGE_KEY_BYTES = 512

_REPEATED_SLASHES = re.compile(r"/{2,}")
_PERCENT_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")
_INDEX_DOCUMENT = "index.html"


class PageKeyError(ValueError):
    """The raw value cannot be a page key; the message says why (safe to show a client)."""


def _percent_decode(raw: str) -> str:
    try:
        decoded = unquote(raw, encoding="utf-8", errors="strict")
    except UnicodeDecodeError as exc:
        raise PageKeyError("path is not valid percent-encoded UTF-8") from exc
    if _PERCENT_ESCAPE.search(decoded):
        raise PageKeyError("path is percent-encoded twice")
    return decoded


def _reject_forbidden_characters(key: str) -> None:
    for char in key:
        category = unicodedata.category(char)
        if category == "Cc":
            raise PageKeyError("path contains a control character")
        if category == "Cs":
            raise PageKeyError("path contains an unpaired surrogate")
        if char == "\\":
            raise PageKeyError("path contains a backslash")


def normalise_page_key(raw: str) -> str:
    """Return the canonical page key for ``raw`` or raise :class:`PageKeyError`.

    Idempotent: ``normalise_page_key(normalise_page_key(x)) == normalise_page_key(x)``.
    """
    if not isinstance(raw, str):
        raise PageKeyError("path must be a string")
    key = _percent_decode(raw)
    _reject_forbidden_characters(key)
    key = unicodedata.normalize("NFC", key)
    if not key.startswith("/"):
        raise PageKeyError("path must start with /")
    key = _REPEATED_SLASHES.sub("/", key)
    segments = key.split("/")
    if any(segment in (".", "..") for segment in segments):
        raise PageKeyError("path must not contain . or .. segments")
    if segments[-1] == _INDEX_DOCUMENT:
        key = key[: -len(_INDEX_DOCUMENT)]
    if len(key.encode("utf-8")) > MAX_PAGE_KEY_BYTES:
        raise PageKeyError(f"path is longer than {MAX_PAGE_KEY_BYTES} bytes")
    return key
