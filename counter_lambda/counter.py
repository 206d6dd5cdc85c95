"""The visitor counter over one DynamoDB table; knows nothing of API Gateway.

Table: billing ``PAY_PER_REQUEST``, hash key ``pk`` (S), no range key, TTL on ``expires_at``.

Items
-----
``pk = "page#<page key>"``, ``views`` (N)
    One per published page, created with ``views = 0`` by publish
    (:func:`counter_lambda.tables.register_pages`).
    A hit only counts when this item exists, so a crafted path cannot create items.
``pk = "site"``, ``views`` (N), ``unique_<YYYY-MM-DD>`` (N)
    The site total and the unique visitors of recent UTC days. Created by the first hit.
    Each hit also removes the attributes of the previous seven days, so the item stays a few
    dozen bytes (write cost grows with item size) and only today's count is kept.
``pk = "visitor#<YYYY-MM-DD>#<hash>"``, ``hits`` (N), ``expires_at`` (N, epoch seconds)
    A marker that this visitor was counted today; DynamoDB TTL deletes it after the day.
    The hash comes from :mod:`counter_lambda.visitors`: no IP or user agent is stored.

Writes
------
Increments are ``UpdateItem ... ADD`` returning the new values: atomic on the server,
never read-then-write, so concurrent hits are never lost. :func:`record_hit` makes exactly
three requests, in this order:

1. page: ``ADD views :1`` on condition ``attribute_exists(pk)``; a failed condition is an
   unknown page and nothing has been written;
2. visitor marker: ``ADD hits :1 SET expires_at`` returning ``UPDATED_NEW``; ``hits == 1``
   means the first hit of this visitor today (concurrent first hits get 1 and 2: one unique);
3. site: ``ADD views :1, unique_<today> :new`` and ``REMOVE`` the previous days' attributes,
   returning ``ALL_NEW`` (views and today's unique count).

If step 2 or 3 fails (throttled, unreachable), the steps already done are undone (page
``ADD views :-1``, marker ``ADD hits :-1``) and :class:`StoreUnavailable` says whether the
undo succeeded. Botocore retries throttled requests itself: they were not applied, so
retrying is exact. One case is not: a read timeout after DynamoDB applied an ``ADD`` is
retried too and counts twice; the handler's 5 s read timeout against DynamoDB's
single-digit-millisecond latency keeps that to outages.

Reads (:func:`read_counts`) are one consistent ``BatchGetItem`` of the page and site items
(resent only for keys DynamoDB hands back unprocessed).
Creating the table and registering pages is :mod:`counter_lambda.tables`, which the Lambda
never imports.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from typing import Any, NamedTuple

from botocore.exceptions import BotoCoreError, ClientError


HASH_KEY = "pk"
TTL_ATTRIBUTE = "expires_at"
VIEWS = "views"
SITE_PK = "site"
PAGE_PREFIX = "page#"
VISITOR_PREFIX = "visitor#"
MARKER_HITS = "hits"
UNIQUE_PREFIX = "unique_"
# Days of unique counts removed from the site item by each hit: only a week with no hit at
# all leaves a stale attribute behind (a few bytes).
STALE_UNIQUE_DAYS = 7
# Markers outlive their UTC day by this margin: clock skew between Lambda and DynamoDB's TTL
# sweeper must not delete a marker while its day is still running.
MARKER_GRACE = timedelta(hours=1)

BATCH_ATTEMPTS = 8
BATCH_BACKOFF_SECONDS = 0.05


class StoreUnavailable(Exception):
    """DynamoDB throttled or could not be reached; callers should answer "try again later"."""

    def __init__(self, message: str, *, rolled_back: bool = True) -> None:
        super().__init__(message)
        self.rolled_back = rolled_back


class UnknownPage(Exception):
    """The page key was never registered by publish; nothing was written."""


class Counts(NamedTuple):
    path: str
    views: int
    site_views: int
    unique_today: int


def page_pk(page_key: str) -> str:
    return PAGE_PREFIX + page_key


def _number(attributes: dict, name: str) -> int:
    value = attributes.get(name)
    return int(value["N"]) if value else 0


def _unique_attribute(day) -> str:
    return f"{UNIQUE_PREFIX}{day.isoformat()}"


def _unavailable(error: Exception) -> StoreUnavailable:
    if isinstance(error, ClientError):
        return StoreUnavailable(error.response.get("Error", {}).get("Code", "ClientError"))
    return StoreUnavailable(type(error).__name__)


def _is_condition_failure(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


class _Hit:
    """One hit's three writes, each remembered with its undo, so a failure undoes the rest."""

    def __init__(self, client: Any, table: str, page_key: str, now: datetime) -> None:
        self.client = client
        self.table = table
        self.page_key = page_key
        self.now = now
        self.undo: list[Callable[[], None]] = []

    def _update(self, pk: str, expression: str, names: dict, values: dict | None = None, **extra):
        request = dict(
            TableName=self.table,
            Key={HASH_KEY: {"S": pk}},
            UpdateExpression=expression,
            ExpressionAttributeNames=names,
            **extra,
        )
        if values:
            request["ExpressionAttributeValues"] = values
        return self.client.update_item(**request).get("Attributes", {})

    def count_page(self) -> int:
        pk = page_pk(self.page_key)
        try:
            attributes = self._update(
                pk,
                "ADD #views :one",
                {"#views": VIEWS, "#pk": HASH_KEY},
                {":one": {"N": "1"}},
                ConditionExpression="attribute_exists(#pk)",
                ReturnValues="UPDATED_NEW",
            )
        except ClientError as error:
            if _is_condition_failure(error):
                raise UnknownPage(self.page_key) from None
            raise
        self.undo.append(
            lambda: self._update(
                pk,
                "ADD #views :minus_one",
                {"#views": VIEWS, "#pk": HASH_KEY},
                {":minus_one": {"N": "-1"}},
                ConditionExpression="attribute_exists(#pk)",
            )
        )
        return _number(attributes, VIEWS)

    def mark_visitor(self, visitor: str) -> bool:
        """Record today's marker for ``visitor``; True if it is their first hit today."""
        today = self.now.date()
        pk = f"{VISITOR_PREFIX}{today.isoformat()}#{visitor}"
        end_of_day = datetime.combine(today + timedelta(days=1), clock_time(), UTC)
        expires_at = int((end_of_day + MARKER_GRACE).timestamp())
        names = {"#hits": MARKER_HITS, "#expires": TTL_ATTRIBUTE}
        attributes = self._update(
            pk,
            "ADD #hits :one SET #expires = :expires",
            names,
            {":one": {"N": "1"}, ":expires": {"N": str(expires_at)}},
            ReturnValues="UPDATED_NEW",
        )
        first_today = _number(attributes, MARKER_HITS) == 1
        if first_today:
            self.undo.append(
                lambda: self._update(
                    pk, "ADD #hits :minus_one", {"#hits": MARKER_HITS}, {":minus_one": {"N": "-1"}}
                )
            )
        return first_today

    def count_site(self, first_today: bool) -> tuple[int, int]:
        today = self.now.date()
        names = {"#views": VIEWS, "#today": _unique_attribute(today)}
        stale = []
        for days_ago in range(1, STALE_UNIQUE_DAYS + 1):
            names[f"#stale{days_ago}"] = _unique_attribute(today - timedelta(days=days_ago))
            stale.append(f"#stale{days_ago}")
        attributes = self._update(
            SITE_PK,
            f"ADD #views :one, #today :new REMOVE {', '.join(stale)}",
            names,
            {":one": {"N": "1"}, ":new": {"N": "1" if first_today else "0"}},
            # ALL_NEW: the site item is tiny, and an attribute whose value an update leaves
            # unchanged (ADD 0) is not reliably in UPDATED_NEW across DynamoDB emulators.
            ReturnValues="ALL_NEW",
        )
        return _number(attributes, VIEWS), _number(attributes, names["#today"])

    def roll_back(self) -> bool:
        """Undo the writes done so far, newest first; False if any undo failed too."""
        complete = True
        for undo in reversed(self.undo):
            try:
                undo()
            except (BotoCoreError, ClientError):
                complete = False
        return complete


