"""A moto server on a free loopback port for tests that need AWS over real HTTP (the counter's
concurrency, the fault proxy)."""

from __future__ import annotations

import logging
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

from moto.server import ThreadedMotoServer

from devstack.moto_server import AtomicMotoServer


@contextmanager
def running_moto_server(server_class: type[ThreadedMotoServer] = AtomicMotoServer) -> Iterator[str]:
    """Start ``server_class`` on a free port (by default moto with DynamoDB's atomic writes,
    devstack.moto_server); yield its URL; empty moto and stop on exit."""
    # one werkzeug access-log line per request would dominate the run time
    werkzeug_log = logging.getLogger("werkzeug")
    level = werkzeug_log.level
    werkzeug_log.setLevel(logging.WARNING)
    server = server_class(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    try:
        yield url
    finally:
        # moto's backends live in the process, not in the server: empty them for the next test.
        urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST"))
        server.stop()
        werkzeug_log.setLevel(level)
