"""One client cannot inflate the counts: what one address adds a day is bounded, whatever user
agents it sends, while many readers each count; at most three requests a hit, items under 1 KB."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from counter_lambda import counter
from shared import counter_table
from tests.counter.helpers import (
    COUNTER_TABLE,
    RequestLog,
    counter_answer,
    counter_event,
    counter_table_items,
    counter_views,
)

LIMITS = counter.CLIENT_LIMITS
PAGE = "/posts/hello/"
OTHER_PAGES = [f"/posts/post-{number}/" for number in range(LIMITS.hits + 10)]
ORIGIN_SECRET = "from-cloudfront"
CLOUDFRONT_EDGE_IP = "130.176.0.1"


@pytest.fixture
def api(counter_api, counter_client):
    counter_table.register_pages(counter_client, COUNTER_TABLE, [PAGE, *OTHER_PAGES])
    counter_api.configure(origin_verify_secret=ORIGIN_SECRET)
    return counter_api


def hit_through_cloudfront(api, viewer_ip: str, *, page: str = PAGE, user_agent: str | None = None):
    """A hit as CloudFront forwards it: from one of its edges, the reader's address in the
    header its origin request policy adds, the origin secret attached."""
    headers = {"x-origin-verify": ORIGIN_SECRET, "cloudfront-viewer-address": f"{viewer_ip}:50000"}
    extra = {"user_agent": user_agent} if user_agent else {}
    return counter_answer(
        api.handler(counter_event("POST", path=page, ip=CLOUDFRONT_EDGE_IP, headers=headers, **extra), None)
    )


def browser(number: int) -> str:
    return f"Mozilla/5.0 (X11; Linux x86_64; rv:{number}.0) Gecko/20100101 Firefox/{number}.0"


def unique_today(client) -> int:
    site = counter_table_items(client)["site"]
    return max(int(value["N"]) for name, value in site.items() if name.startswith("u"))


def test_one_address_rotating_user_agents_adds_a_few_views_and_visitors(api, counter_client):
    answers = [hit_through_cloudfront(api, "198.51.100.7", user_agent=browser(n)) for n in range(100)]
    # every request is answered with the counts; only the first few add to them
    assert {status for status, _ in answers} == {200}
    assert [body["views"] for _, body in answers[:5]] == [1, 2, 3, 3, 3]
    assert counter_views(counter_client, f"page#{PAGE}") == LIMITS.page
    assert counter_views(counter_client, "site") == LIMITS.page
    assert unique_today(counter_client) == min(LIMITS.page, LIMITS.visitors)


def test_one_address_over_many_pages_adds_its_site_limit_and_visitors_limit(api, counter_client):
    for number, page in enumerate(OTHER_PAGES):
        assert hit_through_cloudfront(api, "198.51.100.8", page=page, user_agent=browser(number))[0] == 200
    assert counter_views(counter_client, "site") == LIMITS.hits
    assert unique_today(counter_client) == LIMITS.visitors
    counted = [page for page in OTHER_PAGES if counter_views(counter_client, f"page#{page}")]
    assert counted == OTHER_PAGES[: LIMITS.hits]


def test_many_addresses_each_count_up_to_their_own_limit(api, counter_client):
    readers = [f"203.0.113.{number}" for number in range(1, 31)]
    for reader in readers:
        for _ in range(LIMITS.page + 2):  # reloads past the limit add nothing
            assert hit_through_cloudfront(api, reader)[0] == 200
    assert counter_views(counter_client, f"page#{PAGE}") == len(readers) * LIMITS.page
    assert unique_today(counter_client) == len(readers)


def test_cloudfront_edges_do_not_split_one_reader_into_many(api, counter_client):
    headers = {"x-origin-verify": ORIGIN_SECRET, "cloudfront-viewer-address": "198.51.100.9:443"}
    for edge in range(10):
        event = counter_event("POST", path=PAGE, ip=f"130.176.0.{edge}", headers=headers)
        assert counter_answer(api.handler(event, None))[0] == 200
    assert counter_views(counter_client, f"page#{PAGE}") == LIMITS.page


def test_an_address_over_its_limit_costs_two_requests_and_writes_nothing(api, counter_client):
    for _ in range(LIMITS.page):
        hit_through_cloudfront(api, "198.51.100.10")
    before = counter_table_items(counter_client)
    log = RequestLog(counter_client)
    status, body = hit_through_cloudfront(api, "198.51.100.10", user_agent=browser(1))
    assert (status, body["views"], body["site_views"]) == (200, LIMITS.page, LIMITS.page)
    assert log.calls == ["UpdateItem", "BatchGetItem"]  # the marker's failed condition, a read
    assert counter_table_items(counter_client) == before


def test_an_unknown_page_past_the_limit_is_still_unknown(api):
    for _ in range(LIMITS.page):
        hit_through_cloudfront(api, "198.51.100.11")
    for page in OTHER_PAGES[: LIMITS.hits]:
        hit_through_cloudfront(api, "198.51.100.11", page=page)
    assert hit_through_cloudfront(api, "198.51.100.11", page="/nope/") == (404, {"error": "unknown page"})


def test_the_limits_start_again_each_utc_day(counter_client):
    counter_table.register_pages(counter_client, COUNTER_TABLE, [PAGE])
    day_one = datetime(2025, 3, 14, 23, 59, tzinfo=UTC)
    for _ in range(LIMITS.page):
        counter.record_hit(counter_client, COUNTER_TABLE, PAGE, visitor="client", now=day_one)
    with pytest.raises(counter.ClientOverLimit):
        counter.record_hit(counter_client, COUNTER_TABLE, PAGE, visitor="client", now=day_one)
    day_two = day_one + timedelta(minutes=2)
    assert counter.record_hit(counter_client, COUNTER_TABLE, PAGE, visitor="client", now=day_two).views == 4


def test_a_client_s_marker_stays_under_one_write_unit_at_its_limits(counter_client):
    pages = [f"/posts/{'a-long-slug-' * 8}{number}/" for number in range(LIMITS.hits)]
    counter_table.register_pages(counter_client, COUNTER_TABLE, pages)
    now = datetime(2025, 3, 14, 12, tzinfo=UTC)
    for number, page in enumerate(pages):
        counter.record_hit(
            counter_client, COUNTER_TABLE, page, visitor="c" * 32, agent=f"browser-{number}", now=now
        )
    markers = {pk: item for pk, item in counter_table_items(counter_client).items() if pk.startswith("visitor#")}
    (marker,) = markers.values()
    assert int(marker["hits"]["N"]) == LIMITS.hits
    assert len(marker["agents"]["SS"]) == LIMITS.hits
    print("marker bytes at the limits:", counter_table.item_size(marker))
    assert counter_table.item_size(marker) < counter_table.WRITE_UNIT_BYTES, counter_table.item_size(marker)


def test_an_ipv6_reader_is_one_client_across_its_64(api, counter_client):
    for host in range(1, 8):
        assert hit_through_cloudfront(api, f"2001:db8:1:2::{host:x}")[0] == 200
    assert counter_views(counter_client, f"page#{PAGE}") == LIMITS.page
    # another /64 is another client
    assert hit_through_cloudfront(api, "2001:db8:1:3::1")[1]["views"] == LIMITS.page + 1
