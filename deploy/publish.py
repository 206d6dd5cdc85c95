"""`make publish`: upload only the files whose bytes or headers changed, delete last, invalidate
only the paths that changed, register new page keys with the counter and retire the keys of
pages that went, one publish at a time, each recorded so `make rollback` can undo it.

``publish()`` reads as a straight line of named stages (walk local while reading the bucket:
state, then listing; inspect, diff, plan; summarise; then under the bucket's lock: record the
publish in the state, follow the pages and write, delete, invalidate, save the state); the pure
ones live in ``deploy.diff``,
``deploy.state`` and ``deploy.history``, the AWS calls in ``deploy.remote`` and
``deploy.lock``, each tested alone. The command line around it is ``deploy.cli``.
"""

from __future__ import annotations

import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from counter_lambda.counter import StoreUnavailable
from shared.pagekey import PageKeyError

from .diff import (
    DEFAULT_INVALIDATION_THRESHOLD,
    Action,
    ActionKind,
    Plan,
    PlanRefused,
    diff,
    invalidation_paths,
    make_plan,
    needs_inspection,
    url_paths,
    walk_local,
)
from .history import EntryKind, HistoryEntry, new_entry_id, unfinished_publish
from .lock import DEFAULT_LOCK_TTL_SECONDS, PublishLock, operator_name
from .objects import LocalFile, RemoteObject
from .pages import PageChanges, follow_pages, manifest_keys
from .remote import (
    AWS_ERRORS,
    DEFAULT_WORKERS,
    MULTIPART_THRESHOLD,
    READ_TIMEOUT_SECONDS,
    Clients,
    ConditionalWrite,
    PublishError,
    copy_object_in_place,
    create_invalidation,
    current_version,
    delete_objects,
    describe_error,
    inspect_object,
    list_remote,
    read_object,
    read_state,
    state_etag,
    upload_object,
    write_state,
)
from .site import page_manifest_name
from .state import PublishState, collapse_paths
from .wording import counted, destination, human_bytes


@dataclass(frozen=True)
class PublishOptions:
    """How to publish, whatever the targets: the engine's half of `make publish`'s flags."""

    dry_run: bool = False
    force: bool = False
    # None: at most 256 deletions and at most half the bucket; a number: exactly that bound.
    max_deletes: int | None = None
    invalidate: bool = True
    wait: bool = False
    invalidation_threshold: int = DEFAULT_INVALIDATION_THRESHOLD
    workers: int = DEFAULT_WORKERS
    multipart_threshold: int = MULTIPART_THRESHOLD
    read_timeout: float = READ_TIMEOUT_SECONDS  # per request attempt; a hung request is retried
    verbose: bool = False
    progress: bool = False  # a rich progress bar on stderr, shown only on a terminal
    # The visitor_counter plugin's page manifest in the output; None: the name pelicanconf.py
    # gives it (deploy.cli passes the one from the settings file it built with).
    page_manifest: str | None = None
    break_lock: bool = False  # remove a lock left by a run that is gone, then publish
    lock_ttl_seconds: int = DEFAULT_LOCK_TTL_SECONDS


@dataclass
class PublishSummary:
    """Plain data: counts of what was done (or, in a dry run, would be done), and where."""

    dry_run: bool = False
    bucket: str = ""
    distribution_id: str | None = None
    site_url: str | None = None
    publish_id: str | None = None  # the history entry `make rollback` can undo
    uploaded: int = 0
    copied: int = 0  # header-only changes, CopyObject in place
    unchanged: int = 0
    deleted: int = 0
    bytes_uploaded: int = 0
    inspected: int = 0  # HEAD requests needed to decide
    invalidation_paths: list[str] = field(default_factory=list)
    invalidation_id: str | None = None
    pages_registered: int | None = None
    pages_retired: int = 0
    notes: list[str] = field(default_factory=list)
    actions: list[dict[str, str]] = field(default_factory=list)  # every change, with its reason
    requests: dict[str, int] = field(default_factory=dict)  # HTTP requests per AWS operation
    seconds: float = 0.0

    def where(self) -> str:
        return f"{'would publish' if self.dry_run else 'published'} to " + destination(
            self.bucket, self.distribution_id, self.site_url
        )

    def line(self) -> str:
        size = human_bytes(self.bytes_uploaded)
        paths = len(self.invalidation_paths)
        total_requests = sum(self.requests.values())
        if self.dry_run:
            return (
                f"dry run: would upload {self.uploaded} ({size}), copy {self.copied}, "
                f"delete {self.deleted}, keep {self.unchanged} unchanged; "
                f"would invalidate {counted(paths, 'path')}"
                + (f", retire {counted(self.pages_retired, 'page key')}" if self.pages_retired else "")
            )
        registered = (
            ""
            if self.pages_registered is None
            else f"; {counted(self.pages_registered, 'page key')} registered"
        )
        retired = f", {self.pages_retired} retired" if self.pages_retired else ""
        recorded = f"; recorded as {self.publish_id}" if self.publish_id else ""
        return (
            f"published: {self.uploaded} uploaded ({size}), {self.copied} copied, "
            f"{self.unchanged} unchanged, {self.deleted} deleted; "
            f"{counted(paths, 'path')} invalidated{registered}{retired}{recorded}; "
            f"{counted(total_requests, 'request')} in {self.seconds:.1f} s"
        )


