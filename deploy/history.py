"""The history of recent publishes and rollbacks, kept in the bucket inside the publish state
(deploy/state.py; buckets published before keep it under ``HISTORY_KEY`` until their next
publish), and what a rollback must put back. Pure: no AWS here.

Each entry records, for every key it wrote or deleted, the version id the key held before the
entry touched it (None: the entry added the key). Undoing the entries after publish X, newest
first, is the same as giving each key the version recorded by the *earliest* of those entries
that touched it: that is what the site held right after X.

An entry is written to the bucket before its first change (``done`` False) and marked done
after its last, so an interrupted publish or rollback is always on record: its re-run carries
on with the same entry, and a rollback can undo it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

# Bounds on the history kept in the state: the newest entries, at most this many, and at most
# this many recorded keys over all of them (a theme change rewrites every page: ~3 keys a post).
HISTORY_ENTRIES = 20
HISTORY_KEYS = 20_000


class EntryKind(StrEnum):
    PUBLISH = "publish"
    ROLLBACK = "rollback"


class RollbackRefused(RuntimeError):
    """The history cannot give the site asked for; nothing was changed."""


@dataclass
class HistoryEntry:
    id: str
    kind: EntryKind
    at: str  # ISO 8601, UTC
    by: str
    # The publish whose files the site holds once this entry is done (a publish's own id; a
    # rollback's target).
    site: str
    done: bool = False
    replaced: dict[str, str | None] = field(default_factory=dict)

    def note_replaced(self, key: str, version_id: str | None) -> None:
        """Record what ``key`` held before this entry first changed it; later writes of the same
        key (a re-run) keep the first record."""
        self.replaced.setdefault(key, version_id)

    def to_document(self) -> dict[str, object]:
        return {
            "id": self.id,
            "kind": self.kind.value,
            "at": self.at,
            "by": self.by,
            "site": self.site,
            "done": self.done,
            "replaced": dict(sorted(self.replaced.items())),
        }

    @classmethod
    def from_document(cls, raw: object) -> "HistoryEntry | None":
        if not isinstance(raw, dict):
            return None
        texts = [raw.get(name) for name in ("id", "at", "by", "site")]
        replaced = raw.get("replaced")
        if not all(isinstance(value, str) and value for value in texts):
            return None
        kind = raw.get("kind")
        if not isinstance(kind, str) or kind not in {k.value for k in EntryKind}:
            return None
        if not isinstance(raw.get("done"), bool):
            return None
        if not isinstance(replaced, dict) or not all(
            key and (version is None or isinstance(version, str)) for key, version in replaced.items()
        ):
            return None
        entry_id, at, by, site = texts
        return cls(entry_id, EntryKind(kind), at, by, site, raw["done"], dict(replaced))



def history_to_entries(history: list[HistoryEntry]) -> list[dict[str, object]]:
    """The entries as the publish state stores them: the newest within the bounds."""
    return [entry.to_document() for entry in trimmed(history)]


def history_from_json(data: bytes) -> list[HistoryEntry]:
    """The history in a document of its own (``HISTORY_KEY``, as buckets published before the
    history moved into the publish state keep it)."""
    try:
        document = json.loads(data)
    except (ValueError, RecursionError):  # RecursionError: nested deeper than Python parses
        return []
    return history_from_entries(document.get("entries") if isinstance(document, dict) else None)


def history_from_entries(raw: object) -> list[HistoryEntry]:
    """The valid newest entries: a damaged entry breaks the chain of undos, so it and every
    older entry are dropped (a rollback past them is refused; a publish goes on)."""
    if not isinstance(raw, list):
        return []
    kept: list[HistoryEntry] = []
    for item in reversed(raw):
        entry = HistoryEntry.from_document(item)
        if entry is None:
            break
        kept.append(entry)
    return kept[::-1]


def new_entry_id(history: list[HistoryEntry], now: datetime) -> str:
    """A short id a user can type, from the UTC time, unique within the history."""
    base = now.strftime("%Y%m%d-%H%M%S")
    taken = {entry.id for entry in history}
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def trimmed(history: list[HistoryEntry]) -> list[HistoryEntry]:
    """The newest entries within the bounds (the newest one is always kept)."""
    kept: list[HistoryEntry] = []
    keys = 0
    for entry in reversed(history):
        keys += len(entry.replaced)
        if kept and (len(kept) >= HISTORY_ENTRIES or keys > HISTORY_KEYS):
            break
        kept.append(entry)
    return kept[::-1]


def unfinished_rollback(history: list[HistoryEntry]) -> HistoryEntry | None:
    last = history[-1] if history else None
    return last if last and last.kind is EntryKind.ROLLBACK and not last.done else None


def unfinished_publish(history: list[HistoryEntry]) -> HistoryEntry | None:
    last = history[-1] if history else None
    return last if last and last.kind is EntryKind.PUBLISH and not last.done else None


def default_target(history: list[HistoryEntry]) -> str:
    """The publish `make rollback` goes back to: the one an unfinished rollback was going to,
    else the site as it was before the publish the site now shows."""
    if not history:
        raise RollbackRefused("no publish history in the bucket: nothing to roll back to")
    pending = unfinished_rollback(history)
    if pending:
        return pending.site
    current = history[-1].site
    index = next(
        (i for i, e in enumerate(history) if e.kind is EntryKind.PUBLISH and e.id == current), None
    )
    if index is None or index == 0:
        raise RollbackRefused(
            f"the history holds nothing from before publish {current}: nothing to roll back to"
        )
    return history[index - 1].site


def restore_targets(history: list[HistoryEntry], target: str) -> dict[str, str | None]:
    """key -> the version id that key held when the site was publish ``target`` (None: absent),
    for every key changed since."""
    index = next(
        (i for i in range(len(history) - 1, -1, -1) if history[i].done and history[i].site == target),
        None,
    )
    if index is None:
        known = ", ".join(e.id for e in history if e.kind is EntryKind.PUBLISH and e.done) or "none"
        raise RollbackRefused(
            f"publish {target} is not in the history (the bucket keeps the last "
            f"{HISTORY_ENTRIES}; completed publishes: {known})"
        )
    targets: dict[str, str | None] = {}
    for entry in history[index + 1 :]:
        for key, version_id in entry.replaced.items():
            targets.setdefault(key, version_id)
    return targets
