"""The counter handler behind the fault proxy: each fault gives its documented outcome (a 200
after botocore's retry, or a 503 with Retry-After and the hit undone) within the handler's
time budget, and no view is lost or counted twice."""

from __future__ import annotations

import time

import boto3
import pytest

from counter_lambda import handler
from shared import counter_table
from shared.targets import DEFAULT_REGION
from tests.counter.helpers import COUNTER_TABLE, counter_answer, counter_event, counter_table_items
from tests.faults.proxy import Seen

# Each case waits out real timeouts and retries through the proxy: part of `make test`, not of
# `make test-fast`.
pytestmark = pytest.mark.slow

PAGE = "/posts/hello/"


@pytest.fixture
def store(moto_url):
    """The counter table on moto, set up directly (not through the proxy)."""
    client = boto3.client("dynamodb", region_name=DEFAULT_REGION, endpoint_url=moto_url)
    counter_table.create_table(client, COUNTER_TABLE)
    counter_table.register_pages(client, COUNTER_TABLE, [PAGE])
    # moto's first update expression loads its parser: seconds on a busy machine, past the
    # handler's 0.5 s read timeout, and a timed-out write that was applied is retried (the
    # double count counter.py documents). Pay that here, outside the measured hits.
    client.update_item(
        TableName=COUNTER_TABLE, Key={"pk": {"S": "warm-up"}}, UpdateExpression="ADD n :one",
        ExpressionAttributeValues={":one": {"N": "1"}},
    )
    client.delete_item(TableName=COUNTER_TABLE, Key={"pk": {"S": "warm-up"}})
    return client


@pytest.fixture
def api(faults, store):
    """The handler with its production client, talking to DynamoDB through the proxy."""
    previous = handler.configure()
    handler.configure(
        client=handler.dynamodb_client(DEFAULT_REGION, faults.url),
        table_name=COUNTER_TABLE, site_name="test-site", origin_verify_secret=None,
        visitor_secret=b"fault-tests",
    )
    yield handler
    handler.configure(**previous._asdict())


def update_of(pk: str):
    def matches(seen: Seen) -> bool:
        return seen.dynamodb_operation == "UpdateItem" and seen.json()["Key"]["pk"]["S"] == pk
    return matches


def marker(seen: Seen) -> bool:
    return seen.dynamodb_operation == "UpdateItem" and seen.json()["Key"]["pk"]["S"].startswith("visitor#")


def batch_get(seen: Seen) -> bool:
    return seen.dynamodb_operation == "BatchGetItem"


def every(seen: Seen) -> bool:
    return seen.is_dynamodb


def totals(store) -> tuple[int, int]:
    """Page views and site views, as stored."""
    items = counter_table_items(store)
    page = int(items[f"page#{PAGE}"]["views"]["N"])
    site = int(items["site"]["views"]["N"]) if "site" in items else 0
    return page, site


def counted(store, faults) -> tuple[int, int]:
    """Page and site views as stored, less any view moto applied to a request the handler
    had given up on (its retry applied it again: the double count counter.py documents, which
    a busy machine's moto can provoke without a fault). Every other difference is a bug."""
    page, site = totals(store)
    resent = faults.resent_views(handler.CLIENT_CONFIG.read_timeout)
    return page - resent.get(f"page#{PAGE}", 0), site - resent.get("site", 0)


def post(api, ip="203.0.113.7"):
    started = time.monotonic()
    response = api.handler(counter_event("POST", path=PAGE, ip=ip), None)
    return response, time.monotonic() - started


def get(api):
    started = time.monotonic()
    response = api.handler(counter_event("GET", query=f"path={PAGE}"), None)
    return response, time.monotonic() - started


def assert_unavailable(response, elapsed):
    assert counter_answer(response) == (503, {"error": "counter temporarily unavailable"})
    assert response["headers"]["Retry-After"] == str(handler.RETRY_AFTER_SECONDS)
    assert elapsed <= handler.TIME_BUDGET_SECONDS


# (fault, which requests, how many times, delay): a transient fault, retried by botocore.
TRANSIENT = {
    "reset, page write": ("reset", update_of(f"page#{PAGE}"), 1, 0),
    "throttle, site write": ("throttle", update_of("site"), 1, 0),
    "5xx, visitor marker": ("error", marker, 1, 0),
    "slow, every request": ("slow", every, None, 0.3),
    "hang, site write, once": ("hang", update_of("site"), 1, 0),
}