# -- running many requests at once -------------------------------------------------------


class Progress:
    """A rich progress bar on stderr when it is a terminal; otherwise nothing (and rich is not
    even imported, which keeps a CI or scripted publish quick to start)."""

    def __init__(self, enabled: bool):
        self.bar: Any = nullcontext()
        if enabled and sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
            )

            self.bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            )

    @contextmanager
    def task(self, description: str, total: int) -> Iterator[Callable[[], None]]:
        if isinstance(self.bar, nullcontext):
            yield lambda: None
            return
        task_id = self.bar.add_task(description, total=total)
        try:
            yield lambda: self.bar.advance(task_id)
        finally:
            self.bar.remove_task(task_id)


def run_in_pool(
    work: Callable[[Any], Any], items: Iterable[Any], workers: int, advance: Callable[[], None]
) -> tuple[list[Any], list[tuple[Any, BaseException]]]:
    """Run ``work`` on every item with at most ``workers`` at once; collect results and failures
    (botocore already retried transient errors with backoff before a failure lands here)."""
    done: list[Any] = []
    failed: list[tuple[Any, BaseException]] = []
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


def _first_failure(failed: list[tuple[Any, BaseException]], bucket: str) -> str:
    item, error = failed[0]
    key = getattr(item, "key", item)
    return f"{key}: {describe_error(error, bucket)}"


# -- the stages in order ------------------------------------------------------------------


def publish(
    output_dir: str | os.PathLike,
    bucket: str,
    *,
    distribution_id: str | None = None,
    table: str | None = None,
    clients: Clients | None = None,
    endpoint_url: str | None = None,
    region: str | None = None,
    options: PublishOptions | None = None,
    echo: Callable[[str], None] | None = None,
    site_url: str | None = None,
) -> PublishSummary:
    """Publish ``output_dir`` into ``bucket``; raise PublishError or PlanRefused (one-line
    messages) when it stops. Pass ``clients``, or the ``endpoint_url``/``region`` to make them."""
    options = options or PublishOptions()
    say = echo or (lambda _line: None)
    started = time.monotonic()
    clients = clients or Clients.create(endpoint_url, region, options.workers, options.read_timeout)
    before = clients.requests.snapshot()
    progress = Progress(options.progress)
    summary = PublishSummary(
        dry_run=options.dry_run, bucket=bucket, distribution_id=distribution_id, site_url=site_url
    )
    manifest = options.page_manifest or page_manifest_name()

    with progress.bar:
        survey = _survey(clients, bucket, _walk_and_read(clients, bucket, output_dir, options), options, progress)
        _print_plan(survey, summary, options, say)
        pages = _page_changes(clients, bucket, table, survey, manifest, summary)
        if options.dry_run:
            _summarise_dry_run(survey, pages, options, summary)
            return finish(summary, clients, before, started, lambda _note: None)
        if not survey.writes_anything and not options.break_lock:
            follow_pages_or_fail(clients, table, pages, options, summary)
            return finish(summary, clients, before, started, say)

        if distribution_id and options.invalidate and (survey.stale_paths or survey.state.pending_invalidation):
            clients.make_soon("cloudfront")
        with locked(clients, bucket, "publish", options, say) as lock:
            survey, pages, entry = _record_publish(
                clients, bucket, table, distribution_id, survey, pages, manifest, options, progress, summary
            )
            state = survey.state
            with state_saved_on_failure(clients, bucket, state):
                _follow_pages_and_write(clients, bucket, table, pages, survey.plan, state, options, progress, summary, lock)
                lock.refresh()
                delete_planned(clients, bucket, survey.plan, state, summary)
                invalidate_pending(clients, distribution_id, state, options, summary)
            if entry is not None:
                entry.done = True
            _note_pages_followed(state, table, pages, manifest)
            save_state(clients, bucket, state, survey.saved_state)
    return finish(summary, clients, before, started, say)


