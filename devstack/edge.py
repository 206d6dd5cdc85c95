"""The local edge: serves the site bucket as our CloudFront distribution does and routes
``/api/*`` to the counter handler as API Gateway (HTTP API, payload 2.0) would.

What it reproduces from the Terraform stack, so that what works locally works in production:
- the viewer-request CloudFront Function (``terraform/functions/viewer_request.js``): directory
  URLs to ``index.html``, ``www.`` to the apex, the author's ``redirects.json``;
  :func:`viewer_request` follows the same table of cases (``tests/data/url_rewrite_cases.json``);
- the S3 origin through OAC: objects with their stored Content-Type and Cache-Control, a missing
  key answers 404 with ``/404.html`` (the distribution's custom error response);
- the response-headers policy (CSP, HSTS, nosniff, referrer policy, frame options and its
  custom ``Permissions-Policy``);
- the ``/api/*`` behaviour: no caching, the request handed to the Lambda handler as an
  API Gateway v2 event, its response returned as is.

With a :class:`~devstack.livereload.PreviewChannel` (``make serve`` only) it also adds the
preview script to the HTML it serves and answers the dev-only ``/_dev/*`` routes; nothing of
that exists in CloudFront or in the bucket.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable
from urllib.parse import parse_qsl, unquote, urlsplit

from contentcheck.redirects import current_redirects
from deploy.objects import BOOKKEEPING_KEYS

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
NOT_FOUND_PAGE = "404.html"
# Keys the bucket policy denies to CloudFront (terraform/site.tf): publish's bookkeeping.
PRIVATE_KEYS = BOOKKEEPING_KEYS

# The same headers the distribution's response-headers policy adds (terraform/cdn.tf).
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    ),
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}
_POLICY_HEADER_NAMES = frozenset(name.lower() for name in SECURITY_HEADERS)

# Bodies API Gateway passes through as text; anything else arrives base64-encoded.
_TEXT_TYPES = ("text/", "application/json", "application/xml", "application/x-www-form-urlencoded")


@dataclass(frozen=True)
class Rewrite:
    uri: str


@dataclass(frozen=True)
class Redirect:
    location: str
    status: int = 301


def raw_query_parameters(raw_query: str) -> dict[str, list[str]]:
    """The query string as CloudFront Functions see it: names to values, still percent-encoded."""
    parameters: dict[str, list[str]] = {}
    for part in filter(None, raw_query.split("&")):
        name, _, value = part.partition("=")
        parameters.setdefault(name, []).append(value)
    return parameters


def viewer_request(
    host: str,
    uri: str,
    querystring: dict[str, str | list[str]] | None = None,
    redirects: dict[str, str] | None = None,
) -> Rewrite | Redirect:
    """The CloudFront Function's rules, in Python: redirect ``www.`` to the apex, then a URI in
    the redirects table to its new URL, else rewrite.

    ``querystring`` maps names to a value or a list of values, percent-encoded as received.
    ``redirects`` is the author's table (old path -> new URL); None reads ``redirects.json``.
    """
    host = (host or "").lower()
    pairs = [
        f"{name}={value}"
        for name, values in (querystring or {}).items()
        for value in (values if isinstance(values, list) else [values])
    ]
    query = "?" + "&".join(pairs) if pairs else ""
    if host.startswith("www."):
        return Redirect(f"https://{host[4:]}{uri}{query}")
    table = current_redirects() if redirects is None else redirects
    if uri in table:
        return Redirect(table[uri] + query)
    if uri.endswith("/"):
        return Rewrite(uri + "index.html")
    if "." not in uri.rsplit("/", 1)[-1]:
        return Rewrite(uri + "/index.html")
    return Rewrite(uri)


def api_gateway_event(
    method: str,
    raw_path: str,
    raw_query: str,
    headers: dict[str, str],
    body: bytes,
    source_ip: str,
    host: str,
) -> dict:
    """An API Gateway HTTP API payload 2.0 event, as the Lambda receives it."""
    lowered = {name.lower(): value for name, value in headers.items()}
    content_type = lowered.get("content-type", "")
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
            code = error.response.get("Error", {}).get("Code", "")
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


class EdgeServer(ThreadingHTTPServer):
    daemon_threads = True
    # Lets a restart bind at once after Ctrl-C; Linux still refuses a port another process listens on.
    allow_reuse_address = True
    # socketserver's default backlog of 5 resets connections when a page's burst (or 50
    # concurrent hits) arrives faster than the accept loop takes them.
    request_queue_size = 128

    def __init__(self, address, origin: SiteOrigin, api_handler: LambdaHandler, preview: PreviewChannel | None = None):
        self.origin = origin
        self.api_handler = api_handler
        self.preview = preview
        super().__init__(address, EdgeRequestHandler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"


class EdgeRequestHandler(BaseHTTPRequestHandler):
    server: EdgeServer
    protocol_version = "HTTP/1.1"
    server_version = "local-edge"
    # Headers and body go out in separate writes: without this, every keep-alive response
    # waits for the client's delayed ACK (about 40 ms).
    disable_nagle_algorithm = True

    def log_message(self, format, *args):  # noqa: A002 - the stdlib's signature
        log.debug("%s %s", self.address_string(), format % args)

    # --- dispatch -----------------------------------------------------------------------------

    def do_GET(self):
        self._dispatch()

    def do_HEAD(self):
        self._dispatch()

    def do_POST(self):
        self._dispatch()

    def do_PUT(self):
        self._dispatch()

    def do_DELETE(self):
        self._dispatch()

    def do_PATCH(self):
        self._dispatch()

    def do_OPTIONS(self):
        self._dispatch()

    def _dispatch(self):
        started = time.perf_counter()
        split = urlsplit(self.path)
        try:
            if split.path.startswith(API_PREFIX) or split.path == API_PREFIX.rstrip("/"):
                self._api(split.path, split.query)
            elif self.server.preview is not None and split.path.startswith(DEV_PREFIX):
                self._dev(split.path)
            elif self.command in ("GET", "HEAD"):
                self._site(split.path, split.query)
            else:
                # The default behaviour allows GET and HEAD only; CloudFront answers 403.
                self._send(HTTPStatus.FORBIDDEN, {"Content-Type": "text/plain"}, b"method not allowed for the site\n")
        except (BrokenPipeError, ConnectionResetError):
            return
        except Exception:  # the edge must answer even when an origin misbehaves
            log.exception("edge: %s %s failed", self.command, self.path)
            self._send(HTTPStatus.BAD_GATEWAY, {"Content-Type": "text/plain"}, b"502 bad gateway\n")
        finally:
            log.debug("edge: %s %s in %.1f ms", self.command, self.path, (time.perf_counter() - started) * 1000)

    # --- /api/* -> API Gateway -> Lambda -----------------------------------------------------

    def _api(self, raw_path: str, raw_query: str):
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_API_BODY:
            self.close_connection = True
            return self._send_json(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {"message": "Request Entity Too Large"})
        body = self.rfile.read(length) if length else b""
        if raw_path not in API_ROUTES:
            return self._send_json(HTTPStatus.NOT_FOUND, {"message": "Not Found"})
        event = api_gateway_event(
            self.command, raw_path, raw_query, dict(self.headers.items()), body,
            self.client_address[0], self.headers.get("Host", ""),
        )
        try:
            result = self.server.api_handler(event, None)
        except Exception:
            log.exception("edge: the counter handler raised")
            return self._send_json(HTTPStatus.INTERNAL_SERVER_ERROR, {"message": "Internal Server Error"})
        status, headers, payload = _lambda_response(result)
        # /api/* has the same response-headers policy as the site (cdn.tf).
        self._send(status, with_security_headers(headers), payload)

    # --- the site: viewer-request function, then the bucket ----------------------------------

    def _site(self, path: str, raw_query: str):
        decision = viewer_request(self.headers.get("Host", ""), path, raw_query_parameters(raw_query))
        if isinstance(decision, Redirect):
            return self._send(decision.status, {"Location": decision.location}, b"")
        key = unquote(decision.uri).lstrip("/")
        readable = key and key not in PRIVATE_KEYS
        # A preview page carries the build generation it was served at: never answer 304.
        validator = None if self.server.preview is not None else self.headers.get("If-None-Match")
        found = self.server.origin.get(key, validator) if readable else None
        if found is None:
            page = self.server.origin.get(NOT_FOUND_PAGE)
            if page is None:
                return self._send(HTTPStatus.NOT_FOUND, {"Content-Type": "text/plain"}, b"404 not found\n")
            _, headers, body = page
            return self._send(HTTPStatus.NOT_FOUND, with_security_headers(headers), self._previewed(headers, body))
        status, headers, body = found
        self._send(status, with_security_headers(headers), self._previewed(headers, body))

    def _previewed(self, headers: dict[str, str], body: bytes) -> bytes:
        if self.server.preview is None or not headers.get("Content-Type", "").startswith("text/html"):
            return body
        return with_preview_script(body, self.server.preview.status()["generation"])

    # --- /_dev/*: the preview's channel (make serve only) --------------------------------------

    def _dev(self, path: str):
        preview = self.server.preview
        if path == EVENTS_PATH and self.command == "GET":
            return self._event_stream(preview)
        if path == STATUS_PATH:
            return self._send(200, {"Content-Type": "application/json", "Cache-Control": "no-store"}, json.dumps(preview.status()).encode())
        asset = preview.asset(path)
        if asset is None:
            return self._send(HTTPStatus.NOT_FOUND, {"Content-Type": "text/plain"}, b"404 not found\n")
        content_type, body = asset
        self._send(200, with_security_headers({"Content-Type": content_type, "Cache-Control": "no-store"}), body)

    def _event_stream(self, preview: PreviewChannel):
        self.send_response(200)
        for name, value in with_security_headers({"Content-Type": "text/event-stream", "Cache-Control": "no-store"}).items():
            self.send_header(name, value)
        self.end_headers()
        self.close_connection = True
        status = preview.status()
        self.wfile.write(event_bytes(status))
        self.wfile.flush()
        seen = status["generation"]
        while not preview.closed:
            status = preview.wait_for_build(seen, KEEPALIVE_SECONDS)
            if status is None:
                self.wfile.write(b": keep-alive\n\n")
            else:
                seen = status["generation"]
                self.wfile.write(event_bytes(status))
            self.wfile.flush()

    # --- writing -------------------------------------------------------------------------------

    def _send_json(self, status: int, document: dict):
        """API Gateway's own answers (not the Lambda's): they pass the same response-headers policy."""
        self._send(status, with_security_headers({"Content-Type": "application/json"}), json.dumps(document).encode())

    def _send(self, status: int, headers: dict[str, str], body: bytes):
        self.send_response(int(status))
        for name, value in headers.items():
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        self.send_header("Content-Length", "0" if self.command == "HEAD" and status == 304 else str(len(body)))
        self.end_headers()
        if self.command != "HEAD" and status != 304:
            self.wfile.write(body)


def with_security_headers(headers: dict[str, str]) -> dict[str, str]:
    """The origin's headers with the policy's added, replacing any of the same name (every
    header of the policy has ``override = true``)."""
    kept = {name: value for name, value in headers.items() if name.lower() not in _POLICY_HEADER_NAMES}
    return {**kept, **SECURITY_HEADERS}


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
    host: str, port: int, origin: SiteOrigin, api_handler: LambdaHandler, preview: PreviewChannel | None = None
) -> tuple[EdgeServer, threading.Thread]:
    """Bind (raising OSError when the port is taken) and serve in a background thread."""
    server = EdgeServer((host, port), origin, api_handler, preview)
    thread = threading.Thread(target=server.serve_forever, name="local-edge", daemon=True)
    thread.start()
    return server, thread