@pytest.mark.parametrize("fault, when, times, delay", TRANSIENT.values(), ids=TRANSIENT.keys())
def test_a_transient_fault_is_retried_and_counts_once(api, faults, store, fault, when, times, delay):
    faults.arm(fault, when, times=times, delay=delay)
    response, elapsed = post(api)
    status, body = counter_answer(response)
    resent = faults.resent_views(handler.CLIENT_CONFIG.read_timeout)
    views = (body["views"] - resent.get(f"page#{PAGE}", 0), body["site_views"] - resent.get("site", 0))
    assert (status, *views, body["unique_today"]) == (200, 1, 1, 1), faults.story()
    assert counted(store, faults) == (1, 1), faults.story()
    assert elapsed <= handler.TIME_BUDGET_SECONDS
    faults.clear()
    body = counter_answer(post(api)[0])[1]
    assert body["unique_today"] == 1
    assert counted(store, faults) == (2, 2), faults.story()


def test_a_write_answered_after_the_read_timeout_counts_twice_as_documented(api, faults, store):
    """The one inexact case counter.py documents: DynamoDB applies an ADD but answers after the
    handler's read timeout; botocore resends it and it lands again. The accounting the other
    cases use for a slow moto must see exactly that."""
    late = handler.CLIENT_CONFIG.read_timeout + 0.2
    faults.arm("late", update_of("site"), times=1, delay=late)
    status, body = counter_answer(post(api)[0])
    assert (status, body["views"]) == (200, 1)
    assert totals(store) == (1, 2), faults.story()
    assert faults.resent_views(handler.CLIENT_CONFIG.read_timeout) == {"site": 1}
    assert faults.resent_uniques(handler.CLIENT_CONFIG.read_timeout) == {"site": 1}, "its new visitor twice too"
    assert counted(store, faults) == (1, 1)


# A fault that outlasts the retries: the hit is undone and the visitor told to come back.
LASTING = {
    "reset, site write": ("reset", update_of("site")),
    "throttle, site write": ("throttle", update_of("site")),
    "5xx, site write": ("error", update_of("site")),
    "throttle, visitor marker": ("throttle", marker),
    "hang, site write": ("hang", update_of("site")),
    "hang, page write": ("hang", update_of(f"page#{PAGE}")),
}


@pytest.mark.parametrize("fault, when", LASTING.values(), ids=LASTING.keys())
def test_a_lasting_fault_answers_503_with_the_hit_undone(api, faults, store, fault, when):
    post(api, ip="198.51.100.1")  # the site item exists, as on any live site
    faults.arm(fault, when, times=None)
    response, elapsed = post(api)
    assert_unavailable(response, elapsed)
    assert counted(store, faults) == (1, 1), faults.story()
    faults.clear()
    # The visitor the failed hit had marked is new again: their retry counts them once.
    status, body = counter_answer(post(api)[0])
    resent = faults.resent_views(handler.CLIENT_CONFIG.read_timeout)
    # A site write moto answered late was applied twice, its new visitor with it.
    resent_uniques = faults.resent_uniques(handler.CLIENT_CONFIG.read_timeout).get("site", 0)
    assert (status, body["views"] - resent.get(f"page#{PAGE}", 0), body["unique_today"] - resent_uniques) == (200, 2, 2)
    assert counted(store, faults) == (2, 2), faults.story()


def test_dynamodb_gone_answers_503_within_the_budget(api, faults, store):
    """Everything hangs: nothing reaches the table, reads and hits both answer 503 in time."""
    faults.arm("hang", every, times=None)
    assert_unavailable(*post(api))
    assert_unavailable(*get(api))
    faults.clear()
    assert totals(store)[0] == 0


@pytest.mark.parametrize("fault", ["reset", "throttle", "error", "hang"])
def test_a_read_fault_answers_503_within_the_budget_or_is_retried(api, faults, store, fault):
    faults.arm(fault, batch_get, times=None)
    assert_unavailable(*get(api))
    faults.clear()
    faults.arm(fault, batch_get, times=1)
    response, elapsed = get(api)
    assert counter_answer(response)[0] == 200
    assert elapsed <= handler.TIME_BUDGET_SECONDS
