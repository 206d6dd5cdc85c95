"""Fixtures of the counter tests: the moto table, the handler pointed at it, a moto server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from moto import mock_aws

from shared import counter_table
from tests.counter.helpers import COUNTER_TABLE, counter_dynamodb_client, counter_test_settings
from tests.moto_servers import running_moto_server


@pytest.fixture
def counter_client() -> Iterator[object]:
    """A DynamoDB client on moto with the counter table created."""
    with mock_aws():
        client = counter_dynamodb_client()
        counter_table.create_table(client, COUNTER_TABLE)
        yield client


@pytest.fixture
def counter_handler():
    """The handler module; whatever a test configures is undone afterwards."""
    from counter_lambda import handler

    previous = handler.configure()
    yield handler
    handler.configure(**previous._asdict())


@pytest.fixture
def counter_api(counter_handler, counter_client):
    """The handler module pointed at the moto table."""
    counter_handler.configure(**counter_test_settings(counter_client))
    return counter_handler


@pytest.fixture
def counter_moto_server_url():
    """The URL of a moto server on a free port, serving DynamoDB over HTTP."""
    with running_moto_server() as url:
        yield url
