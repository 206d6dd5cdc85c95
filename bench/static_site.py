"""A built site served from a folder the way the edge serves it: folder URLs, the theme's 404
page for a missing path, and a stand-in counter API (same response shape) so a page's counter
loads as it would in production. For the theme's screenshots and the Lighthouse run."""

from __future__ import annotations

import contextlib
import functools
import io
import json
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator


class _SiteHandler(SimpleHTTPRequestHandler):
    api_path = "/api/hits"
    api_delay = 0.25  # seconds: the count arrives after the first paint, as on a real network

    def log_message(self, format, *args):  # quiet: the callers print what matters
        pass

    def do_POST(self):
        if self.path.split("?")[0] != self.api_path:
            self.send_error(405)
            return
        length = int(self.headers.get("Content-Length") or 0)
        try:
            key = json.loads(self.rfile.read(length) or b"{}").get("path", "/")
        except ValueError:
            key = "/"
        time.sleep(self.api_delay)
        body = json.dumps({"path": key, "views": 42, "site_views": 1234}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        with contextlib.suppress(ConnectionError):  # the page moved on before the count came
            self.wfile.write(body)

    def send_head(self):
        local = Path(self.translate_path(self.path))
        if local.is_dir() and not (local / "index.html").is_file() or not local.exists():
            return self._not_found()
        return super().send_head()

    def _not_found(self):
        page = Path(self.directory) / "404.html"
        body = page.read_bytes() if page.is_file() else b"Not found"
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)


@contextlib.contextmanager
def serve_site(output_dir: Path, port: int = 0) -> Iterator[str]:
    """Serve ``output_dir`` on 127.0.0.1; yields the base URL (no trailing slash)."""
    handler = functools.partial(_SiteHandler, directory=str(output_dir))
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
