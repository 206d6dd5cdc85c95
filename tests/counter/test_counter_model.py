"""The DynamoDB model: table creation and page registration (publish), hits and reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from botocore.awsrequest import AWSResponse

from counter_lambda import counter
from shared import counter_schema, counter_table
from shared.pagekey import PageKeyError
from counter_lambda.visitors import daily_salt, visitor_hash
from tests.counter.helpers import (
    COUNTER_TABLE,
    RequestLog,
    counter_table_items,
    counter_views,
    inject_error,
    request_params,
)


def test_create_table_matches_the_documented_schema(counter_client):
    table = counter_client.describe_table(TableName=COUNTER_TABLE)["Table"]
    assert table["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}]
    assert table["AttributeDefinitions"] == [{"AttributeName": "pk", "AttributeType": "S"}]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    ttl = counter_client.describe_time_to_live(TableName=COUNTER_TABLE)["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}


def test_create_table_twice_keeps_the_data(counter_client):
    counter_table.register_pages(counter_client, COUNTER_TABLE, ["/about/"])
    counter_table.create_table(counter_client, COUNTER_TABLE)
    assert counter_views(counter_client, "page#/about/") == 0


def test_register_pages_creates_zero_counts_for_normalised_keys(counter_client):
    created = counter_table.register_pages(
        counter_client, COUNTER_TABLE, ["/", "/posts/hello/index.html", "/posts/hello/", "/about/"]
    )
    assert created == 3
    assert set(counter_table_items(counter_client)) == {
        "page#/",
        "page#/posts/hello/",
        "page#/about/",
    }
    assert counter_views(counter_client, "page#/posts/hello/") == 0


def add_views(client, pk: str, views: int) -> None:
    """Views arriving by the counter's own route, between two registrations."""
    client.update_item(
        TableName=COUNTER_TABLE,
        Key={"pk": {"S": pk}},
        UpdateExpression="ADD #v :n",
        ExpressionAttributeNames={"#v": "views"},
        ExpressionAttributeValues={":n": {"N": str(views)}},
    )


def test_register_pages_never_touches_existing_counts(counter_client):
    counter_table.register_pages(counter_client, COUNTER_TABLE, ["/posts/hello/"])
    add_views(counter_client, "page#/posts/hello/", 41)
    log = RequestLog(counter_client)
    assert counter_table.register_pages(counter_client, COUNTER_TABLE, ["/posts/hello/", "/new/"]) == 1
    assert log.calls == ["BatchGetItem", "BatchWriteItem"]
    assert counter_views(counter_client, "page#/posts/hello/") == 41
    assert counter_views(counter_client, "page#/new/") == 0


def test_register_pages_is_idempotent_and_writes_nothing_the_second_time(counter_client):
    keys = [f"/posts/{n}/" for n in range(30)]
    assert counter_table.register_pages(counter_client, COUNTER_TABLE, keys) == 30
    log = RequestLog(counter_client)
    assert counter_table.register_pages(counter_client, COUNTER_TABLE, keys) == 0
    assert log.calls == ["BatchGetItem"]


def test_register_pages_batches_100_reads_and_25_writes(counter_client):
    keys = [f"/posts/{n}/" for n in range(230)]
    log = RequestLog(counter_client)
    assert counter_table.register_pages(counter_client, COUNTER_TABLE, keys) == 230
    assert log.by_operation == {"BatchGetItem": 3, "BatchWriteItem": 10}
    assert len(counter_table_items(counter_client)) == 230


def test_register_pages_in_parallel_batches_registers_the_same_and_keeps_counts(counter_client):
    keys = [f"/posts/{n}/" for n in range(230)]
    counter_table.register_pages(counter_client, COUNTER_TABLE, keys[:50])
    add_views(counter_client, "page#/posts/7/", 5)
    log = RequestLog(counter_client)
    assert counter_table.register_pages(counter_client, COUNTER_TABLE, keys, workers=4) == 180
    assert log.by_operation == {"BatchGetItem": 3, "BatchWriteItem": 8}
    assert len(counter_table_items(counter_client)) == 230
    assert counter_views(counter_client, "page#/posts/7/") == 5
    assert counter_table.register_pages(counter_client, COUNTER_TABLE, keys, workers=4) == 0


