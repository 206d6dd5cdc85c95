"""A moto server on a free loopback port that counts every request it answers, by service and
operation, with the payload bytes of each upload.

The count is taken on the server side, so the same counter sees our publish, ``aws s3 sync``
(another process) and the counter handler alike, retries included.

Emulated round-trip time: ``CountingMotoServer(rtt={"s3": 0.030, "cloudfront": 0.030,
"dynamodb": 0.005})`` (seconds, per service as named in the request's signature) holds every
request of that service for one RTT before answering it. It is applied at the server, so every
client, in any process or language, pays it alike: requests sent one after another add up,
parallel ones overlap, as over a real network. Connection setup is not charged: moto's server
answers every request with ``Connection: close``, so a handshake charge would fall on every
request instead of on each connection a client would keep alive against S3. ``moto.rtt`` may
be changed between measurements (``with moto.round_trip({...}):``), so provisioning and checks
need not pay it. A request that waits for ``100 Continue`` before sending its body (botocore does
for every ``PutObject``) pays a second RTT, as it would over a network: the server sends the
interim answer before the request reaches the counting app, so the app holds it twice as long.

The server runs in a process of its own (``python -m bench.moto_server``), so the clients a
benchmark measures in its own process (the counter's handler, a boto3 anchor) do not share an
interpreter lock with moto, and moto's CPU is not counted as theirs. The benchmark reads the
request log and sets the RTT over HTTP, under ``/_bench/`` on the same port.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Mapping
from urllib.parse import parse_qs, unquote

from deploy.environment import patched_environ

if TYPE_CHECKING:
    from devstack.stack import DevStack

# moto accepts any credentials; fixed dummy ones keep real ones out of benchmark traffic.
DUMMY_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}
# Variables that could point a client elsewhere than the benchmark's moto server.
_CLEARED = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE")


@dataclass(frozen=True)
class Request:
    service: str  # "s3", "dynamodb", "cloudfront", ...
    operation: str  # "PutObject", "UpdateItem", ...
    bucket: str = ""
    key: str = ""
    payload_bytes: int = 0
    at: float = 0.0  # time.monotonic() when it arrived (one clock for every process here)

    def to_list(self) -> list:
        return [self.service, self.operation, self.bucket, self.key, self.payload_bytes, self.at]


def _service(environ: dict) -> str:
    # SigV4: "AWS4-HMAC-SHA256 Credential=<id>/<date>/<region>/<service>/aws4_request, ..."
    authorization = environ.get("HTTP_AUTHORIZATION", "")
    if "Credential=" in authorization:
        scope = authorization.split("Credential=", 1)[1].split(",", 1)[0].split("/")
        if len(scope) >= 4:
            return scope[3]
    return "other"


def _s3_operation(method: str, key: str, query: dict, environ: dict) -> str:
    if method == "PUT":
        if "HTTP_X_AMZ_COPY_SOURCE" in environ:
            return "CopyObject"
        if "uploadId" in query:
            return "UploadPart"
        return "PutObject" if key else "PutBucket"
    if method == "POST":
        if "delete" in query:
            return "DeleteObjects"
        if "uploads" in query:
            return "CreateMultipartUpload"
        if "uploadId" in query:
            return "CompleteMultipartUpload"
        return "PostObject"
    names = {"GET": ("ListObjects", "GetObject"), "HEAD": ("HeadBucket", "HeadObject"),
             "DELETE": ("DeleteBucket", "DeleteObject")}
    bucket_op, object_op = names.get(method, (method, method))
    return object_op if key else bucket_op


def classify(environ: dict) -> Request:
    service = _service(environ)
    method = environ.get("REQUEST_METHOD", "")
    if service == "dynamodb":
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        return Request(service, target.rsplit(".", 1)[-1] or method, at=time.monotonic())
    if service == "cloudfront":
        path = environ.get("PATH_INFO", "")
        if path.endswith("/invalidation") and method == "POST":
            return Request(service, "CreateInvalidation", at=time.monotonic())
        return Request(service, f"{method} {path.split('/')[-1]}", at=time.monotonic())
    if service != "s3":
        return Request(service, method, at=time.monotonic())
    bucket, _, key = unquote(environ.get("PATH_INFO", "")).lstrip("/").partition("/")
    query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    operation = _s3_operation(method, key, query, environ)
    payload = 0
    if operation in ("PutObject", "UploadPart"):
        # Streaming uploads with trailing checksums are aws-chunked: the decoded length is the payload.
        payload = int(
            environ.get("HTTP_X_AMZ_DECODED_CONTENT_LENGTH") or environ.get("CONTENT_LENGTH") or 0
        )
    return Request(service, operation, bucket, key, payload, time.monotonic())


class RequestLog:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: list[Request] = []

    def add(self, request: Request) -> None:
        with self._lock:
            self._requests.append(request)

    def mark(self) -> int:
        with self._lock:
            return len(self._requests)

    def since(self, mark: int) -> list[Request]:
        with self._lock:
            return list(self._requests[mark:])


@dataclass(frozen=True)
class Traffic:
    """The requests of one measured window."""

    requests: list[Request]

    def count(self, service: str | None = None, operation: str | None = None) -> int:
        return sum(
            (service is None or r.service == service) and (operation is None or r.operation == operation)
            for r in self.requests
        )

    def by_operation(self, service: str) -> dict[str, int]:
        return dict(sorted(Counter(r.operation for r in self.requests if r.service == service).items()))

    def uploads(self, bucket: str | None = None) -> list[Request]:
        return [
            r for r in self.requests
            if r.operation in ("PutObject", "UploadPart") and (bucket is None or r.bucket == bucket)
        ]

    def uploaded_bytes(self, bucket: str | None = None) -> int:
        return sum(r.payload_bytes for r in self.uploads(bucket))


RoundTrips = Mapping[str, float]  # service -> seconds, e.g. {"s3": 0.030, "dynamodb": 0.005}


def check_rtt(rtt: RoundTrips | None) -> dict[str, float]:
    rtt = dict(rtt or {})
    for service, seconds in rtt.items():
        if not (isinstance(seconds, (int, float)) and 0 <= seconds < 10):
            raise ValueError(f"rtt for {service!r} must be seconds in [0, 10), not {seconds!r}")
    return rtt


def describe_rtt(rtt: RoundTrips | None) -> str:
    """``"0 ms"`` or ``"s3 30 ms, cloudfront 30 ms"``: how a table states the RTT used."""
    used = {service: seconds for service, seconds in (rtt or {}).items() if seconds}
    if not used:
        return "0 ms"
    return ", ".join(f"{service} {seconds * 1000:g} ms" for service, seconds in used.items())


CONTROL_PREFIX = "/_bench/"


class _CountingApp:
    """The WSGI app in the server's process: counts and holds each request, and answers the
    benchmark's control requests (``GET /_bench/log?since=N``, ``PUT /_bench/rtt``)."""

    def __init__(self, app, log: RequestLog) -> None:
        self.app = app
        self.log = log
        self.rtt: dict[str, float] = {}

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith(CONTROL_PREFIX):
            return self._control(path[len(CONTROL_PREFIX):], environ, start_response)
        if not path.startswith("/moto-api"):
            request = classify(environ)
            self.log.add(request)
            delay = self.rtt.get(request.service, 0.0)
            if delay:
                # Waiting for "100 Continue" is a round trip of its own on a network.
                waits_for_continue = environ.get("HTTP_EXPECT", "").strip().lower() == "100-continue"
                time.sleep(delay * (2 if waits_for_continue else 1))
        return self.app(environ, start_response)

    def _control(self, what: str, environ, start_response):
        if what == "rtt" and environ.get("REQUEST_METHOD") == "PUT":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            self.rtt = check_rtt(json.loads(environ["wsgi.input"].read(length) or b"{}"))
            body = json.dumps(self.rtt).encode()
        elif what == "log":
            since = int(parse_qs(environ.get("QUERY_STRING", "")).get("since", ["0"])[0])
            requests = self.log.since(since)
            body = json.dumps({"end": since + len(requests), "requests": [r.to_list() for r in requests]}).encode()
        elif what == "mark":
            body = json.dumps({"end": self.log.mark()}).encode()
        else:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"unknown control request"]
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]


