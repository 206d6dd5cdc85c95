"""The counter's hot path: one page view's ``POST /api/hits`` through the local edge (API Gateway
v2 event) into the real handler and on to moto's DynamoDB, against a direct ``UpdateItem``
(``ADD views :1`` on the same page item) sent by boto3 to the same moto server.

Both loops run one request at a time on loopback, for a bounded count after a short warm-up;
each hit comes from a loopback address of its own (a reader is known by address, and one address
adds at most a few views of a page a day). The DynamoDB requests of each hit are counted at the
moto server. The ratio is the time of one hit over the time of one ``UpdateItem``: what the edge,
the event, the handler and its extra requests cost on top of the single database call a counter
needs.

Then the same at an emulated DynamoDB round trip of 5 ms (the moto server holds every DynamoDB
request that long, as a Lambda sees DynamoDB in its region), for a reader's first hit of the day
and for the same reader's second: both are two round trips (the reader's day marker first,
since whether anything is added depends on its answer, then the page and the site together),
against the bare ``UpdateItem`` at the same RTT; and the Lambda's billed duration per new
reader's hit: the handler's own time from its log line, rounded up to the millisecond as Lambda
bills, at 128 MB.

Run alone: ``python -m bench.counter_hot_path [--quick] [--hits N]``.
"""

from __future__ import annotations

import http.client
import io
import json
import math
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import redirect_stdout
from pathlib import Path
from urllib.parse import urlsplit

from bench.cli import run_alone
from bench.moto_server import describe_rtt, local_stack
from bench.table import Row

QUICK = {"hits": 100}
FULL = {"hits": 1000}
WARM_UP = 10
MAX_REQUESTS_PER_HIT = 3  # docs/architecture.md: the hot path makes at most 3 requests
DYNAMODB_RTT = {"dynamodb": 0.005}
RTT_GOAL = 1.5  # issue 18: a hit at most 1.5x one bare UpdateItem at the same RTT
LAMBDA_GB = 128 / 1024
LAMBDA_ARM_PRICE_PER_GB_SECOND = 0.0000133334  # us-east-1, docs/deploy.md
# A browser's user agent: the handler does not count empty or crawler user agents.
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36"


def _post_hits(edge_url: str, page_key: str, readers: list[str]) -> None:
    """One hit from each of ``readers``, one at a time, each from its own loopback address: the
    handler knows a reader by address and counts at most a few views of a page from one a day
    (docs/faults.md), so a reader's hit is counted only within that limit."""
    split = urlsplit(edge_url)
    body = json.dumps({"path": page_key})
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
    for address in readers:
        connection = http.client.HTTPConnection(split.hostname, split.port, timeout=30, source_address=(address, 0))
        try:
            connection.request("POST", "/api/hits", body=body, headers=headers)
            response = connection.getresponse()
            answer = response.read()
            if response.status != 200:
                raise RuntimeError(f"POST /api/hits answered {response.status}: {answer[:200]!r}")
        finally:
            connection.close()


def _loopback_addresses() -> Iterator[str]:
    """127.1.0.1, 127.1.0.2, ...: Linux answers the whole of 127/8 on loopback."""
    for number in range(1, 256 * 256 * 254):
        yield f"127.{1 + number // 65536}.{number // 256 % 256}.{number % 256}"


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


def _timed(send, count: int) -> float:
    started = time.perf_counter()
    send(count)
    return (time.perf_counter() - started) / count


def _timed_with_moto_cpu(moto, send, count: int) -> tuple[float, float | None]:
    """Seconds per call, and moto's own CPU seconds per call (None where it cannot be read)."""
    before = moto.cpu_seconds()
    seconds = _timed(send, count)
    after = moto.cpu_seconds()
    return seconds, None if before is None or after is None else (after - before) / count


def _handler_milliseconds(log: str) -> list[float]:
    return [json.loads(line)["latency_ms"] for line in log.splitlines() if '"latency_ms"' in line]


