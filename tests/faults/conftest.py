"""Fixtures of the fault tests: a moto server, and the fault proxy in front of it."""

from __future__ import annotations

import logging
import threading
import urllib.request
from collections.abc import Iterator

import pytest
from moto.server import ThreadedMotoServer

from deploy.targets import DEFAULT_REGION
from tests.faults.proxy import FaultPlan, FaultProxy


@pytest.fixture
def fault_env(monkeypatch):
    """Dummy credentials and the region, and no endpoint or profile from the environment."""
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "SITE_BUCKET", "DISTRIBUTION_ID", "COUNTER_TABLE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", DEFAULT_REGION)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def moto_url(fault_env) -> Iterator[str]:
    """A moto server of its own on a free port (S3, DynamoDB, CloudFront)."""
    werkzeug_log = logging.getLogger("werkzeug")
    level = werkzeug_log.level
    werkzeug_log.setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    yield url
    # moto's backends live in the process, not in the server: empty them for the next test.
    urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST"))
    server.stop()
    werkzeug_log.setLevel(level)


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