def serve() -> None:
    """The server's process: a threaded moto server on a free loopback port, wrapped by the
    counting app; prints its URL, then serves until its standard input closes (the benchmark
    that started it ended, however it ended)."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # a line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    # The WSGI app is looked up per request, so wrapping it now counts everything from here on.
    wsgi_server = server._server  # noqa: SLF001 - moto exposes no hook for this
    wsgi_server.app = _CountingApp(wsgi_server.app, RequestLog())
    host, port = server.get_host_and_port()
    print(f"http://{host}:{port}", flush=True)
    sys.stdin.read()
    server.stop()


class _RemoteLog:
    """The server process's request log, read over HTTP."""

    def __init__(self, server: "CountingMotoServer") -> None:
        self.server = server

    def mark(self) -> int:
        return self.server._control("GET", "mark")["end"]

    def since(self, mark: int) -> list[Request]:
        answer = self.server._control("GET", f"log?since={mark}")
        return [Request(*fields) for fields in answer["requests"]]


class CountingMotoServer:
    """``with CountingMotoServer() as moto:`` ... ``with moto.measure() as traffic:`` ..."""

    def __init__(self, rtt: RoundTrips | None = None) -> None:
        self._process: subprocess.Popen | None = None
        self.log = _RemoteLog(self)
        self.url = ""
        self._rtt: dict[str, float] = check_rtt(rtt)

    @property
    def rtt(self) -> dict[str, float]:
        return dict(self._rtt)

    @rtt.setter
    def rtt(self, rtt: RoundTrips | None) -> None:
        self._rtt = check_rtt(rtt)
        if self._process is not None:
            self._control("PUT", "rtt", self._rtt)

    def cpu_seconds(self) -> float | None:
        """CPU time the server's process has used so far (None where /proc cannot tell): what
        moto itself spends on requests, which a real service's answer time does not include."""
        try:
            fields = Path(f"/proc/{self._process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (AttributeError, OSError):
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def _control(self, method: str, what: str, document: dict | None = None) -> dict:
        data = None if document is None else json.dumps(document).encode()
        request = urllib.request.Request(f"{self.url}{CONTROL_PREFIX}{what}", data=data, method=method)
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.loads(answer.read())

    def start(self) -> "CountingMotoServer":
        self._process = subprocess.Popen(
            [sys.executable, "-m", "bench.moto_server"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).resolve().parent.parent,
        )
        self.url = (self._process.stdout.readline() if self._process.stdout else "").strip()
        if not self.url.startswith("http://"):
            self.stop()
            raise RuntimeError("the benchmark's moto server did not start")
        # Every benchmark starts from an empty account.
        urllib.request.urlopen(urllib.request.Request(f"{self.url}/moto-api/reset", method="POST"), timeout=30).close()
        self.rtt = self._rtt
        return self

    def stop(self) -> None:
        if self._process is not None:
            process, self._process = self._process, None
            if process.stdin:
                process.stdin.close()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def __enter__(self) -> "CountingMotoServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def environment(self) -> dict[str, str]:
        """Environment for a child process (awscli, a fresh interpreter) to use this server."""
        env = {k: v for k, v in os.environ.items() if k not in _CLEARED}
        env.update(DUMMY_CREDENTIALS)
        env["AWS_ENDPOINT_URL"] = self.url
        return env

    @contextmanager
    def round_trip(self, rtt: RoundTrips | None) -> Iterator[dict[str, float]]:
        """Requests inside the block pay ``rtt`` (the previous setting comes back on exit)."""
        previous = self.rtt
        self.rtt = rtt
        try:
            yield self.rtt
        finally:
            self.rtt = previous

    @contextmanager
    def measure(self) -> Iterator[Traffic]:
        """The requests made inside the block (the yielded Traffic is filled on exit)."""
        traffic = Traffic([])
        mark = self.log.mark()
        try:
            yield traffic
        finally:
            traffic.requests.extend(self.log.since(mark))

    def client(self, service: str):
        import boto3

        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name=DUMMY_CREDENTIALS["AWS_REGION"],
            aws_access_key_id=DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )


