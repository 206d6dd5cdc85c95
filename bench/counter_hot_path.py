"""The counter's hot path: one page view's ``POST /api/hits`` through the local edge (API Gateway
v2 event) into the real handler and on to moto's DynamoDB, against a direct ``UpdateItem``
(``ADD views :1`` on the same page item) sent by boto3 to the same moto server.

Both loops run one request at a time over a kept-alive connection on loopback, for a bounded
count after a short warm-up. The DynamoDB requests of each hit are counted at the moto server.
The ratio is the time of one hit over the time of one ``UpdateItem``: what the edge, the event,
the handler and its extra requests cost on top of the single database call a counter needs.

Run alone: ``python -m bench.counter_hot_path [--quick] [--hits N]``.
"""

from __future__ import annotations

import http.client
import json
import os
import tempfile
import time
from contextlib import redirect_stdout
from pathlib import Path
from urllib.parse import urlsplit

from bench.cli import run_alone
from bench.moto_server import local_stack
from bench.table import Row

QUICK = {"hits": 100}
FULL = {"hits": 1000}
WARM_UP = 10
MAX_REQUESTS_PER_HIT = 3  # docs/architecture.md: the hot path makes at most 3 requests
# A browser's user agent: the handler does not count empty or crawler user agents.
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36"


def _post_hits(edge_url: str, page_key: str, count: int) -> None:
    split = urlsplit(edge_url)
    connection = http.client.HTTPConnection(split.hostname, split.port, timeout=30)
    body = json.dumps({"path": page_key})
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
    try:
        for _ in range(count):
            connection.request("POST", "/api/hits", body=body, headers=headers)
            response = connection.getresponse()
            answer = response.read()
            if response.status != 200:
                raise RuntimeError(f"POST /api/hits answered {response.status}: {answer[:200]!r}")
    finally:
        connection.close()


def _update_items(dynamodb, table: str, page_key: str, count: int) -> None:
    for _ in range(count):
        dynamodb.update_item(
            TableName=table,
            Key={"pk": {"S": f"page#{page_key}"}},
            UpdateExpression="ADD #views :one",
            ExpressionAttributeNames={"#views": "views"},
            ExpressionAttributeValues={":one": {"N": "1"}},
            ReturnValues="UPDATED_NEW",
        )


def run(hits: int) -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="bench-hot-path-") as scratch:
        with local_stack(Path(scratch) / "output") as (moto, stack):
            keys = json.loads((stack.output_dir / "counter-pages.json").read_text(encoding="utf-8"))
            page_key = next(k for k in keys if k.startswith("/posts/"))
            dynamodb = moto.client("dynamodb")
            table = stack.names.table
            # The handler logs one JSON line per request on stdout, as a Lambda does; keep them
            # (and their cost) but out of the table.
            with open(os.devnull, "w") as devnull, redirect_stdout(devnull):
                _post_hits(stack.url, page_key, WARM_UP)
                _update_items(dynamodb, table, page_key, WARM_UP)
                with moto.measure() as traffic:
                    started = time.perf_counter()
                    _post_hits(stack.url, page_key, hits)
                    hit_seconds = (time.perf_counter() - started) / hits
                started = time.perf_counter()
                _update_items(dynamodb, table, page_key, hits)
                update_seconds = (time.perf_counter() - started) / hits
            views = int(
                dynamodb.get_item(TableName=table, Key={"pk": {"S": f"page#{page_key}"}})["Item"]["views"]["N"]
            )

    expected_views = 2 * (WARM_UP + hits)  # every hit and every direct UpdateItem adds one
    if views != expected_views:
        raise RuntimeError(f"the page counts {views} views after {expected_views} increments")
    per_hit = traffic.count("dynamodb") / hits
    operations = traffic.by_operation("dynamodb")
    breakdown = ", ".join(f"{name} {count / hits:g}" for name, count in operations.items())
    return [
        Row(
            "Counter hot path: DynamoDB requests per hit (counted at moto)",
            f"{per_hit:g} ({breakdown})",
            "direct UpdateItem: 1",
            per_hit,
            f"≤ {MAX_REQUESTS_PER_HIT} requests",
            per_hit <= MAX_REQUESTS_PER_HIT,
        ),
        Row(
            f"Counter hot path: time per hit, edge → handler → moto ({hits:,} sequential)",
            f"{hit_seconds * 1000:.2f} ms ({1 / hit_seconds:,.0f} hits/s)",
            f"direct UpdateItem: {update_seconds * 1000:.2f} ms ({1 / update_seconds:,.0f}/s)",
            hit_seconds / update_seconds,
            "reported (no goal set)",
            None,
        ),
    ]


if __name__ == "__main__":
    run_alone(run, QUICK, FULL, __doc__)
