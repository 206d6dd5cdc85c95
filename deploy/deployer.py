"""What publish and rollback share: one run's object, :class:`Deployer` (after Hugo's
``deploy.Deployer``), and the steps both take over it.

A Deployer holds what every stage of a run needs: the clients, the target (bucket,
distribution, table), the options, the summary, the bucket's lock once taken, the progress bar
and where to print. ``deploy.publish`` and ``deploy.rollback`` make one and call their stages
on it; the steps they share are its methods: read the bucket, take the lock, record the version
each key to change holds, write a plan's phases in order, delete, invalidate, follow the pages,
save the state, and finish the summary. The AWS calls themselves are ``deploy.remote``'s.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, ClassVar, Generic, TypeVar

from botocore.client import BaseClient

from shared.aws import describe_error
from shared.counter_schema import StoreUnavailable
from shared.pagekey import PageKeyError

from .diff import DEFAULT_INVALIDATION_THRESHOLD, Action, Plan, url_paths
from .lock import DEFAULT_LOCK_TTL_SECONDS, PublishLock
from .objects import RemoteObject
from .pages import PageChanges, follow_pages
from .remote import (
    AWS_ERRORS,
    DEFAULT_WORKERS,
    READ_TIMEOUT_SECONDS,
    Clients,
    PublishError,
    create_invalidation,
    current_version,
    delete_objects,
    list_remote,
    read_state,
    write_state,
)
from .site import page_manifest_name
from .state import PublishState
from .wording import counted, destination

if TYPE_CHECKING:
    from rich.progress import Progress as ProgressBar


# -- what a run is given and what it reports ---------------------------------------------


@dataclass(frozen=True)
class Target:
    """Where a run goes: the bucket, and the distribution and counter table when there are."""

    bucket: str
    distribution_id: str | None = None
    table: str | None = None
    site_url: str | None = None

    def describe(self) -> str:
        return destination(self.bucket, self.distribution_id, self.site_url)


@dataclass(frozen=True)
class RunOptions:
    """The flags publish and rollback both take (each command's own add to these)."""

    dry_run: bool = False
    invalidate: bool = True
    wait: bool = False
    invalidation_threshold: int = DEFAULT_INVALIDATION_THRESHOLD
    workers: int = DEFAULT_WORKERS
    read_timeout: float = READ_TIMEOUT_SECONDS  # per request attempt; a hung request is retried
    verbose: bool = False
    progress: bool = False  # a rich progress bar on stderr, shown only on a terminal
    # The visitor_counter plugin's page manifest in the output; None: the name pelicanconf.py
    # gives it (deploy.cli passes the one from the settings file it built with).
    page_manifest: str | None = None
    break_lock: bool = False  # remove a lock left by a run that is gone, then go on
    lock_ttl_seconds: int = DEFAULT_LOCK_TTL_SECONDS


@dataclass
class RunSummary:
    """Plain data: what a run did (or, in a dry run, would do), and where; each command's
    summary adds its own counts."""

    # The words before the destination: (a dry run's, a run's).
    DOING: ClassVar[tuple[str, str]] = ("would deploy to", "deployed to")

    destination: Target
    dry_run: bool = False
    unchanged: int = 0  # files already as the run would leave them
    deleted: int = 0
    invalidation_paths: list[str] = field(default_factory=list)
    invalidation_id: str | None = None
    pages_registered: int | None = None
    pages_retired: int = 0
    notes: list[str] = field(default_factory=list)
    actions: list[dict[str, str]] = field(default_factory=list)  # every change, with its reason
    requests: dict[str, int] = field(default_factory=dict)  # HTTP requests per AWS operation
    seconds: float = 0.0

    def where(self) -> str:
        return f"{self.DOING[0] if self.dry_run else self.DOING[1]} {self.destination.describe()}"


OptionsT = TypeVar("OptionsT", bound=RunOptions)
SummaryT = TypeVar("SummaryT", bound=RunSummary)
ItemT = TypeVar("ItemT")
ResultT = TypeVar("ResultT")


@dataclass
class RemoteSite:
    """The bucket as a run found it: its objects (the state's knowledge applied to them), the
    state, the ETag it was read at, its JSON as read, and the URL paths of objects changed
    since it was written (by a run that stopped halfway, or another tool)."""

    objects: dict[str, RemoteObject]
    state: PublishState
    state_etag: str | None
    saved_state: bytes
    replaced_earlier: list[str]


# -- running many requests at once -------------------------------------------------------


class Progress:
    """A rich progress bar on stderr when it is a terminal; otherwise nothing (and rich is not
    even imported, which keeps a CI or scripted publish quick to start)."""

    def __init__(self, enabled: bool):
        self.bar: ProgressBar | None = None
        if enabled and sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
            from rich.progress import Progress as ProgressBar

            self.bar = ProgressBar(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            )

    def shown(self) -> AbstractContextManager[object]:
        return self.bar if self.bar is not None else nullcontext()

    @contextmanager
    def task(self, description: str, total: int) -> Iterator[Callable[[], None]]:
        bar = self.bar
        if bar is None:
            yield lambda: None
            return
        task_id = bar.add_task(description, total=total)
        try:
            yield lambda: bar.advance(task_id)
        finally:
            bar.remove_task(task_id)


def run_in_pool(
    work: Callable[[ItemT], ResultT], items: Iterable[ItemT], workers: int, advance: Callable[[], None]
) -> tuple[list[ResultT], list[tuple[ItemT, BaseException]]]:
    """Run ``work`` on every item with at most ``workers`` at once; collect results and failures
    (botocore already retried transient errors with backoff before a failure lands here)."""
    done: list[ResultT] = []
    failed: list[tuple[ItemT, BaseException]] = []
    pool = ThreadPoolExecutor(max_workers=workers)
    try:
        futures = {pool.submit(work, item): item for item in items}
        for future in as_completed(futures):
            try:
                done.append(future.result())
            except Exception as error:  # noqa: BLE001 - reported below, one line
                failed.append((futures[future], error))
            advance()
    finally:
        # On Ctrl-C, stop at the requests in flight rather than draining the queue.
        pool.shutdown(wait=True, cancel_futures=True)
    return done, failed


def now_text() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class _NoLock:
    """What a run holds before it locks the bucket (and a dry run, which changes nothing)."""

    def refresh(self) -> None:
        return None


# -- the run -------------------------------------------------------------------------------


class Deployer(Generic[OptionsT, SummaryT]):
    """One publish or rollback: the clients, the target, the options, the summary, the lock."""

    def __init__(
        self,
        clients: Clients,
        options: OptionsT,
        summary: SummaryT,
        echo: Callable[[str], None] | None = None,
    ) -> None:
        self.clients = clients
        self.target = summary.destination
        self.options = options
        self.summary = summary
        self.say = echo or (lambda _line: None)
        self.progress = Progress(options.progress)
        self.manifest = options.page_manifest or page_manifest_name()
        self.lock: PublishLock | _NoLock = _NoLock()
        self._started = time.monotonic()
        self._requests_before = clients.requests.snapshot()

    @property
    def bucket(self) -> str:
        return self.target.bucket

    @property
    def s3(self) -> BaseClient:
        return self.clients.s3

    @contextmanager
    def one_line_errors(self) -> Iterator[None]:
        """AWS errors become a PublishError whose message a user can act on."""
        try:
            yield
        except AWS_ERRORS as error:
            raise PublishError(describe_error(error, self.bucket)) from error

    def first_failure(self, failed: list[tuple[ItemT, BaseException]]) -> str:
        item, error = failed[0]
        key = getattr(item, "key", item)
        return f"{key}: {describe_error(error, self.bucket)}"

    def in_pool(
        self, work: Callable[[ItemT], ResultT], items: Iterable[ItemT], advance: Callable[[], None] = lambda: None
    ) -> tuple[list[ResultT], list[tuple[ItemT, BaseException]]]:
        return run_in_pool(work, items, self.options.workers, advance)

    # -- reading the bucket

    def read_bucket(self) -> RemoteSite:
        """The state, then the listing: a run that finished before the state was read is in the
        listing too, and one that finishes later rewrites the state (which a conditional write
        of the state then finds). The state's keys let the listing's pages go at once."""
        with self.one_line_errors():
            state, etag = read_state(self.s3, self.bucket)
            objects = list_remote(self.s3, self.bucket, state.objects.keys(), self.options.workers)
        saved = state.to_json()
        replaced_earlier = [path for key in state.changed_since(objects) for path in url_paths(key)]
        state.apply_to(objects)
        return RemoteSite(objects, state, etag, saved, replaced_earlier)

    def print_plan(self, plan: Plan, verb: Callable[[Action], str]) -> None:
        """Note the plan in the summary; in a dry run or verbose, print each change's reason."""
        self.summary.unchanged = len(plan.unchanged)
        self.summary.actions = [{"kind": a.kind.value, "key": a.key, "reason": a.reason} for a in plan.changes]
        if self.options.dry_run or self.options.verbose:
            for action in sorted(plan.writes, key=lambda a: a.key) + plan.deletes:
                self.say(f"{verb(action):<7} {action.key}  ({action.reason})")

    # -- changing it

    @contextmanager
    def locked(self, operation: str) -> Iterator[PublishLock]:
        """Hold the bucket's publish lock for the block; released however the block ends (a
        run killed outright leaves it to expire, or to --break-lock)."""
        lock = PublishLock(self.s3, self.bucket, operation, self.options.lock_ttl_seconds)
        with self.one_line_errors():
            if self.options.break_lock:
                held = lock.break_stale()
                if held is not None:
                    self.say(f"removed the publish lock held by {held.describe()}")
            lock.acquire()
        self.lock = lock
        try:
            yield lock
        finally:
            self.lock = _NoLock()
            try:
                lock.release()
            except AWS_ERRORS:
                pass  # it expires; the error that ended the block is the one to show

    def learn_versions(self, actions: list[Action]) -> None:
        """HEAD the objects about to change whose version id the state does not hold (written
        by another tool, or before publish kept version ids)."""
        unknown = [a.remote for a in actions if a.remote is not None and a.remote.version_id is None]
        if not unknown:
            return
        _, failed = self.in_pool(lambda obj: current_version(self.s3, self.bucket, obj), unknown)
        if failed:
            raise PublishError(
                f"could not read the version of {len(failed)} objects, e.g. {self.first_failure(failed)}"
            )

    @contextmanager
    def state_saved_on_failure(self, state: PublishState) -> Iterator[None]:
        """Save what the failed run did, so its re-run neither re-uploads nor forgets to
        invalidate; an interruption (Ctrl-C) saves nothing and the re-run inspects instead."""
        try:
            with self.one_line_errors():
                yield
        except PublishError:
            try:
                write_state(self.s3, self.bucket, state)
            except AWS_ERRORS:
                pass  # the next run inspects what it cannot prove; the first error is the one to show
            raise

    def follow_pages(self, pages: PageChanges | None) -> None:
        """Register the page keys that appear (their counts back if they were retired), retire
        those that go."""
        table, summary = self.target.table, self.summary
        if pages is None or not table:
            return
        if not (pages.keys or pages.appearing or pages.going):
            summary.pages_registered, summary.pages_retired = 0, 0  # in line already
            return
        try:
            followed = follow_pages(self.clients.dynamodb, table, pages, self.options.workers)
        except (*AWS_ERRORS, StoreUnavailable, PageKeyError) as error:
            raise PublishError(f"page registration in {table} failed: {describe_error(error)}") from error
        summary.pages_registered = followed.registered + followed.restored
        summary.pages_retired = followed.retired

    def write_phases(
        self,
        plan: Plan,
        state: PublishState,
        write: Callable[[Action], RemoteObject],
        before_pages: Callable[[], object] = lambda: None,
    ) -> list[tuple[Action, RemoteObject]]:
        """Write the plan's phases in order with ``write``, recording each object in the state;
        ``before_pages`` runs before the first phase holding pages. A failed write stops the run
        before the next phase and before any deletion. Returns what was written."""
        pages_ready = False
        written_all: list[tuple[Action, RemoteObject]] = []
        for phase, actions in plan.phases.items():
            if phase.holds_pages and not pages_ready:
                before_pages()
                pages_ready = True
            if not actions:
                continue
            self.lock.refresh()
            with self.progress.task(f"writing {phase.value}", len(actions)) as advance:
                written, failed = self.in_pool(lambda action: (action, write(action)), actions, advance)
            for action, obj in written:
                state.record(obj)
            written_all.extend(written)
            if failed:
                # Later phases and all deletions wait for a run whose writes all succeed.
                raise PublishError(
                    f"{len(failed)} of {len(actions)} {phase.value} failed to upload, e.g. "
                    f"{self.first_failure(failed)}; nothing was deleted, re-run to finish"
                )
        if not pages_ready:
            before_pages()
        return written_all

    def delete_planned(self, plan: Plan, state: PublishState) -> None:
        if not plan.deletes:
            return
        keys = [a.key for a in plan.deletes]
        for key in delete_objects(self.s3, self.bucket, keys):
            state.forget(key)
        self.summary.deleted = len(keys)

    def invalidate_pending(self, state: PublishState) -> None:
        paths, summary, distribution_id = state.pending_invalidation, self.summary, self.target.distribution_id
        if not paths:
            return
        if not self.options.invalidate:
            summary.notes.append(f"--no-invalidate: {counted(len(paths), 'changed path')} left cached")
            return
        if not distribution_id:
            summary.notes.append("no CloudFront distribution: invalidation skipped")
            return
        summary.invalidation_id = create_invalidation(
            self.clients.cloudfront, distribution_id, paths, self.options.wait
        )
        summary.invalidation_paths = list(paths)
        state.pending_invalidation = []

    def save_state(self, state: PublishState, saved: bytes) -> None:
        body = state.to_json()
        if body != saved:
            with self.one_line_errors():
                write_state(self.s3, self.bucket, state, body=body)

    def finish(self, print_notes: bool = True) -> SummaryT:
        summary = self.summary
        if print_notes:
            for note in summary.notes:
                self.say(note)
        before, after = self._requests_before, self.clients.requests.snapshot()
        summary.requests = {op: n - before.get(op, 0) for op, n in after.items() if n > before.get(op, 0)}
        summary.seconds = time.monotonic() - self._started
        return summary
