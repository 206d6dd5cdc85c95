"""The bench's emulated round-trip time: every request of a service waits its RTT at the server,
parallel requests overlap, other services do not pay it, and it can change between measurements."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from bench.moto_server import CountingMotoServer, describe_rtt

BUCKET = "bench-rtt"
RTT = 0.1


@pytest.fixture(scope="module")
def moto():
    with CountingMotoServer() as server:
        server.client("s3").create_bucket(Bucket=BUCKET)
        yield server


def _timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def test_each_request_of_a_service_waits_its_rtt(moto):
    s3 = moto.client("s3")
    with moto.round_trip({"s3": RTT}), moto.measure() as traffic:
        seconds = _timed(lambda: [s3.head_bucket(Bucket=BUCKET) for _ in range(4)])
    assert traffic.count("s3") == 4
    assert seconds >= 4 * RTT


def test_parallel_requests_overlap(moto):
    s3 = moto.client("s3")
    with moto.round_trip({"s3": RTT}), ThreadPoolExecutor(8) as pool:
        seconds = _timed(lambda: list(pool.map(lambda _: s3.head_bucket(Bucket=BUCKET), range(8))))
    assert RTT <= seconds < 8 * RTT


def test_the_rtt_is_per_service_and_ends_with_the_block(moto):
    s3, dynamodb = moto.client("s3"), moto.client("dynamodb")
    with moto.round_trip({"dynamodb": 5.0}):
        assert _timed(lambda: s3.head_bucket(Bucket=BUCKET)) < 5.0
    assert moto.rtt == {}
    assert _timed(lambda: dynamodb.list_tables()) < 5.0


def test_a_bad_rtt_is_refused_and_the_table_states_the_one_used():
    with pytest.raises(ValueError, match="s3"):
        CountingMotoServer(rtt={"s3": -1})
    assert describe_rtt({}) == "0 ms"
    assert describe_rtt({"s3": 0.030, "cloudfront": 0.030, "dynamodb": 0}) == "s3 30 ms, cloudfront 30 ms"


def test_a_request_waiting_for_100_continue_pays_a_second_round_trip(moto):
    s3 = moto.client("s3")  # boto3 sends every PutObject with "Expect: 100-continue"
    with moto.round_trip({"s3": RTT}):
        waited = _timed(lambda: s3.put_object(Bucket=BUCKET, Key="page.html", Body=b"<p>hello</p>"))
        plain = _timed(lambda: s3.head_object(Bucket=BUCKET, Key="page.html"))
    # Lower bounds only: the server's sleeps guarantee them, a loaded machine only adds to them.
    assert waited >= 2 * RTT
    assert plain >= RTT