LOCAL_STACK_POSTS = 12


@contextmanager
def local_stack(output_dir, rtt: RoundTrips | None = None) -> Iterator[tuple[CountingMotoServer, DevStack]]:
    """The whole offline stack (build, publish, edge on a free port) on a counting moto server.

    ``rtt`` applies once the stack is up (building and publishing it do not pay it); change it
    later through ``moto.rtt`` or ``moto.round_trip``.
    """
    import io

    from bench.sitegen import generate_site
    from devstack.stack import DevStack

    # A generated blog, never content/ (the author's): a dozen posts and a page, like a young blog.
    content = generate_site(Path(output_dir).parent / "bench-content", LOCAL_STACK_POSTS).content_dir
    with CountingMotoServer() as moto:
        # Nothing from the caller's environment may point a client elsewhere than this server.
        only_this_server = {**dict.fromkeys(_CLEARED), **DUMMY_CREDENTIALS, "AWS_ENDPOINT_URL": moto.url}
        with patched_environ(**only_this_server):
            stack = DevStack(
                host="127.0.0.1", port=0, endpoint_url=moto.url, output_dir=output_dir, build=True, content_path=content
            )
            with redirect_stdout(io.StringIO()):  # Pelican's and publish's progress lines
                stack.start()
            moto.rtt = check_rtt(rtt)
            try:
                yield moto, stack
            finally:
                stack.stop()


if __name__ == "__main__":
    serve()
