"""Pure helpers (no Pelican, no AWS): the plugin's options and where the counter table is."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass

from shared.targets import DEFAULT_REGION, SOURCES
from plugins.visitor_counter.keys import merge_options

log = logging.getLogger("pelican.plugins.popular_posts")

DEFAULTS = {
    "enabled": False,
    "count": 5,
    "title": "Most read this month",
    # Seconds a build waits for the table at most, counted from the start of the build.
    "timeout": 10,
}


def _fault(name: str, value) -> str | None:
    """What ``value`` must be for option ``name``, or None when it will do."""
    if isinstance(value, bool) != isinstance(DEFAULTS[name], bool):
        return "true or false" if name == "enabled" else "a number, not true or false"
    if name == "count":
        return None if isinstance(value, int) and value >= 1 else "a whole number of at least 1"
    if name == "timeout":
        return None if isinstance(value, (int, float)) and value > 0 else "a number of seconds above 0"
    return None if isinstance(value, type(DEFAULTS[name])) else type(DEFAULTS[name]).__name__


def read_options(settings: Mapping) -> dict:
    """Merge POPULAR_POSTS over the defaults; a bad value warns and falls back."""
    return merge_options(settings, "POPULAR_POSTS", DEFAULTS, _fault, log)


# The setting a build is given the table in: {"table": ..., "region": ..., "endpoint_url": ...}
# (publish passes its targets' table as an override); without it, the environment names it.
SOURCE_SETTING = "COUNTER_SOURCE"


@dataclass(frozen=True)
class CounterSource:
    """The counter table a build reads: the one the settings name (publish passes it), else
    the one the environment names, as for stats."""

    table: str
    region: str
    endpoint_url: str | None = None

    @property
    def where(self) -> str:
        return self.endpoint_url or f"AWS {self.region}"

    @classmethod
    def from_settings(cls, settings: Mapping, environ: Mapping[str, str] | None = None) -> CounterSource | None:
        """The table :data:`SOURCE_SETTING` names; without that setting, the environment's."""
        given = settings.get(SOURCE_SETTING)
        if not given:
            return cls.from_environ(environ)
        if not given.get("table"):
            return None
        return cls(given["table"], given.get("region") or DEFAULT_REGION, given.get("endpoint_url") or None)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> CounterSource | None:
        """``COUNTER_TABLE``, ``AWS_REGION`` (or ``AWS_DEFAULT_REGION``) and ``AWS_ENDPOINT_URL``;
        None without a table. Never Terraform: a build must not depend on it."""
        env = os.environ if environ is None else environ

        def value(target: str) -> str | None:
            source = SOURCES[target]
            return next((env[name] for name in (source.env, *source.also_env) if env.get(name)), None)

        table = value("table")
        if not table:
            return None
        return cls(table, value("region") or DEFAULT_REGION, value("endpoint_url"))
