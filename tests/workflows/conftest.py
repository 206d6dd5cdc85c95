"""A copy of the repository's CI files that a test may break on purpose."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

# What the workflow checks read: the workflows and actions, the Makefile they call,
# the variable contract, and the Terraform variables the workflows set.
COPIED = [".github", "Makefile", "docs/architecture.md"]


Mutate = Callable[[str, str, str], Path]


@pytest.fixture
def broken_copy(tmp_path: Path, project_root: Path) -> tuple[Path, Mutate]:
    for name in COPIED:
        source, target = project_root / name, tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            shutil.copy2(source, target)
    (tmp_path / "terraform").mkdir()
    for tf in (project_root / "terraform").glob("*.tf"):
        shutil.copy2(tf, tmp_path / "terraform" / tf.name)

    def mutate(relative: str, old: str, new: str) -> Path:
        """Replace the first `old` in a copied file; `old` must be there, or the test is stale."""
        path = tmp_path / relative
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{relative} no longer contains {old!r}: update this broken case"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
        return path

    return tmp_path, mutate
