"""The local edge against a moto bucket and the real counter handler (in-process moto)."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from devstack.edge import Redirect, Rewrite, api_gateway_event, viewer_request
from shared.edge_rules import edge_rules_from

CASES = Path(__file__).resolve().parents[1] / "data" / "url_rewrite_cases.json"


def load_cases():
    return json.loads(CASES.read_text())


@pytest.mark.parametrize("case", load_cases(), ids=lambda case: case["name"])
def test_viewer_request_follows_the_cloudfront_function_table(case):
    rules = edge_rules_from(case.get("redirects", {}), {})
    decision = viewer_request(rules, case["host"], case["uri"], case.get("querystring"))
    expect = case["expect"]
    if "redirect" in expect:
        assert decision == Redirect(expect["redirect"], "max-age=3600", expect.get("status", 301))
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


def fetch(url, data=None, method=None, headers=None):
    """(status, headers, body); header names are matched case-insensitively, as HTTP has them."""
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def post_hit(edge, key):
    """A reader's browser counting a view of ``key``."""
    return fetch(
        edge.url + "/api/hits", data=json.dumps({"path": key}).encode(), method="POST",
        headers={"Content-Type": "application/json", "User-Agent": "Mozilla/5.0 test"},
    )


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
    from deploy.objects import STATE_KEY

    edge.origin.s3.put_object(Bucket=edge.origin.bucket, Key=STATE_KEY, Body=b"{}")
    status, _, body = fetch(f"{edge.url}/{STATE_KEY}")
    assert (status, body) == (404, b"<h1>Page not found</h1>")


@pytest.mark.parametrize(
    "answer",
    [lambda edge: fetch(edge.url + "/posts/hello/"), lambda edge: fetch(edge.url + "/nope/"),
     lambda edge: post_hit(edge, "/posts/hello/"), lambda edge: post_hit(edge, "/not/published/"),
     lambda edge: fetch(edge.url + "/api/other")],
    ids=["page", "404 page", "counter", "counter error", "api gateway 404"],
)
def test_every_answer_carries_the_policys_headers(edge, distribution_headers, answer):
    """Site and /api/* behaviours share the policy in cdn.tf, error answers included
    (tests/terraform/test_edge_rules_agree.py holds the edge's headers equal to Terraform's)."""
    _, headers, _ = answer(edge)
    assert {name: headers.get(name) for name in distribution_headers} == distribution_headers


def test_www_host_redirects_to_the_apex(edge):
    import http.client

    connection = http.client.HTTPConnection(*edge.server_address[:2])
    connection.request("GET", "/posts/hello/?a=1", headers={"Host": "www.example.com"})
    response = connection.getresponse()
    assert (response.status, response.getheader("Location")) == (301, "https://example.com/posts/hello/?a=1")


def test_api_route_reaches_the_real_handler_as_an_api_gateway_event(edge):
    status, headers, body = post_hit(edge, "/posts/hello/")
    assert status == 200, body
    document = json.loads(body)
    assert (document["path"], document["views"]) == ("/posts/hello/", 1)
    assert headers["Cache-Control"] == "no-store"
    event = edge.events[-1]
    assert event["requestContext"]["http"]["sourceIp"] == "127.0.0.1"
    assert event["rawPath"] == "/api/hits"


def test_api_errors_pass_through_with_their_status(edge):
    status, _, body = post_hit(edge, "/not/published/")
    assert status == 404 and "error" in json.loads(body)
    status, _, body = fetch(edge.url + "/api/other")
    assert status == 404 and json.loads(body) == {"message": "Not Found"}


def test_site_rejects_writes_like_the_default_behaviour(edge):
    status, _, _ = fetch(edge.url + "/posts/hello/", data=b"x", method="POST")
    assert status == 403
