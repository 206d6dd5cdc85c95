"""Whether a plugin is in this build's PLUGINS.

Pelican connects a plugin's signal handlers for the whole process: once a build has loaded a
plugin, its handlers also run in a later build of the same process (``make serve`` rebuilding
after PLUGINS changed, the tests) whose PLUGINS no longer lists it. Our handlers ask first.
"""

from __future__ import annotations


def plugin_names(settings: dict) -> list[str]:
    """The last part of each PLUGINS entry's name (``pelican.plugins.series`` -> ``series``)."""
    return [str(getattr(entry, "__name__", entry)).rsplit(".", 1)[-1] for entry in settings.get("PLUGINS") or []]


def listed(settings: dict, module_name: str) -> bool:
    return module_name.rsplit(".", 1)[-1] in plugin_names(settings)
