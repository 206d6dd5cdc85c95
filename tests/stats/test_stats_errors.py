"""`make stats` failures: one line on stderr, naming what to do."""

from __future__ import annotations

import socket

from stats.cli import StatsRequest, run_stats
from tests.counter.helpers import COUNTER_TABLE


def error_line(capsys, request: StatsRequest) -> str:
    assert run_stats(request) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and err.startswith("error: ")
    return err.strip()


def test_an_empty_table(stats_environment, capsys):
    assert "is empty" in error_line(capsys, StatsRequest())


def test_a_missing_table(stats_environment, capsys):
    line = error_line(capsys, StatsRequest(table="no-such-table"))
    assert line == "error: table no-such-table does not exist at AWS us-east-1"


def test_an_unreachable_endpoint(monkeypatch, capsys):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    line = error_line(capsys, StatsRequest(table=COUNTER_TABLE, endpoint_url=f"http://127.0.0.1:{port}"))
    assert line.startswith(f"error: cannot reach DynamoDB at http://127.0.0.1:{port}")


def test_no_table_named_anywhere(monkeypatch, capsys, tmp_path):
    monkeypatch.delenv("COUNTER_TABLE", raising=False)
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("PATH", str(tmp_path))  # no terraform to ask
    assert error_line(capsys, StatsRequest()).startswith("error: no counter table: pass --table, or set COUNTER_TABLE")


def test_an_unregistered_page(stats_environment, capsys):
    from shared import counter_table

    counter_table.register_pages(stats_environment, COUNTER_TABLE, ["/posts/hello/"])
    line = error_line(capsys, StatsRequest(page="/posts/nope/"))
    assert line == f"error: page /posts/nope/ is not registered in table {COUNTER_TABLE}"


def test_an_unreachable_aws_region_does_not_point_at_make_serve():
    from botocore.exceptions import EndpointConnectionError

    from stats.cli import describe_read_error

    error = EndpointConnectionError(endpoint_url="https://dynamodb.eu-west-1.amazonaws.com/")
    assert describe_read_error(error, "blog-counter", "AWS eu-west-1") == (
        "cannot reach DynamoDB at AWS eu-west-1 (is AWS_ENDPOINT_URL right?)"
    )
    local = describe_read_error(error, "blog-counter", "http://127.0.0.1:5000")
    assert "is `make serve` running?" in local
