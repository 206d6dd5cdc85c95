"""History in the counter's own updates: exact days, months and years over simulated time
(injected clock), a window that rolls into months, items that stay under one write unit,
and the requests a hit makes, in parallel where the design says so."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest

from counter_lambda import counter
from shared import counter_table
from tests.counter.helpers import (
    COUNTER_TABLE,
    RequestLog,
    counter_table_items,
    request_params,
    simulate_traffic,
)

PAGES = ["/", "/posts/hello/", "/posts/a-rather-long-title-for-a-post-about-dynamodb-costs/", "/about/"]
START = date(2025, 1, 20)


@pytest.fixture
def registered(counter_client):
    counter_table.register_pages(counter_client, COUNTER_TABLE, PAGES)
    return counter_client


def numbers(item: dict, prefix: str) -> dict[str, int]:
    return {
        name: int(value["N"])
        for name, value in item.items()
        if name.startswith(prefix) and name[1:].isdigit()
    }


@pytest.mark.slow
def test_a_simulated_month_gives_exact_days_per_page_and_site(registered):
    traffic = simulate_traffic(registered, PAGES, START, 31, lambda i: 2 + i % 4)
    items = counter_table_items(registered)
    site = items["site"]
    days = [START + timedelta(days=i) for i in range(31)]
    assert numbers(site, "d") == {f"d{d:%Y%m%d}": traffic.site_days[d] for d in days}
    assert numbers(site, "u") == {f"u{d:%Y%m%d}": traffic.uniques(d) for d in days}
    for page in PAGES:
        item = items["page#" + page]
        expected = {f"d{d:%Y%m%d}": traffic.page_days[(page, d)] for d in days if traffic.page_days[(page, d)]}
        assert numbers(item, "d") == expected
        assert int(item["views"]["N"]) == traffic.page_views(page)
    assert int(site["views"]["N"]) == sum(traffic.site_days.values())
    assert numbers(site, "m") == {"m202501": traffic.site_month("2025-01"), "m202502": traffic.site_month("2025-02")}
    assert numbers(site, "y") == {"y2025": sum(traffic.site_days.values())}


@pytest.mark.slow
def test_days_leave_the_window_and_stay_in_their_months_and_years(registered):
    start = date(2024, 11, 1)
    traffic = simulate_traffic(registered, PAGES[:2], start, 75, lambda i: 2)
    site = counter_table_items(registered)["site"]
    today = start + timedelta(days=74)
    kept = [today - timedelta(days=offset) for offset in range(counter.DAY_WINDOW)]
    assert set(numbers(site, "d")) == {f"d{d:%Y%m%d}" for d in kept}
    assert set(numbers(site, "u")) == {f"u{d:%Y%m%d}" for d in kept}
    assert numbers(site, "m") == {
        "m202411": traffic.site_month("2024-11"),
        "m202412": traffic.site_month("2024-12"),
        "m202501": traffic.site_month("2025-01"),
    }
    assert numbers(site, "y") == {"y2024": 2 * 61, "y2025": 2 * 14}
    assert int(site["views"]["N"]) == 150


@pytest.mark.slow
def test_items_stay_under_one_write_unit_after_400_days(registered):
    # one hit a day, on the page with the longest key: it and the site hold every name
    simulate_traffic(registered, PAGES[2:3], date(2024, 6, 1), 400, lambda i: 1)
    items = {pk: item for pk, item in counter_table_items(registered).items() if not pk.startswith("visitor#")}
    sizes = {pk: counter_table.item_size(item) for pk, item in items.items() if pk in ("site", "page#" + PAGES[2])}
    assert max(sizes.values()) < counter_table.WRITE_UNIT_BYTES, sizes
    assert len(numbers(items["site"], "m")) == counter.MONTH_WINDOW
    # The same names at a busy blog's counts: 9,999 views a day, 309,969 a month, 3,649,635 a
    # year, 99,999,999 all time.
    busy = {"d": "9999", "u": "9999", "m": "309969", "y": "3649635", "v": "99999999"}
    for pk in sizes:
        item = items[pk]
        inflated = {name: ({"N": busy[name[0]]} if "N" in value else value) for name, value in item.items()}
        assert counter_table.item_size(inflated) < counter_table.WRITE_UNIT_BYTES, (pk, counter_table.item_size(inflated))


def test_item_size_follows_dynamodb_rules():
    assert counter_table.item_size({"pk": {"S": "site"}}) == 6
    assert counter_table.item_size({"views": {"N": "1234"}}) == 5 + 3
    assert counter_table.item_size({"d20250314": {"N": "100"}}) == 9 + 2
    assert counter_table.item_size({"n": {"N": "-12345"}}) == 1 + 4


# --- requests per hit, and which go together ------------------------------------------------

DAY = datetime(2025, 3, 14, 12, tzinfo=UTC)


def hit(client, visitor, page="/posts/hello/"):
    return counter.record_hit(client, COUNTER_TABLE, page, visitor=visitor, now=DAY)


def test_every_counted_hit_costs_three_requests(registered):
    log = RequestLog(registered)
    hit(registered, "a")
    assert log.calls == ["UpdateItem"] * 3
    log.clear()
    counts = hit(registered, "a")
    assert log.calls == ["UpdateItem"] * 3  # the marker holds the client's allowance
    assert (counts.views, counts.site_views, counts.unique_today) == (2, 2, 1)
    log.clear()
    assert hit(registered, "b").unique_today == 2
    assert log.calls == ["UpdateItem"] * 3


def in_flight_together(client, first: str, second: str, barrier: threading.Barrier) -> None:
    """Make the requests to items ``first`` and ``second`` (pk prefixes) wait for each other:
    the hit stalls into a BrokenBarrierError unless both are sent at once."""

    def wait(model, params, **_):
        pk = request_params(params)["Key"]["pk"]["S"]
        if model.name == "UpdateItem" and pk.startswith((first, second)) and not barrier.broken:
            barrier.wait()

    client.meta.events.register("before-call.dynamodb.UpdateItem", wait)


def test_the_marker_goes_out_first_then_page_and_site_together(registered):
    hit(registered, "a")  # the page is now known to this process
    sent: list[str] = []
    registered.meta.events.register(
        "before-call.dynamodb.UpdateItem",
        lambda params, **_: sent.append(request_params(params)["Key"]["pk"]["S"].split("#")[0]),
    )
    in_flight_together(registered, "page#", "site", threading.Barrier(2, timeout=5))
    assert hit(registered, "b").unique_today == 2
    assert sent[0] == "visitor" and sorted(sent[1:]) == ["page", "site"]


def test_a_returning_visitor_s_page_and_site_go_out_together(registered):
    hit(registered, "a")
    in_flight_together(registered, "page#", "site", threading.Barrier(2, timeout=5))
    assert hit(registered, "a").views == 2


def test_an_unknown_page_writes_nothing_even_for_a_known_visitor(registered):
    hit(registered, "a")
    before = counter_table_items(registered)
    log = RequestLog(registered)
    with pytest.raises(counter.UnknownPage):
        hit(registered, "a", page="/nope/")
    # the marker, the page's failed condition, the marker's undo: the site never hears of it
    assert log.calls == ["UpdateItem"] * 3
    assert counter_table_items(registered) == before


def test_a_retired_page_is_undone_once_then_tried_alone(registered):
    hit(registered, "a")  # known to this process
    counter_table.retire_pages(registered, COUNTER_TABLE, ["/posts/hello/"])
    before = counter_table_items(registered)
    log = RequestLog(registered)
    with pytest.raises(counter.UnknownPage):
        hit(registered, "b")
    # the site's view and unique, sent with the page, were undone; b's marker is gone too
    assert counter_table_items(registered) == before
    log.clear()
    with pytest.raises(counter.UnknownPage):
        hit(registered, "b")
    # forgotten: the page is tried before the site, and b's new marker is deleted again
    assert log.calls == ["UpdateItem", "UpdateItem", "DeleteItem"]
    assert counter_table_items(registered) == before
