"""Fixtures and helpers shared by the counter tests (imported explicitly by those modules).

Everything talks to moto's real DynamoDB emulation; faults are injected at botocore's own
``before-call`` hook, the point where botocore's Stubber works, so the code under test sees
the exact exception botocore raises for a real DynamoDB error answer.
"""

from __future__ import annotations

import json
import logging
import threading
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.config import Config
from moto import mock_aws
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from moto.server import ThreadedMotoServer
from werkzeug.serving import make_server

from counter_lambda import counter, tables

COUNTER_TABLE = "blog-counter-test"
REGION = "us-east-1"


def counter_dynamodb_client(endpoint_url: str | None = None, **config: object) -> object:
    return boto3.client(
        "dynamodb",
        region_name=REGION,
        endpoint_url=endpoint_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(**config) if config else None,
    )


@pytest.fixture
def counter_client() -> Iterator[object]:
    """A DynamoDB client on moto with the counter table created."""
    with mock_aws():
        client = counter_dynamodb_client()
        tables.create_table(client, COUNTER_TABLE)
        yield client


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


@pytest.fixture
def counter_handler():
    """The handler module; whatever a test configures is undone afterwards."""
    from counter_lambda import handler

    previous = handler.configure()
    yield handler
    handler.configure(**previous._asdict())


def counter_test_settings(client) -> dict:
    return {
        "client": client,
        "table_name": COUNTER_TABLE,
        "site_name": "test-site",
        "origin_verify_secret": None,
        "visitor_secret": b"test-visitor-secret",
    }


@pytest.fixture
def counter_api(counter_handler, counter_client):
    """The handler module pointed at the moto table."""
    counter_handler.configure(**counter_test_settings(counter_client))
    return counter_handler


def counter_answer(response: dict) -> tuple[int, dict]:
    return response["statusCode"], json.loads(response["body"])


class SerialisedMotoServer(ThreadedMotoServer):
    """moto's threaded server, answering one request at a time.

    DynamoDB applies the writes to one item one after another, so an ``ADD`` is atomic.
    moto's ``UpdateItem`` reads the item, computes and writes it back without a lock, and
    serialises the returned item after the update, so two concurrent ``ADD`` requests
    can lose one (observed here: a site total of 2,199 after 2,200 hits). One request at a
    time restores DynamoDB's per-item guarantee and nothing more: a read-then-write counter
    still loses updates, because its read and its write are two requests.
    """

    def _server_entry(self) -> None:
        moto_app = DomainDispatcherApplication(create_backend_app)
        one_at_a_time = threading.Lock()

        def serialised_app(environ, start_response):
            with one_at_a_time:
                return list(moto_app(environ, start_response))

        self._server = make_server(
            self._ip_address,
            self._port,
            serialised_app,
            threaded=True,
            request_handler=MotoRequestHandler,
        )
        self._server_ready_event.set()
        self._server.serve_forever()


@pytest.fixture
def counter_moto_server_url():
    """The URL of a moto server on a free port, serving DynamoDB over HTTP."""
    # one werkzeug access-log line per request would dominate the run time
    werkzeug_log = logging.getLogger("werkzeug")
    level = werkzeug_log.level
    werkzeug_log.setLevel(logging.WARNING)
    server = SerialisedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    yield url
    urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST"))
    server.stop()
    werkzeug_log.setLevel(level)
