"""Administration of the counter table: create it, register page keys, retire the keys of
pages publish removed (and bring them back), write items in bulk.

Publish and the offline stack use it; the Lambda never imports it (its zip leaves it out),
so a hit cannot reach code that writes without a condition. Only ``BatchGetItem`` and
``BatchWriteItem`` here: 100 keys per read, 25 items per write, unprocessed parts resent
with backoff.

A retired page's item moves from ``page#<key>`` to ``retired#<key>`` with every attribute it
had: a hit's ``UpdateItem`` requires ``page#<key>`` to exist, so the page answers 404 like any
unknown page and its count can no longer be raised, while the count stays readable for stats.
A page that comes back (a rollback, or the same URL published again) moves back and counts on
from where it stopped.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from shared.counter_schema import (
    HASH_KEY,
    TTL_ATTRIBUTE,
    VIEWS,
    batch_get,
    page_pk,
    until_processed,
)
from shared.pagekey import PageKeyError, normalise_page_key

BATCH_GET_LIMIT = 100
BATCH_WRITE_LIMIT = 25
WRITE_UNIT_BYTES = 1024  # an item up to this size costs one write unit per write


def item_size(item: dict) -> int:
    """The size DynamoDB bills ``item`` (DynamoDB JSON) at: each attribute's name in UTF-8
    plus its value; a number is one byte per two significant digits plus one; a string set
    the sum of its strings."""
    size = 0
    for name, value in item.items():
        size += len(name.encode("utf-8"))
        if "S" in value:
            size += len(value["S"].encode("utf-8"))
        elif "N" in value:
            digits = value["N"].lstrip("-").replace(".", "").strip("0")
            size += (len(digits) + 1) // 2 + 1
        elif "SS" in value:
            size += sum(len(element.encode("utf-8")) for element in value["SS"])
        else:
            raise ValueError(f"item_size: unsupported type in attribute {name!r}: {sorted(value)}")
    return size
RETIRED_PREFIX = "retired#"


def retired_pk(page_key: str) -> str:
    return RETIRED_PREFIX + page_key


def create_table(client: Any, name: str) -> None:
    """Create the counter table as Terraform does: create, wait until active, then enable TTL.

    Idempotent: an existing table is left as it is apart from (re-)enabling TTL.
    """
    try:
        client.create_table(
            TableName=name,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": HASH_KEY, "AttributeType": "S"}],
            KeySchema=[{"AttributeName": HASH_KEY, "KeyType": "HASH"}],
        )
    except client.exceptions.ResourceInUseException:
        pass
    client.get_waiter("table_exists").wait(
        TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
    )
    ttl = client.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    if ttl.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING"):
        client.update_time_to_live(
            TableName=name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": TTL_ATTRIBUTE},
        )


def _chunks(items: list, size: int) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _each_chunk(send_chunk: Callable[[list], Any], items: list, size: int, workers: int) -> list:
    """``send_chunk`` over every chunk, ``workers`` at a time (boto3 clients are thread-safe)."""
    chunks = list(_chunks(items, size))
    if workers <= 1 or len(chunks) <= 1:
        return [send_chunk(chunk) for chunk in chunks]
    with ThreadPoolExecutor(max_workers=min(workers, len(chunks))) as pool:
        return list(pool.map(send_chunk, chunks))


def _items(
    client: Any,
    table: str,
    pks: list[str],
    sleep: Callable[[float], None],
    workers: int,
    *,
    key_only: bool = False,
) -> dict[str, dict]:
    """The items at ``pks`` that exist, read consistently: every attribute, or the key alone."""

    def send_chunk(chunk: list[str]) -> list[dict]:
        request = {"Keys": [{HASH_KEY: {"S": pk}} for pk in chunk], "ConsistentRead": True}
        if key_only:
            request.update(ProjectionExpression="#pk", ExpressionAttributeNames={"#pk": HASH_KEY})
        return batch_get(client, table, request, sleep)

    found = _each_chunk(send_chunk, pks, BATCH_GET_LIMIT, workers)
    return {item[HASH_KEY]["S"]: item for items in found for item in items}


def _existing_pks(
    client: Any, table: str, pks: list[str], sleep: Callable[[float], None], workers: int
) -> set[str]:
    return set(_items(client, table, pks, sleep, workers, key_only=True))


def _write_requests(
    client: Any,
    table: str,
    requests: list[dict],
    chunk_size: int,
    sleep: Callable[[float], None],
    workers: int,
) -> None:
    """BatchWriteItem ``requests`` (Put/DeleteRequest), ``chunk_size`` per call, resending
    unprocessed ones with backoff."""

    def send(request: dict) -> tuple[dict, dict | None]:
        response = client.batch_write_item(RequestItems=request)
        return response, response.get("UnprocessedItems") or None

    def send_chunk(chunk: list[dict]) -> None:
        until_processed(send, {table: chunk}, what="BatchWriteItem", sleep=sleep)

    _each_chunk(send_chunk, requests, chunk_size, workers)


def _move_items(
    client: Any,
    table: str,
    moves: list[tuple[dict, str]],
    sleep: Callable[[float], None],
    workers: int,
) -> None:
    """Rewrite each item under a new key and delete the old one (a put and a delete in the
    same BatchWriteItem; resent until both are processed, so a re-run finds either the old
    item, to move again, or none)."""
    requests = []
    for item, new_pk in moves:
        requests.append({"PutRequest": {"Item": {**item, HASH_KEY: {"S": new_pk}}}})
        requests.append({"DeleteRequest": {"Key": {HASH_KEY: item[HASH_KEY]}}})
    # An even chunk size keeps each move's put and delete in one request.
    _write_requests(client, table, requests, BATCH_WRITE_LIMIT - 1, sleep, workers)


def _page_keys(keys: Iterable[str]) -> list[str]:
    """The valid page keys among ``keys``, normalised, once each (an old manifest may hold a
    key today's rules refuse: it was never registered, so there is nothing to retire)."""
    valid = set()
    for key in keys:
        try:
            valid.add(normalise_page_key(key))
        except (PageKeyError, TypeError):
            continue
    return sorted(valid)


def retire_pages(
    client: Any,
    table: str,
    keys: Iterable[str],
    *,
    sleep: Callable[[float], None] = time.sleep,
    workers: int = 1,
) -> int:
    """Stop counting the pages at ``keys`` (publish removed them): move each registered page's
    item to ``retired#<key>``; return how many moved. Idempotent.

    ``BatchWriteItem`` cannot be conditional: a hit landing in the milliseconds between the read
    and the move is answered but not kept in the retired count.
    """
    page_keys = _page_keys(keys)
    found = _items(client, table, [page_pk(key) for key in page_keys], sleep, workers)
    moves = [(found[page_pk(key)], retired_pk(key)) for key in page_keys if page_pk(key) in found]
    _move_items(client, table, moves, sleep, workers)
    return len(moves)


def restore_pages(
    client: Any,
    table: str,
    keys: Iterable[str],
    *,
    sleep: Callable[[float], None] = time.sleep,
    workers: int = 1,
) -> int:
    """Count again the pages at ``keys`` that were retired and are not registered: move their
    ``retired#`` items back, counts and all; return how many. Idempotent; registering what is
    still missing is :func:`register_pages`."""
    page_keys = _page_keys(keys)
    registered = _existing_pks(client, table, [page_pk(key) for key in page_keys], sleep, workers)
    candidates = [key for key in page_keys if page_pk(key) not in registered]
    retired = _items(client, table, [retired_pk(key) for key in candidates], sleep, workers)
    moves = [(retired[retired_pk(key)], page_pk(key)) for key in candidates if retired_pk(key) in retired]
    _move_items(client, table, moves, sleep, workers)
    return len(moves)


def put_items(
    client: Any,
    table: str,
    items: list[dict],
    *,
    sleep: Callable[[float], None] = time.sleep,
    workers: int = 1,
) -> None:
    """BatchWriteItem ``items`` (DynamoDB JSON), 25 per call, resending unprocessed ones with
    backoff. Overwrites: callers write only items that must not keep an older value."""
    requests = [{"PutRequest": {"Item": item}} for item in items]
    _write_requests(client, table, requests, BATCH_WRITE_LIMIT, sleep, workers)


def register_pages(
    client: Any,
    table: str,
    keys: Iterable[str],
    *,
    sleep: Callable[[float], None] = time.sleep,
    workers: int = 1,
) -> int:
    """Create a zero-count item for each page key not yet registered; return how many.

    Keys are normalised (a bad key raises :class:`~shared.pagekey.PageKeyError`
    before anything is written) and de-duplicated. Existing items are never written, so
    counts survive every publish; running it twice registers nothing the second time.
    ``BatchWriteItem`` cannot be conditional, so two publishes racing on the same new page
    could reset a hit that lands between their writes; deploys run one at a time.
    ``workers`` > 1 sends that many batches at once (publish does, for large sites).
    """
    pks = sorted({page_pk(normalise_page_key(key)) for key in keys})
    existing = _existing_pks(client, table, pks, sleep, workers)
    missing = [pk for pk in pks if pk not in existing]
    new_pages = [{HASH_KEY: {"S": pk}, VIEWS: {"N": "0"}} for pk in missing]
    put_items(client, table, new_pages, sleep=sleep, workers=workers)
    return len(missing)
