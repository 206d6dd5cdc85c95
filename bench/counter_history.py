"""The counter's history: item sizes after a long stretch of simulated days, the requests a
counted hit makes meanwhile, and how long `make stats` takes on a big table.

Days are simulated with an injected clock: one new reader a day on the page with the longest
key, through ``counter.record_hit`` against the counting moto server, so the page item and the
site item carry every attribute the windows allow. Sizes are DynamoDB's billing sizes
(``counter_table.item_size``), at the simulated counts and at a busy blog's (9,999 views a day); the
anchor is the 1 KB a write unit covers. `make stats` reads a table of ``pages`` pages with
35 days of history each (written directly), from the resolution of the target to the printed
report; the anchor is a bare paginated ``Scan`` of the same table.

Run alone: ``python -m bench.counter_history [--quick] [--days N] [--pages N]``.
"""

from __future__ import annotations

import io
import time
from contextlib import redirect_stderr, redirect_stdout
from datetime import UTC, date, datetime, timedelta

from bench.cli import run_alone
from bench.moto_server import CountingMotoServer
from bench.table import Row
from counter_lambda import counter
from deploy.environment import patched_environ
from shared import counter_schema, counter_table
from stats.cli import StatsRequest, run_stats

QUICK = {"days": 400, "pages": 200}
FULL = {"days": 400, "pages": 1000}
TABLE = "blog-counter"
LONG_PAGE = "/posts/2025/a-rather-long-title-for-a-post-about-what-dynamodb-costs/"
FIRST_DAY = date(2024, 6, 1)
HISTORY_DAYS = 35
BUSY = {"d": "9999", "u": "9999", "m": "309969", "y": "3649635", "v": "99999999"}


def _simulate(client, days: int) -> None:
    for index in range(days):
        now = datetime.combine(FIRST_DAY + timedelta(days=index), datetime.min.time(), UTC)
        counter.record_hit(client, TABLE, LONG_PAGE, visitor=f"reader-{index}", now=now.replace(hour=12))


def _busy(item: dict) -> dict:
    return {name: ({"N": BUSY[name[0]]} if "N" in value else value) for name, value in item.items()}


def _history_items(pages: int, today: date) -> list[dict]:
    """``pages`` page items and the site item with HISTORY_DAYS days of views each."""
    items = []
    site: dict = {"pk": {"S": counter_schema.SITE_PK}}
    for number in range(pages):
        item: dict = {"pk": {"S": counter_schema.page_pk(f"/posts/post-{number:05d}/")}}
        total = 0
        for offset in range(HISTORY_DAYS):
            day = today - timedelta(days=offset)
            views = (number * 7 + offset * 13) % 50
            total += views
            item[counter_schema.day_attribute(day)] = {"N": str(views)}
            for name in (counter_schema.month_attribute(day), counter_schema.year_attribute(day)):
                item[name] = {"N": str(int(item.get(name, {"N": "0"})["N"]) + views)}
            site[counter_schema.day_attribute(day)] = {"N": str(int(site.get(counter_schema.day_attribute(day), {"N": "0"})["N"]) + views)}
            site[counter_schema.unique_attribute(day)] = {"N": str(pages // 3)}
        item["views"] = {"N": str(total)}
        items.append(item)
    return items + [site]


def run(days: int, pages: int) -> list[Row]:
    today = date.today()
    with CountingMotoServer() as moto:
        client = moto.client("dynamodb")
        counter_table.create_table(client, TABLE)
        counter_table.register_pages(client, TABLE, [LONG_PAGE])
        with moto.measure() as traffic:
            _simulate(client, days)
        items = {pk: item for pk, item in _items(client).items() if not pk.startswith(counter_schema.VISITOR_PREFIX)}
        sizes = {pk: counter_table.item_size(item) for pk, item in items.items()}
        busy_sizes = {pk: counter_table.item_size(_busy(item)) for pk, item in items.items()}

        counter_table.put_items(client, TABLE, _history_items(pages, today), workers=4)
        started = time.perf_counter()
        _items(client)
        scan_seconds = time.perf_counter() - started
        with patched_environ(**{**moto.environment, "COUNTER_TABLE": TABLE}):
            started = time.perf_counter()
            with redirect_stdout(io.StringIO()) as printed, redirect_stderr(io.StringIO()):
                code = run_stats(StatsRequest(today=today))
            stats_seconds = time.perf_counter() - started
        if code or "top pages, 30 days" not in printed.getvalue():
            raise RuntimeError("make stats did not print its report")

    per_hit = traffic.count("dynamodb") / days
    largest = max(sizes, key=sizes.get)
    busiest = max(busy_sizes, key=busy_sizes.get)
    return [
        Row(
            f"Counter history: DynamoDB requests per counted hit over {days} simulated days",
            f"{per_hit:g}",
            "before the history: 3",
            per_hit / 3,
            "≤ 3 requests",
            per_hit <= 3,
        ),
        Row.at_most(
            f"Counter history: largest item after {days} simulated days (DynamoDB billing size)",
            f"{sizes[largest]:,} B ({largest.split('#')[0]}); at 9,999 views a day: "
            f"{busy_sizes[busiest]:,} B ({busiest.split('#')[0]})",
            f"one write unit: {counter_table.WRITE_UNIT_BYTES:,} B",
            busy_sizes[busiest] / counter_table.WRITE_UNIT_BYTES,
            1.0,
        ),
        Row(
            f"make stats: {pages:,} pages × {HISTORY_DAYS} days of history",
            f"{stats_seconds:.2f} s",
            f"bare Scan of the table: {scan_seconds:.2f} s",
            stats_seconds / scan_seconds,
            "reported (no goal set)",
            None,
        ),
    ]


def _items(client) -> dict[str, dict]:
    found = {}
    for page in client.get_paginator("scan").paginate(TableName=TABLE):
        for item in page["Items"]:
            found[item["pk"]["S"]] = item
    return found


if __name__ == "__main__":
    run_alone(run, QUICK, FULL, __doc__)