def run(hits: int) -> list[Row]:
    rtt_hits = max(5, hits // 5)  # each costs milliseconds of emulated network
    with tempfile.TemporaryDirectory(prefix="bench-hot-path-") as scratch:
        with local_stack(Path(scratch) / "output") as (moto, stack):
            keys = json.loads((stack.output_dir / "counter-pages.json").read_text(encoding="utf-8"))
            page_key = next(k for k in keys if k.startswith("/posts/"))
            dynamodb = moto.client("dynamodb")
            table = stack.names.table

            addresses = _loopback_addresses()
            # The readers whose first hit of the day was timed, in order, for their second hit.
            seen: list[str] = []

            def new_readers(count):
                readers = [next(addresses) for _ in range(count)]
                seen.extend(readers)
                _post_hits(stack.url, page_key, readers)

            def returning_readers(count):
                returning = [seen.pop(0) for _ in range(count)]
                _post_hits(stack.url, page_key, returning)

            def updates(count):
                _update_items(dynamodb, table, page_key, count)

            # The handler logs one JSON line per request on stdout, as a Lambda does; keep them
            # (and their cost) out of the table, and read the handler's own time from them.
            handler_log = io.StringIO()
            with redirect_stdout(handler_log):
                new_readers(WARM_UP)
                updates(WARM_UP)
                seen.clear()
                with moto.measure() as traffic:
                    new_readers(hits)
                hit_seconds = _timed(returning_readers, hits)
                update_seconds = _timed(updates, hits)
                with moto.round_trip(DYNAMODB_RTT):
                    updates(2)
                    rtt_update_seconds, update_moto = _timed_with_moto_cpu(moto, updates, rtt_hits)
                    mark = len(handler_log.getvalue())
                    rtt_new_seconds, new_moto = _timed_with_moto_cpu(moto, new_readers, rtt_hits)
                    new_reader_ms = _handler_milliseconds(handler_log.getvalue()[mark:])
                    rtt_returning_seconds, returning_moto = _timed_with_moto_cpu(moto, returning_readers, rtt_hits)
            views = int(
                dynamodb.get_item(TableName=table, Key={"pk": {"S": f"page#{page_key}"}})["Item"]["views"]["N"]
            )

    # every hit and every direct UpdateItem adds one
    expected_views = 2 * WARM_UP + 3 * hits + 2 + 3 * rtt_hits
    if views != expected_views:
        raise RuntimeError(f"the page counts {views} views after {expected_views} increments")
    per_hit = traffic.count("dynamodb") / hits
    operations = traffic.by_operation("dynamodb")
    breakdown = ", ".join(f"{name} {count / hits:g}" for name, count in operations.items())
    rtt = describe_rtt(DYNAMODB_RTT)
    anchor_rtt = f"direct UpdateItem at {rtt}: {rtt_update_seconds * 1000:.2f} ms"
    billed_ms = statistics.mean(math.ceil(ms) for ms in new_reader_ms)
    moto_rows = []
    if None not in (update_moto, new_moto, returning_moto):
        # moto's CPU per request is on the waiting path of every request (one at a time, or
        # side by side under one interpreter lock); a real DynamoDB answers in a few ms whatever
        # the expression. Less it, both sides keep their RTT, their client and the edge.
        for who, seconds, moto_seconds in (
            ("a new reader each hit", rtt_new_seconds, new_moto),
            ("a returning reader", rtt_returning_seconds, returning_moto),
        ):
            moto_rows.append(Row(
                f"Counter hot path at DynamoDB RTT {rtt}: time per hit less moto's own CPU, {who} ({rtt_hits:,})",
                f"{(seconds - moto_seconds) * 1000:.2f} ms ({seconds * 1000:.2f} ms, of which moto's CPU {moto_seconds * 1000:.2f} ms)",
                f"direct UpdateItem: {(rtt_update_seconds - update_moto) * 1000:.2f} ms "
                f"({rtt_update_seconds * 1000:.2f} ms, of which moto's CPU {update_moto * 1000:.2f} ms)",
                (seconds - moto_seconds) / (rtt_update_seconds - update_moto),
                "reported (no goal set)",
                None,
            ))
    cost_per_100k = 100_000 * LAMBDA_GB * billed_ms / 1000 * LAMBDA_ARM_PRICE_PER_GB_SECOND
    return [
        Row(
            "Counter hot path: DynamoDB requests per hit, a new reader each hit (counted at moto)",
            f"{per_hit:g} ({breakdown})",
            "direct UpdateItem: 1",
            per_hit,
            f"≤ {MAX_REQUESTS_PER_HIT} requests",
            per_hit <= MAX_REQUESTS_PER_HIT,
        ),
        Row(
            f"Counter hot path: time per hit, edge → handler → moto ({hits:,} sequential, RTT 0 ms)",
            f"{hit_seconds * 1000:.2f} ms ({1 / hit_seconds:,.0f} hits/s)",
            f"direct UpdateItem: {update_seconds * 1000:.2f} ms ({1 / update_seconds:,.0f}/s)",
            hit_seconds / update_seconds,
            "reported (no goal set)",
            None,
        ),
        Row.at_most(
            f"Counter hot path at DynamoDB RTT {rtt}: time per hit, a new reader each hit ({rtt_hits:,})",
            f"{rtt_new_seconds * 1000:.2f} ms (2 round trips)",
            anchor_rtt,
            rtt_new_seconds / rtt_update_seconds,
            RTT_GOAL,
        ),
        Row.at_most(
            f"Counter hot path at DynamoDB RTT {rtt}: time per hit, a returning reader ({rtt_hits:,})",
            f"{rtt_returning_seconds * 1000:.2f} ms (2 round trips: its marker decides what is added, then page and site)",
            anchor_rtt,
            rtt_returning_seconds / rtt_update_seconds,
            RTT_GOAL,
        ),
        Row(
            f"Counter hot path at DynamoDB RTT {rtt}: Lambda billed duration per new reader's hit (128 MB arm64)",
            f"{billed_ms:.1f} ms billed (handler {statistics.median(new_reader_ms):.1f} ms median): "
            f"${cost_per_100k:.4f} per 100k hits",
            f"direct UpdateItem: {rtt_update_seconds * 1000:.2f} ms",
            billed_ms / (rtt_update_seconds * 1000),
            "reported (no goal set)",
            None,
        ),
        *moto_rows,
    ]


if __name__ == "__main__":
    run_alone(run, QUICK, FULL, __doc__)
