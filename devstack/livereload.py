"""The preview's dev-only channel: the edge tells open pages what the last rebuild changed.

Only ``make serve`` creates a :class:`PreviewChannel`; with one, the edge adds
``<script defer src="/_dev/preview.js">`` to the HTML it serves (the bucket and every build stay
free of it, so nothing of it can be published) and answers three dev-only routes:

- ``/_dev/events``: server-sent events, one ``build`` event per rebuild, its data the JSON of
  :meth:`PreviewChannel.status` (``ok``, the changed URL paths, the problems);
- ``/_dev/status``: the same JSON, read when a page opens (a page opened while the site is
  broken shows the error at once);
- ``/_dev/preview.js`` and ``/_dev/preview.css``: the script that reloads the page when its
  path changed and shows the build error over the page, and its style. Files, not inline
  code: the Content-Security-Policy stays ``'self'``.
"""

from __future__ import annotations

import json
import threading
from dataclasses import asdict
from pathlib import Path

from deploy.site import BuildProblem

DEV_PREFIX = "/_dev/"
EVENTS_PATH = "/_dev/events"
STATUS_PATH = "/_dev/status"
ASSETS = {
    "/_dev/preview.js": ("preview.js", "text/javascript; charset=utf-8"),
    "/_dev/preview.css": ("preview.css", "text/css; charset=utf-8"),
}
ASSET_DIR = Path(__file__).parent / "preview_assets"
# A comment line every so often keeps an idle event stream from being closed by the browser.
KEEPALIVE_SECONDS = 15.0


class PreviewChannel:
    """The state of the preview (last build ok or not, its problems) and the event streams
    waiting for the next build."""

    def __init__(self):
        self._changed = threading.Condition()
        self._generation = 0
        self._status: dict = {"generation": 0, "ok": True, "changed": [], "problems": []}
        self.closed = False

    def status(self) -> dict:
        with self._changed:
            return dict(self._status)

    def announce(self, ok: bool, changed: list[str], problems: list[BuildProblem]) -> None:
        """A rebuild finished: ``changed`` URL paths were republished (none when it failed)."""
        with self._changed:
            self._generation += 1
            self._status = {
                "generation": self._generation,
                "ok": ok,
                "changed": sorted(set(changed)),
                "problems": [asdict(p) | {"text": str(p)} for p in problems],
            }
            self._changed.notify_all()

    def wait_for_build(self, seen: int, timeout: float) -> dict | None:
        """The status once a build newer than ``seen`` is announced, or None after ``timeout``
        (or when the channel closes)."""
        with self._changed:
            self._changed.wait_for(lambda: self._generation > seen or self.closed, timeout)
            if self.closed or self._generation <= seen:
                return None
            return dict(self._status)

    def close(self) -> None:
        with self._changed:
            self.closed = True
            self._changed.notify_all()

    @staticmethod
    def asset(path: str) -> tuple[str, bytes] | None:
        found = ASSETS.get(path)
        if found is None:
            return None
        name, content_type = found
        return content_type, (ASSET_DIR / name).read_bytes()


def with_preview_script(html: bytes, generation: int) -> bytes:
    """The page with the preview script added before ``</head>`` (or at the end); the script
    learns from its URL which build the page came from, to catch a rebuild it did not hear."""
    tag = f'<script defer src="/_dev/preview.js?since={generation}"></script>'.encode()
    marker = html.find(b"</head>")
    if marker < 0:
        return html + tag
    return html[:marker] + tag + html[marker:]


def event_bytes(status: dict) -> bytes:
    return f"event: build\ndata: {json.dumps(status)}\n\n".encode()