def record_hit(
    client: Any, table: str, page_key: str, *, visitor: str | None, now: datetime
) -> Counts:
    """Count one view of a registered page; ``visitor`` (a daily hash) counts unique visitors.

    ``now`` must be timezone-aware; days are UTC days. Raises :class:`UnknownPage` (nothing
    written) or :class:`StoreUnavailable` (everything written by this hit undone, best effort).
    """
    hit = _Hit(client, table, page_key, now.astimezone(UTC))
    try:
        views = hit.count_page()
        first_today = hit.mark_visitor(visitor) if visitor else False
        site_views, unique_today = hit.count_site(first_today)
    except UnknownPage:
        raise
    except (BotoCoreError, ClientError) as error:
        unavailable = _unavailable(error)
        unavailable.rolled_back = hit.roll_back()
        raise unavailable from error
    return Counts(page_key, views, site_views, unique_today)


def read_counts(
    client: Any,
    table: str,
    page_key: str,
    *,
    now: datetime,
    sleep: Callable[[float], None] = time.sleep,
) -> Counts:
    """The current counts of a registered page, in one strongly consistent BatchGetItem."""
    today_attribute = _unique_attribute(now.astimezone(UTC).date())
    pk = page_pk(page_key)

    request = {
        "Keys": [{HASH_KEY: {"S": pk}}, {HASH_KEY: {"S": SITE_PK}}],
        "ProjectionExpression": "#pk, #views, #today",
        "ExpressionAttributeNames": {"#pk": HASH_KEY, "#views": VIEWS, "#today": today_attribute},
        "ConsistentRead": True,
    }
    try:
        items = {item[HASH_KEY]["S"]: item for item in batch_get(client, table, request, sleep)}
    except (BotoCoreError, ClientError) as error:
        raise _unavailable(error) from error
    if pk not in items:
        raise UnknownPage(page_key)
    site = items.get(SITE_PK, {})
    return Counts(
        page_key, _number(items[pk], VIEWS), _number(site, VIEWS), _number(site, today_attribute)
    )


def until_processed(
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


def batch_get(
    client: Any, table: str, keys_and_options: dict, sleep: Callable[[float], None]
) -> list[dict]:
    """Every item a BatchGetItem returns, resending unprocessed keys."""

    def send(request: dict) -> tuple[dict, dict | None]:
        response = client.batch_get_item(RequestItems=request)
        return response, response.get("UnprocessedKeys") or None

    responses = until_processed(send, {table: keys_and_options}, what="BatchGetItem", sleep=sleep)
    return [item for response in responses for item in response["Responses"].get(table, [])]
