"""The visitor counter over one DynamoDB table; knows nothing of API Gateway.

Table: billing ``PAY_PER_REQUEST``, hash key ``pk`` (S), no range key, TTL on ``expires_at``.

Items
-----
``pk = "page#<page key>"``: ``views`` (N) and the page's history
    One per published page, created with ``views = 0`` by publish
    (:func:`shared.counter_table.register_pages`).
    A hit only counts when this item exists, so a crafted path cannot create items.
``pk = "site"``: ``views`` (N), the site's history and ``u<YYYYMMDD>`` (N), unique visitors
    The site total. Created by the first hit.
``pk = "visitor#<YYYY-MM-DD>#<hash>"``, ``hits`` (N), ``expires_at`` (N, epoch seconds)
    A marker that this visitor was counted today; DynamoDB TTL deletes it after the day.
    The hash comes from :mod:`counter_lambda.visitors`: no IP or user agent is stored.

History (UTC days): ``d<YYYYMMDD>`` views of a day, ``m<YYYYMM>`` of a month, ``y<YYYY>`` of a
year. Every counted hit ADDs one to today's day, month and year attributes in the same update
as ``views``, so months and years are exact without ever reading a day back, and REMOVEs the
day attributes just past :data:`DAY_WINDOW` and the months just past :data:`MONTH_WINDOW`
(history rolls into months and years without a read). An item thus holds at most 32 days,
13 months and one attribute per year: under 1 KB (one write unit) for years, at up to 9,999
views a day (``tests/counter/test_counter_history.py``, ``bench/counter_history.py``). Names are
compact (``d20250314``, not ``d_2025-03-14``) because the site item keeps two per day. A day
only outlives the window on an item with no hit in the :data:`STALE_DAYS` days after it left
it; its views are in its month and year already, and readers ignore it.

Writes
------
Increments are ``UpdateItem ... ADD`` returning the new values: atomic on the server,
never read-then-write, so concurrent hits are never lost. :func:`record_hit` makes at most
three requests:

* page: ``ADD views, d, m, y :1`` on condition ``attribute_exists(pk)``; a failed condition
  is an unknown page;
* visitor marker: ``ADD hits :1 SET expires_at`` returning ``UPDATED_NEW``; ``hits == 1``
  means the first hit of this visitor today (concurrent first hits get 1 and 2: one unique);
* site: ``ADD views, d, m, y :1, u<today> :first`` and ``REMOVE`` past the windows,
  returning ``ALL_NEW`` (views and today's unique count).

Order (what the visitor waits for): the site's unique increment depends on the marker's
answer, so for a visitor not yet seen today the marker goes out *with* the page and the site
follows: two round trips, not three. The only way to one round trip for them would be to
guess the marker's answer and correct a wrong guess with a fourth request (or not at all).
What this process has already proven skips the wait instead: a page it has counted is
registered, so the page goes out in parallel (a page retired since, by
:func:`shared.counter_table.retire_pages`, fails its condition like any unknown page: what
went out with it is undone and the page is forgotten, once per process); a visitor
it has counted today has a marker until the day ends, so that visitor's later hits need no
marker update at all and the page and site go out together: one round trip, two requests.
A page this process has not counted yet goes out alone first, so an unknown page still
writes nothing. The proofs live in memory per client and table (:class:`_Known`), bounded,
and only ever let a hit skip a wait, never change what is written.

If a request fails (throttled, unreachable), the writes that succeeded are undone (``ADD``
of minus what they added) and :class:`StoreUnavailable` says whether the undo succeeded.
Botocore retries throttled requests itself: they were not applied, so retrying is exact.
One case is not: a read timeout after DynamoDB applied an ``ADD`` is retried too and counts
twice; short timeouts against DynamoDB's single-digit-millisecond latency keep that to
outages.

Reads (:func:`read_counts`) are one consistent ``BatchGetItem`` of the page and site items
(resent only for keys DynamoDB hands back unprocessed).
Creating the table and registering pages is :mod:`shared.counter_table`, which the Lambda
never imports; reading the history for the author is the ``stats`` package.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
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
DAY_PREFIX = "d"
UNIQUE_PREFIX = "u"
MONTH_PREFIX = "m"
YEAR_PREFIX = "y"
# Days kept on an item: today and the 31 before, so the author's last 30 days are complete.
DAY_WINDOW = 32
# Months kept: this one and the 12 before (a year back, month by month); years stay.
MONTH_WINDOW = 13
# Each hit removes this many days (months) just past the window: only an item with no hit
# for that long keeps a stale one (a dozen bytes, already counted in its month and year).
STALE_DAYS = 7
STALE_MONTHS = 2
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


def day_attribute(day: date) -> str:
    return f"{DAY_PREFIX}{day:%Y%m%d}"


def unique_attribute(day: date) -> str:
    return f"{UNIQUE_PREFIX}{day:%Y%m%d}"


def month_attribute(day: date) -> str:
    return f"{MONTH_PREFIX}{day:%Y%m}"


def year_attribute(day: date) -> str:
    return f"{YEAR_PREFIX}{day:%Y}"


def months_before(day: date, months: int) -> date:
    """The first day of the month ``months`` before ``day``'s month."""
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def _number(attributes: dict, name: str) -> int:
    value = attributes.get(name)
    return int(value["N"]) if value else 0


