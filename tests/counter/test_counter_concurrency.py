"""Concurrent hits through the real handler against a moto server over HTTP: nothing lost."""

from __future__ import annotations

import json
import random
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from counter_lambda import tables
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
HOT_HITS = 2000
OTHER_HITS_PER_PAGE = 50
VISITORS = 40
THREADS = 16


@pytest.mark.slow
def test_concurrent_hits_are_all_counted_exactly(counter_handler, counter_moto_server_url):
    client = counter_dynamodb_client(counter_moto_server_url, max_pool_connections=THREADS * 2)
    tables.create_table(client, COUNTER_TABLE)
    tables.register_pages(client, COUNTER_TABLE, [HOT_PAGE, *OTHER_PAGES])
    counter_handler.configure(**counter_test_settings(client))

    hits = [HOT_PAGE] * HOT_HITS + [
        page for page in OTHER_PAGES for _ in range(OTHER_HITS_PER_PAGE)
    ]
    # interleave the quiet pages with the hot one, and spread the hits over VISITORS browsers
    random.Random(2000).shuffle(hits)
    jobs = [(page, f"198.51.100.{n % VISITORS}") for n, page in enumerate(hits)]

    def send(job):
        page, ip = job
        return counter_answer(
            counter_handler.handler(counter_event("POST", path=page, ip=ip), None)
        )

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        answers = list(pool.map(send, jobs))
    elapsed = time.perf_counter() - started

    assert Counter(status for status, _ in answers) == {200: len(jobs)}
    # every answer carried a distinct count: no two increments were merged
    hot_views = sorted(body["views"] for _, body in answers if body["path"] == HOT_PAGE)
    assert hot_views == list(range(1, HOT_HITS + 1))
    assert sorted(body["site_views"] for _, body in answers) == list(range(1, len(jobs) + 1))

    items = counter_table_items(client)
    page_views = {
        pk: int(item["views"]["N"]) for pk, item in items.items() if pk.startswith("page#")
    }
    site = items["site"]
    assert page_views["page#" + HOT_PAGE] == HOT_HITS
    assert all(page_views["page#" + page] == OTHER_HITS_PER_PAGE for page in OTHER_PAGES)
    assert int(site["views"]["N"]) == sum(page_views.values())
    status, read = counter_answer(
        counter_handler.handler(counter_event("GET", query=f"path={HOT_PAGE}"), None)
    )
    assert (status, read["unique_today"]) == (200, VISITORS)
    print(json.dumps({"hits": len(jobs), "threads": THREADS, "seconds": round(elapsed, 1)}))
