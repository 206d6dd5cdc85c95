"""Signal handlers: start reading the counter table when the build starts, rank the posts once
they are read, give the templates the list.

The read is one ``Scan`` through ``make stats``' reader, in a daemon thread started with the
build, so the posts are read meanwhile; the build waits for it at most ``timeout`` seconds from
its start, and a thread still stuck then (a table that accepts and never answers) is left
behind without holding up the build or the process's exit. Whatever goes wrong is one warning
and a build without the list.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

from .options import CounterSource, log, read_options


class ReadFailed(Exception):
    """Why there is no list; the message is one line for the author."""


class TableRead:
    """One read of the counter table's items, under way in a thread."""

    def __init__(self, source: CounterSource, timeout: float):
        self.source = source
        self.timeout = timeout
        self.started = time.monotonic()
        self.requests = 0
        self.items: list[dict] | None = None
        self.error: BaseException | None = None
        self._done = threading.Event()
        try:
            from stats.table import counter_items, dynamodb_client

            # Made here, not in the thread: boto3's default session is not safe to share
            # between threads creating clients, and publish makes its own next.
            client = dynamodb_client(source.endpoint_url, source.region)
        except Exception as error:  # noqa: BLE001 - a bad endpoint URL, a missing package: no list
            self._finish(error=error)
            return
        client.meta.events.register("after-call.dynamodb.Scan", self._count_request)
        threading.Thread(
            target=self._read, args=(counter_items, client), name="popular-posts-read", daemon=True
        ).start()

    def _count_request(self, **_) -> None:
        self.requests += 1

    def _read(self, counter_items, client) -> None:
        try:
            items = counter_items(client, self.source.table)
        except Exception as error:  # noqa: BLE001 - every failure is the author's one warning
            self._finish(error=error)
        else:
            self._finish(items=items)

    def _finish(self, items: list[dict] | None = None, error: BaseException | None = None) -> None:
        self.items, self.error = items, error
        self._done.set()

    def result(self) -> list[dict]:
        """The items, once read; raises ReadFailed when the read failed or ran out of time."""
        remaining = self.timeout - (time.monotonic() - self.started)
        if not self._done.wait(max(0.0, remaining)):
            raise ReadFailed(
                f"table {self.source.table} at {self.source.where} did not answer within {self.timeout:g} s"
            )
        if self.error is not None:
            raise ReadFailed(self._describe(self.error))
        return self.items or []

    def _describe(self, error: BaseException) -> str:
        try:
            from stats.cli import describe_read_error
        except ImportError:
            return f"cannot read table {self.source.table} at {self.source.where}: {error}"
        return describe_read_error(error, self.source.table, self.source.where)


class PopularPosts:
    """One build's list: its options, and the read started for it (None: no table given)."""

    def __init__(self, options: dict, siteurl: str, read: TableRead | None):
        self.options = options
        self.siteurl = siteurl
        self.read = read

    def articles(self, articles: list) -> list:
        if self.read is None:
            log.info("popular_posts: no COUNTER_TABLE given to this build: no list")
            return []
        try:
            items, failure = self.read.result(), None
        except ReadFailed as error:
            items, failure = [], str(error)
        if failure:  # logged outside the except block: builds report the exception being handled
            log.warning("popular_posts: no \"%s\" list in this build: %s", self.options["title"], failure)
            return []
        from .ranking import most_read, posts_by_page_key

        today = datetime.now(UTC).date()
        popular = most_read(items, posts_by_page_key(articles, self.siteurl), today, self.options["count"])
        log.info(
            "popular_posts: %d posts listed from table %s (%d request%s, %.2f s)",
            len(popular), self.read.source.table, self.read.requests, "" if self.read.requests == 1 else "s",
            time.monotonic() - self.read.started,
        )
        return popular


_build: PopularPosts | None = None


def configure(pelican) -> None:
    """Start the read as the build starts (nothing at all when the plugin is off)."""
    global _build
    options = read_options(pelican.settings)
    if not options["enabled"]:
        _build = None
        return
    source = CounterSource.from_settings(pelican.settings)
    read = TableRead(source, options["timeout"]) if source is not None else None
    _build = PopularPosts(options, pelican.settings.get("SITEURL", "") or "", read)


def expose_to_templates(generator) -> None:
    """``popular_articles`` (the posts, most read first; empty for no list) and
    ``popular_articles_title``, for every template."""
    if _build is None:
        return
    generator.context["popular_articles"] = _build.articles(generator.articles)
    generator.context["popular_articles_title"] = _build.options["title"]
