"""The handler's worst case, derived from its DynamoDB client settings, fits the Lambda and
API integration timeouts Terraform deploys, with room to spare."""

from __future__ import annotations

import json
import time

from botocore.awsrequest import AWSResponse
from botocore.loaders import Loader

from counter_lambda import handler
from shared import counter_table
from tests.counter.helpers import (
    COUNTER_TABLE,
    RequestLog,
    counter_answer,
    counter_event,
    counter_test_settings,
    inject_error,
)
from tests.terraform.terraform_checks import TERRAFORM, find_resources, load

PAGE = "/posts/hello/"
# What the rest of an invocation needs besides DynamoDB: parsing, logging, the runtime.
MARGIN_SECONDS = 1.0
API_GATEWAY_MAX_INTEGRATION_MS = 30_000


def one_call_worst_seconds() -> float:
    """One DynamoDB call at its worst under the handler's CLIENT_CONFIG: every attempt spends
    its connect and read timeouts, with botocore's own backoff for DynamoDB between them."""
    config = handler.CLIENT_CONFIG
    assert config.retries["mode"] == "legacy", "standard retries have no fixed backoff bound"
    attempts = config.retries["total_max_attempts"]
    delay = Loader().load_data("_retry")["retry"]["dynamodb"]["__default__"]["delay"]
    backoff = sum(delay["base"] * delay["growth_factor"] ** n for n in range(attempts - 1))
    return attempts * (config.connect_timeout + config.read_timeout) + backoff


def calls_of_a_failing_hit(counter_client) -> int:
    """DynamoDB calls of a hit whose last write fails: every write, then every undo."""
    counter_table.register_pages(counter_client, COUNTER_TABLE, [PAGE])
    handler.configure(**counter_test_settings(counter_client))
    log = RequestLog(counter_client)
    stop = inject_error(
        counter_client, "UpdateItem", "InternalServerError",
        when=lambda params: params["Key"]["pk"]["S"] == "site", status=500,
    )
    try:
        status, _ = counter_answer(handler.handler(counter_event("POST", path=PAGE), None))
    finally:
        stop()
    assert status == 503
    return len(log.calls)


def terraform_timeouts() -> tuple[float, float]:
    config = load(TERRAFORM)
    function = find_resources(config, "aws_lambda_function")["counter"]
    integration = find_resources(config, "aws_apigatewayv2_integration")["counter"]
    return float(function["timeout"]), float(integration["timeout_milliseconds"]) / 1000


def test_the_worst_hit_ends_inside_the_lambda_timeout(counter_handler, counter_client):
    calls = calls_of_a_failing_hit(counter_client)
    worst = calls * one_call_worst_seconds()
    lambda_timeout, integration_timeout = terraform_timeouts()
    assert worst + MARGIN_SECONDS <= lambda_timeout, (
        f"a hit may take {worst:.2f} s ({calls} calls): the Lambda times out at {lambda_timeout} s"
    )
    assert worst <= handler.TIME_BUDGET_SECONDS
    # API Gateway waits for the Lambda, so the visitor gets the handler's own 503 with its
    # Retry-After, not the gateway's bare error.
    assert lambda_timeout < integration_timeout <= API_GATEWAY_MAX_INTEGRATION_MS / 1000


class Context:
    def __init__(self, remaining_ms: int) -> None:
        self.aws_request_id = "budget-test"
        self._ends = time.monotonic() + remaining_ms / 1000

    def get_remaining_time_in_millis(self) -> int:
        return int((self._ends - time.monotonic()) * 1000)


def answer_with_unprocessed_keys(client) -> None:
    """Every BatchGetItem comes back with all its keys unprocessed, as under throttling."""

    def unprocessed(model, params, **_):
        request = json.loads(params["body"])["RequestItems"]
        return AWSResponse("https://dynamodb.invalid/", 200, {}, None), {
            "Responses": {}, "UnprocessedKeys": request,
            "ResponseMetadata": {"HTTPStatusCode": 200},
        }

    client.meta.events.register_first("before-call.dynamodb.BatchGetItem", unprocessed)


def test_resent_reads_stop_at_the_time_the_lambda_has_left(counter_handler, counter_client):
    counter_table.register_pages(counter_client, COUNTER_TABLE, [PAGE])
    counter_handler.configure(**counter_test_settings(counter_client))
    answer_with_unprocessed_keys(counter_client)
    started = time.monotonic()
    response = counter_handler.handler(counter_event("GET", query=f"path={PAGE}"), Context(3000))
    elapsed = time.monotonic() - started
    assert counter_answer(response) == (503, {"error": "counter temporarily unavailable"})
    assert response["headers"]["Retry-After"] == str(handler.RETRY_AFTER_SECONDS)
    # 3 s left, 1 s of it the margin: no resend whose call could end past the other 2 s.
    assert elapsed < 3 - MARGIN_SECONDS
