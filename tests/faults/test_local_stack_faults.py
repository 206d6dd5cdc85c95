"""The local stack's counter behind the fault proxy: a hung DynamoDB answers 503 within the
local client's time budget, as in AWS within the handler's (it used to wait out botocore's
60 s default twice)."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import pytest

from counter_lambda import handler
from shared import counter_table
from devstack.stack import LOCAL_CLIENT_CONFIG, DevStack


@pytest.fixture
def local_stack(faults, tmp_path):
    site = tmp_path / "output"
    (site / "posts" / "hello").mkdir(parents=True)
    (site / "index.html").write_text("<!doctype html><title>home</title>")
    (site / "posts" / "hello" / "index.html").write_text("<!doctype html><title>hello</title>")
    stack = DevStack(port=0, endpoint_url=faults.url, build=False, output_dir=site)
    previous = handler.configure()
    stack.start()
    # A hand-written site has no page manifest: register its page as publish would.
    counter_table.register_pages(stack.dynamodb, stack.names.table, ["/posts/hello/"])
    yield stack
    stack.stop()
    handler.configure(**previous._asdict())


def hit(url: str, page: str) -> tuple[int, dict, float]:
    request = urllib.request.Request(
        f"{url}/api/hits", data=json.dumps({"path": page}).encode(), method="POST",
        headers={"Content-Type": "application/json", "User-Agent": "Mozilla/5.0 Firefox/133.0"},
    )
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), time.monotonic() - started
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), time.monotonic() - started


@pytest.mark.slow
def test_a_hung_table_answers_503_within_the_budget_locally(local_stack, faults):
    assert hit(local_stack.url, "/posts/hello/")[0] == 200
    faults.arm("hang", lambda seen: seen.dynamodb_operation == "UpdateItem", times=None)
    status, headers, elapsed = hit(local_stack.url, "/posts/hello/")
    assert status == 503
    assert headers["Retry-After"] == str(handler.RETRY_AFTER_SECONDS)
    assert elapsed <= handler.time_budget_seconds(LOCAL_CLIENT_CONFIG)
