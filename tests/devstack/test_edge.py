"""The local edge against a moto bucket and the real counter handler (in-process moto)."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from deploy.edge import Redirect, Rewrite, SiteOrigin, api_gateway_event, start_edge, viewer_request

CASES = Path(__file__).resolve().parents[1] / "data" / "url_rewrite_cases.json"
BUCKET = "blog-site-123456789012"
TABLE = "blog-counter"


def load_cases():
    return json.loads(CASES.read_text())


@pytest.mark.parametrize("case", load_cases(), ids=lambda case: case["name"])
def test_viewer_request_follows_the_cloudfront_function_table(case):
    decision = viewer_request(case["host"], case["uri"], case.get("querystring"))
    expect = case["expect"]
    if "redirect" in expect:
        assert decision == Redirect(expect["redirect"], expect.get("status", 301))
    else:
        assert decision == Rewrite(expect["uri"])


def test_api_gateway_event_has_the_payload_2_fields():
    event = api_gateway_event(
        "POST", "/api/hits", "path=%2Fa%2F&x=1&x=2",
        {"Content-Type": "application/json", "User-Agent": "UA/1", "Cookie": "a=1; b=2"},
        b'{"path": "/a/"}', "127.0.0.9", "localhost:8000",
    )
    assert event["version"] == "2.0"
    assert event["requestContext"]["http"] == {
        "method": "POST", "path": "/api/hits", "protocol": "HTTP/1.1",
        "sourceIp": "127.0.0.9", "userAgent": "UA/1",
    }
    assert event["headers"]["content-type"] == "application/json"
    assert event["queryStringParameters"] == {"path": "/a/", "x": "1,2"}
    assert event["cookies"] == ["a=1", "b=2"]
    assert (event["body"], event["isBase64Encoded"]) == ('{"path": "/a/"}', False)
    binary = api_gateway_event("POST", "/api/hits", "", {"Content-Type": "image/png"}, b"\x89PNG", "1.2.3.4", "h")
    assert binary["isBase64Encoded"] and base64.b64decode(binary["body"]) == b"\x89PNG"


@pytest.fixture
def edge(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        from counter_lambda import handler as counter_handler
        from counter_lambda.tables import create_table, register_pages

        s3 = boto3.client("s3", region_name="us-east-1")
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        pages = {
            "index.html": ("<h1>home</h1>", "text/html; charset=utf-8", "no-cache"),
            "posts/hello/index.html": ("<h1>hello</h1>", "text/html; charset=utf-8", "no-cache"),
            "404.html": ("<h1>Page not found</h1>", "text/html; charset=utf-8", "no-cache"),
            "js/counter.0123456789.js": ("/* js */", "text/javascript; charset=utf-8", "public, max-age=31536000, immutable"),
        }
        for key, (body, content_type, cache) in pages.items():
            s3.put_object(Bucket=BUCKET, Key=key, Body=body.encode(), ContentType=content_type, CacheControl=cache)
        create_table(dynamodb, TABLE)
        register_pages(dynamodb, TABLE, ["/", "/posts/hello/"])
        counter_handler.configure(client=dynamodb, table_name=TABLE)
        events = []

        def recording_handler(event, context):
            events.append(event)
            return counter_handler.handler(event, context)

        server, thread = start_edge("127.0.0.1", 0, SiteOrigin(s3, BUCKET), recording_handler)
        server.events = events
        yield server
        server.shutdown()
        server.server_close()


def fetch(url, data=None, method=None, headers=None):
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_pretty_urls_serve_the_stored_object_with_its_headers(edge):
    for path in ("/posts/hello/", "/posts/hello", "/posts/hello/index.html"):
        status, headers, body = fetch(edge.url + path)
        assert (status, body) == (200, b"<h1>hello</h1>"), path
        assert headers["Content-Type"] == "text/html; charset=utf-8"
        assert headers["Cache-Control"] == "no-cache"
        assert "default-src 'self'" in headers["Content-Security-Policy"]
    status, headers, _ = fetch(edge.url + "/js/counter.0123456789.js")
    assert headers["Cache-Control"] == "public, max-age=31536000, immutable"


def test_revalidation_answers_304(edge):
    _, headers, _ = fetch(edge.url + "/posts/hello/")
    status, _, body = fetch(edge.url + "/posts/hello/", headers={"If-None-Match": headers["ETag"]})
    assert (status, body) == (304, b"")


def test_missing_path_answers_404_with_the_404_page(edge):
    status, headers, body = fetch(edge.url + "/nope/")
    assert (status, body) == (404, b"<h1>Page not found</h1>")
    assert headers["Content-Type"].startswith("text/html")


def test_publish_state_is_not_served(edge):
    from deploy.diff import STATE_KEY

    edge.origin.s3.put_object(Bucket=BUCKET, Key=STATE_KEY, Body=b"{}")
    status, _, body = fetch(f"{edge.url}/{STATE_KEY}")
    assert (status, body) == (404, b"<h1>Page not found</h1>")


def test_security_headers_match_the_distributions_policy():
    """The edge adds what terraform/cdn.tf's response-headers policy adds, so CSP bites locally too."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "terraform"))
    import terraform_checks as checks

    from deploy.edge import SECURITY_HEADERS

    config = checks.load(Path(__file__).resolve().parents[2] / "terraform")
    assert checks.content_security_policy(config) == SECURITY_HEADERS["Content-Security-Policy"]
    policy = checks.first_block(
        checks.find_resources(config, "aws_cloudfront_response_headers_policy")["security"], "security_headers_config"
    )
    hsts = checks.first_block(policy, "strict_transport_security")
    expected_hsts = f"max-age={hsts['access_control_max_age_sec']}" + ("; includeSubDomains" if hsts["include_subdomains"] else "") + ("; preload" if hsts["preload"] else "")
    assert SECURITY_HEADERS["Strict-Transport-Security"] == expected_hsts
    assert SECURITY_HEADERS["X-Frame-Options"] == checks.literal(checks.first_block(policy, "frame_options")["frame_option"])
    assert SECURITY_HEADERS["Referrer-Policy"] == checks.literal(checks.first_block(policy, "referrer_policy")["referrer_policy"])


