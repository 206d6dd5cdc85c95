"""The visitor counter over one DynamoDB table; knows nothing of API Gateway.

Table: billing ``PAY_PER_REQUEST``, hash key ``pk`` (S), no range key, TTL on ``expires_at``.

Items
-----
``pk = "page#<page key>"``, ``views`` (N)
    One per published page, created with ``views = 0`` by :func:`register_pages` (publish).
    A hit only counts when this item exists, so a crafted path cannot create items.
``pk = "site"``, ``views`` (N), ``unique_<YYYY-MM-DD>`` (N)
    The site total and the unique visitors of recent UTC days. Created by the first hit.
    Each hit also removes the attributes of the previous days, so the item stays a few dozen
    bytes (write cost grows with item size) and only today's count is kept.
``pk = "visitor#<YYYY-MM-DD>#<hash>"``, ``expires_at`` (N, epoch seconds)
    A marker that this visitor was counted today; DynamoDB TTL deletes it after the day.
    The hash comes from :mod:`counter_lambda.visitors`: no IP or user agent is stored.

Writes
------
Increments are ``UpdateItem ... ADD`` with ``ReturnValues=UPDATED_NEW``: atomic on the server,
never read-then-write, so concurrent hits are never lost. :func:`record_hit` makes exactly
three requests, in this order:

1. page: ``ADD views :1`` on condition ``attribute_exists(pk)``; a failed condition is an
   unknown page and nothing has been written;
2. visitor marker: ``SET expires_at`` returning ``UPDATED_OLD``; no old value (or a revoked
   one, ``expires_at`` in the past) means a new visitor today;
3. site: ``ADD views :1, unique_<today> :new`` and ``REMOVE`` the previous days' attributes.

If step 2 or 3 fails (throttled, unreachable), the steps already done are undone (page
``ADD views :-1``; the marker is revoked by setting ``expires_at`` to 0) and
:class:`StoreUnavailable` says whether the undo succeeded. Botocore retries throttled requests
itself (they were not applied, so retrying is exact).

Reads (:func:`read_counts`) are one consistent ``BatchGetItem`` of the page and site items.
:func:`register_pages` (publish) uses only ``BatchGetItem`` and ``BatchWriteItem``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from counter_lambda.pagekey import normalise_page_key

HASH_KEY = "pk"
TTL_ATTRIBUTE = "expires_at"
VIEWS = "views"
SITE_PK = "site"
PAGE_PREFIX = "page#"

BATCH_GET_LIMIT = 100
BATCH_WRITE_LIMIT = 25
BATCH_ATTEMPTS = 8
BATCH_BACKOFF_SECONDS = 0.05


class StoreUnavailable(Exception):
    """DynamoDB throttled or could not be reached; callers should answer "try again later"."""

    def __init__(self, message: str, *, rolled_back: bool = True) -> None:
        super().__init__(message)
        self.rolled_back = rolled_back


def page_pk(page_key: str) -> str:
    return PAGE_PREFIX + page_key


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


def _until_processed(
    send: Callable[[Any], Any], request: Any, *, what: str, sleep: Callable[[float], None]
) -> list:
    """Call ``send(request)`` until it returns no unprocessed part; return every response.

    ``send`` returns ``(response, unprocessed_request_or_None)``. DynamoDB hands back
    unprocessed keys or items under load; AWS asks for exponential backoff before resending.
    """
    responses = []
    for attempt in range(BATCH_ATTEMPTS):
        response, request = send(request)
        responses.append(response)
        if not request:
            return responses
        if attempt + 1 < BATCH_ATTEMPTS:
            sleep(BATCH_BACKOFF_SECONDS * 2**attempt)
    raise StoreUnavailable(f"{what}: still unprocessed after {BATCH_ATTEMPTS} attempts")


def _existing_pks(
    client: Any, table: str, pks: list[str], sleep: Callable[[float], None]
) -> set[str]:
    def send(request: dict) -> tuple[dict, dict | None]:
        response = client.batch_get_item(RequestItems=request)
        return response, response.get("UnprocessedKeys") or None

    existing: set[str] = set()
    for chunk in _chunks(pks, BATCH_GET_LIMIT):
        request = {
            table: {
                "Keys": [{HASH_KEY: {"S": pk}} for pk in chunk],
                "ProjectionExpression": "#pk",
                "ExpressionAttributeNames": {"#pk": HASH_KEY},
                "ConsistentRead": True,
            }
        }
        for response in _until_processed(send, request, what="BatchGetItem", sleep=sleep):
            existing.update(item[HASH_KEY]["S"] for item in response["Responses"].get(table, []))
    return existing


def _write_new_pages(
    client: Any, table: str, pks: list[str], sleep: Callable[[float], None]
) -> None:
    def send(request: dict) -> tuple[dict, dict | None]:
        response = client.batch_write_item(RequestItems=request)
        return response, response.get("UnprocessedItems") or None

    for chunk in _chunks(pks, BATCH_WRITE_LIMIT):
        request = {
            table: [
                {"PutRequest": {"Item": {HASH_KEY: {"S": pk}, VIEWS: {"N": "0"}}}}
                for pk in chunk
            ]
        }
        _until_processed(send, request, what="BatchWriteItem", sleep=sleep)


def register_pages(
    client: Any, table: str, keys: Iterable[str], *, sleep: Callable[[float], None] = time.sleep
) -> int:
    """Create a zero-count item for each page key not yet registered; return how many.

    Keys are normalised (a bad key raises :class:`~counter_lambda.pagekey.PageKeyError`
    before anything is written) and de-duplicated. Existing items are never written, so
    counts survive every publish; running it twice registers nothing the second time.
    ``BatchWriteItem`` cannot be conditional: two publishes racing on the same new page both
    write zero, which is harmless because a page cannot be hit before it is registered.
    """
    pks = sorted({page_pk(normalise_page_key(key)) for key in keys})
    existing = _existing_pks(client, table, pks, sleep)
    missing = [pk for pk in pks if pk not in existing]
    _write_new_pages(client, table, missing, sleep)
    return len(missing)
