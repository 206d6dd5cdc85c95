"""The signal receivers plugins connect, and what they mean for a build.

Pelican connects a plugin's receivers when a build starts (``register()``) and never disconnects
them, so in one process (``make serve``, the tests) a plugin taken out of ``PLUGINS`` would go on
running in every later build. :func:`plugin_receivers_released` disconnects, after each build,
every receiver connected during it: the next build connects the plugins of its own settings.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Iterator


def pelican_signals() -> list:
    from pelican.plugins import signals

    return [value for value in vars(signals).values() if isinstance(getattr(value, "receivers", None), dict)]


def live_receivers(signal) -> dict[int, Callable]:
    """``signal``'s receivers by id, weak references resolved (dead ones left out)."""
    found = {}
    for key, reference in list(signal.receivers.items()):
        receiver = reference() if hasattr(reference, "__callback__") else reference
        if receiver is not None:
            found[key] = receiver
    return found


@contextmanager
def plugin_receivers_released() -> Iterator[None]:
    before = {id(signal): set(live_receivers(signal)) for signal in pelican_signals()}
    try:
        yield
    finally:
        for signal in pelican_signals():
            kept = before.get(id(signal), set())
            for key, receiver in live_receivers(signal).items():
                if key not in kept:
                    signal.disconnect(receiver)
