"""Publish behind the fault proxy: a transient S3 fault is retried and the publish succeeds;
a lasting one stops it with one error line, and a re-run converges. No object is lost."""

from __future__ import annotations

import time

import boto3
import pytest

from shared.counter_table import create_table
from deploy.publish import PublishOptions, publish
from deploy.remote import AWS_ERRORS, CONNECT_TIMEOUT_SECONDS, MAX_ATTEMPTS, READ_TIMEOUT_SECONDS, PublishError
from shared.aws import describe_error
from shared.targets import DEFAULT_REGION
from tests.faults.proxy import Seen
from tests.publish.helpers import BUCKET, TABLE, snapshot, write_site

pytestmark = pytest.mark.slow  # a lasting SlowDown waits out botocore's throttling backoff: ~30 s


@pytest.fixture
def site(tmp_path, moto_url):
    """A built site and its empty bucket and counter table, set up directly on moto."""
    boto3.client("s3", region_name=DEFAULT_REGION, endpoint_url=moto_url).create_bucket(Bucket=BUCKET)
    create_table(boto3.client("dynamodb", region_name=DEFAULT_REGION, endpoint_url=moto_url), TABLE)
    return write_site(tmp_path / "output")


def bucket_contents(moto_url) -> dict[str, bytes]:
    s3 = boto3.client("s3", region_name=DEFAULT_REGION, endpoint_url=moto_url)
    keys = [o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET)
            for o in page.get("Contents", [])]
    return {key: s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() for key in keys}


def publish_through(faults, site, **options) -> tuple[str, float]:
    """Publish via the proxy: "ok", or the one error line the command would print."""
    started = time.monotonic()
    try:
        publish(site, BUCKET, table=TABLE, endpoint_url=faults.url, region=DEFAULT_REGION,
                options=PublishOptions(invalidate=False, **options), echo=lambda _line: None)
        outcome = "ok"
    except PublishError as error:
        outcome = f"error: {error}"
    except AWS_ERRORS as error:
        outcome = f"error: {describe_error(error)}"
    return outcome, time.monotonic() - started


def put_object(seen: Seen) -> bool:
    return seen.method == "PUT" and not seen.is_dynamodb and "index.html" in seen.path


def s3_request(seen: Seen) -> bool:
    return not seen.is_dynamodb


def registration(seen: Seen) -> bool:
    return seen.dynamodb_operation in ("BatchWriteItem", "PutItem", "UpdateItem")


def assert_published(moto_url, site) -> None:
    stored = bucket_contents(moto_url)
    for key, data in snapshot(site).items():
        assert stored.get(key) == data, key


TRANSIENT = {
    "reset, page upload": ("reset", put_object, 1),
    "throttle (SlowDown), page upload": ("throttle", put_object, 2),
    "5xx, page upload": ("error", put_object, 2),
    "throttle, page registration": ("throttle", registration, 1),
    "slow, every S3 request": ("slow", s3_request, None),
}


@pytest.mark.parametrize("fault, when, times", TRANSIENT.values(), ids=TRANSIENT.keys())
def test_a_transient_fault_is_retried_and_the_publish_succeeds(faults, moto_url, site, fault, when, times):
    faults.arm(fault, when, times=times, delay=0.05)
    outcome, _ = publish_through(faults, site)
    assert outcome == "ok", faults.story()
    assert_published(moto_url, site)


LASTING = {
    "reset, page upload": ("reset", put_object),
    "throttle (SlowDown), page upload": ("throttle", put_object),
    "5xx, page upload": ("error", put_object),
    "5xx, page registration": ("error", registration),
}


@pytest.mark.parametrize("fault, when", LASTING.values(), ids=LASTING.keys())
def test_a_lasting_fault_is_one_line_and_a_rerun_converges(faults, moto_url, site, fault, when):
    faults.arm(fault, when, times=None)
    outcome, _ = publish_through(faults, site)
    assert outcome.startswith("error: ") and "\n" not in outcome, outcome
    faults.clear()
    assert publish_through(faults, site)[0] == "ok"
    assert_published(moto_url, site)


# botocore's standard retry mode sleeps at most 1 + 2 + 4 + 8 s between five attempts.
STANDARD_BACKOFF_CEILING = sum(2**attempt for attempt in range(MAX_ATTEMPTS - 1))


def test_a_hung_request_costs_one_read_timeout_and_the_publish_succeeds(faults, moto_url, site):
    faults.arm("hang", put_object, times=1)
    outcome, seconds = publish_through(faults, site, read_timeout=1)
    assert outcome == "ok", faults.story()
    assert_published(moto_url, site)
    assert seconds < 1 + STANDARD_BACKOFF_CEILING, faults.story()


def test_a_lasting_hang_is_one_line_within_the_budget_and_a_rerun_converges(faults, moto_url, site):
    faults.arm("hang", put_object, times=None)
    outcome, seconds = publish_through(faults, site, read_timeout=1)
    assert outcome.startswith("error: ") and "\n" not in outcome, outcome
    assert seconds < MAX_ATTEMPTS * 1 + STANDARD_BACKOFF_CEILING + 5, faults.story()
    faults.clear()
    assert publish_through(faults, site, read_timeout=1)[0] == "ok"
    assert_published(moto_url, site)


def test_the_default_budget_of_a_hung_publish_request_is_minutes_not_ten():
    # botocore's defaults were 60 s to connect and 60 s per read: 5 attempts, 10 minutes.
    worst = MAX_ATTEMPTS * (CONNECT_TIMEOUT_SECONDS + READ_TIMEOUT_SECONDS) + STANDARD_BACKOFF_CEILING
    assert worst <= 150
