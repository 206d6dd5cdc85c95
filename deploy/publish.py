"""`make publish`: upload only the files whose bytes or headers changed, delete last, invalidate
only the paths that changed, register new page keys with the counter.

``publish()`` reads as a straight line of named stages (walk local, list remote, inspect, diff,
summarise, register and write, delete, invalidate, save the state); the pure ones live in
``deploy.diff`` and ``deploy.state``, the AWS calls in ``deploy.remote``, each tested alone.
The command line around it is ``deploy.cli``.
"""

from __future__ import annotations

import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from counter_lambda.counter import StoreUnavailable
from counter_lambda.tables import register_pages

from .diff import (
    DEFAULT_INVALIDATION_THRESHOLD,
    DEFAULT_MAX_DELETES,
    Action,
    ActionKind,
    Phase,
    Plan,
    PlanRefused,
    diff,
    invalidation_paths,
    make_plan,
    needs_inspection,
    url_paths,
    walk_local,
)
from .objects import LocalFile, RemoteObject
from .remote import (
    AWS_ERRORS,
    DEFAULT_WORKERS,
    MULTIPART_THRESHOLD,
    Clients,
    PublishError,
    copy_object_in_place,
    create_invalidation,
    delete_objects,
    describe_error,
    inspect_object,
    list_remote,
    read_state,
    upload_object,
    write_state,
)
from .site import page_manifest_name
from .state import PublishState, collapse_paths


@dataclass(frozen=True)
class PublishOptions:
    """How to publish, whatever the targets: the engine's half of `make publish`'s flags."""

    dry_run: bool = False
    force: bool = False
    max_deletes: int = DEFAULT_MAX_DELETES
    invalidate: bool = True
    wait: bool = False
    invalidation_threshold: int = DEFAULT_INVALIDATION_THRESHOLD
    workers: int = DEFAULT_WORKERS
    multipart_threshold: int = MULTIPART_THRESHOLD
    verbose: bool = False
    progress: bool = False  # a rich progress bar on stderr, shown only on a terminal
    # The visitor_counter plugin's page manifest in the output; None: the name pelicanconf.py
    # gives it (deploy.cli passes the one from the settings file it built with).
    page_manifest: str | None = None


@dataclass
class PublishSummary:
    """Plain data: counts of what was done (or, in a dry run, would be done)."""

    dry_run: bool = False
    uploaded: int = 0
    copied: int = 0  # header-only changes, CopyObject in place
    unchanged: int = 0
    deleted: int = 0
    bytes_uploaded: int = 0
    inspected: int = 0  # HEAD requests needed to decide
    invalidation_paths: list[str] = field(default_factory=list)
    invalidation_id: str | None = None
    pages_registered: int | None = None
    notes: list[str] = field(default_factory=list)
    actions: list[dict[str, str]] = field(default_factory=list)  # every change, with its reason
    requests: dict[str, int] = field(default_factory=dict)  # HTTP requests per AWS operation
    seconds: float = 0.0

    def line(self) -> str:
        size = _human_bytes(self.bytes_uploaded)
        paths = len(self.invalidation_paths)
        total_requests = sum(self.requests.values())
        if self.dry_run:
            return (
                f"dry run: would upload {self.uploaded} ({size}), copy {self.copied}, "
                f"delete {self.deleted}, keep {self.unchanged} unchanged; "
                f"would invalidate {paths} paths"
            )
        registered = (
            "" if self.pages_registered is None else f"; {self.pages_registered} page keys registered"
        )
        return (
            f"published: {self.uploaded} uploaded ({size}), {self.copied} copied, "
            f"{self.unchanged} unchanged, {self.deleted} deleted; {paths} paths invalidated"
            f"{registered}; {total_requests} requests in {self.seconds:.1f} s"
        )


def _human_bytes(count: int) -> str:
    if count < 1000:
        return f"{count} B"
    if count < 1_000_000:
        return f"{count / 1000:.1f} kB"
    return f"{count / 1_000_000:.1f} MB"


# -- running many requests at once -------------------------------------------------------


