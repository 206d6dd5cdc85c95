"""The one way to set environment variables for a while and put them back afterwards."""

from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Iterator, Mapping


def _apply(values: Mapping[str, str | None]) -> None:
    for name, value in values.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@contextmanager
def patched_environ(**values: str | None) -> Iterator[None]:
    """Set each variable for the ``with`` block (``None`` removes it), then restore what was
    there before, including absence."""
    previous = {name: os.environ.get(name) for name in values}
    try:
        _apply(values)
        yield
    finally:
        _apply(previous)
