"""Bad input a client or a proxy can send, and the crawler line drawn on real user agents."""

from __future__ import annotations

import json

import pytest

from counter_lambda import visitors
from shared import counter_table
from devstack.edge import api_gateway_event
from tests.counter.helpers import (
    COUNTER_TABLE,
    counter_answer,
    counter_event,
    counter_table_items,
    counter_views,
)

PAGE = "/posts/hello/"

CRAWLERS = {
    "Googlebot": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Googlebot smartphone": (
        "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/131.0.6778.69 Mobile Safari/537.36 "
        "(compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
    ),
    "bingbot": "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "AhrefsBot": "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
    "facebookexternalhit": (
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)"
    ),
    "Slackbot-LinkExpanding": "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "Slackbot": "Slackbot 1.0 (+https://api.slack.com/robots)",
    "TelegramBot": "TelegramBot (like TwitterBot)",
    "Twitterbot": "Twitterbot/1.0",
    "DuckDuckBot": "DuckDuckBot/1.1; (+http://duckduckgo.com/duckduckbot.html)",
    "GPTBot": (
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; "
        "+https://openai.com/gptbot)"
    ),
    "MJ12bot": "Mozilla/5.0 (compatible; MJ12bot/v1.4.8; http://mj12bot.com/)",
    "AdsBot-Google": "AdsBot-Google (+http://www.google.com/adsbot.html)",
    "YandexBot": "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
    "Applebot": (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 (KHTML, like "
        "Gecko) Version/13.1.1 Safari/605.1.15 (Applebot/0.1; +http://www.apple.com/go/applebot)"
    ),
    "curl": "curl/8.5.0",
    "python-requests": "python-requests/2.32.3",
}

BROWSERS = {
    "CUBOT X30": (
        "Mozilla/5.0 (Linux; Android 10; CUBOT X30) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.6778.104 Mobile Safari/537.36"
    ),
    "CUBOT_P30": (
        "Mozilla/5.0 (Linux; Android 9; CUBOT_P30 Build/PPR1.180610.011) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/120.0.6099.230 Mobile Safari/537.36"
    ),
    "CUBOT KINGKONG": (
        "Mozilla/5.0 (Linux; Android 13; KINGKONG POWER Build/TP1A.220624.014; CUBOT) "
        "AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.6478.71 Mobile Safari/537.36"
    ),
    "Cubot P80, mixed case": (
        "Mozilla/5.0 (Linux; Android 13; Cubot P80 Build/TP1A.220624.014) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/126.0.6478.71 Mobile Safari/537.36"
    ),
    "iPhone Safari": (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"
    ),
    "Firefox": "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Edge": (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0"
    ),
    "Samsung Internet": (
        "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
        "SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36"
    ),
    "HeadlessChrome": (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "HeadlessChrome/131.0.0.0 Safari/537.36"
    ),
}


@pytest.fixture
def api(counter_api, counter_client):
    counter_table.register_pages(counter_client, COUNTER_TABLE, [PAGE])
    return counter_api


def views(client) -> int | None:
    return counter_views(client, f"page#{PAGE}")


@pytest.mark.parametrize("user_agent", CRAWLERS.values(), ids=CRAWLERS.keys())
def test_a_crawler_reads_without_counting(api, counter_client, user_agent):
    assert visitors.is_crawler(user_agent)
    response = api.handler(counter_event("POST", path=PAGE, user_agent=user_agent), None)
    assert counter_answer(response)[0] == 200
    assert views(counter_client) == 0


@pytest.mark.parametrize("user_agent", BROWSERS.values(), ids=BROWSERS.keys())
def test_a_browser_counts_whatever_its_phone_is_called(api, counter_client, user_agent):
    assert not visitors.is_crawler(user_agent)
    response = api.handler(counter_event("POST", path=PAGE, user_agent=user_agent), None)
    assert counter_answer(response)[0] == 200
    assert views(counter_client) == 1


def test_a_body_that_is_not_utf8_is_malformed(api, counter_client):
    before = counter_table_items(counter_client)
    # What the local edge hands on for bytes that are not UTF-8.
    body = b'{"path": "/posts/hello\xff/"}'.decode("utf-8", "surrogateescape")
    response = api.handler(counter_event("POST", body=body), None)
    assert counter_answer(response) == (400, {"error": "body is not valid UTF-8"})
    assert counter_table_items(counter_client) == before


def test_the_local_edge_passes_bytes_that_are_not_utf8_on_as_malformed(api, counter_client):
    """Through the edge's own event builder: replaced with U+FFFD, the bytes used to spell an
    unknown page (404) instead of a malformed body."""
    event = api_gateway_event(
        "POST", "/api/hits", "", {"Content-Type": "application/json", "User-Agent": "Firefox/133"},
        b'{"path": "/posts/hello\xff/"}', "203.0.113.9", "127.0.0.1:8000",
    )
    assert counter_answer(api.handler(event, None)) == (400, {"error": "body is not valid UTF-8"})
    assert views(counter_client) == 0


@pytest.mark.parametrize("query", [5, ["path=/posts/hello/"], b"path=/posts/hello/", True])
def test_a_query_that_is_not_text_is_malformed(api, query):
    event = counter_event("GET")
    event["rawQueryString"] = query
    response = api.handler(event, None)
    assert counter_answer(response) == (400, {"error": "malformed query string"})


def test_a_valid_body_and_query_still_count_and_read(api, counter_client):
    body = json.dumps({"path": PAGE}, ensure_ascii=False)
    assert counter_answer(api.handler(counter_event("POST", body=body), None))[0] == 200
    status, read = counter_answer(api.handler(counter_event("GET", query=f"path={PAGE}"), None))
    assert (status, read["views"]) == (200, 1)
