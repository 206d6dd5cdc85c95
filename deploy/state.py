"""Publish's memory between runs, kept in the bucket under ``STATE_KEY``: what it learnt when
it wrote each object, and the paths changed but not yet invalidated. Pure: no AWS here
(deploy/remote.py reads and writes the document).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .headers import Headers
from .objects import RemoteObject, md5_of_etag

WILDCARD = "/*"


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

    def apply_to(self, remote: dict[str, RemoteObject]) -> None:
        for key, listed in remote.items():
            known = self.objects.get(key)
            if known is not None and known.etag == listed.etag and known.size == listed.size:
                listed.md5 = known.md5 or listed.md5
                listed.sha256 = known.sha256
                listed.headers = known.headers

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
            entry: dict[str, Any] = {
                "etag": obj.etag,
                "size": obj.size,
                "h": header_sets.setdefault(obj.headers, len(header_sets)),
            }
            if obj.md5 and obj.md5 != obj.etag:
                entry["md5"] = obj.md5
            if obj.sha256 and not md5_of_etag(obj.etag):
                entry["sha256"] = obj.sha256
            objects[key] = entry
        document = {
            "version": 1,
            "headers": [[h.content_type, h.cache_control] for h in header_sets],
            "objects": objects,
            "pending_invalidation": self.pending_invalidation,
        }
        return json.dumps(document, separators=(",", ":")).encode()

    @classmethod
    def from_json(cls, data: bytes) -> "PublishState":
        try:
            document = json.loads(data)
            headers = [Headers(*pair) for pair in document["headers"]]
            objects = {
                key: RemoteObject(
                    key,
                    entry["etag"],
                    entry["size"],
                    md5=entry.get("md5") or md5_of_etag(entry["etag"]),
                    sha256=entry.get("sha256"),
                    headers=headers[entry["h"]],
                )
                for key, entry in document["objects"].items()
            }
            return cls(objects, list(document.get("pending_invalidation", [])))
        except (ValueError, KeyError, TypeError, IndexError):
            # A damaged state only costs inspections: every object is then checked directly.
            return cls()
