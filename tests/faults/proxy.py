"""A fault-injecting HTTP proxy in front of a moto server.

Each request is matched against the rules armed at that moment, first match wins; a rule
fires a given number of times (or for every match) and then steps aside, so a test can fail
a request once and see the retry, or fail it for good and see the error path.

Faults, as AWS or the network produce them:
    ``reset``     the connection is cut (TCP RST) before the request reaches moto;
    ``throttle``  DynamoDB ``ProvisionedThroughputExceededException`` (400) or S3 ``SlowDown``
                  (503), nothing applied;
    ``error``     a 500 ``InternalServerError`` (DynamoDB) / ``InternalError`` (S3), nothing applied;
    ``hang``      the request is read and never answered nor forwarded (until the proxy closes);
    ``slow``      forwarded after a delay, then answered normally;
    ``late``      forwarded at once (applied), its answer held back for a delay.
"""

from __future__ import annotations

import http.client
import json
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FAULTS = ("reset", "throttle", "error", "hang", "slow", "late")
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "upgrade"}


@dataclass(frozen=True)
class Seen:
    """One request as the proxy saw it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def dynamodb_operation(self) -> str | None:
        target = self.headers.get("x-amz-target", "")
        return target.split(".", 1)[1] if target.startswith("DynamoDB_") else None

    @property
    def is_dynamodb(self) -> bool:
        return self.dynamodb_operation is not None

    def json(self) -> dict:
        return json.loads(self.body or b"{}")


@dataclass
class Rule:
    fault: str
    when: Callable[[Seen], bool]
    times: int | None  # None: every match
    delay: float = 0.0
    fired: int = 0

    def takes(self, seen: Seen) -> bool:
        return (self.times is None or self.fired < self.times) and self.when(seen)


@dataclass
class FaultPlan:
    url: str = ""  # the proxy's, set by the fixture
    rules: list[Rule] = field(default_factory=list)
    seen: list[tuple[Seen, str]] = field(default_factory=list)  # request, what it got
    # forwarded: moto's status, seconds from the request reaching the proxy to moto's answer
    upstream: list[tuple[Seen, int, float]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def arm(self, fault: str, when: Callable[[Seen], bool] = lambda _seen: True, *,
            times: int | None = 1, delay: float = 0.0) -> Rule:
        assert fault in FAULTS, fault
        rule = Rule(fault, when, times, delay)
        with self.lock:
            self.rules.append(rule)
        return rule

    def answered(self, seen: Seen, status: int, seconds: float) -> None:
        """Note what moto answered a forwarded request, and how long the client waited for it."""
        with self.lock:
            self.upstream.append((seen, status, seconds))

    def resent_views(self, read_timeout: float) -> dict[str, int]:
        """The views moto applied to each item on a request the client had already given up
        on: an ``UpdateItem`` answered after ``read_timeout`` is resent by botocore's retry,
        so its ``ADD`` to views lands twice (the double count counter.py documents). On a
        loaded machine moto itself can be that slow without any fault armed."""
        return self._resent(read_timeout, lambda alias, name: name == "views")

    def resent_uniques(self, read_timeout: float) -> dict[str, int]:
        """The same for the day's unique visitors, which the site's write adds beside its view."""
        return self._resent(read_timeout, lambda alias, name: alias == "#unique")

    def _resent(self, read_timeout: float, counts) -> dict[str, int]:
        resent: dict[str, int] = {}
        with self.lock:
            late = [(seen, status) for seen, status, seconds in self.upstream if seconds > read_timeout]
        for seen, status in late:
            if seen.dynamodb_operation != "UpdateItem" or status != 200:
                continue
            request = seen.json()
            names = request.get("ExpressionAttributeNames", {})
            words = request.get("UpdateExpression", "").replace(",", " ").split()
            for alias, value in zip(words, words[1:]):
                if alias in names and counts(alias, names[alias]):
                    amount = int(request["ExpressionAttributeValues"][value]["N"])
                    pk = request["Key"]["pk"]["S"]
                    resent[pk] = resent.get(pk, 0) + amount
        return resent

    def story(self) -> str:
        """What each request met, in order, and moto's answers with their times."""
        met = "; ".join(f"{seen.method} {seen.dynamodb_operation or seen.path} {what}" for seen, what in self.seen)
        answers = ", ".join(f"{status} in {seconds:.3f} s" for _, status, seconds in self.upstream)
        return f"requests: {met}\nmoto answered: {answers}"

    def clear(self) -> None:
        with self.lock:
            self.rules.clear()

    def decide(self, seen: Seen) -> Rule | None:
        with self.lock:
            for rule in self.rules:
                if rule.takes(seen):
                    rule.fired += 1
                    self.seen.append((seen, rule.fault))
                    return rule
            self.seen.append((seen, "forwarded"))
            return None


class FaultProxy(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, upstream: str, plan: FaultPlan) -> None:
        super().__init__(("127.0.0.1", 0), _ProxyHandler)
        host, port = upstream.removeprefix("http://").rsplit(":", 1)
        self.upstream = (host, int(port))
        self.plan = plan
        self.closing = threading.Event()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def close(self) -> None:
        self.closing.set()
        self.shutdown()
        self.server_close()


class _ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: FaultProxy

    def log_message(self, *_args) -> None:
        pass

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {name.lower(): value for name, value in self.headers.items()}
        seen = Seen(self.command, self.path, headers, body)
        arrived = time.monotonic()
        rule = self.server.plan.decide(seen)
        fault = rule.fault if rule else None
        if fault == "reset":
            # SO_LINGER 0: close() sends RST, the way a dropped connection looks to the client.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            return
        if fault == "hang":
            self.server.closing.wait()
            self.close_connection = True
            return
        if fault in ("throttle", "error"):
            return self._answer(*_error_answer(fault, seen))
        if fault == "slow":
            time.sleep(rule.delay)
        self._forward(seen, arrived, rule.delay if fault == "late" else 0.0)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle

    def _forward(self, seen: Seen, arrived: float, hold: float) -> None:
        upstream = http.client.HTTPConnection(*self.server.upstream, timeout=30)
        try:
            forwarded = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            upstream.request(seen.method, seen.path, body=seen.body or None, headers=forwarded)
            response = upstream.getresponse()
            payload = response.read()
            # noted before the hold: the client's wait is known now, and a test may look first
            self.server.plan.answered(seen, response.status, time.monotonic() - arrived + hold)
            time.sleep(hold)
            headers = [(k, v) for k, v in response.getheaders()
                       if k.lower() not in HOP_BY_HOP | {"content-length"}]
            self._answer(response.status, headers, payload)
        finally:
            upstream.close()

    def _answer(self, status: int, headers: list[tuple[str, str]], payload: bytes) -> None:
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)


def _error_answer(fault: str, seen: Seen) -> tuple[int, list[tuple[str, str]], bytes]:
    if seen.is_dynamodb:
        code, status = {
            "throttle": ("ProvisionedThroughputExceededException", 400),
            "error": ("InternalServerError", 500),
        }[fault]
        payload = json.dumps(
            {"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": f"injected {code}"}
        ).encode()
        return status, [("Content-Type", "application/x-amz-json-1.0")], payload
    code, status = {"throttle": ("SlowDown", 503), "error": ("InternalError", 500)}[fault]
    payload = (
        f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code>'
        f"<Message>injected {code}</Message><RequestId>fault</RequestId></Error>"
    ).encode()
    return status, [("Content-Type", "application/xml")], payload