def test_register_pages_with_no_keys_makes_no_request(counter_client):
    log = RequestLog(counter_client)
    assert counter_table.register_pages(counter_client, COUNTER_TABLE, []) == 0
    assert log.calls == []


def test_register_pages_rejects_a_bad_key_before_writing(counter_client):
    with pytest.raises(PageKeyError):
        counter_table.register_pages(counter_client, COUNTER_TABLE, ["/ok/", "/../etc/"])
    assert counter_table_items(counter_client) == {}


def _unprocessed_everything(operation, answer_key):
    """A before-call answer as DynamoDB gives under load: the whole request handed back."""
    calls = []

    def answer(model, params, **_):
        if model.name != operation or calls:
            return None
        calls.append(1)
        request = request_params(params)["RequestItems"]
        parsed = {answer_key: request, "ResponseMetadata": {"HTTPStatusCode": 200}}
        if operation == "BatchGetItem":
            parsed["Responses"] = {}
        return AWSResponse("https://dynamodb.invalid/", 200, {}, None), parsed

    return answer


@pytest.mark.parametrize(
    ("operation", "answer_key"),
    [("BatchGetItem", "UnprocessedKeys"), ("BatchWriteItem", "UnprocessedItems")],
)
def test_register_pages_resends_unprocessed_parts_with_backoff(
    counter_client, operation, answer_key
):
    counter_client.meta.events.register_first(
        f"before-call.dynamodb.{operation}", _unprocessed_everything(operation, answer_key)
    )
    pauses = []
    keys = ["/a/", "/b/", "/c/"]
    assert counter_table.register_pages(counter_client, COUNTER_TABLE, keys, sleep=pauses.append) == 3
    assert len(pauses) == 1 and pauses[0] > 0
    assert set(counter_table_items(counter_client)) == {"page#/a/", "page#/b/", "page#/c/"}


def test_register_pages_gives_up_when_dynamodb_never_catches_up(counter_client):
    def always_unprocessed(model, params, **_):
        parsed = {"UnprocessedItems": request_params(params)["RequestItems"]}
        return AWSResponse("https://dynamodb.invalid/", 200, {}, None), parsed

    counter_client.meta.events.register_first(
        "before-call.dynamodb.BatchWriteItem", always_unprocessed
    )
    pauses = []
    with pytest.raises(counter_schema.StoreUnavailable):
        counter_table.register_pages(counter_client, COUNTER_TABLE, ["/a/"], sleep=pauses.append)
    assert pauses == sorted(pauses) and len(pauses) == counter_schema.BATCH_ATTEMPTS - 1
    assert counter_table_items(counter_client) == {}


def test_register_pages_surfaces_throttling(counter_client):
    inject_error(counter_client, "BatchGetItem", "ProvisionedThroughputExceededException")
    with pytest.raises(counter_client.exceptions.ProvisionedThroughputExceededException):
        counter_table.register_pages(counter_client, COUNTER_TABLE, ["/a/"])


# --- hits and reads -----------------------------------------------------------------------

DAY_ONE = datetime(2025, 3, 14, 23, 59, 30, tzinfo=UTC)
DAY_TWO = datetime(2025, 3, 15, 0, 0, 30, tzinfo=UTC)


@pytest.fixture
def registered(counter_client):
    counter_table.register_pages(counter_client, COUNTER_TABLE, ["/posts/hello/"])
    return counter_client


def hit(client, visitor, now):
    return counter.record_hit(client, COUNTER_TABLE, "/posts/hello/", visitor=visitor, now=now)


