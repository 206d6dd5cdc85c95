"""Fixtures shared across the suite: the tests' own blog (tests/fixtures/blog, never content/),
as a folder and as a real Pelican build."""

from __future__ import annotations

import functools
from pathlib import Path

import botocore.loaders
import botocore.session
import pytest
from hypothesis import settings

from deploy.site import build_site
from deploy.targets import DEFAULT_REGION, PROJECT_ROOT
from tests.blogs import FIXTURE_BLOG


# `make test` runs the property tests in full; `make test-fast` picks the quick profile.
settings.register_profile("full", max_examples=300)
settings.register_profile("quick", max_examples=40)
settings.load_profile("full")


@pytest.fixture(scope="session", autouse=True)
def one_botocore_loader():
    """Every botocore session of the run reads AWS's service models through one loader.

    moto gives each ``mock_aws()`` a fresh boto3 default session, and the code under test makes
    sessions of its own; each new session's loader parses the endpoints and service JSON again
    (~0.2 s a client, most of a moto test's setup). A loader only reads files shipped with
    botocore and caches what it read, which is what one long-lived session does anyway; it is
    shared per data path, so a session pointed at other model files still reads those.
    """
    shared = functools.cache(botocore.loaders.create_loader)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(botocore.session, "create_loader", shared)
        yield


@pytest.fixture
def aws_env(monkeypatch):
    """Dummy credentials and the region; no endpoint, profile or target from the environment."""
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "SITE_BUCKET", "DISTRIBUTION_ID", "COUNTER_TABLE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", DEFAULT_REGION)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture(scope="session")
def project_root() -> Path:
    return PROJECT_ROOT


@pytest.fixture(scope="session")
def fixture_blog() -> Path:
    """The content folder of the tests' blog; read only (copy it to change it)."""
    return FIXTURE_BLOG


@pytest.fixture(scope="session")
def built_site(tmp_path_factory, fixture_blog) -> Path:
    """The fixture blog built once with pelicanconf.py; tests must not modify it."""
    return build_site("pelicanconf.py", tmp_path_factory.mktemp("site") / "output", content_path=fixture_blog)


# Module scope: Playwright's sync API allows one running instance per thread, and the
# benchmark smoke test starts its own after the browser tests.
@pytest.fixture(scope="module")
def browser():
    """A real Chromium (Debian's where present, else Playwright's own)."""
    from playwright.sync_api import sync_playwright

    from devstack.browser import launch_chromium

    with sync_playwright() as playwright:
        launched = launch_chromium(playwright)
        yield launched
        launched.close()
