"""What publish knows of one file: in the build output (``LocalFile``) and in the bucket
(``RemoteObject``). The planner and the AWS side both speak these, so neither imports the other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .headers import Headers

# Publish keeps its own bookkeeping in the bucket under these keys: its state
# (deploy/state.py), the history of publishes (deploy/history.py) and the lock held while a publish or rollback runs (deploy/lock.py). They
# are never part of the site, so neither walked, listed as site objects, nor deleted.
STATE_KEY = ".publish-state.json"
HISTORY_KEY = ".publish-history.json"
LOCK_KEY = ".publish-lock.json"
BOOKKEEPING_KEYS = frozenset({STATE_KEY, HISTORY_KEY, LOCK_KEY})

# S3 gives a single-part upload (without SSE-KMS) an ETag that is the MD5 of its bytes; a
# multipart ETag carries a ``-<parts>`` suffix and proves nothing about the content.
_PLAIN_MD5_ETAG = re.compile(r"^[0-9a-f]{32}$")


def md5_of_etag(etag: str) -> str | None:
    """The MD5 of the object's bytes when its ETag is one, else None."""
    return etag if _PLAIN_MD5_ETAG.match(etag) else None


def unquoted_etag(etag: str) -> str:
    """S3 answers ETags in double quotes."""
    return etag.strip('"')


@dataclass(frozen=True)
class LocalFile:
    key: str
    path: Path
    size: int
    md5: str
    sha256: str
    headers: Headers


@dataclass
class RemoteObject:
    """What is known of one object in the bucket; digests, headers and the version id may still
    be unknown (None). ``version_id`` is "" where the bucket gave none (versioning off)."""

    key: str
    etag: str
    size: int
    md5: str | None = None
    sha256: str | None = None
    headers: Headers | None = None
    version_id: str | None = None
