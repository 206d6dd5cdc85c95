"""API Gateway HTTP API (payload format 2.0) front of the visitor counter.

The handler only parses the event, calls :mod:`counter_lambda.counter` and shapes the answer;
it knows nothing of DynamoDB expressions.

Routes (matched on ``requestContext.http.method`` and ``rawPath``; CloudFront forwards
``/api/*`` with its path)
    ``POST /api/hits`` with ``{"path": "/posts/hello/"}``: count one view and answer
    ``200 {"path", "views", "site_views", "unique_today"}``. A crawler or an empty user agent
    gets the same answer without being counted; headless Chromium (our end-to-end tests) is
    a browser and counts (the reasons are in :mod:`counter_lambda.visitors`).
    ``GET /api/hits?path=/posts/hello/``: the same answer, read only.

Every answer is JSON with ``Cache-Control: no-store``; errors are ``{"error": "..."}``:
400 malformed event, body, JSON or path; 403 missing or wrong ``x-origin-verify`` (only when
``ORIGIN_VERIFY_SECRET`` is set; compared in constant time); 404 unknown route or unregistered
page (nothing written); 405 other methods, with ``Allow``; 413 body over 2 KB; 415 content
type other than ``application/json`` or a base64-encoded body; 503 DynamoDB throttled or
unreachable, with ``Retry-After``, after the hit's partial writes were undone; 500 only for a
bug, never with a stack trace. API Gateway's own throttling answers 429 before we run.

Environment (read once at import; :func:`configure` changes it later)
    ``TABLE_NAME`` (``blog-counter``), ``SITE_NAME`` (``localhost``), ``ORIGIN_VERIFY_SECRET``
    (unset: no check), ``VISITOR_HASH_SECRET`` (key of the daily visitor salt; unset: the
    origin secret, else a random key per process, which only suits a single process such as
    the local stack), ``AWS_ENDPOINT_URL`` (honoured by boto3 itself), ``AWS_REGION``.

Visitor identity: the reader's address is the ``cloudfront-viewer-address`` header CloudFront
adds (API Gateway only sees CloudFront's address) when the origin secret proves the request
came through CloudFront, else ``requestContext.http.sourceIp``.
Address and user agent are hashed at once with the day's salt and never stored or logged.
One address adds at most :data:`counter_lambda.counter.CLIENT_LIMITS` a day (views of a page,
of the site, unique visitors); past them it gets the counts and adds nothing.

Logs: one JSON line per request on stdout (method, route, page, status, outcome,
latency_ms, request_id); never the IP, the user agent or the body.
"""

from __future__ import annotations

import hmac
import json
import os
import time
from datetime import UTC, datetime
from collections.abc import Callable
from typing import Any, NamedTuple
from urllib.parse import parse_qs

import boto3
from botocore.config import Config

from counter_lambda import counter, visitors
from shared.pagekey import PageKeyError, normalise_page_key

API_PATH = "/api/hits"
ALLOWED_METHODS = ("GET", "POST")
MAX_BODY_BYTES = 2048
RETRY_AFTER_SECONDS = 2
LOGGED_ROUTE_CHARS = 200
# The time budget. Lambda talks to DynamoDB in the same region (single-digit milliseconds):
# short timeouts fail fast into a 503 rather than holding the visitor. One retry covers a
# throttled request or a dropped connection. "legacy" retries because their DynamoDB backoff
# is a fixed 50 ms; "standard" ones wait up to 1 s at random on throttling and honour a
# server's retry-after for up to 5 s more, which no budget can bound tightly.
CLIENT_CONFIG = Config(
    retries={"mode": "legacy", "total_max_attempts": 2}, connect_timeout=0.25, read_timeout=0.5
)
RETRY_BACKOFF_SECONDS = 0.05  # botocore's legacy backoff base for DynamoDB, doubled per retry
# A hit is at most five requests: three writes, and the undo of the first two when the third
# fails (counter.record_hit). Each can take every attempt to its timeouts.
REQUESTS_PER_HIT = 5
# Room between the budget and the Lambda timeout (terraform/counter.tf), for the rest of the
# invocation: parsing, logging, the runtime.
TIMEOUT_MARGIN_SECONDS = 1.0


