"""Fixtures shared across the suite: a real Pelican build of the sample site."""

from __future__ import annotations

from pathlib import Path

import pytest

from deploy.site import PROJECT_ROOT, build_site


@pytest.fixture(scope="session")
def project_root() -> Path:
    return PROJECT_ROOT


@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> Path:
    """The sample site built once with pelicanconf.py; tests must not modify it."""
    return build_site("pelicanconf.py", tmp_path_factory.mktemp("site") / "output")
