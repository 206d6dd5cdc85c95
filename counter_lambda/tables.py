"""Administration of the counter table: create it, register page keys, write items in bulk.

Publish and the offline stack use it; the Lambda never imports it (its zip leaves it out),
so a hit cannot reach code that writes without a condition. Only ``BatchGetItem`` and
``BatchWriteItem`` here: 100 keys per read, 25 items per write, unprocessed parts resent
with backoff.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from counter_lambda.counter import (
    HASH_KEY,
    TTL_ATTRIBUTE,
    VIEWS,
    batch_get,
    page_pk,
    until_processed,
)
from counter_lambda.pagekey import normalise_page_key

BATCH_GET_LIMIT = 100
BATCH_WRITE_LIMIT = 25


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


def _existing_pks(
    client: Any, table: str, pks: list[str], sleep: Callable[[float], None], workers: int
) -> set[str]:
    def send_chunk(chunk: list[str]) -> list[dict]:
        request = {
            "Keys": [{HASH_KEY: {"S": pk}} for pk in chunk],
            "ProjectionExpression": "#pk",
            "ExpressionAttributeNames": {"#pk": HASH_KEY},
            "ConsistentRead": True,
        }
        return batch_get(client, table, request, sleep)

    found = _each_chunk(send_chunk, pks, BATCH_GET_LIMIT, workers)
    return {item[HASH_KEY]["S"] for items in found for item in items}


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

    def send(request: dict) -> tuple[dict, dict | None]:
        response = client.batch_write_item(RequestItems=request)
        return response, response.get("UnprocessedItems") or None

    def send_chunk(chunk: list[dict]) -> None:
        request = {table: [{"PutRequest": {"Item": item}} for item in chunk]}
        until_processed(send, request, what="BatchWriteItem", sleep=sleep)

    _each_chunk(send_chunk, items, BATCH_WRITE_LIMIT, workers)


def register_pages(
    client: Any,
    table: str,
    keys: Iterable[str],
    *,
    sleep: Callable[[float], None] = time.sleep,
    workers: int = 1,
) -> int:
    """Create a zero-count item for each page key not yet registered; return how many.

    Keys are normalised (a bad key raises :class:`~counter_lambda.pagekey.PageKeyError`
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