def _unavailable(error: Exception) -> StoreUnavailable:
    if isinstance(error, ClientError):
        return StoreUnavailable(error.response.get("Error", {}).get("Code", "ClientError"))
    return StoreUnavailable(type(error).__name__)


def _is_condition_failure(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


class _Increment:
    """One ``ADD`` of the same amount to views and today's day, month and year (and, on the
    site, an amount to today's unique visitors), with ``REMOVE`` of what left the windows."""

    def __init__(self, today: date, *, site: bool) -> None:
        self.names = {
            "#views": VIEWS,
            "#day": day_attribute(today),
            "#month": month_attribute(today),
            "#year": year_attribute(today),
        }
        if site:
            self.names["#unique"] = unique_attribute(today)
        self.stale: list[str] = []
        for offset in range(DAY_WINDOW, DAY_WINDOW + STALE_DAYS):
            old_day = today - timedelta(days=offset)
            self.stale.append(day_attribute(old_day))
            if site:
                self.stale.append(unique_attribute(old_day))
        for offset in range(MONTH_WINDOW, MONTH_WINDOW + STALE_MONTHS):
            self.stale.append(month_attribute(months_before(today, offset)))

    def expression(self, amount: str, unique: str | None = None, *, trim: bool) -> tuple[str, dict]:
        """The update expression and its names: ``ADD amount`` (``unique`` to the site's
        unique visitors), and with ``trim`` the ``REMOVE`` of stale attributes."""
        names = dict(self.names)
        added = [f"#views {amount}", f"#day {amount}", f"#month {amount}", f"#year {amount}"]
        if unique is None:
            names.pop("#unique", None)
        else:
            added.append(f"#unique {unique}")
        expression = "ADD " + ", ".join(added)
        if trim and self.stale:
            removed = []
            for number, name in enumerate(self.stale):
                names[f"#old{number}"] = name
                removed.append(f"#old{number}")
            expression += " REMOVE " + ", ".join(removed)
        return expression, names


class _Known:
    """What this process has proven about one table, so a hit can skip waiting for it.

    A page counted here is registered (until publish retires it: then it is forgotten); a
    visitor counted here today has a marker until the day ends. Bounded: a full set starts over, which only
    costs the waits it saved.
    """

    MAX_PAGES = 10_000
    MAX_VISITORS = 50_000

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pages: set[str] = set()
        self._day: date | None = None
        self._visitors: set[str] = set()

    def has_page(self, page_key: str) -> bool:
        return page_key in self._pages

    def add_page(self, page_key: str) -> None:
        with self._lock:
            if len(self._pages) >= self.MAX_PAGES:
                self._pages.clear()
            self._pages.add(page_key)

    def forget_page(self, page_key: str) -> None:
        with self._lock:
            self._pages.discard(page_key)

    def has_visitor(self, day: date, visitor: str) -> bool:
        with self._lock:
            return self._day == day and visitor in self._visitors

    def add_visitor(self, day: date, visitor: str) -> None:
        with self._lock:
            if self._day != day or len(self._visitors) >= self.MAX_VISITORS:
                self._day, self._visitors = day, set()
            self._visitors.add(visitor)


_known_by_client: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_known_lock = threading.Lock()


def _known(client: Any, table: str) -> _Known:
    with _known_lock:
        tables = _known_by_client.setdefault(client, {})
        return tables.setdefault(table, _Known())


# Threads for the requests a hit sends together (boto3 clients are thread-safe). botocore
# imports concurrent.futures already, so this costs a cold start nothing.
_pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="counter-hit")