def test_www_host_redirects_to_the_apex(edge):
    import http.client

    connection = http.client.HTTPConnection(*edge.server_address[:2])
    connection.request("GET", "/posts/hello/?a=1", headers={"Host": "www.example.com"})
    response = connection.getresponse()
    assert (response.status, response.getheader("Location")) == (301, "https://example.com/posts/hello/?a=1")


def test_api_route_reaches_the_real_handler_as_an_api_gateway_event(edge):
    status, headers, body = fetch(
        edge.url + "/api/hits", data=json.dumps({"path": "/posts/hello/"}).encode(), method="POST",
        headers={"Content-Type": "application/json", "User-Agent": "Mozilla/5.0 test"},
    )
    assert status == 200, body
    document = json.loads(body)
    assert (document["path"], document["views"]) == ("/posts/hello/", 1)
    assert headers["Cache-Control"] == "no-store"
    event = edge.events[-1]
    assert event["requestContext"]["http"]["sourceIp"] == "127.0.0.1"
    assert event["rawPath"] == "/api/hits"


def test_api_errors_pass_through_with_their_status(edge):
    status, _, body = fetch(
        edge.url + "/api/hits", data=json.dumps({"path": "/not/published/"}).encode(), method="POST",
        headers={"Content-Type": "application/json", "User-Agent": "Mozilla/5.0 test"},
    )
    assert status == 404 and "error" in json.loads(body)
    status, _, body = fetch(edge.url + "/api/other")
    assert status == 404 and json.loads(body) == {"message": "Not Found"}


def test_site_rejects_writes_like_the_default_behaviour(edge):
    status, _, _ = fetch(edge.url + "/posts/hello/", data=b"x", method="POST")
    assert status == 403