@dataclass
class _Found:
    """The build output and the bucket as publish found them, before any planning."""

    local: dict[str, LocalFile]
    remote: dict[str, RemoteObject]
    state: PublishState
    state_etag: str | None


@dataclass
class _Survey(_Found):
    """What publish found in the bucket and plans to do about it."""

    saved_state: bytes
    plan: Plan
    stale_paths: list[str]
    inspected: int  # HEAD requests it took

    @property
    def writes_anything(self) -> bool:
        return bool(
            self.plan.changes
            or self.stale_paths
            or self.state.pending_invalidation
            or self.state.to_json() != self.saved_state
        )


def _walk_local(output_dir: str | os.PathLike) -> dict[str, LocalFile]:
    local = walk_local(output_dir)
    if not local:
        raise PlanRefused(f"{output_dir} holds no files: nothing to publish (build first?)")
    return local


def _read_bucket(clients: Clients, bucket: str, options: PublishOptions) -> tuple[dict[str, RemoteObject], PublishState, str | None]:
    """The state, then the listing: a run that finished before the state was read is in the
    listing too, and one that finishes later rewrites the state (which the conditional write of
    the record then finds). The state's keys let the listing's pages go at once."""
    with one_line_errors(bucket):
        state, etag = read_state(clients.s3, bucket)
        return list_remote(clients.s3, bucket, state.objects.keys(), options.workers), state, etag


def _walk_and_read(clients: Clients, bucket: str, output_dir: str | os.PathLike, options: PublishOptions) -> _Found:
    """Hash the build output while the bucket is read: the two overlap, the requests' round
    trips hidden behind the hashing. The S3 client is made first, alone: made while the hashing
    holds the interpreter, it would hold back the first request."""
    with one_line_errors(bucket):
        _ = clients.s3
    with ThreadPoolExecutor(max_workers=1) as reader:
        reading = reader.submit(_read_bucket, clients, bucket, options)
        try:
            local = _walk_local(output_dir)
        except BaseException:
            reading.cancel()
            raise
        remote, state, etag = reading.result()
    return _Found(local, remote, state, etag)


@contextmanager
def one_line_errors(bucket: str) -> Iterator[None]:
    """AWS errors become a PublishError whose message a user can act on."""
    try:
        yield
    except AWS_ERRORS as error:
        raise PublishError(describe_error(error, bucket)) from error


def _survey(
    clients: Clients,
    bucket: str,
    found: _Found,
    options: PublishOptions,
    progress: Progress,
) -> _Survey:
    """From what was found: inspect what is unknown, diff and plan."""
    threshold = options.invalidation_threshold
    local, remote, state, etag = found.local, found.remote, found.state, found.state_etag
    saved_state = state.to_json()
    replaced_earlier = _replaced_since(state, remote)
    state.apply_to(remote)
    inspected = _inspect(clients, bucket, local, remote, options, progress)
    state.describe(remote)
    plan = make_plan(diff(local, remote, options.force), options.max_deletes, len(remote))
    stale_paths = collapse_paths(
        invalidation_paths(plan.changes, threshold, new_pages=bool(remote)) + replaced_earlier,
        threshold,
    )
    return _Survey(local, remote, state, etag, saved_state, plan, stale_paths, inspected)


def _replaced_since(state: PublishState, remote: dict[str, RemoteObject]) -> list[str]:
    """URL paths of the objects replaced or removed since the state was written."""
    return [path for key in state.changed_since(remote) for path in url_paths(key)]


