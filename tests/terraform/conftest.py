"""The stack as the offline checks read it, the provider schema, and copies broken on purpose."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.terraform import terraform_checks as checks

BreakCopy = Callable[[str, str, str], Path]


@pytest.fixture(scope="module")
def config() -> checks.Config:
    return checks.load(checks.TERRAFORM)


@pytest.fixture(scope="module")
def schema() -> dict:
    return checks.load_schema()


@pytest.fixture
def broken_copy(tmp_path: Path) -> BreakCopy:
    """Copies terraform/ and replaces `old`, which must occur once, in one file of the copy."""

    def breaking(filename: str, old: str, new: str) -> Path:
        copy = tmp_path / "terraform"
        shutil.copytree(checks.TERRAFORM, copy, ignore=shutil.ignore_patterns(".terraform", ".build"))
        path = copy / filename
        text = path.read_text(encoding="utf-8")
        assert text.count(old) == 1, f"{old!r} must occur once in {filename} for this test to mean anything"
        path.write_text(text.replace(old, new), encoding="utf-8")
        return copy

    return breaking