class _Progress:
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
) -> PublishSummary:
    """Publish ``output_dir`` into ``bucket``; raise PublishError or PlanRefused (one-line
    messages) when it stops. Pass ``clients``, or the ``endpoint_url``/``region`` to make them."""
    options = options or PublishOptions()
    say = echo or (lambda _line: None)
    started = time.monotonic()
    clients = clients or Clients.create(endpoint_url, region, options.workers)
    before = clients.requests.snapshot()
    progress = _Progress(options.progress)
    summary = PublishSummary(dry_run=options.dry_run)
    threshold = options.invalidation_threshold

    local = _walk_local(output_dir)
    with progress.bar:
        remote, state = _list_remote(clients, bucket)
        saved_state = state.to_json()
        replaced_earlier = _replaced_since(state, remote)
        state.apply_to(remote)
        summary.inspected = _inspect(clients, bucket, local, remote, options, progress)
        state.describe(remote)
        plan = make_plan(diff(local, remote, options.force), options.max_deletes)
        stale_paths = collapse_paths(
            invalidation_paths(plan.changes, threshold) + replaced_earlier, threshold
        )
        _print_plan(plan, summary, options, say)
        if options.dry_run:
            _summarise_dry_run(plan, state, stale_paths, threshold, summary)
            return _finish(summary, clients, before, started)

        with _state_saved_on_failure(clients, bucket, state):
            if distribution_id:
                # Kept in the state if this run fails, so its re-run invalidates them.
                state.add_pending(stale_paths, threshold)
            _register_pages_and_write(
                clients, bucket, table, Path(output_dir), plan, state, options, progress, summary
            )
            _delete(clients, bucket, plan, state, summary)
            _invalidate(clients, distribution_id, state, options, summary)
        _save_state(clients, bucket, state, saved_state)
    for note in summary.notes:
        say(note)
    return _finish(summary, clients, before, started)


def _walk_local(output_dir: str | os.PathLike) -> dict[str, LocalFile]:
    local = walk_local(output_dir)
    if not local:
        raise PlanRefused(f"{output_dir} holds no files: nothing to publish (build first?)")
    return local


@contextmanager
def _one_line_errors(bucket: str) -> Iterator[None]:
    """AWS errors become a PublishError whose message a user can act on."""
    try:
        yield
    except AWS_ERRORS as error:
        raise PublishError(describe_error(error, bucket)) from error


def _list_remote(clients: Clients, bucket: str) -> tuple[dict[str, RemoteObject], PublishState]:
    with _one_line_errors(bucket):
        return list_remote(clients.s3, bucket), read_state(clients.s3, bucket)


def _replaced_since(state: PublishState, remote: dict[str, RemoteObject]) -> list[str]:
    """URL paths of the objects replaced or removed since the state was written."""
    return [path for key in state.changed_since(remote) for path in url_paths(key)]


def _inspect(
    clients: Clients,
    bucket: str,
    local: dict[str, LocalFile],
    remote: dict[str, RemoteObject],
    options: PublishOptions,
    progress: _Progress,
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
    plan: Plan, summary: PublishSummary, options: PublishOptions, say: Callable[[str], None]
) -> None:
    summary.unchanged = len(plan.unchanged)
    summary.actions = [
        {"kind": a.kind.value, "key": a.key, "reason": a.reason} for a in plan.changes
    ]
    if options.dry_run or options.verbose:
        for action in plan.changes:
            say(f"{action.kind:<7} {action.key}  ({action.reason})")


def _summarise_dry_run(
    plan: Plan, state: PublishState, stale_paths: list[str], threshold: int, summary: PublishSummary
) -> None:
    uploads = [a for a in plan.writes if a.kind is ActionKind.UPLOAD]
    summary.uploaded = len(uploads)
    summary.copied = len(plan.writes) - len(uploads)
    summary.deleted = len(plan.deletes)
    summary.bytes_uploaded = sum(a.local.size for a in uploads)
    summary.invalidation_paths = collapse_paths(
        state.pending_invalidation + stale_paths, threshold
    )


@contextmanager
def _state_saved_on_failure(clients: Clients, bucket: str, state: PublishState) -> Iterator[None]:
    """Save what the failed run did, so its re-run neither re-uploads nor forgets to invalidate;
    an interruption (Ctrl-C) saves nothing and the re-run inspects instead."""
    try:
        with _one_line_errors(bucket):
            yield
    except PublishError:
        try:
            write_state(clients.s3, bucket, state)
        except AWS_ERRORS:
            pass  # the next run inspects what it cannot prove; the first error is the one to show
        raise