def _inspect(
    clients: Clients,
    bucket: str,
    local: dict[str, LocalFile],
    remote: dict[str, RemoteObject],
    options: PublishOptions,
    progress: Progress,
) -> int:
    """HEAD the objects whose content may be unchanged but whose headers or digest are unknown
    (written by something other than publish, or after a lost state)."""
    if options.force:
        return 0
    unknown = [
        remote[key] for key in local.keys() & remote.keys() if needs_inspection(local[key], remote[key])
    ]
    if not unknown:
        return 0
    with progress.task("checking", len(unknown)) as advance:
        found, failed = run_in_pool(
            lambda obj: inspect_object(clients.s3, bucket, obj), unknown, options.workers, advance
        )
    if failed:
        raise PublishError(f"could not inspect {len(failed)} objects, e.g. {_first_failure(failed, bucket)}")
    remote.update({obj.key: obj for obj in found})
    return len(unknown)


def _print_plan(
    survey: _Survey, summary: PublishSummary, options: PublishOptions, say: Callable[[str], None]
) -> None:
    plan = survey.plan
    summary.unchanged = len(plan.unchanged)
    summary.inspected = survey.inspected
    summary.actions = [
        {"kind": a.kind.value, "key": a.key, "reason": a.reason} for a in plan.changes
    ]
    if options.dry_run or options.verbose:
        for action in sorted(plan.writes, key=lambda a: a.key) + plan.deletes:
            say(f"{action.kind:<7} {action.key}  ({action.reason})")


def _page_changes(
    clients: Clients,
    bucket: str,
    table: str | None,
    survey: _Survey,
    manifest: str,
    summary: PublishSummary,
) -> PageChanges | None:
    """The page keys this publish leaves, and which appear or go: the manifest in the output
    against the one in the bucket (read only when it changes). None: no registration. Nothing
    to do (no keys) when the table was brought in line with the manifest the bucket holds
    and this publish leaves it as it is."""
    local = survey.local
    if not table:
        summary.notes.append("no counter table: page registration skipped")
        return None
    if manifest not in local:
        summary.notes.append(f"no {manifest} in the output: page registration skipped")
        return None
    listed = survey.remote.get(manifest)
    written = any(a.key == manifest for a in survey.plan.writes)
    if listed is not None and not written and survey.state.pages_followed == (listed.etag, table):
        return PageChanges()
    after = manifest_keys(local[manifest].path.read_bytes())
    if listed is None:
        before: list[str] = []
    elif written:
        with one_line_errors(bucket):
            before = manifest_keys(read_object(clients.s3, bucket, manifest))
    else:
        before = after
    return PageChanges.between(before, after)


def _summarise_dry_run(
    survey: _Survey, pages: PageChanges | None, options: PublishOptions, summary: PublishSummary
) -> None:
    plan = survey.plan
    uploads = [a for a in plan.writes if a.kind is ActionKind.UPLOAD]
    summary.uploaded = len(uploads)
    summary.copied = len(plan.writes) - len(uploads)
    summary.deleted = len(plan.deletes)
    summary.bytes_uploaded = sum(a.local.size for a in uploads)
    summary.invalidation_paths = collapse_paths(
        survey.state.pending_invalidation + survey.stale_paths, options.invalidation_threshold
    )
    summary.pages_retired = len(pages.going) if pages else 0


@contextmanager
def locked(
    clients: Clients, bucket: str, operation: str, options: Any, say: Callable[[str], None]
) -> Iterator[PublishLock]:
    """Hold the bucket's publish lock for the block; released however the block ends (a run
    killed outright leaves it to expire, or to --break-lock)."""
    lock = PublishLock(clients.s3, bucket, operation, options.lock_ttl_seconds)
    with one_line_errors(bucket):
        if options.break_lock:
            held = lock.break_stale()
            if held is not None:
                say(f"removed the publish lock held by {held.describe()}")
        lock.acquire()
    try:
        yield lock
    finally:
        try:
            lock.release()
        except AWS_ERRORS:
            pass  # it expires; the error that ended the block is the one to show


def _moved_since(clients: Clients, bucket: str, survey: _Survey) -> bool:
    with one_line_errors(bucket):
        return state_etag(clients.s3, bucket) != survey.state_etag


