"""Publish's memory between runs, kept in the bucket under ``STATE_KEY``: what it learnt when
it wrote each object (ETag, digests, headers, version id) and the paths changed but not yet
invalidated; the history of recent publishes and rollbacks (deploy/history.py), so that one
write both records a publish before its first change and saves what it did after its last; and
which page manifest the counter table was last brought in line with. Pure: no AWS here
(deploy/remote.py reads and writes the document).

The document is validated on read, piece by piece: a damaged entry is dropped (it costs an
inspection of that object), a damaged list of pending paths becomes ``/*`` (nothing stale is
left cached). Nothing in it can stop a publish.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from .headers import Headers
from .history import HistoryEntry, history_from_entries, history_to_entries
from .objects import RemoteObject, md5_of_etag

WILDCARD = "/*"
STATE_VERSION = 1
# What publish itself puts in the list (deploy.diff.url_paths percent-encodes the rest);
# CloudFront rejects longer paths, and anything else would fail every invalidation.
_INVALIDATION_PATH = re.compile(r"/[\x21-\x7e]{0,4095}")


def collapse_paths(paths: list[str], threshold: int) -> list[str]:
    """The paths sorted and once each, or one ``/*`` above ``threshold`` of them."""
    paths = sorted(set(paths))
    if WILDCARD in paths or len(paths) > threshold:
        return [WILDCARD]
    return paths


@dataclass
class PublishState:
    """What publish learnt when it wrote each object, valid only while the object's ETag is the
    one recorded (an object changed behind publish's back gets a new ETag and is inspected);
    and the paths changed but not yet invalidated (kept by a failed run or --no-invalidate).
    An object whose ETag moved since the state was written is invalidated too, which covers a
    run killed before it could save anything."""

    objects: dict[str, RemoteObject] = field(default_factory=dict)
    pending_invalidation: list[str] = field(default_factory=list)
    # None: the document holds no history (written before the history moved into it).
    history: list[HistoryEntry] | None = None
    # The page manifest (its ETag in the bucket) whose keys the counter table (its name) was
    # brought in line with by the run that wrote it: while both are the same, no page key
    # appeared or went, and publish need not ask the table.
    pages_followed: tuple[str, str] | None = None

    def apply_to(self, remote: dict[str, RemoteObject]) -> None:
        for key, listed in remote.items():
            known = self.objects.get(key)
            if known is not None and known.etag == listed.etag and known.size == listed.size:
                listed.md5 = known.md5 or listed.md5
                listed.sha256 = known.sha256
                listed.headers = known.headers
                listed.version_id = known.version_id

    def changed_since(self, remote: dict[str, RemoteObject]) -> list[str]:
        """Keys whose object changed or went after this state was written: an interrupted run
        (or another tool) replaced them, so caches may still hold the old bytes."""
        return sorted(
            key
            for key, known in self.objects.items()
            if key not in remote or remote[key].etag != known.etag
        )

    def describe(self, remote: dict[str, RemoteObject]) -> None:
        """From now on the state holds exactly the objects in the bucket whose headers are known."""
        self.objects = {key: obj for key, obj in remote.items() if obj.headers is not None}

    def record(self, obj: RemoteObject) -> None:
        self.objects[obj.key] = obj

    def forget(self, key: str) -> None:
        self.objects.pop(key, None)

    def add_pending(self, paths: list[str], threshold: int) -> None:
        if paths:
            self.pending_invalidation = collapse_paths(
                self.pending_invalidation + paths, threshold
            )

    def to_json(self) -> bytes:
        header_sets: dict[Headers, int] = {}
        objects = {}
        for key, obj in sorted(self.objects.items()):
            if obj.headers is None:
                continue
            entry: dict[str, object] = {
                "etag": obj.etag,
                "size": obj.size,
                "h": header_sets.setdefault(obj.headers, len(header_sets)),
            }
            if obj.md5 and obj.md5 != obj.etag:
                entry["md5"] = obj.md5
            if obj.sha256 and not md5_of_etag(obj.etag):
                entry["sha256"] = obj.sha256
            if obj.version_id is not None:
                entry["v"] = obj.version_id
            objects[key] = entry
        document: dict[str, object] = {
            "version": STATE_VERSION,
            "headers": [[h.content_type, h.cache_control] for h in header_sets],
            "objects": objects,
            "pending_invalidation": self.pending_invalidation,
        }
        if self.history is not None:
            document["history"] = history_to_entries(self.history)
        if self.pages_followed is not None:
            document["pages_followed"] = list(self.pages_followed)
        return json.dumps(document, separators=(",", ":")).encode()

    @classmethod
    def from_json(cls, data: bytes) -> "PublishState":
        """The state in ``data``, keeping every part that is valid (see the module docstring)."""
        try:
            document = json.loads(data)
        except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested too deep
            return cls()
        if not isinstance(document, dict) or document.get("version", STATE_VERSION) != STATE_VERSION:
            return cls()
        return cls(
            _valid_objects(document.get("objects"), _valid_headers(document.get("headers"))),
            _valid_pending(document.get("pending_invalidation", [])),
            history_from_entries(document["history"]) if "history" in document else None,
            _valid_pages_followed(document.get("pages_followed")),
        )


def _is_text(value: object) -> bool:
    return isinstance(value, str)


def _valid_headers(raw: object) -> list[Headers | None]:
    """The header sets by index; a damaged set is None, so objects pointing at it are dropped."""
    if not isinstance(raw, list):
        return []
    return [
        Headers(*pair) if isinstance(pair, list) and len(pair) == 2 and all(map(_is_text, pair)) else None
        for pair in raw
    ]


def _valid_objects(raw: object, headers: list[Headers | None]) -> dict[str, RemoteObject]:
    if not isinstance(raw, dict):
        return {}
    objects = {}
    for key, entry in raw.items():
        obj = _valid_object(key, entry, headers)
        if obj is not None:
            objects[key] = obj
    return objects


def _valid_object(key: str, entry: object, headers: list[Headers | None]) -> RemoteObject | None:
    if not key or not isinstance(entry, dict):
        return None
    etag, size, index = entry.get("etag"), entry.get("size"), entry.get("h")
    optional = [entry.get(name) for name in ("md5", "sha256", "v")]
    if not (_is_text(etag) and etag) or not _is_count(size) or not _is_count(index):
        return None
    if index >= len(headers) or headers[index] is None:
        return None
    if not all(value is None or _is_text(value) for value in optional):
        return None
    md5, sha256, version_id = optional
    return RemoteObject(
        key,
        etag,
        size,
        md5=md5 or md5_of_etag(etag),
        sha256=sha256,
        headers=headers[index],
        version_id=version_id,
    )


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _valid_pending(raw: object) -> list[str]:
    """Paths still to invalidate. Any damage means the list cannot be trusted to name every
    stale path, so everything is invalidated once (``/*``) rather than something left stale."""
    valid = isinstance(raw, list) and all(
        _is_text(path) and _INVALIDATION_PATH.fullmatch(path) for path in raw
    )
    return sorted(set(raw)) if valid else [WILDCARD]


def _valid_pages_followed(raw: object) -> tuple[str, str] | None:
    """Anything damaged means the table is asked again (None)."""
    if isinstance(raw, list) and len(raw) == 2 and all(_is_text(part) and part for part in raw):
        return raw[0], raw[1]
    return None
