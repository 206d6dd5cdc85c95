"""The counter follows the site: when publish or rollback changes which pages exist, the keys
of pages that appear are registered (a retired page's count comes back with it) and the keys of
pages that go are retired, so their counts can no longer be raised (shared.counter_table).

Which pages exist is read from the visitor_counter plugin's page manifest: the one in the build
output (or the version a rollback restores) against the one in the bucket now.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from botocore.client import BaseClient
from botocore.exceptions import BotoCoreError, ClientError

from shared.counter_table import register_pages, restore_pages, retire_pages


def manifest_keys(data: bytes | None) -> list[str]:
    """The page keys in a manifest's bytes; nothing for a missing or unreadable one (an old
    manifest that cannot be read only means nothing is retired)."""
    if data is None:
        return []
    try:
        keys = json.loads(data)
    except (ValueError, RecursionError):
        return []
    return [key for key in keys if isinstance(key, str)] if isinstance(keys, list) else []


def table_identity(dynamodb: BaseClient, table: str) -> str | None:
    """The table as one table, not one name: its name and creation time. A table deleted and
    created again (a restore, an apply that replaced it) has the same name and another
    creation time. None when DynamoDB does not say (then the pages are registered again)."""
    try:
        created = dynamodb.describe_table(TableName=table)["Table"]["CreationDateTime"]
    except (BotoCoreError, ClientError, KeyError):
        return None
    return f"{table} created {created.isoformat()}"


@dataclass
class PageChanges:
    """The page keys of the site once the run is done, and which of them are new or gone;
    ``table`` is the identity (:func:`table_identity`) of the table they bring in line."""

    keys: list[str] = field(default_factory=list)
    appearing: list[str] = field(default_factory=list)
    going: list[str] = field(default_factory=list)
    table: str | None = None

    @classmethod
    def between(cls, before: list[str], after: list[str]) -> "PageChanges":
        return cls(
            sorted(set(after)),
            sorted(set(after) - set(before)),
            sorted(set(before) - set(after)),
        )


@dataclass
class PagesFollowed:
    registered: int = 0
    restored: int = 0
    retired: int = 0


def follow_pages(dynamodb: BaseClient, table: str, changes: PageChanges, workers: int) -> PagesFollowed:
    """Bring back retired pages that appear, register the rest, retire the pages that go.
    Each step is idempotent, so an interrupted run's re-run finishes the job."""
    followed = PagesFollowed()
    if changes.appearing:
        followed.restored = restore_pages(dynamodb, table, changes.appearing, workers=workers)
    followed.registered = register_pages(dynamodb, table, changes.keys, workers=workers)
    if changes.going:
        followed.retired = retire_pages(dynamodb, table, changes.going, workers=workers)
    return followed
