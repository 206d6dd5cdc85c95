"""patched_environ: the build's SITEURL (and the offline stack's settings) never leak out."""

from __future__ import annotations

import os

import pytest

from deploy.environment import patched_environ


def test_values_hold_inside_and_the_previous_environment_returns(monkeypatch):
    monkeypatch.setenv("PUBLISH_TEST_KEPT", "before")
    monkeypatch.delenv("PUBLISH_TEST_ADDED", raising=False)

    with patched_environ(PUBLISH_TEST_KEPT=None, PUBLISH_TEST_ADDED="inside"):
        assert "PUBLISH_TEST_KEPT" not in os.environ
        assert os.environ["PUBLISH_TEST_ADDED"] == "inside"

    assert os.environ["PUBLISH_TEST_KEPT"] == "before"
    assert "PUBLISH_TEST_ADDED" not in os.environ


def test_the_environment_returns_after_an_error(monkeypatch):
    monkeypatch.setenv("PUBLISH_TEST_KEPT", "before")

    with pytest.raises(RuntimeError), patched_environ(PUBLISH_TEST_KEPT="inside"):
        raise RuntimeError("build failed")

    assert os.environ["PUBLISH_TEST_KEPT"] == "before"