def _record_publish(
    clients: Clients,
    bucket: str,
    table: str | None,
    distribution_id: str | None,
    survey: _Survey,
    pages: PageChanges | None,
    manifest: str,
    options: PublishOptions,
    progress: Progress,
    summary: PublishSummary,
) -> tuple[_Survey, PageChanges | None, HistoryEntry | None]:
    """Under the lock, before the first change: write the state with this publish on record in
    its history (what each key to change holds now, its version id, so `make rollback` can undo
    it even if it is killed halfway) and the paths it makes stale (so a re-run invalidates
    them), on the condition that the state is still the one the survey read. If another run
    published between the survey and the lock, survey again. An unfinished publish on record
    is carried on by this one (its first records kept)."""
    for _ in range(3):
        state = survey.state
        if distribution_id:
            state.add_pending(survey.stale_paths, options.invalidation_threshold)
        if not survey.plan.changes:
            if not _moved_since(clients, bucket, survey):
                return survey, pages, None
        else:
            entry = _note_publish(clients, bucket, survey, options)
            try:
                with one_line_errors(bucket):
                    survey.state_etag = write_state(clients.s3, bucket, state, read_at=survey.state_etag)
                summary.publish_id = entry.id
                return survey, pages, entry
            except ConditionalWrite:
                pass
        # Another run published between our look at the bucket and the lock: look again.
        found = _Found(survey.local, *_read_bucket(clients, bucket, options))
        survey = _survey(clients, bucket, found, options, progress)
        pages = _page_changes(clients, bucket, table, survey, manifest, summary)
    raise PublishError("the publish state kept changing under the lock; re-run to publish")


def _note_publish(clients: Clients, bucket: str, survey: _Survey, options: PublishOptions) -> HistoryEntry:
    """This publish in the state's history, with the version each key to change holds now."""
    history = survey.state.history if survey.state.history is not None else []
    survey.state.history = history
    entry = unfinished_publish(history)
    if entry is None:
        entry_id = new_entry_id(history, datetime.now(timezone.utc))
        entry = HistoryEntry(
            entry_id, EntryKind.PUBLISH, now_text(), operator_name(), site=entry_id
        )
        history.append(entry)
    changes = survey.plan.changes
    with one_line_errors(bucket):
        learn_versions(clients, bucket, [a for a in changes if a.remote and a.key not in entry.replaced], options)
    for action in changes:
        entry.note_replaced(action.key, action.remote.version_id if action.remote else None)
    return entry


def _note_pages_followed(state: PublishState, table: str | None, pages: PageChanges | None, manifest: str) -> None:
    """The table now follows the manifest the bucket holds (once pages were followed)."""
    if table and pages is not None and manifest in state.objects:
        state.pages_followed = (state.objects[manifest].etag, table)


def now_text() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def learn_versions(clients: Clients, bucket: str, actions: list[Action], options: Any) -> None:
    """HEAD the objects about to change whose version id the state does not hold (written by
    another tool, or before publish kept version ids)."""
    unknown = [a.remote for a in actions if a.remote is not None and a.remote.version_id is None]
    if not unknown:
        return
    _, failed = run_in_pool(
        lambda obj: current_version(clients.s3, bucket, obj), unknown, options.workers, lambda: None
    )
    if failed:
        raise PublishError(f"could not read the version of {len(failed)} objects, e.g. {_first_failure(failed, bucket)}")


@contextmanager
def state_saved_on_failure(clients: Clients, bucket: str, state: PublishState) -> Iterator[None]:
    """Save what the failed run did, so its re-run neither re-uploads nor forgets to invalidate;
    an interruption (Ctrl-C) saves nothing and the re-run inspects instead."""
    try:
        with one_line_errors(bucket):
            yield
    except PublishError:
        try:
            write_state(clients.s3, bucket, state)
        except AWS_ERRORS:
            pass  # the next run inspects what it cannot prove; the first error is the one to show
        raise


def follow_pages_or_fail(
    clients: Clients,
    table: str | None,
    pages: PageChanges | None,
    options: Any,
    summary: Any,
) -> None:
    if pages is None or not table:
        return
    if not (pages.keys or pages.appearing or pages.going):
        summary.pages_registered, summary.pages_retired = 0, 0  # in line already
        return
    try:
        followed = follow_pages(clients.dynamodb, table, pages, options.workers)
    except (*AWS_ERRORS, StoreUnavailable, PageKeyError) as error:
        raise PublishError(f"page registration in {table} failed: {describe_error(error)}") from error
    summary.pages_registered = followed.registered + followed.restored
    summary.pages_retired = followed.retired


