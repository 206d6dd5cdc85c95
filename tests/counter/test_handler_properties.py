"""Arbitrary events and bodies thrown at the handler (hypothesis), against moto.

Properties: the handler never raises; it never answers 5xx unless DynamoDB fails (injected);
a request it rejects writes nothing; counts never move on a failure.
"""

from __future__ import annotations

import copy
import json
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import event as note_outcome
from hypothesis import strategies as st

from shared import counter_table
from tests.counter.helpers import (
    COUNTER_TABLE,
    counter_event,
    counter_table_items,
    inject_error,
)

REGISTERED = ["/", "/posts/hello/", "/about/", "/tags/aws/"]
SUCCESS_OUTCOMES = {"counted", "read", "crawler not counted", "client over its daily limit, not counted"}

json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
page_paths = (
    st.sampled_from(REGISTERED)
    | st.sampled_from(["/posts/hello/index.html", "//about//", "/posts/../about/", "about/"])
    | st.text(max_size=40).map(lambda text: "/" + text)
    | json_values
)
bodies = (
    st.builds(
        lambda path, extra: json.dumps({"path": path, **extra}),
        page_paths,
        st.dictionaries(st.text(max_size=5), json_scalars, max_size=2),
    )
    | st.builds(json.dumps, json_values)
    | st.text(max_size=60)
    | st.text(max_size=3000, alphabet="x")
    | st.none()
)
queries = (
    st.sampled_from(REGISTERED).map(lambda path: f"path={path}")
    | st.text(max_size=40)
    | st.builds(lambda a, b: f"path={a}&path={b}", st.text(max_size=5), st.text(max_size=5))
)
header_maps = st.fixed_dictionaries(
    {},
    optional={
        "content-type": st.sampled_from(
            ["application/json", "text/plain", "application/json; charset=utf-8", ""]
        )
        | st.text(max_size=20),
        "user-agent": st.sampled_from(
            ["Mozilla/5.0 Firefox/133.0", "Googlebot/2.1", "", "HeadlessChrome/131"]
        )
        | st.text(max_size=30),
        "x-origin-verify": st.text(max_size=10),
        "cloudfront-viewer-address": st.text(max_size=20),
    },
)
api_events = st.builds(
    lambda method, route, headers, query, body, b64, ip: {
        "version": "2.0",
        "rawPath": route,
        "rawQueryString": query,
        "headers": headers,
        "requestContext": {"http": {"method": method, "path": route, "sourceIp": ip}},
        "body": body,
        "isBase64Encoded": b64,
    },
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "OPTIONS", "HEAD", "get", "post"])
    | st.text(max_size=8),
    route=st.sampled_from(["/api/hits", "/api/hits/", "/", "/api/other"]) | st.text(max_size=20),
    headers=header_maps | json_values,
    query=queries | json_values,
    body=bodies | json_values,
    b64=st.booleans() | json_scalars,
    ip=st.sampled_from(["203.0.113.1", "2001:db8::1", ""]) | json_scalars,
)


def _valid_event(method, path, user_agent, ip):
    event = counter_event(method, ip=ip, user_agent=user_agent)
    if method == "POST":
        event["body"] = json.dumps({"path": path})
        event["headers"]["content-type"] = "application/json"
    else:
        event["rawQueryString"] = urlencode({"path": path}) if isinstance(path, str) else ""
    return event


def _mutated(event, mutations):
    """``event`` with some fields replaced: ``(("headers", "content-type"), value)`` etc."""
    event = copy.deepcopy(event)
    for field_path, value in mutations:
        target = event
        for name in field_path[:-1]:
            if not isinstance(target.get(name), dict):
                target[name] = {}
            target = target[name]
        target[field_path[-1]] = value
    return event


MUTABLE_FIELDS = {
    ("body",): bodies | json_values,
    ("rawQueryString",): queries,
    ("rawPath",): st.sampled_from(["/api/hits/", "/api/hits?x", "/"]) | st.text(max_size=10),
    ("isBase64Encoded",): st.booleans() | json_scalars,
    ("headers",): header_maps | json_values,
    ("headers", "content-type"): st.sampled_from(["text/plain", "application/json;x", ""])
    | st.text(max_size=20),
    ("headers", "user-agent"): st.sampled_from(["", "Googlebot/2.1", "curl/8"])
    | st.text(max_size=20),
    ("requestContext", "http", "method"): st.sampled_from(["PUT", "HEAD", "get"]) | json_scalars,
    ("requestContext", "http", "sourceIp"): json_scalars,
    ("requestContext",): json_values,
}
mutations = st.lists(
    st.sampled_from(sorted(MUTABLE_FIELDS)).flatmap(
        lambda field: st.tuples(st.just(field), MUTABLE_FIELDS[field])
    ),
    max_size=2,
)
valid_events = st.builds(
    _valid_event,
    method=st.sampled_from(["GET", "POST"]),
    path=st.sampled_from(REGISTERED) | page_paths,
    user_agent=st.sampled_from(
        ["Mozilla/5.0 Firefox/133.0", "HeadlessChrome/131", "Googlebot/2.1", ""]
    ),
    ip=st.sampled_from(["203.0.113.1", "203.0.113.2", "2001:db8::1"]),
)
# Mostly near-valid events (so every check is reached), then API-shaped and shapeless ones.
near_valid_events = st.builds(_mutated, valid_events, mutations)
shapeless_events = json_values | st.builds(
    lambda http: {"requestContext": {"http": http}, "rawPath": "/api/hits"}, json_values
)
any_events = st.integers(min_value=0, max_value=9).flatmap(
    lambda n: near_valid_events if n < 7 else api_events if n < 9 else shapeless_events
)

