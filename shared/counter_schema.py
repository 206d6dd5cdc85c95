"""The counter table's layout, shared by the Lambda that counts, the administration that
creates the table and registers pages (:mod:`shared.counter_table`) and the stats that read it:
its keys, its attribute names, the history's windows, and reading it in batches.

Table: billing ``PAY_PER_REQUEST``, hash key ``pk`` (S), no range key, TTL on ``expires_at``.

Items
-----
``pk = "page#<page key>"``: ``views`` (N) and the page's history
    One per published page, created with ``views = 0`` by publish
    (:func:`shared.counter_table.register_pages`).
    A hit only counts when this item exists, so a crafted path cannot create items.
``pk = "site"``: ``views`` (N), the site's history and ``u<YYYYMMDD>`` (N), unique visitors
    The site total. Created by the first hit.
``pk = "visitor#<YYYY-MM-DD>#<client>"``: ``hits`` (N), ``p<tag>`` (N), ``agents`` (SS),
``expires_at`` (N, epoch seconds)
    What one client (one address, whatever its user agents) was counted for today: its
    counted hits, its counted hits per page (``p`` and a 24-bit tag of the page key) and the
    24-bit tags of the browsers (user agents) it was counted with. DynamoDB TTL deletes it
    after the day. ``client`` and the browser tags come from :mod:`counter_lambda.visitors`,
    salted by the day: no IP or user agent is stored.

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
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

HASH_KEY = "pk"
TTL_ATTRIBUTE = "expires_at"
VIEWS = "views"
SITE_PK = "site"
PAGE_PREFIX = "page#"
VISITOR_PREFIX = "visitor#"
MARKER_HITS = "hits"
MARKER_AGENTS = "agents"
MARKER_PAGE_PREFIX = "p"
# Tags of page keys and browsers on a client's marker: 24 bits (6 hex digits). Two of one
# client's pages (browsers) share a tag about once in 16 million pairs, which only merges
# their allowances; the marker stays small (see counter_lambda.counter.ClientLimits).
MARKER_TAG_HEX_CHARS = 6
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
