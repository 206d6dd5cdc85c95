"""Fixtures of the offline stack's tests: the local edge on a moto bucket, a foreign endpoint."""

from __future__ import annotations

import pytest
from moto import mock_aws
from moto.server import ThreadedMotoServer

from devstack.edge import SiteOrigin, start_edge
from devstack.provision import StackNames, provision
from shared.edge_rules import LiveEdgeRules, edge_rules_from

NAMES = StackNames()
# What the edge fixture's bucket holds: key -> (body, Content-Type, Cache-Control).
EDGE_OBJECTS = {
    "index.html": ("<h1>home</h1>", "text/html; charset=utf-8", "no-cache"),
    "posts/hello/index.html": ("<h1>hello</h1>", "text/html; charset=utf-8", "no-cache"),
    "404.html": ("<h1>Page not found</h1>", "text/html; charset=utf-8", "no-cache"),
    "js/counter.0123456789.js": ("/* js */", "text/javascript; charset=utf-8", "public, max-age=31536000, immutable"),
}
EDGE_PAGES = ["/", "/posts/hello/"]


@pytest.fixture
def edge(monkeypatch, tmp_path):
    """The local edge on a free port in front of a moto bucket holding EDGE_OBJECTS and the
    real counter handler (EDGE_PAGES registered); ``edge.events`` lists what the handler got."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", NAMES.region)
    with mock_aws():
        from counter_lambda import handler as counter_handler
        from shared.counter_table import register_pages

        site = provision(NAMES)
        for key, (body, content_type, cache) in EDGE_OBJECTS.items():
            site.s3.put_object(Bucket=NAMES.bucket, Key=key, Body=body.encode(), ContentType=content_type, CacheControl=cache)
        register_pages(site.dynamodb, NAMES.table, EDGE_PAGES)
        counter_handler.configure(client=site.dynamodb, table_name=NAMES.table)
        events = []

        def recording_handler(event, context):
            events.append(event)
            return counter_handler.handler(event, context)

        # The project's rules without the author's files at the project root.
        rules = LiveEdgeRules(redirects_file=tmp_path / "redirects.json", csp_file=tmp_path / "csp.json")
        server, _ = start_edge("127.0.0.1", 0, SiteOrigin(site.s3, NAMES.bucket), recording_handler, rules=rules)
        server.events = events
        yield server
        server.shutdown()
        server.server_close()


@pytest.fixture
def external_endpoint():
    """An AWS-compatible endpoint the stack did not start (as LocalStack or DynamoDB Local would be)."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(scope="session")
def distribution_headers() -> dict[str, str]:
    """Every header the response-headers policy adds with the project's rules and no author
    additions: what the edge fixture sends."""
    return edge_rules_from({}, {}).security_headers()
