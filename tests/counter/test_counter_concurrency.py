"""Concurrent hits through the real handler against a moto server over HTTP: nothing lost.

The same run against a read-then-write counter (the one the contract forbids) must lose hits,
or the run is too small or too tame to catch one.
"""

from __future__ import annotations

import json
import random
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from counter_lambda import counter
from shared import counter_table
from tests.counter.helpers import (
    COUNTER_TABLE,
    counter_answer,
    counter_dynamodb_client,
    counter_event,
    counter_table_items,
    counter_test_settings,
)

HOT_PAGE = "/posts/popular/"
OTHER_PAGES = ["/", "/about/", "/posts/quiet/", "/tags/aws/"]
HOT_HITS = 150
OTHER_HITS_PER_PAGE = 10
# Each reader sends two hits: within what one address may add a day (counter.CLIENT_LIMITS).
HITS_PER_VISITOR = 2
VISITORS = (HOT_HITS + OTHER_HITS_PER_PAGE * len(OTHER_PAGES)) // HITS_PER_VISITOR
THREADS = 16
# 190 hits, 16 at a time, over HTTP to a moto server: seconds of CPU each, so `make test` runs
# them and `make test-fast` does not.
pytestmark = pytest.mark.slow


def read_then_write_hit(client, table, page_key, *, visitor, now, **_):
    """A counter that reads the counts, then writes them back plus one (two requests)."""
    counts = counter.read_counts(client, table, page_key, now=now)
    views, site_views = counts.views + 1, counts.site_views + 1
    for pk, value in ((counter.page_pk(page_key), views), (counter.SITE_PK, site_views)):
        client.update_item(
            TableName=table,
            Key={counter.HASH_KEY: {"S": pk}},
            UpdateExpression="SET #views = :views",
            ExpressionAttributeNames={"#views": counter.VIEWS},
            ExpressionAttributeValues={":views": {"N": str(value)}},
        )
    return counter.Counts(page_key, views, site_views, counts.unique_today)


def hit_concurrently(handler, url: str) -> tuple[list, dict, float]:
    """Every hit of the run through ``handler``, THREADS at a time; the answers, the table
    afterwards and the seconds it took."""
    client = counter_dynamodb_client(url, max_pool_connections=THREADS * 2)
    counter_table.create_table(client, COUNTER_TABLE)
    counter_table.register_pages(client, COUNTER_TABLE, [HOT_PAGE, *OTHER_PAGES])
    handler.configure(**counter_test_settings(client))

    hits = [HOT_PAGE] * HOT_HITS + [
        page for page in OTHER_PAGES for _ in range(OTHER_HITS_PER_PAGE)
    ]
    # interleave the quiet pages with the hot one, and spread the hits over VISITORS readers
    random.Random(2000).shuffle(hits)
    jobs = [(page, f"198.51.{n % VISITORS // 200}.{n % VISITORS % 200}") for n, page in enumerate(hits)]

    def send(job):
        page, ip = job
        return counter_answer(handler.handler(counter_event("POST", path=page, ip=ip), None))

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        answers = list(pool.map(send, jobs))
    return answers, counter_table_items(client), time.perf_counter() - started


def assert_every_hit_counted_once(answers: list, items: dict) -> None:
    assert Counter(status for status, _ in answers) == {200: len(answers)}
    # every answer carried a distinct count: no two increments were merged
    hot_views = sorted(body["views"] for _, body in answers if body["path"] == HOT_PAGE)
    assert hot_views == list(range(1, HOT_HITS + 1))
    assert sorted(body["site_views"] for _, body in answers) == list(range(1, len(answers) + 1))
    page_views = {
        pk: int(item["views"]["N"]) for pk, item in items.items() if pk.startswith("page#")
    }
    assert page_views["page#" + HOT_PAGE] == HOT_HITS
    assert all(page_views["page#" + page] == OTHER_HITS_PER_PAGE for page in OTHER_PAGES)
    assert int(items["site"]["views"]["N"]) == sum(page_views.values())


def test_concurrent_hits_are_all_counted_exactly(counter_handler, counter_moto_server_url):
    answers, items, elapsed = hit_concurrently(counter_handler, counter_moto_server_url)
    assert_every_hit_counted_once(answers, items)
    status, read = counter_answer(
        counter_handler.handler(counter_event("GET", query=f"path={HOT_PAGE}"), None)
    )
    assert (status, read["unique_today"]) == (200, VISITORS)
    print(json.dumps({"hits": len(answers), "threads": THREADS, "seconds": round(elapsed, 1)}))


def test_the_same_run_catches_a_read_then_write_counter(
    counter_handler, counter_moto_server_url, monkeypatch
):
    monkeypatch.setattr(counter, "record_hit", read_then_write_hit)
    answers, items, _ = hit_concurrently(counter_handler, counter_moto_server_url)
    assert Counter(status for status, _ in answers) == {200: len(answers)}
    stored = int(items["page#" + HOT_PAGE]["views"]["N"])
    assert stored < HOT_HITS, "no hit was lost: the run is too small to catch this counter"
    print(json.dumps({"read_then_write_lost": HOT_HITS - stored, "of": HOT_HITS}))
    with pytest.raises(AssertionError):
        assert_every_hit_counted_once(answers, items)
