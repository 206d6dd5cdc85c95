"""The local edge's HTTP framing, sent as raw bytes the way a clumsy client or an attacker would:
bad lengths, chunked bodies, unknown methods, header case, idle connections."""

from __future__ import annotations

import http.client
import json
import logging
import socket
import time

import pytest

from devstack.edge import IDLE_TIMEOUT_SECONDS

ANSWER_WITHIN = 5.0  # seconds: longer means the edge is waiting for bytes that will never come
HIT = json.dumps({"path": "/posts/hello/"}).encode()


class SharedReader:
    """The connection's reader, lent to one response: closing the response leaves it open."""

    def __init__(self, reader):
        self._reader = reader

    def __getattr__(self, name):
        return getattr(self._reader, name)

    def close(self):
        pass


class Connection:
    """A raw TCP connection to the edge."""

    def __init__(self, edge, timeout: float = ANSWER_WITHIN):
        self.sock = socket.create_connection(edge.server_address[:2], timeout=timeout)
        # One buffered reader for every response: pipelined answers may arrive in one read.
        self.reader = self.sock.makefile("rb")

    def send(self, raw: bytes) -> "Connection":
        self.sock.sendall(raw)
        return self

    def response(self) -> tuple[http.client.HTTPResponse, bytes]:
        response = http.client.HTTPResponse(self)
        try:
            response.begin()
            return response, response.read()
        except TimeoutError:
            pytest.fail(f"no answer within {ANSWER_WITHIN} s")

    def makefile(self, mode):  # what http.client.HTTPResponse reads through (and closes)
        return SharedReader(self.reader)

    def rest(self, wait: float = 0.5) -> bytes:
        """Whatever else the edge sent on this connection within ``wait`` seconds."""
        time.sleep(wait)
        self.sock.setblocking(False)
        received = b""
        try:
            while chunk := self.reader.read1(65536):
                received += chunk
        finally:
            self.sock.settimeout(ANSWER_WITHIN)
        return received

    def closed_by_edge_within(self, seconds: float) -> float | None:
        """Seconds until the edge closed the connection, or None if it was still open."""
        started = time.monotonic()
        self.sock.settimeout(seconds)
        try:
            while self.sock.recv(65536):
                pass
        except TimeoutError:
            return None
        except ConnectionResetError:
            pass
        return time.monotonic() - started

    def close(self):
        self.reader.close()
        self.sock.close()


