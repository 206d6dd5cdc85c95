"""The redirects table an author keeps in ``redirects.json`` (old URL path -> new URL), honoured by
the CloudFront Function in production and by the local edge in ``make serve``.

The file is optional: without it nothing redirects. Terraform puts the table into the function's
code in place of :data:`PLACEHOLDER` (``terraform/cdn.tf``); :func:`render_viewer_request` does
the same here, so the check can measure the code against CloudFront's 10 KB limit before a deploy
fails on it.
"""

from __future__ import annotations

import json
from pathlib import Path

from deploy.targets import PROJECT_ROOT

REDIRECTS_FILE = PROJECT_ROOT / "redirects.json"
VIEWER_REQUEST_FUNCTION = PROJECT_ROOT / "terraform" / "functions" / "viewer_request.js"
# The line of viewer_request.js that the table replaces (terraform/cdn.tf replaces the same text).
PLACEHOLDER = "var REDIRECTS = {};"
CLOUDFRONT_FUNCTION_MAX_BYTES = 10 * 1024


class RedirectsError(ValueError):
    """redirects.json cannot be read as a table; the message is one line for the author."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.line = line


def load_redirects(path: Path = REDIRECTS_FILE) -> dict[str, str]:
    """The table in ``path``: {} when there is no such file."""
    if not path.is_file():
        return {}
    try:
        table = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise RedirectsError(f"not valid JSON: {error.msg} (column {error.colno})", error.lineno) from error
    if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
        raise RedirectsError('must be one JSON object of "old path": "new URL" pairs, e.g. {"/old.html": "/posts/old/"}')
    return table


def render_viewer_request(redirects: dict[str, str], source: Path = VIEWER_REQUEST_FUNCTION) -> str:
    """The function's code as CloudFront receives it, with ``redirects`` in place of the placeholder."""
    code = source.read_text(encoding="utf-8")
    table = json.dumps(redirects, sort_keys=True, separators=(",", ":"))
    return code.replace(PLACEHOLDER, f"var REDIRECTS = {table};", 1)


_cached: tuple[tuple[Path, int] | None, dict[str, str]] = (None, {})


def current_redirects(path: Path | None = None) -> dict[str, str]:
    """The table as ``path`` (default :data:`REDIRECTS_FILE`) holds it now, read again only when
    the file changes (``make serve`` picks up an edit without a restart). An unreadable table
    redirects nothing here; the content check reports why."""
    global _cached
    path = path or REDIRECTS_FILE
    try:
        stamp = (path, path.stat().st_mtime_ns) if path.is_file() else None
    except OSError:
        stamp = None
    if stamp != _cached[0]:
        try:
            table = load_redirects(path)
        except RedirectsError:
            table = {}
        _cached = (stamp, table)
    return _cached[1]
