"""The Lambda handler against moto: every route, status and error of the counter API."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap

import pytest
from botocore.exceptions import EndpointConnectionError

from shared import counter_table
from shared.targets import DEFAULT_REGION, PROJECT_ROOT
from tests.counter.helpers import (
    BROWSER_UA,
    COUNTER_TABLE,
    RequestLog,
    counter_answer,
    counter_dynamodb_client,
    counter_event,
    counter_table_items,
    counter_views,
    inject_error,
    request_params,
)

PAGE = "/posts/hello/"
OTHER_PAGE = "/about/"
HEADLESS_CHROME_UA = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "HeadlessChrome/131.0.6778.33 Safari/537.36"
)


@pytest.fixture
def api(counter_api, counter_client):
    counter_table.register_pages(counter_client, COUNTER_TABLE, [PAGE, OTHER_PAGE])
    return counter_api


def hit(api, page=PAGE, **event):
    return counter_answer(api.handler(counter_event("POST", path=page, **event), None))


def read(api, query=f"path={PAGE}", **event):
    return counter_answer(api.handler(counter_event("GET", query=query, **event), None))


# --- counting -----------------------------------------------------------------------------


def test_post_counts_the_page_and_the_site(api):
    assert hit(api) == (200, {"path": PAGE, "views": 1, "site_views": 1, "unique_today": 1})
    assert hit(api) == (200, {"path": PAGE, "views": 2, "site_views": 2, "unique_today": 1})
    status, body = hit(api, OTHER_PAGE)
    assert (status, body["views"], body["site_views"]) == (200, 1, 3)


def test_get_reads_without_counting(api, counter_client):
    hit(api)
    before = counter_table_items(counter_client)
    assert read(api) == (200, {"path": PAGE, "views": 1, "site_views": 1, "unique_today": 1})
    assert read(api, query=f"path={OTHER_PAGE}") == (
        200,
        {"path": OTHER_PAGE, "views": 0, "site_views": 1, "unique_today": 1},
    )
    assert counter_table_items(counter_client) == before


def test_get_before_any_hit_answers_zeros(api):
    assert read(api) == (200, {"path": PAGE, "views": 0, "site_views": 0, "unique_today": 0})


def test_unique_visitors_today_are_distinct_ip_and_user_agent_pairs(api):
    hit(api, ip="198.51.100.1")
    hit(api, ip="198.51.100.1")  # same browser again
    hit(api, OTHER_PAGE, ip="198.51.100.1")  # same browser, other page
    hit(api, ip="198.51.100.2")
    hit(api, ip="198.51.100.1", user_agent=BROWSER_UA + " Edg/131.0")
    assert read(api)[1]["unique_today"] == 3
    assert read(api)[1]["site_views"] == 5


def test_a_key_is_normalised_before_counting(api, counter_client):
    assert hit(api, "/posts//hello/index.html")[1]["path"] == PAGE
    assert read(api, query="path=%2Fposts%2Fhello%2F")[1]["views"] == 1
    assert counter_views(counter_client, "page#" + PAGE) == 1


def test_the_ip_and_user_agent_are_not_stored_or_logged(api, counter_client, capsys):
    hit(api, ip="192.0.2.55", user_agent="Mozilla/5.0 UniqueAgent/9.9")
    read(api)
    stored = json.dumps(counter_table_items(counter_client))
    logged = capsys.readouterr().out
    for secret in ("192.0.2.55", "UniqueAgent"):
        assert secret not in stored
        assert secret not in logged


# --- requests per hit ---------------------------------------------------------------------


def test_dynamodb_requests_per_request(api, counter_client):
    log = RequestLog(counter_client)
    cases = {
        "POST": lambda: hit(api),
        "GET": lambda: read(api),
        "POST unknown page": lambda: hit(api, "/nope/"),
        "POST crawler": lambda: hit(api, user_agent="Googlebot/2.1"),
        "POST bad body": lambda: hit(api, "../x"),
    }
    made = {}
    for name, send in cases.items():
        log.clear()
        send()
        made[name] = list(log.calls)
    assert made == {
        "POST": ["UpdateItem", "UpdateItem", "UpdateItem"],
        "GET": ["BatchGetItem"],
        # the client's marker, the page's failed condition, the marker's undo
        "POST unknown page": ["UpdateItem", "UpdateItem", "UpdateItem"],
        "POST crawler": ["BatchGetItem"],
        "POST bad body": [],
    }


# --- crawlers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "user_agent",
    [
        "",
        "   ",
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        "Mozilla/5.0 (compatible; Baiduspider/2.0)",
        "curl/8.5.0",
        "python-requests/2.32.3",
    ],
)
def test_crawlers_get_the_counts_without_being_counted(api, counter_client, user_agent):
    hit(api)
    before = counter_table_items(counter_client)
    status, body = hit(api, user_agent=user_agent)
    assert (status, body["views"], body["site_views"]) == (200, 1, 1)
    assert counter_table_items(counter_client) == before


def test_headless_chrome_of_our_e2e_tests_counts(api):
    assert hit(api, user_agent=HEADLESS_CHROME_UA)[1]["views"] == 1


def test_a_crawler_asking_for_an_unknown_page_gets_404(api):
    assert hit(api, "/nope/", user_agent="Googlebot/2.1")[0] == 404


# --- unknown pages and routes -------------------------------------------------------------


def test_unknown_page_is_404_and_writes_nothing(api, counter_client):
    before = counter_table_items(counter_client)
    assert hit(api, "/not/published/") == (404, {"error": "unknown page"})
    assert read(api, query="path=/not/published/") == (404, {"error": "unknown page"})
    assert counter_table_items(counter_client) == before


@pytest.mark.parametrize("route", ["/", "/api/hits/", "/api/other", "/API/HITS", "/api/hits/x"])
def test_other_routes_are_404(api, route):
    response = api.handler(counter_event("POST", route=route, path=PAGE), None)
    assert counter_answer(response) == (404, {"error": "not found"})


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"])
def test_other_methods_are_405_with_allow(api, counter_client, method):
    before = counter_table_items(counter_client)
    response = api.handler(counter_event(method, path=PAGE), None)
    assert counter_answer(response) == (405, {"error": "method not allowed"})
    assert response["headers"]["Allow"] == "GET, POST"
    assert counter_table_items(counter_client) == before


# --- bad input ----------------------------------------------------------------------------


def post_raw(api, body, headers=None, **event):
    return counter_answer(
        api.handler(counter_event("POST", body=body, headers=headers, **event), None)
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("{not json", "not valid JSON"),
        ("", "missing JSON body"),
        ("[]", "JSON object"),
        ('"/posts/hello/"', "JSON object"),
        ("null", "JSON object"),
        ("[" * 1000 + "]" * 1000, "not valid JSON"),
        ("{}", "missing path"),
        ('{"path": null}', "missing path"),
        ('{"path": 42}', "must be a string"),
        ('{"path": ["/posts/hello/"]}', "must be a string"),
        ('{"path": "posts/hello/"}', "start with /"),
        ('{"path": "/posts/../admin/"}', ". or .."),
        ('{"path": "/posts/\\u0000/"}', "control character"),
        ('{"path": "/posts/\\ud800/"}', "surrogate"),
        (json.dumps({"path": "/" + "a" * 600}), "longer than 512"),
    ],
)
def test_bad_bodies_are_400_and_write_nothing(api, counter_client, body, message):
    before = counter_table_items(counter_client)
    status, answer = post_raw(api, body)
    assert status == 400
    assert message in answer["error"]
    assert counter_table_items(counter_client) == before


def test_a_body_over_2_kb_is_413(api, counter_client):
    padding = "x" * 2048
    assert post_raw(api, json.dumps({"path": PAGE, "note": padding}))[0] == 413
    assert counter_views(counter_client, "page#" + PAGE) == 0


def test_a_body_of_exactly_2_kb_is_accepted(api):
    body = json.dumps({"path": PAGE, "note": ""})
    body = json.dumps({"path": PAGE, "note": "x" * (2048 - len(body))})
    assert len(body.encode()) == 2048
    assert post_raw(api, body)[0] == 200


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/jsonx", ""]
)
def test_wrong_content_type_is_415(api, content_type):
    body = json.dumps({"path": PAGE})
    assert post_raw(api, body, {"content-type": content_type})[0] == 415


def test_json_with_a_charset_parameter_is_accepted(api):
    body = json.dumps({"path": PAGE})
    assert post_raw(api, body, {"content-type": "Application/JSON; charset=utf-8"})[0] == 200


def test_a_base64_encoded_body_is_415(api, counter_client):
    event = counter_event("POST", body="eyJwYXRoIjogIi9wb3N0cy9oZWxsby8ifQ==")
    event["isBase64Encoded"] = True
    assert counter_answer(api.handler(event, None))[0] == 415
    assert counter_views(counter_client, "page#" + PAGE) == 0


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "missing path"),
        ("other=1", "missing path"),
        (f"path={PAGE}&path=/about/", "more than once"),
        ("path=%FF", "malformed query"),
        ("path=relative/", "start with /"),
        ("path=/a/%2e%2e/", ". or .."),
    ],
)
def test_bad_get_queries_are_400(api, query, message):
    status, answer = read(api, query=query)
    assert status == 400 and message in answer["error"]


def test_api_gateway_query_parameters_are_understood_without_a_raw_query(api):
    event = counter_event("GET")
    del event["rawQueryString"]
    event["queryStringParameters"] = {"path": PAGE}
    assert counter_answer(api.handler(event, None))[0] == 200


@pytest.mark.parametrize(
    "event",
    [None, [], "GET /api/hits", {}, {"requestContext": {}}, {"requestContext": {"http": {}}}],
)
def test_a_malformed_event_is_400(api, event):
    assert counter_answer(api.handler(event, None)) == (400, {"error": "malformed request"})


# --- origin verification ------------------------------------------------------------------


def test_origin_secret_rejects_requests_that_skip_cloudfront(api, counter_client):
    api.configure(origin_verify_secret="s3cr3t-from-cloudfront")
    before = counter_table_items(counter_client)
    assert hit(api) == (403, {"error": "forbidden"})
    assert hit(api, headers={"x-origin-verify": "wrong"})[0] == 403
    assert read(api)[0] == 403
    assert counter_table_items(counter_client) == before
    assert hit(api, headers={"x-origin-verify": "s3cr3t-from-cloudfront"})[0] == 200


def test_behind_cloudfront_the_viewer_address_identifies_the_visitor(api):
    api.configure(origin_verify_secret="s3cr3t")
    via_edge = {"x-origin-verify": "s3cr3t"}
    # Same CloudFront edge address for everyone; the viewer address tells visitors apart.
    hit(
        api,
        ip="130.176.0.1",
        headers={**via_edge, "cloudfront-viewer-address": "198.51.100.9:50123"},
    )
    hit(
        api,
        ip="130.176.0.1",
        headers={**via_edge, "cloudfront-viewer-address": "198.51.100.9:50999"},
    )
    hit(api, ip="130.176.0.1", headers={**via_edge, "cloudfront-viewer-address": "2001:db8::5:443"})
    assert read(api, headers=via_edge)[1]["unique_today"] == 2


def test_without_the_origin_check_a_viewer_address_header_is_ignored(api):
    hit(api, headers={"cloudfront-viewer-address": "198.51.100.1:1"})
    hit(api, headers={"cloudfront-viewer-address": "198.51.100.2:1"})
    assert read(api)[1]["unique_today"] == 1


# --- responses and logs -------------------------------------------------------------------


@pytest.mark.parametrize(
    "send",
    [
        lambda api: api.handler(counter_event("POST", path=PAGE), None),
        lambda api: api.handler(counter_event("GET", query="path=/nope/"), None),
        lambda api: api.handler(counter_event("PUT"), None),
        lambda api: api.handler(counter_event("POST", body="{"), None),
    ],
)
def test_every_answer_is_uncacheable_json(api, send):
    response = send(api)
    assert response["headers"]["Content-Type"] == "application/json"
    assert response["headers"]["Cache-Control"] == "no-store"
    assert response["isBase64Encoded"] is False
    assert isinstance(json.loads(response["body"]), dict)


def test_one_structured_log_line_per_request(api, capsys):
    capsys.readouterr()
    hit(api)
    hit(api, "/nope/")
    read(api, query="path=../")
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(line["page"], line["status"], line["outcome"]) for line in lines] == [
        (PAGE, 200, "counted"),
        ("/nope/", 404, "unknown page"),
        (None, 400, "bad path"),
    ]
    assert all(line["route"] == "/api/hits" and line["latency_ms"] >= 0 for line in lines)


# --- DynamoDB failures --------------------------------------------------------------------


def is_site_update(params):
    return params["Key"]["pk"]["S"] == "site"


def is_marker_update(params):
    return params["Key"]["pk"]["S"].startswith("visitor#")


def is_page_update(params):
    return params["Key"]["pk"]["S"].startswith("page#")


@pytest.mark.parametrize("failing_step", [is_page_update, is_marker_update, is_site_update])
@pytest.mark.parametrize(
    "code", ["ProvisionedThroughputExceededException", "ThrottlingException", "InternalServerError"]
)
def test_dynamodb_failure_at_any_step_is_503_and_undone(api, counter_client, failing_step, code):
    hit(api)
    before = {pk: item for pk, item in counter_table_items(counter_client).items()}
    inject_error(counter_client, "UpdateItem", code, when=failing_step, times=1)
    response = api.handler(counter_event("POST", path=PAGE, ip="198.51.100.77"), None)
    assert counter_answer(response) == (503, {"error": "counter temporarily unavailable"})
    assert response["headers"]["Retry-After"] == "2"
    after = counter_table_items(counter_client)
    assert {pk: after[pk] for pk in before} == before  # counts unchanged
    # the visitor whose hit failed is still new today: the next hit counts them once
    assert hit(api, ip="198.51.100.77")[1] == {
        "path": PAGE,
        "views": 2,
        "site_views": 2,
        "unique_today": 2,
    }


def test_failed_undo_is_logged(api, counter_client, capsys):
    inject_error(
        counter_client, "UpdateItem", "ProvisionedThroughputExceededException", when=is_site_update
    )
    inject_error(
        counter_client,
        "UpdateItem",
        "ProvisionedThroughputExceededException",
        when=lambda params: (
            is_page_update(params) and params["ExpressionAttributeValues"].get(":minus_one")
        ),
    )
    capsys.readouterr()
    assert hit(api)[0] == 503
    line = json.loads(capsys.readouterr().out)
    assert line["rolled_back"] is False
    assert "ProvisionedThroughputExceededException" in line["outcome"]


def test_a_throttled_read_is_503(api, counter_client):
    inject_error(counter_client, "BatchGetItem", "ProvisionedThroughputExceededException")
    status, _ = read(api)
    assert status == 503


def test_connection_lost_mid_hit_is_503_and_undone(api, counter_client):
    def refuse(model, params, **_):
        if is_site_update(request_params(params)):
            raise EndpointConnectionError(endpoint_url="http://dynamodb.invalid")

    counter_client.meta.events.register_first("before-call.dynamodb.UpdateItem", refuse)
    assert hit(api)[0] == 503
    counter_client.meta.events.unregister("before-call.dynamodb.UpdateItem", refuse)
    assert counter_views(counter_client, "page#" + PAGE) == 0
    assert counter_views(counter_client, "site") is None


def _refused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_dynamodb_unreachable_is_503(api):
    unreachable = counter_dynamodb_client(
        f"http://127.0.0.1:{_refused_port()}",
        retries={"max_attempts": 1},
        connect_timeout=1,
    )
    api.configure(client=unreachable)
    for status, body in (hit(api), read(api)):
        assert (status, body) == (503, {"error": "counter temporarily unavailable"})


def test_a_missing_table_is_503_not_500(api):
    api.configure(table_name="no-such-table")
    assert hit(api)[0] == 503
    assert read(api)[0] == 503


def test_without_a_source_ip_the_view_counts_but_not_a_unique_visitor(api):
    event = counter_event("POST", path=PAGE)
    del event["requestContext"]["http"]["sourceIp"]
    status, body = counter_answer(api.handler(event, None))
    assert (status, body["views"], body["unique_today"]) == (200, 1, 0)


# --- configuration from the environment (how Lambda and the local edge run it) -------------

IMPORT_AND_HIT = textwrap.dedent(
    """
    import json
    from counter_lambda import handler
    from shared import counter_table

    settings = handler.configure()  # the settings the import read from the environment
    counter_table.create_table(settings.client, settings.table_name)
    counter_table.register_pages(settings.client, settings.table_name, ["/posts/hello/"])
    event = json.loads(input())
    print(json.dumps(handler.handler(event, None)))
    """
)


def test_the_import_reads_the_endpoint_and_table_from_the_environment(counter_moto_server_url):
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": counter_moto_server_url,
        "TABLE_NAME": "table-from-env",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": DEFAULT_REGION,
    }
    env.pop("ORIGIN_VERIFY_SECRET", None)
    run = subprocess.run(
        [sys.executable, "-c", IMPORT_AND_HIT],
        input=json.dumps(counter_event("POST", path=PAGE)),
        capture_output=True,
        text=True,
        env=env,
        cwd=PROJECT_ROOT,
        timeout=60,
        check=True,
    )
    log_line, response_line = run.stdout.splitlines()
    assert counter_answer(json.loads(response_line))[1]["views"] == 1
    assert json.loads(log_line)["outcome"] == "counted"
    client = counter_dynamodb_client(counter_moto_server_url)
    assert counter_views(client, "page#" + PAGE, table="table-from-env") == 1


def test_the_lambda_never_imports_the_table_administration():
    # A hit cannot reach code that writes without a condition: the handler loads the table's
    # layout, never its administration (its role could not run it anyway).
    probe = (
        "import json, sys, counter_lambda.handler; "
        "print(json.dumps({name: name in sys.modules "
        "for name in ('counter_lambda.counter', 'shared.counter_table')}))"
    )
    run = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        env={**os.environ, "AWS_REGION": DEFAULT_REGION},
        cwd=PROJECT_ROOT,
        timeout=60,
        check=True,
    )
    loaded = json.loads(run.stdout)
    assert loaded == {"counter_lambda.counter": True, "shared.counter_table": False}
