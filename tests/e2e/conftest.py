"""The offline stack on a free port and a real Chromium driven by Playwright."""

from __future__ import annotations

from pathlib import Path

import pytest

from devstack.stack import DevStack

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="module")
def stack(tmp_path_factory, fixture_blog):
    """The fixture blog built, published and served by the whole local stack."""
    output = tmp_path_factory.mktemp("e2e-site") / "output"
    with DevStack(port=0, output_dir=output, content_path=fixture_blog) as running:
        yield running


class PageWatch:
    """What a reader's browser did on one page: console lines, script errors, API requests."""

    def __init__(self, page):
        self.page = page
        self.console: list[tuple[str, str]] = []
        self.page_errors: list[str] = []
        self.api_requests: list[str] = []
        page.on("console", lambda message: self.console.append((message.type, message.text, message.location.get("url", ""))))
        page.on("pageerror", lambda error: self.page_errors.append(str(error)))
        page.on("request", lambda request: self._request(request))

    def script_console_lines(self, api_url: str) -> list[tuple[str, str, str]]:
        """Console lines other than Chromium's own note of a failed API response, which no
        script can suppress (it comes from the network stack, not from counter.js)."""
        return [
            line for line in self.console
            if not (line[1].startswith("Failed to load resource") and line[2] == api_url)
        ]

    def _request(self, request):
        if "/api/" in request.url:
            self.api_requests.append(f"{request.method} {request.url}")


@pytest.fixture
def context(browser, request):
    options = getattr(request, "param", None) or {}
    created = browser.new_context(viewport={"width": 1100, "height": 900}, **options)
    yield created
    created.close()


@pytest.fixture
def watched(context):
    return PageWatch(context.new_page())
