"""Fixtures of the fault tests: a moto server, and the fault proxy in front of it."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from tests.faults.proxy import FaultPlan, FaultProxy
from tests.moto_servers import running_moto_server


@pytest.fixture
def moto_url(aws_env) -> Iterator[str]:
    """A moto server of its own on a free port (S3, DynamoDB, CloudFront)."""
    with running_moto_server() as url:
        yield url


@pytest.fixture
def faults(moto_url) -> Iterator[FaultPlan]:
    """The plan of faults the proxy applies; tests arm rules on it (see tests.faults.proxy)."""
    plan = FaultPlan()
    proxy = FaultProxy(moto_url, plan)
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    plan.url = proxy.url
    yield plan
    proxy.close()
    thread.join(5)
