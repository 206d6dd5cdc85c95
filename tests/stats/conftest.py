"""Fixtures of the stats tests: a moto counter table with a simulated stretch of traffic,
found by ``make stats`` through the environment as on a real machine."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from moto import mock_aws

from shared import counter_table
from tests.counter.helpers import COUNTER_TABLE, Traffic, counter_dynamodb_client, simulate_traffic

PAGES = ["/", "/posts/hello/", "/posts/dynamodb-costs/", "/about/", "/posts/quiet/"]
FIRST_DAY = date(2025, 1, 25)
DAYS = 35
TODAY = FIRST_DAY + timedelta(days=DAYS - 1)


@dataclass
class SimulatedTable:
    client: object
    traffic: Traffic
    today: date = TODAY


@pytest.fixture
def stats_environment(monkeypatch):
    """An empty counter table on moto, named by the environment the way make stats reads it."""
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COUNTER_TABLE", COUNTER_TABLE)
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        client = counter_dynamodb_client()
        counter_table.create_table(client, COUNTER_TABLE)
        yield client


@pytest.fixture
def simulated_table(stats_environment) -> SimulatedTable:
    """35 days of traffic on five pages (the last one never read), up to TODAY."""
    counter_table.register_pages(stats_environment, COUNTER_TABLE, PAGES)
    traffic = simulate_traffic(stats_environment, PAGES[:4], FIRST_DAY, DAYS, lambda i: 1 + i % 3)
    return SimulatedTable(stats_environment, traffic)