def request(method: str, target: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    lines = [f"{method} {target} HTTP/1.1", "Host: localhost", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def chunked(body: bytes, size: int = 7) -> bytes:
    pieces = [body[i:i + size] for i in range(0, len(body), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces) + b"0\r\n\r\n"


@pytest.fixture
def quiet_terminal(caplog, capfd):
    """After the test: nothing logged with a traceback, no traceback on stdout or stderr."""
    caplog.set_level(logging.DEBUG)
    yield
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err
    assert not [record for record in caplog.records if record.exc_info], "a traceback was logged"


@pytest.mark.parametrize("length", ["abc", "-1", "1x", "+5", "0x10", "10, 20"])
@pytest.mark.parametrize("path", ["/api/hits", "/posts/hello/"])
def test_a_malformed_content_length_answers_400_at_once(edge, quiet_terminal, path, length):
    connection = Connection(edge).send(request("POST", path, {"Content-Length": length, "Content-Type": "application/json"}, HIT))
    response, _ = connection.response()
    assert response.status == 400
    assert edge.events == [], "the handler never sees a request the edge could not frame"
    connection.close()


def test_conflicting_content_lengths_answer_400(edge, quiet_terminal):
    raw = request("POST", "/api/hits", {"Content-Length": "5", "content-length": str(len(HIT))}, HIT)
    response, _ = Connection(edge).send(raw).response()
    assert response.status == 400


def test_a_chunked_body_reaches_the_handler_as_its_body(edge, quiet_terminal):
    raw = request("POST", "/api/hits", {"Transfer-Encoding": "chunked", "Content-Type": "application/json",
                                        "User-Agent": "Mozilla/5.0 test"}, chunked(HIT))
    connection = Connection(edge).send(raw)
    response, body = connection.response()
    assert response.status == 200, body
    assert json.loads(body)["views"] == 1
    assert edge.events[-1]["body"] == HIT.decode()
    assert connection.rest() == b"", "the chunks were read as the body, not as a second request"
    # The connection is still good for the next request.
    connection.send(request("GET", "/api/hits?path=/posts/hello/", {}))
    response, body = connection.response()
    assert (response.status, json.loads(body)["views"]) == (200, 1)


def test_garbage_chunk_framing_answers_400(edge, quiet_terminal):
    raw = request("POST", "/api/hits", {"Transfer-Encoding": "chunked"}, b"zz\r\nnot a chunk\r\n0\r\n\r\n")
    response, _ = Connection(edge).send(raw).response()
    assert response.status == 400
    assert edge.events == []


def assert_short_and_not_html(response, body):
    content_type = response.getheader("Content-Type", "")
    assert content_type.startswith(("text/plain", "application/json")), content_type
    assert len(body) < 300 and b"<html" not in body.lower()


@pytest.mark.parametrize("method", ["BREW", "PROPFIND", "FOO-BAR"])
def test_an_unknown_method_on_the_site_is_a_short_refusal(edge, quiet_terminal, method):
    response, body = Connection(edge).send(request(method, "/posts/hello/", {})).response()
    assert response.status in (405, 501)
    assert_short_and_not_html(response, body)


@pytest.mark.parametrize("method", ["BREW", "PUT", "DELETE"])
def test_an_unknown_method_on_the_api_is_the_handlers_405(edge, quiet_terminal, method):
    response, body = Connection(edge).send(request(method, "/api/hits", {"Content-Length": "0"})).response()
    assert response.status == 405
    assert response.getheader("Content-Type", "").startswith("application/json")
    assert "error" in json.loads(body)
    assert response.getheader("Allow")


@pytest.mark.parametrize("path", ["/posts/hello/", "/api/hits?path=/posts/hello/"])
@pytest.mark.parametrize("method", ["get", "Get", "post"])
def test_methods_are_case_sensitive(edge, quiet_terminal, method, path):
    """``get`` is not GET (RFC 9110 9.1): never served as if it were."""
    response, body = Connection(edge).send(request(method, path, {"Content-Length": "0"})).response()
    assert response.status in (400, 405, 501)
    assert_short_and_not_html(response, body)
    assert edge.events == []


@pytest.mark.parametrize("content_type", ["APPLICATION/JSON", "Application/Json; charset=UTF-8", "TEXT/PLAIN"])
def test_content_type_matching_is_case_insensitive_like_api_gateway(edge, quiet_terminal, content_type):
    raw = request("POST", "/api/hits", {"Content-Type": content_type, "Content-Length": str(len(HIT)),
                                        "User-Agent": "Mozilla/5.0 test"}, HIT)
    response, body = Connection(edge).send(raw).response()
    event = edge.events[-1]
    assert (event["isBase64Encoded"], event["body"]) == (False, HIT.decode())
    assert response.status in (200, 415), body


def test_a_request_with_a_body_the_edge_cannot_hold_answers_413_json(edge, quiet_terminal):
    from devstack.edge import MAX_API_BODY

    raw = request("POST", "/api/hits", {"Content-Type": "application/json", "Content-Length": str(MAX_API_BODY + 1)})
    connection = Connection(edge).send(raw)
    response, body = connection.response()
    assert response.status == 413
    assert edge.events == []


@pytest.mark.slow
def test_idle_connections_are_closed_after_the_timeout(edge):
    """A connection that never sends a request, one idle after its answer and one stuck halfway
    through its headers are all closed after IDLE_TIMEOUT_SECONDS, none before."""
    silent = Connection(edge)
    kept_alive = Connection(edge).send(request("GET", "/posts/hello/", {}))
    assert kept_alive.response()[0].status == 200
    half_sent = Connection(edge).send(b"GET /posts/hello/ HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
    budget = IDLE_TIMEOUT_SECONDS + 5
    started = time.monotonic()
    for connection in (silent, kept_alive, half_sent):
        closed_after = connection.closed_by_edge_within(max(0.1, budget - (time.monotonic() - started)))
        assert closed_after is not None, f"still open after {budget} s"
    assert time.monotonic() - started >= IDLE_TIMEOUT_SECONDS - 1, "closed before the timeout"


def test_an_open_connection_does_not_keep_others_waiting(edge):
    """Idle connections do not hold the edge's workers: a reader still gets the page."""
    idle = [Connection(edge) for _ in range(40)]
    started = time.monotonic()
    response, body = Connection(edge).send(request("GET", "/posts/hello/", {"Connection": "close"})).response()
    assert (response.status, body) == (200, b"<h1>hello</h1>")
    assert time.monotonic() - started < 2
    for connection in idle:
        connection.close()


def test_pipelined_requests_are_answered_in_order(edge):
    raw = request("GET", "/posts/hello/", {}) + request("GET", "/nope/", {}) + request("GET", "/", {"Connection": "close"})
    connection = Connection(edge).send(raw)
    statuses = [connection.response()[0].status for _ in range(3)]
    assert statuses == [200, 404, 200]



def test_a_build_event_reaches_an_open_page_at_once_and_a_closed_page_frees_its_worker(edge):
    """The preview's server-sent events are written out as they happen, not buffered; a page
    that goes away ends its stream (a worker per closed tab would soon starve the edge)."""
    from devstack.edge import WORKER_THREADS, start_edge
    from devstack.livereload import PreviewChannel

    preview = PreviewChannel()
    server, _ = start_edge("127.0.0.1", 0, edge.origin, edge.app.api_handler, preview)
    try:
        pages = [Connection(server).send(request("GET", "/_dev/events", {})) for _ in range(WORKER_THREADS)]
        for page in pages:
            page.reader.readline()  # the status line: each stream has its worker
        for page in pages:
            page.close()
        time.sleep(2)  # each stream notices its page is gone within a second
        reader = Connection(server).send(request("GET", "/_dev/events", {}))
        assert reader.reader.readline().startswith(b"HTTP/1.1 200")
        head = b""
        while not head.endswith(b"\r\n\r\n"):
            head += reader.reader.readline()
        assert b"text/event-stream" in head
        assert b"event: build" in reader.reader.read1(65536)  # the current status, at once
        started = time.monotonic()
        preview.announce(True, ["/posts/hello/"], [])
        event = reader.reader.read1(65536)
        assert b"event: build" in event and b"/posts/hello/" in event
        assert time.monotonic() - started < 0.5
        reader.close()
    finally:
        preview.close()
        server.shutdown()


@pytest.mark.parametrize("target", ["//[", "//[::1", "/[", "//example.com/posts/hello/"])
def test_a_target_that_looks_like_a_broken_url_is_a_404_not_a_500(edge, quiet_terminal, target):
    response, _ = Connection(edge).send(request("GET", target, {})).response()
    assert response.status == 404


def test_a_url_over_cloudfront_s_limit_is_414_with_a_short_log_line(edge, quiet_terminal, caplog):
    from devstack.edge import MAX_URL_BYTES

    response, _ = Connection(edge).send(request("GET", "/" + "a" * (MAX_URL_BYTES + 10), {})).response()
    assert response.status == 414
    [line] = [record.getMessage() for record in caplog.records if "414" in record.getMessage()]
    assert len(line) < 300 and f"({MAX_URL_BYTES + 11} characters)" in line


def test_a_100_kb_url_or_header_is_refused_before_the_application(edge, quiet_terminal, caplog):
    response, _ = Connection(edge).send(request("GET", "/" + "a" * 100_000, {})).response()
    assert response.status == 431
    response, _ = Connection(edge).send(request("GET", "/", {"X-Big": "b" * 30_000})).response()
    assert response.status == 431
    assert all(len(record.getMessage()) < 300 for record in caplog.records)


def test_the_api_answers_while_more_preview_pages_are_open_than_the_edge_has_workers(edge):
    """Each open preview tab holds an event stream; past the streams' own budget a page gets
    the status and a retry delay, so the counter API and the pages keep answering."""
    from devstack.edge import EVENT_STREAM_RETRY_MS, WORKER_THREADS, start_edge
    from devstack.livereload import PreviewChannel

    preview = PreviewChannel()
    server, _ = start_edge("127.0.0.1", 0, edge.origin, edge.app.api_handler, preview)
    pages = []
    try:
        for _ in range(WORKER_THREADS + 8):
            page = Connection(server).send(request("GET", "/_dev/events", {}))
            assert page.reader.readline().startswith(b"HTTP/1.1 200")
            pages.append(page)
        late, late_body = Connection(server).send(request("GET", "/_dev/events", {})).response()
        api, body = Connection(server).send(request(
            "POST", "/api/hits", {"Content-Type": "application/json", "Content-Length": str(len(HIT)),
                                  "User-Agent": "Mozilla/5.0 test"}, HIT)).response()
        assert api.status == 200 and json.loads(body)["path"] == "/posts/hello/"
        site, _ = Connection(server).send(request("GET", "/posts/hello/", {})).response()
        assert site.status == 200
        # the page past the budget: the status at once, and when to come back
        assert late.status == 200 and f"retry: {EVENT_STREAM_RETRY_MS}".encode() in late_body
        assert b"event: build" in late_body
    finally:
        for page in pages:
            page.close()
        preview.close()
        server.shutdown()
