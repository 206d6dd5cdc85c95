"""What one reader can add to the counts through the local edge, and what many can: the local
stack applies the handler's per-client daily limits to the address the edge sees, as CloudFront
hands the reader's address to the Lambda in production. Loopback has a whole /8, so each
simulated reader connects from an address of its own."""

from __future__ import annotations

import http.client
import json

import pytest

from counter_lambda.counter import CLIENT_LIMITS
from tests.devstack.conftest import EDGE_PAGES


def post_from(edge, source_ip: str, page: str, user_agent: str) -> dict:
    host, port = edge.server_address[:2]
    connection = http.client.HTTPConnection(host, port, timeout=10, source_address=(source_ip, 0))
    try:
        body = json.dumps({"path": page})
        headers = {"Content-Type": "application/json", "User-Agent": user_agent}
        connection.request("POST", "/api/hits", body=body, headers=headers)
        response = connection.getresponse()
        assert response.status == 200
        return json.loads(response.read())
    finally:
        connection.close()


# 200 hits over HTTP through the edge and moto: tens of seconds on a loaded machine.
pytestmark = pytest.mark.slow


def browser(number: int) -> str:
    return f"Mozilla/5.0 (X11; Linux x86_64; rv:{number}.0) Gecko/20100101 Firefox/{number}.0"


def test_one_reader_rotating_user_agents_adds_its_limits_and_many_readers_each_count(edge):
    last = {}
    for number in range(100):
        last = post_from(edge, "127.0.0.1", EDGE_PAGES[number % 2], browser(number))
    one_reader = {"views per page": last["views"], "site views": last["site_views"], "unique": last["unique_today"]}
    assert one_reader == {
        "views per page": CLIENT_LIMITS.page,
        "site views": CLIENT_LIMITS.page * len(EDGE_PAGES),
        "unique": CLIENT_LIMITS.visitors,
    }
    readers = [f"127.0.1.{number}" for number in range(1, 21)]
    for reader in readers:
        for number in range(5):
            last = post_from(edge, reader, EDGE_PAGES[0], browser(number))
    added = {"views of the page": last["views"] - one_reader["views per page"],
             "unique": last["unique_today"] - one_reader["unique"]}
    assert added == {"views of the page": len(readers) * CLIENT_LIMITS.page, "unique": len(readers) * CLIENT_LIMITS.page}
    print(json.dumps({"one reader, 100 user agents, 100 hits": one_reader, "20 readers, 5 hits each": added}))