def _follow_pages_and_write(
    clients: Clients,
    bucket: str,
    table: str | None,
    pages: PageChanges | None,
    plan: Plan,
    state: PublishState,
    options: PublishOptions,
    progress: Progress,
    summary: PublishSummary,
    lock: PublishLock,
) -> None:
    """Write the phases in order. The counter follows the pages meanwhile (new keys registered,
    removed pages retired) and is done before any page goes up, so a new page never shows a
    counter for a key the table does not know."""
    def write(action: Action) -> RemoteObject:
        if action.kind is ActionKind.COPY:
            return copy_object_in_place(clients.s3, bucket, action.local)
        return upload_object(clients.s3, bucket, action.local, options.multipart_threshold)

    def written_one(action: Action, obj: RemoteObject) -> None:
        if action.kind is ActionKind.COPY:
            summary.copied += 1
        else:
            summary.uploaded += 1
            summary.bytes_uploaded += obj.size

    with ThreadPoolExecutor(max_workers=1) as registrar:
        following = registrar.submit(follow_pages_or_fail, clients, table, pages, options, summary)
        write_phases(bucket, plan, state, write, written_one, options, progress, following.result, lock)


def write_phases(
    bucket: str,
    plan: Plan,
    state: PublishState,
    write: Callable[[Action], RemoteObject],
    written_one: Callable[[Action, RemoteObject], None],
    options: Any,
    progress: Progress,
    before_pages: Callable[[], Any],
    lock: PublishLock,
) -> None:
    """Write the plan's phases in order with ``write``, recording each object in the state;
    ``before_pages`` runs before the first phase holding pages. A failed write stops the run
    before the next phase and before any deletion."""
    pages_ready = False
    for phase, actions in plan.phases.items():
        if phase.holds_pages and not pages_ready:
            before_pages()
            pages_ready = True
        if not actions:
            continue
        lock.refresh()
        with progress.task(f"writing {phase.value}", len(actions)) as advance:
            written, failed = run_in_pool(
                lambda action: (action, write(action)), actions, options.workers, advance
            )
        for action, obj in written:
            state.record(obj)
            written_one(action, obj)
        if failed:
            # Later phases and all deletions wait for a run whose writes all succeed.
            raise PublishError(
                f"{len(failed)} of {len(actions)} {phase.value} failed to upload, e.g. "
                f"{_first_failure(failed, bucket)}; nothing was deleted, re-run to finish"
            )
    if not pages_ready:
        before_pages()


def delete_planned(
    clients: Clients, bucket: str, plan: Plan, state: PublishState, summary: Any
) -> None:
    if not plan.deletes:
        return
    keys = [a.key for a in plan.deletes]
    for key in delete_objects(clients.s3, bucket, keys):
        state.forget(key)
    summary.deleted = len(keys)


def invalidate_pending(
    clients: Clients,
    distribution_id: str | None,
    state: PublishState,
    options: Any,
    summary: Any,
) -> None:
    paths = state.pending_invalidation
    if not paths:
        return
    if not options.invalidate:
        summary.notes.append(f"--no-invalidate: {counted(len(paths), 'changed path')} left cached")
        return
    if not distribution_id:
        summary.notes.append("no CloudFront distribution: invalidation skipped")
        return
    summary.invalidation_id = create_invalidation(
        clients.cloudfront, distribution_id, paths, options.wait
    )
    summary.invalidation_paths = list(paths)
    state.pending_invalidation = []


def save_state(clients: Clients, bucket: str, state: PublishState, saved: bytes) -> None:
    body = state.to_json()
    if body != saved:
        with one_line_errors(bucket):
            write_state(clients.s3, bucket, state, body=body)


def finish(
    summary: Any,
    clients: Clients,
    before: dict[str, int],
    started: float,
    say: Callable[[str], None],
) -> Any:
    for note in summary.notes:
        say(note)
    after = clients.requests.snapshot()
    summary.requests = {op: n - before.get(op, 0) for op, n in after.items() if n > before.get(op, 0)}
    summary.seconds = time.monotonic() - started
    return summary