def _register_pages_and_write(
    clients: Clients,
    bucket: str,
    table: str | None,
    output_dir: Path,
    plan: Plan,
    state: PublishState,
    options: PublishOptions,
    progress: _Progress,
    summary: PublishSummary,
) -> None:
    """Write the phases in order. Registration overlaps the asset uploads and finishes before
    any page goes up, so a new page never shows a counter for a key the table does not know."""
    with ThreadPoolExecutor(max_workers=1) as registrar:
        registration = registrar.submit(
            _register_pages, clients, table, output_dir, options, summary
        )

        def pages_registered() -> None:
            summary.pages_registered = registration.result()

        _write_phases(clients, bucket, plan, state, options, progress, summary, pages_registered)


def _register_pages(
    clients: Clients,
    table: str | None,
    output_dir: Path,
    options: PublishOptions,
    summary: PublishSummary,
) -> int | None:
    if not table:
        summary.notes.append("no counter table: page registration skipped")
        return None
    name = options.page_manifest or page_manifest_name()
    manifest = output_dir / name
    if not manifest.is_file():
        summary.notes.append(f"no {name} in the output: page registration skipped")
        return None
    try:
        keys = json.loads(manifest.read_text(encoding="utf-8"))
        return register_pages(clients.dynamodb, table, keys, workers=options.workers)
    except (*AWS_ERRORS, StoreUnavailable, ValueError) as error:
        raise PublishError(f"page registration in {table} failed: {describe_error(error)}") from error


def _write_phases(
    clients: Clients,
    bucket: str,
    plan: Plan,
    state: PublishState,
    options: PublishOptions,
    progress: _Progress,
    summary: PublishSummary,
    before_pages: Callable[[], None],
) -> None:
    def write(action: Action) -> tuple[Action, RemoteObject]:
        if action.kind is ActionKind.COPY:
            return action, copy_object_in_place(clients.s3, bucket, action.local)
        return action, upload_object(clients.s3, bucket, action.local, options.multipart_threshold)

    for phase, actions in plan.phases.items():
        if phase is Phase.PAGES:
            before_pages()
        if not actions:
            continue
        with progress.task(f"uploading {phase.value}", len(actions)) as advance:
            written, failed = run_in_pool(write, actions, options.workers, advance)
        for action, obj in written:
            state.record(obj)
            if action.kind is ActionKind.COPY:
                summary.copied += 1
            else:
                summary.uploaded += 1
                summary.bytes_uploaded += obj.size
        if failed:
            # Later phases and all deletions wait for a run whose uploads all succeed.
            raise PublishError(
                f"{len(failed)} of {len(actions)} {phase.value} failed to upload, e.g. "
                f"{_first_failure(failed, bucket)}; nothing was deleted, re-run publish to finish"
            )


def _delete(
    clients: Clients, bucket: str, plan: Plan, state: PublishState, summary: PublishSummary
) -> None:
    if not plan.deletes:
        return
    keys = [a.key for a in plan.deletes]
    for key in delete_objects(clients.s3, bucket, keys):
        state.forget(key)
    summary.deleted = len(keys)


def _invalidate(
    clients: Clients,
    distribution_id: str | None,
    state: PublishState,
    options: PublishOptions,
    summary: PublishSummary,
) -> None:
    paths = state.pending_invalidation
    if not paths:
        return
    if not options.invalidate:
        summary.notes.append(f"--no-invalidate: {len(paths)} changed paths left cached")
        return
    if not distribution_id:
        summary.notes.append("no CloudFront distribution: invalidation skipped")
        return
    summary.invalidation_id = create_invalidation(
        clients.cloudfront, distribution_id, paths, options.wait
    )
    summary.invalidation_paths = list(paths)
    state.pending_invalidation = []


def _save_state(clients: Clients, bucket: str, state: PublishState, saved: bytes) -> None:
    if state.to_json() != saved:
        with _one_line_errors(bucket):
            write_state(clients.s3, bucket, state)


def _finish(
    summary: PublishSummary, clients: Clients, before: dict[str, int], started: float
) -> PublishSummary:
    after = clients.requests.snapshot()
    summary.requests = {op: n - before.get(op, 0) for op, n in after.items() if n > before.get(op, 0)}
    summary.seconds = time.monotonic() - started
    return summary