def test_unique_visitors_restart_each_utc_day(registered):
    assert hit(registered, "a", DAY_ONE).unique_today == 1
    assert hit(registered, "b", DAY_ONE).unique_today == 2
    assert hit(registered, "a", DAY_ONE).unique_today == 2
    day_two = hit(registered, "a", DAY_TWO)
    assert (day_two.views, day_two.site_views, day_two.unique_today) == (4, 4, 1)
    assert (
        counter.read_counts(registered, COUNTER_TABLE, "/posts/hello/", now=DAY_TWO).unique_today
        == 1
    )
    # both days stay on the site item, each with its views and unique visitors
    site = counter_table_items(registered)["site"]
    assert set(site) == {
        "pk", "views", "d20250314", "u20250314", "d20250315", "u20250315", "m202503", "y2025"
    }
    assert {name: int(site[name]["N"]) for name in ("d20250314", "u20250314", "u20250315")} == {
        "d20250314": 3, "u20250314": 2, "u20250315": 1
    }


def test_a_new_visitor_in_a_local_timezone_counts_on_the_utc_day(registered):
    evening_in_new_york = DAY_ONE.astimezone(timezone(timedelta(hours=-5)))
    hit(registered, "a", evening_in_new_york)
    assert "u20250314" in counter_table_items(registered)["site"]


def test_visitor_markers_expire_after_their_day(registered):
    hit(registered, "a", DAY_ONE)
    markers = {
        pk: item
        for pk, item in counter_table_items(registered).items()
        if pk.startswith("visitor#")
    }
    assert list(markers) == ["visitor#2025-03-14#a"]
    expires_at = int(markers["visitor#2025-03-14#a"]["expires_at"]["N"])
    end_of_day = datetime(2025, 3, 15, tzinfo=UTC).timestamp()
    assert end_of_day < expires_at <= end_of_day + 2 * 3600


def test_a_hit_without_visitor_counts_the_view_only(registered):
    counts = hit(registered, None, DAY_ONE)
    assert (counts.views, counts.site_views, counts.unique_today) == (1, 1, 0)
    assert not [pk for pk in counter_table_items(registered) if pk.startswith("visitor#")]


def test_an_unknown_page_raises_and_writes_nothing(registered):
    before = counter_table_items(registered)
    with pytest.raises(counter.UnknownPage):
        counter.record_hit(registered, COUNTER_TABLE, "/nope/", visitor="a", now=DAY_ONE)
    with pytest.raises(counter.UnknownPage):
        counter.read_counts(registered, COUNTER_TABLE, "/nope/", now=DAY_ONE)
    assert counter_table_items(registered) == before


def test_a_throttled_marker_write_undoes_the_page_view(registered):
    hit(registered, "a", DAY_ONE)
    inject_error(
        registered,
        "UpdateItem",
        "ProvisionedThroughputExceededException",
        when=lambda params: params["Key"]["pk"]["S"].startswith("visitor#"),
        times=1,
    )
    with pytest.raises(counter.StoreUnavailable) as raised:
        hit(registered, "b", DAY_ONE)
    assert raised.value.rolled_back is True
    assert str(raised.value) == "ProvisionedThroughputExceededException"
    assert counter_views(registered, "page#/posts/hello/") == 1
    assert counter_views(registered, "site") == 1


# --- visitor identity ---------------------------------------------------------------------


def test_the_visitor_hash_is_stable_within_a_day_and_unlinkable_across_days():
    secret = b"deploy-secret"
    today, tomorrow = DAY_ONE.date(), DAY_TWO.date()
    same = {"site": "blog.example", "ip": "198.51.100.4", "user_agent": "Firefox/133"}
    first = visitor_hash(daily_salt(secret, today), **same)
    assert visitor_hash(daily_salt(secret, today), **same) == first
    assert visitor_hash(daily_salt(secret, tomorrow), **same) != first
    assert visitor_hash(daily_salt(b"other-secret", today), **same) != first
    assert visitor_hash(daily_salt(secret, today), **{**same, "site": "other.example"}) != first
    assert "198.51.100.4" not in first and len(first) == 32
