"""The stats role in terraform/stats.tf grants exactly the DynamoDB calls `make stats` makes:
recorded from a real run against moto, so a new call in the code fails here until the role
allows it, and a right the code no longer uses fails here until it is removed."""

from __future__ import annotations

from datetime import UTC, datetime

from counter_lambda import counter
from shared import counter_table
from stats import cli as stats_cli
from stats.cli import StatsRequest, run_stats
from tests.counter.helpers import COUNTER_TABLE
from tests.terraform import terraform_checks as checks


def test_the_stats_role_allows_exactly_the_calls_make_stats_makes(stats_environment, monkeypatch, capsys):
    counter_table.register_pages(stats_environment, COUNTER_TABLE, ["/", "/posts/one/"])
    counter.record_hit(stats_environment, COUNTER_TABLE, "/posts/one/", visitor="v", now=datetime.now(UTC))

    operations: set[str] = set()
    make_client = stats_cli.dynamodb_client

    def recorded_client(*args, **kwargs):
        client = make_client(*args, **kwargs)
        client.meta.events.register(
            "before-call.dynamodb", lambda model, **_: operations.add(f"dynamodb:{model.name}")
        )
        return client

    monkeypatch.setattr(stats_cli, "dynamodb_client", recorded_client)
    for fmt in ("text", "json", "csv"):
        assert run_stats(StatsRequest(format=fmt)) == 0, capsys.readouterr().err
    assert run_stats(StatsRequest(page="/posts/one/")) == 0, capsys.readouterr().err
    assert operations, "make stats made no DynamoDB call: the recorder is not attached"

    config = checks.load(checks.TERRAFORM)
    [statement] = config.data[("aws_iam_policy_document", "stats_reader")]["statement"]
    granted = {checks.literal(action) for action in statement["actions"]}
    assert granted == operations
