"""The visitor counter over one DynamoDB table; knows nothing of API Gateway. The table's
layout (keys, attribute names, history windows) is :mod:`shared.counter_schema`.

Writes
------
Increments are ``UpdateItem ... ADD`` returning the new values: atomic on the server,
never read-then-write, so concurrent hits are never lost. :func:`record_hit` makes at most
three requests:

* client marker: ``ADD hits, p<tag> :1, agents {browser}`` on condition that the client is
  under its :data:`CLIENT_LIMITS` (hits today, hits of this page today), returning
  ``ALL_OLD``; a failed condition is a client over its limit (:class:`ClientOverLimit`:
  nothing written; the caller answers the counts, one read, and adds nothing). The old
  ``agents`` say whether this browser is new today, and a client adds at most
  ``CLIENT_LIMITS.visitors`` unique visitors a day however many user agents it sends;
* page: ``ADD views, d, m, y :1`` on condition ``attribute_exists(pk)``; a failed condition
  is an unknown page (the marker is undone: deleted when this hit created it);
* site: ``ADD views, d, m, y :1, u<today> :first`` and ``REMOVE`` past the windows,
  returning ``ALL_NEW`` (views and today's unique count).

The limits bound what one address adds a day (``docs/faults.md``, the abuse table): at most
``CLIENT_LIMITS.page`` views of a page, ``CLIENT_LIMITS.hits`` views of the site and
``CLIENT_LIMITS.visitors`` unique visitors. The marker holds at most ``hits`` page tags and
browser tags, so it stays under 1 KB (``tests/counter/test_client_limits.py``).

Order (what the visitor waits for): the marker goes first, since whether anything is added
depends on its answer; then the page and the site together: two round trips. A page this
process has not counted yet goes out alone before the site, so an unknown page adds nothing
to the site; a page it has counted is registered, so it goes out with the site (a page
retired since, by :func:`shared.counter_table.retire_pages`, fails its condition like any
unknown page: what went out with it is undone and the page is forgotten, once per process).
What this process has proven lives in memory per client and table (:class:`_Known`),
bounded, and only ever lets a hit skip a wait, never changes what is written.

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

import hashlib
import threading
import time
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from typing import Any, NamedTuple

from botocore.exceptions import BotoCoreError, ClientError

from shared.aws import error_code
from shared.counter_schema import (
    DAY_WINDOW,
    HASH_KEY,
    MARKER_GRACE,
    MARKER_AGENTS,
    MARKER_HITS,
    MARKER_PAGE_PREFIX,
    MARKER_TAG_HEX_CHARS,
    MONTH_WINDOW,
    SITE_PK,
    STALE_DAYS,
    STALE_MONTHS,
    TTL_ATTRIBUTE,
    VIEWS,
    VISITOR_PREFIX,
    StoreUnavailable,
    batch_get,
    day_attribute,
    month_attribute,
    months_before,
    page_pk,
    unique_attribute,
    year_attribute,
)


class ClientLimits(NamedTuple):
    """What one client (one address, a daily-salted hash of it) can add in a UTC day.

    ``hits``: views of the whole site; ``page``: views of one page; ``visitors``: unique
    visitors (browsers seen from the address). A reader who reloads a page, or a household
    behind one address, stays well inside; a script rotating user agents gets ``page`` views
    per page and ``visitors`` uniques, then the counts answered and nothing added. The cost:
    readers sharing one address (a large office, carrier-grade NAT) count as one client.
    ``hits`` also sizes the marker: at most ``hits`` page tags and browser tags, about 16
    bytes each, keep it under 1 KB, one write unit.
    """

    hits: int = 50
    page: int = 3
    visitors: int = 4


CLIENT_LIMITS = ClientLimits()


class UnknownPage(Exception):
    """The page key was never registered by publish; nothing was written."""


class ClientOverLimit(Exception):
    """The client has added all it may today (:class:`ClientLimits`); nothing was written."""


def marker_tag(value: str) -> str:
    """The short tag a client's marker keeps of a page key or a browser's hash."""
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:MARKER_TAG_HEX_CHARS]


class Counts(NamedTuple):
    path: str
    views: int
    site_views: int
    unique_today: int


def _number(attributes: dict, name: str) -> int:
    value = attributes.get(name)
    return int(value["N"]) if value else 0


def _unavailable(error: Exception) -> StoreUnavailable:
    if isinstance(error, ClientError):
        return StoreUnavailable(error_code(error, "ClientError"))
    return StoreUnavailable(type(error).__name__)


def _is_condition_failure(error: ClientError) -> bool:
    return error_code(error) == "ConditionalCheckFailedException"


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

    A page counted here is registered (until publish retires it: then it is forgotten).
    Bounded: a full set starts over, which only costs the waits it saved.
    """

    MAX_PAGES = 10_000

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pages: set[str] = set()

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

    # The site item exists once this process has counted a hit: before that, a site write
    # sent beside a page write that fails would leave a site item of zeros behind its undo.
    site_exists = False


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

    def mark_client(self, client: str, agent: str, limits: ClientLimits) -> bool:
        """Record this hit on the client's marker if the client is under ``limits``; True if
        it adds a unique visitor (a browser new today, within ``limits.visitors``).
        Raises :class:`ClientOverLimit` (nothing written) otherwise."""
        pk = f"{VISITOR_PREFIX}{self.today.isoformat()}#{client}"
        end_of_day = datetime.combine(self.today + timedelta(days=1), clock_time(), UTC)
        expires_at = int((end_of_day + MARKER_GRACE).timestamp())
        browser = marker_tag(agent)
        names = {
            "#hits": MARKER_HITS,
            "#page": MARKER_PAGE_PREFIX + marker_tag(self.page_key),
            "#agents": MARKER_AGENTS,
            "#expires": TTL_ATTRIBUTE,
        }
        try:
            old = self._update(
                pk,
                "ADD #hits :one, #page :one, #agents :browser SET #expires = :expires",
                names,
                {
                    ":one": {"N": "1"},
                    ":browser": {"SS": [browser]},
                    ":expires": {"N": str(expires_at)},
                    ":max_hits": {"N": str(limits.hits)},
                    ":max_page": {"N": str(limits.page)},
                },
                ConditionExpression=(
                    "(attribute_not_exists(#hits) OR #hits < :max_hits)"
                    " AND (attribute_not_exists(#page) OR #page < :max_page)"
                ),
                # ALL_OLD: an attribute the update leaves as it was (a browser already in
                # the set) is not reliably in UPDATED_OLD across DynamoDB emulators.
                ReturnValues="ALL_OLD",
            )
        except ClientError as error:
            if _is_condition_failure(error):
                raise ClientOverLimit(client) from None
            raise
        seen = old.get(MARKER_AGENTS, {}).get("SS", [])
        new_browser = browser not in seen
        if MARKER_HITS not in old:
            # This hit made the marker: its undo deletes it, unless another hit of the same
            # client has added to it since (then this unit stays spent from its allowance).
            self.undo.append(lambda: self._delete_unless_shared(pk))
        else:
            # The marker as it was: what this hit added to it taken back or removed.
            undo_names = {"#hits": MARKER_HITS, "#page": names["#page"]}
            undo_values = {":minus_one": {"N": "-1"}}
            if names["#page"] in old:
                undo_expression = "ADD #hits :minus_one, #page :minus_one"
            else:
                undo_expression = "ADD #hits :minus_one REMOVE #page"
            if new_browser:
                undo_names["#agents"] = MARKER_AGENTS
                undo_values[":browser"] = {"SS": [browser]}
                undo_expression += " DELETE #agents :browser"
            self.undo.append(lambda: self._update(pk, undo_expression, undo_names, undo_values))
        return new_browser and len(seen) < limits.visitors

    def _delete_unless_shared(self, pk: str) -> None:
        try:
            self.client.delete_item(
                TableName=self.table,
                Key={HASH_KEY: {"S": pk}},
                ConditionExpression="#hits = :one",
                ExpressionAttributeNames={"#hits": MARKER_HITS},
                ExpressionAttributeValues={":one": {"N": "1"}},
            )
        except ClientError as error:
            if not _is_condition_failure(error):
                raise

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
            if unknown and not self.rolled_back:
                # "unknown page" promises nothing was written; a failed undo breaks that
                raise StoreUnavailable("undo failed after an unknown page", rolled_back=False)
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
    client: Any,
    table: str,
    page_key: str,
    *,
    visitor: str | None,
    now: datetime,
    agent: str = "",
    limits: ClientLimits = CLIENT_LIMITS,
) -> Counts:
    """Count one view of a registered page by ``visitor``, the day's hash of a client's
    address (``None``: not limited, no unique visitor), with ``agent`` the day's hash of its
    browser.

    ``now`` must be timezone-aware; days are UTC days. Raises :class:`UnknownPage` or
    :class:`ClientOverLimit` (nothing written either way), or :class:`StoreUnavailable`
    (everything written by this hit undone, best effort).
    """
    hit = _Hit(client, table, page_key, now.astimezone(UTC))
    known = _known(client, table)
    results: dict[str, Any] = {"new_visitor": False}
    try:
        if visitor is not None:
            hit.together({"new_visitor": lambda: hit.mark_client(visitor, agent, limits)}, results)
        count_site = lambda: hit.count_site(results["new_visitor"])  # noqa: E731
        if known.has_page(page_key) and known.site_exists:
            hit.together({"page": hit.count_page, "site": count_site}, results)
        else:
            # alone: an unknown page must add nothing to the site
            hit.together({"page": hit.count_page}, results)
            known.add_page(page_key)
            hit.together({"site": count_site}, results)
    except (UnknownPage, StoreUnavailable):
        known.forget_page(page_key)
        raise
    except (BotoCoreError, ClientError) as error:
        unavailable = _unavailable(error)
        unavailable.rolled_back = hit.rolled_back
        raise unavailable from error
    known.site_exists = True
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


