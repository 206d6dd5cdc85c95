"""Helpers the counter tests share: clients, events, fault injection, table reads.

Everything talks to moto's real DynamoDB emulation; faults are injected at botocore's own
``before-call`` hook, the point where botocore's Stubber works, so the code under test sees
the exact exception botocore raises for a real DynamoDB error answer.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable

import boto3
from botocore.awsrequest import AWSResponse
from botocore.config import Config

from shared.targets import DEFAULT_REGION

COUNTER_TABLE = "blog-counter-test"


def counter_dynamodb_client(endpoint_url: str | None = None, **config: object) -> object:
    return boto3.client(
        "dynamodb",
        region_name=DEFAULT_REGION,
        endpoint_url=endpoint_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(**config) if config else None,
    )


class RequestLog:
    """Counts the DynamoDB API calls a client makes: one per call, whatever the retries,
    injected failures included (``after-call`` fires for answered and short-circuited calls)."""

    def __init__(self, client) -> None:
        self.calls: list[str] = []
        client.meta.events.register("after-call.dynamodb", self._record)

    def _record(self, model, **_) -> None:
        self.calls.append(model.name)

    def clear(self) -> None:
        self.calls.clear()

    @property
    def by_operation(self) -> Counter:
        return Counter(self.calls)


def request_params(params: dict) -> dict:
    """The API parameters of a serialised DynamoDB (JSON protocol) request."""
    return json.loads(params["body"] or b"{}")


def inject_error(
    client,
    operation: str,
    code: str,
    *,
    when: Callable[[dict], bool] = lambda _params: True,
    times: int | None = None,
    status: int = 400,
) -> Callable[[], None]:
    """Make ``operation`` fail with DynamoDB error ``code`` (nothing reaches moto) for the
    calls ``when`` accepts, at most ``times`` times; returns the function that stops it."""
    remaining = [times]

    def fail(model, params, **_):
        if model.name != operation or not when(request_params(params)):
            return None
        if remaining[0] is not None:
            if remaining[0] == 0:
                return None
            remaining[0] -= 1
        http = AWSResponse("https://dynamodb.invalid/", status, {}, None)
        return http, {
            "Error": {"Code": code, "Message": f"injected {code}"},
            "ResponseMetadata": {"HTTPStatusCode": status},
        }

    event_name = f"before-call.dynamodb.{operation}"
    client.meta.events.register_first(event_name, fail)
    return lambda: client.meta.events.unregister(event_name, fail)


def counter_table_items(client, table: str = COUNTER_TABLE) -> dict[str, dict]:
    """Every item of the table keyed by ``pk`` (a full scan; tests only)."""
    items: dict[str, dict] = {}
    for page in client.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
        for item in page["Items"]:
            items[item["pk"]["S"]] = item
    return items


def counter_views(client, pk: str, table: str = COUNTER_TABLE) -> int | None:
    item = client.get_item(TableName=table, Key={"pk": {"S": pk}}, ConsistentRead=True)
    if "Item" not in item:
        return None
    return int(item["Item"]["views"]["N"])


BROWSER_UA = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
VISITOR_IP = "203.0.113.7"


def counter_event(
    method: str = "POST",
    *,
    route: str = "/api/hits",
    body: str | None = None,
    path: str | None = None,
    query: str = "",
    headers: dict | None = None,
    ip: str = VISITOR_IP,
    user_agent: str = BROWSER_UA,
) -> dict:
    """An API Gateway HTTP API payload 2.0 event as the Lambda receives it."""
    if path is not None:
        body = json.dumps({"path": path})
    all_headers = {"user-agent": user_agent}
    if body is not None:
        all_headers["content-type"] = "application/json"
    all_headers.update(headers or {})
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": route,
        "rawQueryString": query,
        "headers": all_headers,
        "requestContext": {
            "http": {
                "method": method,
                "path": route,
                "protocol": "HTTP/1.1",
                "sourceIp": ip,
                "userAgent": user_agent,
            },
            "requestId": "test-request",
        },
        "body": body,
        "isBase64Encoded": False,
    }


def counter_test_settings(client) -> dict:
    return {
        "client": client,
        "table_name": COUNTER_TABLE,
        "site_name": "test-site",
        "origin_verify_secret": None,
        "visitor_secret": b"test-visitor-secret",
    }


def counter_answer(response: dict) -> tuple[int, dict]:
    return response["statusCode"], json.loads(response["body"])


class Traffic:
    """What a simulated stretch of days sent, tallied independently of the table."""

    def __init__(self) -> None:
        self.page_days: Counter = Counter()  # (page, date) -> views
        self.site_days: Counter = Counter()  # date -> views
        self.visitors: dict = {}  # date -> set of visitors

    def uniques(self, day) -> int:
        return len(self.visitors.get(day, ()))

    def page_views(self, page: str, days=None) -> int:
        return sum(v for (p, d), v in self.page_days.items() if p == page and (days is None or d in days))

    def site_month(self, month: str) -> int:
        return sum(v for d, v in self.site_days.items() if d.isoformat()[:7] == month)


def simulate_traffic(client, pages: list[str], first_day, days: int, hits_per_day, *, seed: int = 17,
                     table: str = COUNTER_TABLE) -> Traffic:
    """``days`` UTC days of hits through :func:`counter.record_hit` with an injected clock:
    ``hits_per_day(day_index)`` hits a day on pages drawn from ``pages`` (the first ones
    more often) by visitors drawn from a small daily crowd, several of them returning."""
    import random
    from datetime import UTC, datetime, time as clock_time, timedelta

    from counter_lambda import counter

    rng = random.Random(seed)
    traffic = Traffic()
    weights = [1 / (rank + 1) for rank in range(len(pages))]
    for index in range(days):
        day = first_day + timedelta(days=index)
        for number in range(hits_per_day(index)):
            page = rng.choices(pages, weights)[0]
            visitor = f"visitor-{rng.randrange(8)}"
            now = datetime.combine(day, clock_time(hour=number % 24, minute=number % 60), UTC)
            counter.record_hit(client, table, page, visitor=visitor, now=now)
            traffic.page_days[(page, day)] += 1
            traffic.site_days[day] += 1
            traffic.visitors.setdefault(day, set()).add(visitor)
    return traffic