def request_worst_seconds(config: Config = CLIENT_CONFIG) -> float:
    """The longest one DynamoDB call can take under ``config``: every attempt connecting and
    reading to its timeouts, with the backoff between attempts."""
    attempts = config.retries["total_max_attempts"]
    backoff = sum(RETRY_BACKOFF_SECONDS * 2**retry for retry in range(attempts - 1))
    return attempts * (config.connect_timeout + config.read_timeout) + backoff


def time_budget_seconds(config: Config = CLIENT_CONFIG) -> float:
    """The handler's worst case under ``config``: a POST's five calls each at their worst. A
    GET is one read call, resent only while DynamoDB answers with unprocessed keys, and never
    past this budget."""
    return REQUESTS_PER_HIT * request_worst_seconds(config)


TIME_BUDGET_SECONDS = time_budget_seconds()
BASE_HEADERS = {
    "Content-Type": "application/json",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}


# NamedTuple rather than a dataclass: importing dataclasses (and inspect) is a measurable
# share of a cold start for no gain here.
class Settings(NamedTuple):
    client: Any
    table_name: str
    site_name: str
    origin_verify_secret: str | None
    visitor_secret: bytes


def dynamodb_client(
    region: str | None = None, endpoint_url: str | None = None, config: Config = CLIENT_CONFIG
) -> Any:
    """A DynamoDB client held to a time budget (:data:`CLIENT_CONFIG`, the handler's in AWS;
    the local stack passes its own, so a hung table answers 503 there too)."""
    return boto3.client(
        "dynamodb", region_name=region or "us-east-1", endpoint_url=endpoint_url, config=config
    )