# How many examples: the Hypothesis profile (tests/conftest.py: 300 in `make test`, fewer in
# `make test-fast`).
property_settings = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def api(counter_api, counter_client):
    counter_table.register_pages(counter_client, COUNTER_TABLE, REGISTERED)
    return counter_api


def answer_of(api, event, capsys) -> tuple[dict, dict]:
    capsys.readouterr()
    response = api.handler(event, None)
    log_lines = capsys.readouterr().out.splitlines()
    assert len(log_lines) == 1
    log = json.loads(log_lines[0])
    note_outcome(f"{response['statusCode']} {log['outcome'].split(':')[0]}")
    return response, log


def assert_well_formed(response: dict) -> int:
    assert response["headers"]["Content-Type"] == "application/json"
    assert response["headers"]["Cache-Control"] == "no-store"
    assert isinstance(json.loads(response["body"]), dict)
    return response["statusCode"]


def assert_only_counts_moved_for_a_counted_hit(before: dict, after: dict, outcome: str) -> None:
    if outcome == "counted":
        return
    assert after == before, f"{outcome}: table changed"


@property_settings
@given(event=any_events)
def test_any_event_gets_a_json_answer_and_a_rejection_writes_nothing(
    api, counter_client, capsys, event
):
    before = counter_table_items(counter_client)
    response, log = answer_of(api, event, capsys)
    status = assert_well_formed(response)
    assert status < 500, log
    assert (status == 200) == (log["outcome"] in SUCCESS_OUTCOMES)
    assert_only_counts_moved_for_a_counted_hit(
        before, counter_table_items(counter_client), log["outcome"]
    )


@property_settings
@given(event=any_events, origin_secret=st.text(min_size=1, max_size=10), present_it=st.booleans())
def test_with_the_origin_check_only_the_secret_gets_through(
    api, counter_client, capsys, event, origin_secret, present_it
):
    api.configure(origin_verify_secret=origin_secret)
    if present_it and isinstance(event, dict) and isinstance(event.get("headers"), dict):
        event["headers"]["x-origin-verify"] = origin_secret
    before = counter_table_items(counter_client)
    response, log = answer_of(api, event, capsys)
    status = assert_well_formed(response)
    assert status < 500
    headers = event.get("headers") if isinstance(event, dict) else None
    presented = headers.get("x-origin-verify") if isinstance(headers, dict) else None
    if status not in (400, 403):
        assert presented == origin_secret
    assert_only_counts_moved_for_a_counted_hit(
        before, counter_table_items(counter_client), log["outcome"]
    )


def views_of(items: dict) -> dict:
    return {pk: item.get("views") for pk, item in items.items() if "views" in item}


@property_settings
@given(
    event=any_events,
    operation=st.sampled_from(["UpdateItem", "BatchGetItem"]),
    code=st.sampled_from(
        [
            "ProvisionedThroughputExceededException",
            "ThrottlingException",
            "RequestLimitExceeded",
            "InternalServerError",
        ]
    ),
    failing_call=st.integers(min_value=1, max_value=3),
)
def test_an_injected_dynamodb_failure_is_the_only_way_to_a_5xx(
    api, counter_client, capsys, event, operation, code, failing_call
):
    calls = {"n": 0}

    def nth_call(_params):
        calls["n"] += 1
        return calls["n"] == failing_call

    stop_failing = inject_error(counter_client, operation, code, when=nth_call, times=1)
    before = counter_table_items(counter_client)
    try:
        response, log = answer_of(api, event, capsys)
    finally:
        stop_failing()
    status = assert_well_formed(response)
    after = counter_table_items(counter_client)
    if status >= 500:
        assert calls["n"] >= failing_call, "5xx without a DynamoDB failure"
        assert status == 503 and response["headers"]["Retry-After"]
        assert views_of(after) == views_of(before)
    else:
        assert_only_counts_moved_for_a_counted_hit(before, after, log["outcome"])
