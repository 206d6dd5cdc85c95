"""The local edge: serves the site bucket as our CloudFront distribution does and routes
``/api/*`` to the counter handler as API Gateway (HTTP API, payload 2.0) would.

What it reproduces from the Terraform stack, so that what works locally works in production,
its values read from the same source as Terraform's (``shared/edge_rules.json`` with the
author's ``redirects.json`` and ``csp.json``, through :mod:`shared.edge_rules`):
- the viewer-request CloudFront Function (``terraform/functions/viewer_request.js``): directory
  URLs to the index document, ``www.`` to the apex, the author's redirects;
  :func:`viewer_request` follows the same table of cases (``tests/data/url_rewrite_cases.json``);
- the S3 origin through OAC: objects with their stored Content-Type and Cache-Control, a missing
  key answers 404 with the not-found page (the distribution's custom error response);
- the response-headers policy (CSP, HSTS, nosniff, referrer policy, frame options and its
  custom headers);
- the ``/api/*`` behaviour: no caching, the request handed to the Lambda handler as an
  API Gateway v2 event, its response returned as is.

With a :class:`~devstack.livereload.PreviewChannel` (``make serve`` only) it also adds the
preview script to the HTML it serves and answers the dev-only ``/_dev/*`` routes; nothing of
that exists in CloudFront or in the bucket.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from http import HTTPStatus
from typing import Callable, Iterator
from urllib.parse import parse_qsl, unquote

import waitress

from deploy.objects import BOOKKEEPING_KEYS
from shared.aws import error_code
from shared.edge_rules import EdgeRules, LiveEdgeRules

from devstack.livereload import (
    DEV_PREFIX,
    EVENTS_PATH,
    KEEPALIVE_SECONDS,
    STATUS_PATH,
    PreviewChannel,
    event_bytes,
    with_preview_script,
)

log = logging.getLogger(__name__)

API_PREFIX = "/api/"
# The routes the HTTP API declares; anything else under /api/ is API Gateway's own 404.
API_ROUTES = {"/api/hits"}
MAX_API_BODY = 10 * 1024 * 1024  # API Gateway's payload limit
# A keep-alive connection with no request for this long is closed (so is one stuck halfway
# through a request): long enough for a page and its counter call to share a connection,
# short enough that abandoned or trickling connections do not pile up.
IDLE_TIMEOUT_SECONDS = 10
# Each open preview page holds a worker for its event stream; counter calls need the rest.
WORKER_THREADS = 32
# Preview pages' event streams hold a worker each for as long as the page is open; past this
# many, a page gets the current status and is told to reconnect later (EventSource does), so
# the workers left always answer pages and counter calls.
MAX_EVENT_STREAMS = WORKER_THREADS - 8
EVENT_STREAM_RETRY_MS = 5000
CONNECTION_LIMIT = 500  # beyond it, connections wait in the listen backlog
# CloudFront's limits on a viewer request: the URL, and the request line with every header.
MAX_URL_BYTES = 8192
MAX_REQUEST_HEAD_BYTES = 20480
LOGGED_PATH_CHARS = 120
LISTEN_BACKLOG = 1024
# How often an event stream checks that its page is still there.
DISCONNECT_CHECK_SECONDS = 1.0
# Methods HTTP defines: any other on a site path is 501 (API routes pass any to the handler).
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE"})
# The server frames responses itself: a handler's framing headers are dropped (PEP 3333's hop-by-hop).
_FRAMING_HEADERS = frozenset({
    "content-length", "connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
    "te", "trailers", "transfer-encoding", "upgrade",
})
# Keys the bucket policy denies to CloudFront (terraform/site.tf): publish's bookkeeping.
PRIVATE_KEYS = BOOKKEEPING_KEYS

# Bodies API Gateway passes through as text; anything else arrives base64-encoded.
_TEXT_TYPES = ("text/", "application/json", "application/xml", "application/x-www-form-urlencoded")


@dataclass(frozen=True)
class Rewrite:
    uri: str


@dataclass(frozen=True)
class Redirect:
    location: str
    cache_control: str
    status: int = 301


def raw_query_parameters(raw_query: str) -> dict[str, list[str]]:
    """The query string as CloudFront Functions see it: names to values, still percent-encoded."""
    parameters: dict[str, list[str]] = {}
    for part in filter(None, raw_query.split("&")):
        name, _, value = part.partition("=")
        parameters.setdefault(name, []).append(value)
    return parameters


def viewer_request(
    rules: EdgeRules,
    host: str,
    uri: str,
    querystring: dict[str, str | list[str]] | None = None,
) -> Rewrite | Redirect:
    """The CloudFront Function's rules, in Python: redirect ``www.`` to the apex, then a URI in
    the author's redirects table to its new URL, else rewrite to the index document.

    ``querystring`` maps names to a value or a list of values, percent-encoded as received.
    """
    host = (host or "").lower()
    pairs = [
        f"{name}={value}"
        for name, values in (querystring or {}).items()
        for value in (values if isinstance(values, list) else [values])
    ]
    query = "?" + "&".join(pairs) if pairs else ""
    if host.startswith("www."):
        return Redirect(f"https://{host[4:]}{uri}{query}", rules.redirect_cache_control)
    if uri in rules.redirects:
        return Redirect(rules.redirects[uri] + query, rules.redirect_cache_control)
    if uri.endswith("/"):
        return Rewrite(uri + rules.index_document)
    if "." not in uri.rsplit("/", 1)[-1]:
        return Rewrite(f"{uri}/{rules.index_document}")
    return Rewrite(uri)


def api_gateway_event(
    method: str,
    raw_path: str,
    raw_query: str,
    headers: dict[str, str],
    body: bytes,
    source_ip: str,
    host: str,
    source_port: int = 0,
) -> dict:
    """An API Gateway HTTP API payload 2.0 event, as the Lambda receives it."""
    lowered = {name.lower(): value for name, value in headers.items()}
    # CloudFront adds the reader's address (terraform/cdn.tf's origin request policy forwards
    # it), replacing any the viewer sent; API Gateway's sourceIp would be CloudFront's own.
    lowered["cloudfront-viewer-address"] = f"{source_ip}:{source_port}"
    # Media types are case-insensitive (RFC 9110 8.3.1), and so is API Gateway's matching.
    content_type = lowered.get("content-type", "").strip().lower()
    is_text = not body or content_type.startswith(_TEXT_TYPES)
    now = datetime.now(timezone.utc)
    event = {
        "version": "2.0",
        "routeKey": f"ANY {raw_path}",
        "rawPath": raw_path,
        "rawQueryString": raw_query,
        "headers": lowered,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": host,
            "domainPrefix": host.split(".")[0],
            "http": {
                "method": method,
                "path": raw_path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": lowered.get("user-agent", ""),
            },
            "requestId": uuid.uuid4().hex,
            "routeKey": f"ANY {raw_path}",
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now.timestamp() * 1000),
        },
        "isBase64Encoded": not is_text,
    }
    if raw_query:
        params: dict[str, str] = {}
        for name, value in parse_qsl(raw_query, keep_blank_values=True):
            # API Gateway joins repeated parameters with commas.
            params[name] = f"{params[name]},{value}" if name in params else value
        event["queryStringParameters"] = params
    if lowered.get("cookie"):
        event["cookies"] = [c.strip() for c in lowered["cookie"].split(";") if c.strip()]
    if body:
        event["body"] = body.decode("utf-8", "surrogateescape") if is_text else base64.b64encode(body).decode()
    return event


class SiteOrigin:
    """Reads objects from the site bucket (any S3 endpoint: moto, LocalStack or AWS)."""

    def __init__(self, s3_client, bucket: str):
        self.s3 = s3_client
        self.bucket = bucket

    def get(self, key: str, if_none_match: str | None = None) -> tuple[int, dict[str, str], bytes] | None:
        from botocore.exceptions import ClientError

        args = {"Bucket": self.bucket, "Key": key}
        if if_none_match:
            args["IfNoneMatch"] = if_none_match
        try:
            obj = self.s3.get_object(**args)
        except ClientError as error:
            code = error_code(error)
            status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if code == "304" or status == 304:
                return 304, {"ETag": if_none_match or ""}, b""
            if code in ("NoSuchKey", "404", "NotFound", "AccessDenied", "403"):
                return None
            raise
        headers = {"Content-Type": obj.get("ContentType", "binary/octet-stream"), "ETag": obj.get("ETag", "")}
        if obj.get("CacheControl"):
            headers["Cache-Control"] = obj["CacheControl"]
        if obj.get("LastModified"):
            headers["Last-Modified"] = obj["LastModified"].strftime("%a, %d %b %Y %H:%M:%S GMT")
        return 200, headers, obj["Body"].read()


LambdaHandler = Callable[[dict, object], dict]


@dataclass(frozen=True)
class EdgeRequest:
    """What the edge needs of one request, read from the WSGI environ."""

    method: str
    raw_path: str  # percent-encoded, as the viewer sent it
    raw_query: str
    headers: dict[str, str]  # lowercase names
    client_ip: str
    read_body: Callable[[], bytes]
    client_gone: Callable[[], bool]
    client_port: int = 0

    @classmethod
    def from_environ(cls, environ: dict) -> "EdgeRequest":
        # The request target as sent: a path and a query, never a URL to parse ("//[" is a
        # path here, where urlsplit would take "[" for a broken IPv6 host and raise).
        target = (environ.get("REQUEST_URI") or environ.get("PATH_INFO", "/")).split("#", 1)[0]
        path, _, query = target.partition("?")
        headers = {
            name[5:].replace("_", "-").lower(): value
            for name, value in environ.items() if name.startswith("HTTP_")
        }
        for name in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            if environ.get(name):
                headers[name.replace("_", "-").lower()] = environ[name]
        length = int(environ.get("CONTENT_LENGTH") or 0)  # the server validated it
        stream = environ["wsgi.input"]
        return cls(
            method=environ["REQUEST_METHOD"],
            raw_path=path or "/",
            raw_query=query,
            headers=headers,
            client_ip=environ.get("REMOTE_ADDR", ""),
            client_port=int(environ.get("REMOTE_PORT") or 0),
            read_body=lambda: stream.read(length) if length else b"",
            client_gone=environ.get("waitress.client_disconnected", lambda: False),
        )

    @property
    def host(self) -> str:
        return self.headers.get("host", "")


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes | Iterator[bytes] = b""


class EdgeApp:
    """The edge's behaviours as a WSGI application: ``/api/*`` to the handler, ``/_dev/*`` to
    the preview channel, everything else the site through the viewer-request function."""

    def __init__(
        self,
        origin: SiteOrigin,
        api_handler: LambdaHandler,
        preview: PreviewChannel | None = None,
        rules: LiveEdgeRules | None = None,
    ):
        self.origin = origin
        self.api_handler = api_handler
        self.preview = preview
        self.rules = rules or LiveEdgeRules()
        self._stream_slots = threading.BoundedSemaphore(MAX_EVENT_STREAMS)

    def with_security_headers(self, headers: dict[str, str]) -> dict[str, str]:
        return with_security_headers(self.rules.current(), headers)

    def __call__(self, environ: dict, start_response):
        started = time.perf_counter()
        request = EdgeRequest.from_environ(environ)
        shown = _shortened(request.raw_path)
        try:
            if len((environ.get("REQUEST_URI") or "").encode("utf-8", "surrogateescape")) > MAX_URL_BYTES:
                log.warning("edge: %s %s: URL over %d bytes, answered 414", request.method, shown, MAX_URL_BYTES)
                answer = Answer(HTTPStatus.REQUEST_URI_TOO_LONG, {"Content-Type": "text/plain"}, b"414 URI too long\n")
            else:
                answer = self.answer(request)
        except Exception:  # the edge must answer even when an origin misbehaves
            log.exception("edge: %s %s failed", request.method, shown)
            answer = Answer(HTTPStatus.BAD_GATEWAY, {"Content-Type": "text/plain"}, b"502 bad gateway\n")
        finally:
            log.debug("edge: %s %s in %.1f ms", request.method, shown, (time.perf_counter() - started) * 1000)
        headers = [(name, value) for name, value in answer.headers.items() if name.lower() not in _FRAMING_HEADERS]
        status = f"{int(answer.status)} {_reason(answer.status)}"
        if isinstance(answer.body, bytes):
            headers.append(("Content-Length", str(len(answer.body))))
            start_response(status, headers)
            return [b"" if request.method == "HEAD" else answer.body]
        start_response(status, headers)  # a stream: the server frames it (chunked)
        return answer.body

    def answer(self, request: EdgeRequest) -> Answer:
        path = request.raw_path
        if path.startswith(API_PREFIX) or path == API_PREFIX.rstrip("/"):
            return self._api(request)
        if self.preview is not None and path.startswith(DEV_PREFIX):
            return self._dev(request)
        if request.method in ("GET", "HEAD"):
            return self._site(request)
        if request.method not in KNOWN_METHODS:
            return Answer(HTTPStatus.NOT_IMPLEMENTED, {"Content-Type": "text/plain"}, b"method not implemented\n")
        # The default behaviour allows GET and HEAD only; CloudFront answers 403.
        return Answer(HTTPStatus.FORBIDDEN, {"Content-Type": "text/plain"}, b"method not allowed for the site\n")

    # --- /api/* -> API Gateway -> Lambda -----------------------------------------------------

    def _api(self, request: EdgeRequest) -> Answer:
        # The server already refused bodies over MAX_API_BODY (API Gateway's 413).
        body = request.read_body()
        if request.raw_path not in API_ROUTES:
            return api_gateway_answer(self.rules.current(), HTTPStatus.NOT_FOUND, "Not Found")
        event = api_gateway_event(
            request.method, request.raw_path, request.raw_query, request.headers, body,
            request.client_ip, request.host, request.client_port,
        )
        try:
            result = self.api_handler(event, None)
        except Exception:
            log.exception("edge: the counter handler raised")
            return api_gateway_answer(self.rules.current(), HTTPStatus.INTERNAL_SERVER_ERROR, "Internal Server Error")
        status, headers, payload = _lambda_response(result)
        # /api/* has the same response-headers policy as the site (cdn.tf).
        return Answer(status, self.with_security_headers(headers), payload)

    # --- the site: viewer-request function, then the bucket ----------------------------------

    def _site(self, request: EdgeRequest) -> Answer:
        rules = self.rules.current()
        decision = viewer_request(rules, request.host, request.raw_path, raw_query_parameters(request.raw_query))
        if isinstance(decision, Redirect):
            return Answer(decision.status, {"Location": decision.location, "Cache-Control": decision.cache_control})
        key = unquote(decision.uri).lstrip("/")
        readable = key and key not in PRIVATE_KEYS
        # A preview page carries the build generation it was served at: never answer 304.
        validator = None if self.preview is not None else request.headers.get("if-none-match")
        found = self.origin.get(key, validator) if readable else None
        if found is None:
            page = self.origin.get(rules.not_found_page.lstrip("/"))
            if page is None:
                return Answer(HTTPStatus.NOT_FOUND, {"Content-Type": "text/plain"}, b"404 not found\n")
            _, headers, body = page
            return Answer(HTTPStatus.NOT_FOUND, with_security_headers(rules, headers), self._previewed(headers, body))
        status, headers, body = found
        return Answer(status, with_security_headers(rules, headers), self._previewed(headers, body))

    def _previewed(self, headers: dict[str, str], body: bytes) -> bytes:
        if self.preview is None or not headers.get("Content-Type", "").startswith("text/html"):
            return body
        return with_preview_script(body, self.preview.status()["generation"])

    # --- /_dev/*: the preview's channel (make serve only) --------------------------------------

    def _dev(self, request: EdgeRequest) -> Answer:
        preview = self.preview
        if request.raw_path == EVENTS_PATH and request.method == "GET":
            headers = self.with_security_headers({"Content-Type": "text/event-stream", "Cache-Control": "no-store"})
            if not self._stream_slots.acquire(blocking=False):
                # every stream slot taken: this page gets the status now and comes back later
                retry = f"retry: {EVENT_STREAM_RETRY_MS}\n".encode()
                return Answer(200, headers, retry + event_bytes(preview.status()))
            return Answer(200, headers, _event_stream(preview, request.client_gone, self._stream_slots.release))
        if request.raw_path == STATUS_PATH:
            return Answer(200, {"Content-Type": "application/json", "Cache-Control": "no-store"}, json.dumps(preview.status()).encode())
        asset = preview.asset(request.raw_path)
        if asset is None:
            return Answer(HTTPStatus.NOT_FOUND, {"Content-Type": "text/plain"}, b"404 not found\n")
        content_type, body = asset
        return Answer(200, self.with_security_headers({"Content-Type": content_type, "Cache-Control": "no-store"}), body)


def _event_stream(
    preview: PreviewChannel, client_gone: Callable[[], bool], done: Callable[[], None]
) -> Iterator[bytes]:
    """One ``build`` event now and one per rebuild; a comment line when quiet. Each piece
    reaches the page at once (the server writes each one out as it is yielded); the stream
    ends when the page goes away, so a closed tab does not hold a worker. ``done`` gives its
    slot back, however it ends (the server closes the stream when the page goes)."""
    try:
        status = preview.status()
        yield event_bytes(status)
        seen = status["generation"]
        quiet = 0.0
        while not preview.closed and not client_gone():
            status = preview.wait_for_build(seen, DISCONNECT_CHECK_SECONDS)
            if status is not None:
                seen, quiet = status["generation"], 0.0
                yield event_bytes(status)
            elif (quiet := quiet + DISCONNECT_CHECK_SECONDS) >= KEEPALIVE_SECONDS:
                quiet = 0.0
                yield b": keep-alive\n\n"
    finally:
        done()


def _shortened(path: str) -> str:
    """A path as a log line shows it: a 100 KB URL is not a 100 KB log line."""
    if len(path) <= LOGGED_PATH_CHARS:
        return path
    return f"{path[:LOGGED_PATH_CHARS]}… ({len(path)} characters)"


def api_gateway_answer(rules: EdgeRules, status: int, message: str) -> Answer:
    """API Gateway's own answers (not the Lambda's): they pass the same response-headers policy."""
    return Answer(status, with_security_headers(rules, {"Content-Type": "application/json"}), json.dumps({"message": message}).encode())


def _reason(status: int) -> str:
    try:
        return HTTPStatus(int(status)).phrase
    except ValueError:
        return "Unknown"


class EdgeServer:
    """The edge on a maintained HTTP/1.1 server (waitress): it frames requests strictly (bad
    lengths, bad chunks and lowercase methods are a 400 before any handler runs), decodes chunked
    bodies, closes idle connections, and listens with a deep backlog and Nagle off."""

    def __init__(
        self,
        address,
        origin: SiteOrigin,
        api_handler: LambdaHandler,
        preview: PreviewChannel | None = None,
        rules: LiveEdgeRules | None = None,
    ):
        host, port = address
        self.app = EdgeApp(origin, api_handler, preview, rules)
        # Binds here: a taken port raises OSError at once.
        # The server's socket map (its listener, its trigger, every connection), ours to close.
        self._sockets: dict = {}
        self._server = waitress.create_server(
            self.app,
            map=self._sockets,
            host=host,
            port=port,
            ident="local-edge",
            threads=WORKER_THREADS,
            connection_limit=CONNECTION_LIMIT,
            channel_timeout=IDLE_TIMEOUT_SECONDS,
            cleanup_interval=1,
            # Lets a page's event stream notice the page went away (waitress.client_disconnected).
            channel_request_lookahead=1,
            max_request_body_size=MAX_API_BODY + 1,
            # Past it waitress answers 431 before the application runs.
            max_request_header_size=MAX_REQUEST_HEAD_BYTES,
            # socket.listen's backlog: 5 (socketserver's default) reset connections when a page's
            # burst or 50 concurrent hits arrive faster than they are accepted.
            backlog=LISTEN_BACKLOG,
            # Forwarding headers reach the handler as the viewer sent them, as before.
            clear_untrusted_proxy_headers=False,
        )
        # waitress's info lines ("Client disconnected while serving ...") are routine here: a
        # page closed during its event stream. Its warnings and errors still show.
        logging.getLogger("waitress").setLevel(logging.WARNING)
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    @property
    def origin(self) -> SiteOrigin:
        return self.app.origin

    @property
    def server_address(self) -> tuple[str, int]:
        return self._server.effective_host, self._server.effective_port

    @property
    def url(self) -> str:
        host, port = self.server_address
        return f"http://{host}:{port}"

    def serve_forever(self) -> None:
        """Run the server's loop until :meth:`shutdown` has closed every socket it watches."""
        self._server.run()

    def _close(self) -> None:
        """In the loop's thread (the loop alone touches its sockets): connections first, then
        the workers (a finishing worker still wakes the loop through the trigger), then the
        listener and its trigger; the loop ends with nothing left to watch."""
        server = self._server
        for dispatcher in list(self._sockets.values()):
            if dispatcher is not server and dispatcher is not server.trigger:
                dispatcher.close()
        server.task_dispatcher.shutdown(timeout=5)
        server.close()

    def start(self) -> threading.Thread:
        self._thread = threading.Thread(target=self.serve_forever, name="local-edge", daemon=True)
        self._thread.start()
        return self._thread

    def shutdown(self) -> None:
        """Stop accepting, close every connection, end the workers and the loop."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        if self._thread is None:
            return self._close()
        with contextlib.suppress(OSError):
            self._server.trigger.pull_trigger(self._close)  # run in the loop's thread, now
        self._thread.join(timeout=10)

    def server_close(self) -> None:
        """Kept for callers written for socketserver: :meth:`shutdown` already closed everything."""
        self.shutdown()


def with_security_headers(rules: EdgeRules, headers: dict[str, str]) -> dict[str, str]:
    """The origin's headers with the policy's added, replacing any of the same name (every
    header of the policy has ``override = true``)."""
    policy = rules.security_headers()
    names = {name.lower() for name in policy}
    kept = {name: value for name, value in headers.items() if name.lower() not in names}
    return {**kept, **policy}


def _lambda_response(result) -> tuple[int, dict[str, str], bytes]:
    """Shape a payload 2.0 Lambda result the way API Gateway does."""
    if not isinstance(result, dict) or "statusCode" not in result:
        # API Gateway treats any other value as a 200 JSON body.
        return 200, {"Content-Type": "application/json"}, json.dumps(result).encode()
    body = result.get("body") or ""
    payload = base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode("utf-8")
    headers = {str(k): str(v) for k, v in (result.get("headers") or {}).items()}
    headers.setdefault("Content-Type", "application/json")
    return int(result["statusCode"]), headers, payload


def start_edge(
    host: str,
    port: int,
    origin: SiteOrigin,
    api_handler: LambdaHandler,
    preview: PreviewChannel | None = None,
    rules: LiveEdgeRules | None = None,
) -> tuple[EdgeServer, threading.Thread]:
    """Bind (raising OSError when the port is taken) and serve in a background thread."""
    server = EdgeServer((host, port), origin, api_handler, preview, rules)
    return server, server.start()