def settings_from_environment(environ: dict | None = None, client: Any = None) -> Settings:
    env = os.environ if environ is None else environ
    origin_secret = env.get("ORIGIN_VERIFY_SECRET") or None
    visitor_secret = env.get("VISITOR_HASH_SECRET") or origin_secret
    if client is None:
        client = dynamodb_client(env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION"))
    return Settings(
        client=client,
        table_name=env.get("TABLE_NAME") or "blog-counter",
        site_name=env.get("SITE_NAME") or "localhost",
        origin_verify_secret=origin_secret,
        visitor_secret=visitor_secret.encode() if visitor_secret else os.urandom(32),
    )


_settings = settings_from_environment()


def configure(**changes: Any) -> Settings:
    """Re-point the handler without re-importing it; returns the settings now in force.

    Takes any :class:`Settings` field: ``client`` (a boto3 DynamoDB client), ``table_name``,
    ``site_name``, ``origin_verify_secret`` (``None`` turns the check off),
    ``visitor_secret`` (bytes). Used by tests and the local edge;
    ``configure(**settings_from_environment()._asdict())`` re-reads the environment.
    """
    global _settings
    _settings = _settings._replace(**changes)
    return _settings


class ApiError(Exception):
    def __init__(self, status: int, message: str, outcome: str, headers: dict | None = None):
        super().__init__(message)
        self.status = status
        self.outcome = outcome
        self.headers = headers or {}


class Request(NamedTuple):
    method: str
    route: str
    headers: dict[str, str]
    query: str | dict | None
    body: Any
    base64_encoded: bool
    source_ip: str | None

    @classmethod
    def from_event(cls, event: Any) -> Request:
        context = event.get("requestContext") if isinstance(event, dict) else None
        http = context.get("http") if isinstance(context, dict) else None
        if not isinstance(http, dict):
            raise ApiError(400, "malformed request", "malformed event")
        method, route = http.get("method"), event.get("rawPath", http.get("path"))
        if not isinstance(method, str) or not isinstance(route, str):
            raise ApiError(400, "malformed request", "malformed event")
        raw_headers = event.get("headers")
        headers = {
            str(name).lower(): value
            for name, value in (raw_headers.items() if isinstance(raw_headers, dict) else ())
            if isinstance(value, str)
        }
        if "user-agent" not in headers and isinstance(http.get("userAgent"), str):
            headers["user-agent"] = http["userAgent"]
        source_ip = http.get("sourceIp")
        return cls(
            method=method.upper(),
            route=route,
            headers=headers,
            query=event.get("rawQueryString", event.get("queryStringParameters")),
            body=event.get("body"),
            base64_encoded=event.get("isBase64Encoded") is True,
            source_ip=source_ip if isinstance(source_ip, str) else None,
        )


def _json_response(status: int, payload: dict, headers: dict | None = None) -> dict:
    return {
        "statusCode": status,
        "headers": {**BASE_HEADERS, **(headers or {})},
        "body": json.dumps(payload, ensure_ascii=False),
        "isBase64Encoded": False,
    }


def _check_origin(request: Request, secret: str | None) -> None:
    if secret is None:
        return
    presented = request.headers.get("x-origin-verify", "")
    expected = secret.encode("utf-8", "surrogatepass")
    if not hmac.compare_digest(presented.encode("utf-8", "surrogatepass"), expected):
        raise ApiError(403, "forbidden", "origin not verified")


def _page_key(raw: Any) -> str:
    if raw is None:
        raise ApiError(400, "missing path", "bad path")
    if not isinstance(raw, str):
        raise ApiError(400, "path must be a string", "bad path")
    try:
        return normalise_page_key(raw)
    except PageKeyError as error:
        raise ApiError(400, str(error), "bad path") from None


def _page_key_from_query(query: str | dict | None) -> str:
    if isinstance(query, dict):
        return _page_key(query.get("path"))
    if query is not None and not isinstance(query, str):
        raise ApiError(400, "malformed query string", "bad query")
    try:
        values = parse_qs(query or "", keep_blank_values=True, errors="strict").get("path", [])
    except (UnicodeDecodeError, ValueError):
        raise ApiError(400, "malformed query string", "bad query") from None
    if len(values) > 1:
        raise ApiError(400, "path given more than once", "bad query")
    return _page_key(values[0] if values else None)


def _page_key_from_body(request: Request) -> str:
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != "application/json":
        raise ApiError(415, "content type must be application/json", "bad content type")
    if request.base64_encoded:
        raise ApiError(415, "body must be plain JSON text, not base64", "bad encoding")
    if not isinstance(request.body, str) or not request.body:
        raise ApiError(400, "missing JSON body", "bad body")
    if len(request.body.encode("utf-8", "surrogatepass")) > MAX_BODY_BYTES:
        raise ApiError(413, f"body is larger than {MAX_BODY_BYTES} bytes", "too large")
    try:
        # Bytes that were not UTF-8 reach us as lone surrogates (the local edge decodes with
        # surrogateescape): malformed, not a path to look up.
        request.body.encode("utf-8")
    except UnicodeEncodeError:
        raise ApiError(400, "body is not valid UTF-8", "bad body") from None
    try:
        document = json.loads(request.body)
    except (ValueError, RecursionError):
        raise ApiError(400, "body is not valid JSON", "bad body") from None
    if not isinstance(document, dict):
        raise ApiError(400, "body must be a JSON object", "bad body")
    return _page_key(document.get("path"))


def viewer_address(request: Request, settings: Settings) -> str | None:
    """The reader's IP: the ``cloudfront-viewer-address`` header CloudFront adds (``IP:port``;
    terraform/cdn.tf's origin request policy forwards it, since API Gateway only sees
    CloudFront's address) when the origin secret proves the request came through CloudFront,
    else ``requestContext.http.sourceIp`` (locally, the reader's own address). Without the
    proof the header is the caller's word, and rotating it would mint new clients."""
    forwarded = request.headers.get("cloudfront-viewer-address", "").strip()
    if settings.origin_verify_secret is None or not forwarded:
        return request.source_ip
    return forwarded.rsplit(":", 1)[0].strip("[]") or request.source_ip


def _visitor(request: Request, settings: Settings, now: datetime) -> tuple[str, str] | None:
    """The day's hashes of the reader's address (the client its limits apply to) and of
    address and browser (a unique visitor); None without an address."""
    ip = viewer_address(request, settings)
    if not ip:
        return None
    salt = visitors.daily_salt(settings.visitor_secret, now.date())
    user_agent = request.headers.get("user-agent", "")
    return (
        visitors.client_hash(salt, site=settings.site_name, ip=ip),
        visitors.visitor_hash(salt, site=settings.site_name, ip=ip, user_agent=user_agent),
    )


def _page_key_of(request: Request) -> str:
    if request.method == "GET":
        return _page_key_from_query(request.query)
    return _page_key_from_body(request)


def deadline_of(context: Any) -> float:
    """When (``time.monotonic()``) the handler must be done: the budget, or less when the
    Lambda context says less time remains."""
    budget = TIME_BUDGET_SECONDS
    remaining_ms = getattr(context, "get_remaining_time_in_millis", None)
    if callable(remaining_ms):
        budget = min(budget, remaining_ms() / 1000 - TIMEOUT_MARGIN_SECONDS)
    return time.monotonic() + budget


def _sleep_before(deadline: float) -> Callable[[float], None]:
    """The pause between resent reads, refusing one whose call could end past ``deadline``."""

    def sleep(seconds: float) -> None:
        if time.monotonic() + seconds + request_worst_seconds() > deadline:
            raise counter.StoreUnavailable("no time left to resend unprocessed keys")
        time.sleep(seconds)

    return sleep


def _counts(
    request: Request, settings: Settings, page_key: str, deadline: float
) -> tuple[counter.Counts, str]:
    now = datetime.now(UTC)
    read = {"now": now, "sleep": _sleep_before(deadline)}
    if request.method == "GET":
        return counter.read_counts(settings.client, settings.table_name, page_key, **read), "read"
    if visitors.is_crawler(request.headers.get("user-agent")):
        counts = counter.read_counts(settings.client, settings.table_name, page_key, **read)
        return counts, "crawler not counted"
    client, agent = _visitor(request, settings, now) or (None, "")
    try:
        counts = counter.record_hit(
            settings.client, settings.table_name, page_key, visitor=client, agent=agent, now=now
        )
    except counter.ClientOverLimit:
        counts = counter.read_counts(settings.client, settings.table_name, page_key, **read)
        return counts, "client over its daily limit, not counted"
    return counts, "counted"


class Answer(NamedTuple):
    """What one request came to: the response and what the log line says about it."""

    response: dict
    outcome: str
    request: Request | None = None
    page: str | None = None
    rolled_back: bool | None = None


def _answer(event: Any, settings: Settings, deadline: float) -> Answer:
    request = page_key = None
    try:
        request = Request.from_event(event)
        _check_origin(request, settings.origin_verify_secret)
        if request.route != API_PATH:
            raise ApiError(404, "not found", "no such route")
        if request.method not in ALLOWED_METHODS:
            allow = {"Allow": ", ".join(ALLOWED_METHODS)}
            raise ApiError(405, "method not allowed", "bad method", allow)
        page_key = _page_key_of(request)
        counts, outcome = _counts(request, settings, page_key, deadline)
    except ApiError as error:
        response = _json_response(error.status, {"error": str(error)}, error.headers)
        return Answer(response, error.outcome, request, page_key)
    except counter.UnknownPage:
        response = _json_response(404, {"error": "unknown page"})
        return Answer(response, "unknown page", request, page_key)
    except counter.StoreUnavailable as error:
        retry = {"Retry-After": str(RETRY_AFTER_SECONDS)}
        response = _json_response(503, {"error": "counter temporarily unavailable"}, retry)
        return Answer(response, f"store unavailable: {error}", request, page_key, error.rolled_back)
    except Exception as error:  # a bug: answer JSON, never a stack trace
        response = _json_response(500, {"error": "internal error"})
        return Answer(response, f"internal error: {type(error).__name__}", request, page_key)
    return Answer(_json_response(200, counts._asdict()), outcome, request, page_key)


def handler(event: Any, context: Any) -> dict:
    started = time.perf_counter()
    answer = _answer(event, _settings, deadline_of(context))
    request = answer.request
    log: dict[str, Any] = {
        "method": request.method if request else None,
        "route": request.route[:LOGGED_ROUTE_CHARS] if request else None,
        "page": answer.page,
    }
    if answer.rolled_back is not None:
        log["rolled_back"] = answer.rolled_back
    log.update(
        status=answer.response["statusCode"],
        outcome=answer.outcome,
        latency_ms=round((time.perf_counter() - started) * 1000, 1),
        request_id=getattr(context, "aws_request_id", None),
    )
    # Plain stdout: one clean JSON line whatever log format the Lambda runtime is set to.
    print(json.dumps(log, ensure_ascii=True), flush=True)
    return answer.response