class _Hit:
    """One hit's writes, each remembered with its undo, so a failure undoes the rest."""

    def __init__(self, client: Any, table: str, page_key: str, now: datetime) -> None:
        self.client = client
        self.table = table
        self.page_key = page_key
        self.now = now
        self.today = now.date()
        self.undo: list[Callable[[], None]] = []
        self.rolled_back = True

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
        increment = _Increment(self.today, site=False)
        expression, names = increment.expression(":one", trim=True)
        try:
            attributes = self._update(
                pk,
                expression,
                {**names, "#pk": HASH_KEY},
                {":one": {"N": "1"}},
                ConditionExpression="attribute_exists(#pk)",
                ReturnValues="UPDATED_NEW",
            )
        except ClientError as error:
            if _is_condition_failure(error):
                raise UnknownPage(self.page_key) from None
            raise
        undo_expression, undo_names = increment.expression(":minus_one", trim=False)
        self.undo.append(
            lambda: self._update(
                pk,
                undo_expression,
                {**undo_names, "#pk": HASH_KEY},
                {":minus_one": {"N": "-1"}},
                ConditionExpression="attribute_exists(#pk)",
            )
        )
        return _number(attributes, VIEWS)

    def mark_visitor(self, visitor: str) -> bool:
        """Record today's marker for ``visitor``; True if it is their first hit today."""
        pk = f"{VISITOR_PREFIX}{self.today.isoformat()}#{visitor}"
        end_of_day = datetime.combine(self.today + timedelta(days=1), clock_time(), UTC)
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
        increment = _Increment(self.today, site=True)
        expression, names = increment.expression(":one", ":new", trim=True)
        new = "1" if first_today else "0"
        attributes = self._update(
            SITE_PK,
            expression,
            names,
            {":one": {"N": "1"}, ":new": {"N": new}},
            # ALL_NEW: an attribute whose value an update leaves unchanged (ADD 0) is not
            # reliably in UPDATED_NEW across DynamoDB emulators.
            ReturnValues="ALL_NEW",
        )
        undo_expression, undo_names = increment.expression(":minus_one", ":minus_new", trim=False)
        self.undo.append(
            lambda: self._update(
                SITE_PK,
                undo_expression,
                undo_names,
                {":minus_one": {"N": "-1"}, ":minus_new": {"N": f"-{new}" if first_today else "0"}},
            )
        )
        return _number(attributes, VIEWS), _number(attributes, names["#unique"])

    def together(self, steps: dict[str, Callable[[], Any]], results: dict[str, Any]) -> None:
        """Run ``steps`` at once (the first in this thread) into ``results``; if any fails,
        undo every write of the hit so far and raise the failure."""
        names = list(steps)
        futures = {name: _pool.submit(steps[name]) for name in names[1:]}
        failures: list[BaseException] = []
        try:
            results[names[0]] = steps[names[0]]()
        except Exception as error:  # noqa: BLE001 - every failure rolls the hit back below
            failures.append(error)
        for name, future in futures.items():
            try:
                results[name] = future.result()
            except Exception as error:  # noqa: BLE001
                failures.append(error)
        if failures:
            self.rolled_back = self.roll_back()
            unknown = [error for error in failures if isinstance(error, UnknownPage)]
            raise (unknown or failures)[0]

    def roll_back(self) -> bool:
        """Undo the writes done so far, newest first; False if any undo failed too."""
        complete = True
        for undo in reversed(self.undo):
            try:
                undo()
            except (BotoCoreError, ClientError):
                complete = False
        self.undo.clear()
        return complete


def record_hit(
    client: Any, table: str, page_key: str, *, visitor: str | None, now: datetime
) -> Counts:
    """Count one view of a registered page; ``visitor`` (a daily hash) counts unique visitors.

    ``now`` must be timezone-aware; days are UTC days. Raises :class:`UnknownPage` (nothing
    written) or :class:`StoreUnavailable` (everything written by this hit undone, best effort).
    """
    hit = _Hit(client, table, page_key, now.astimezone(UTC))
    known = _known(client, table)
    new_visitor = visitor is not None and not known.has_visitor(hit.today, visitor)
    results: dict[str, Any] = {}
    try:
        first: dict[str, Callable[[], Any]] = {}
        if known.has_page(page_key):
            first["page"] = hit.count_page
        else:
            # alone: an unknown page must find nothing written to undo
            hit.together({"page": hit.count_page}, results)
            known.add_page(page_key)
        if new_visitor:
            first["marker"] = lambda: hit.mark_visitor(visitor)
            hit.together(first, results)
            hit.together({"site": lambda: hit.count_site(results["marker"])}, results)
        else:
            first["site"] = lambda: hit.count_site(False)
            hit.together(first, results)
    except UnknownPage:
        known.forget_page(page_key)
        raise
    except (BotoCoreError, ClientError) as error:
        unavailable = _unavailable(error)
        unavailable.rolled_back = hit.rolled_back
        raise unavailable from error
    if new_visitor:
        known.add_visitor(hit.today, visitor)
    site_views, unique_today = results["site"]
    return Counts(page_key, results["page"], site_views, unique_today)


def read_counts(
    client: Any,
    table: str,
    page_key: str,
    *,
    now: datetime,
    sleep: Callable[[float], None] = time.sleep,
) -> Counts:
    """The current counts of a registered page, in one strongly consistent BatchGetItem."""
    today_attribute = unique_attribute(now.astimezone(UTC).date())
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
