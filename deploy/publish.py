"""`make publish`: upload only the files whose bytes or headers changed, delete last, invalidate
only the paths that changed, register new page keys with the counter.

``publish()`` reads as a straight line of stages (walk local, list remote, inspect, diff, plan,
upload, delete, invalidate); each stage lives in ``deploy.diff`` (pure) or ``deploy.remote``
(AWS) and is tested alone. ``run_publish()`` is the command line around it.
"""

from __future__ import annotations

import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager, nullcontext
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from botocore.exceptions import BotoCoreError, ClientError

from .diff import (
    COPY,
    DEFAULT_INVALIDATION_THRESHOLD,
    DEFAULT_MAX_DELETES,
    PHASE_NAMES,
    UPLOAD,
    Action,
    Plan,
    PlanRefused,
    RemoteObject,
    collapse_paths,
    diff,
    invalidation_paths,
    make_plan,
    needs_inspection,
    url_paths,
    walk_local,
)
from .remote import (
    DEFAULT_WORKERS,
    MULTIPART_THRESHOLD,
    Clients,
    PublishError,
    PublishState,
    copy_object_in_place,
    create_invalidation,
    delete_objects,
    describe_error,
    inspect_object,
    list_remote,
    read_state,
    register_page_keys,
    upload_object,
    write_state,
)
from .targets import PROJECT_ROOT, TargetError, resolve_targets

PAGE_MANIFEST = "counter-pages.json"
_AWS_ERRORS = (ClientError, BotoCoreError)


@dataclass
class PublishOptions:
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

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

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
    for unit in ("B", "kB", "MB"):
        if count < 1000 or unit == "MB":
            return f"{count} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1000
    return ""


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
    session: Any = None,
    endpoint_url: str | None = None,
    region: str | None = None,
    options: PublishOptions | None = None,
    echo: Callable[[str], None] | None = None,
) -> PublishSummary:
    """Publish ``output_dir`` into ``bucket``; raise PublishError or PlanRefused (one-line
    messages) when it stops. Pass ``clients`` or a boto3 ``session``/``endpoint_url``."""
    options = options or PublishOptions()
    say = echo or (lambda _line: None)
    started = time.monotonic()
    clients = clients or Clients.create(session, endpoint_url, region, options.workers)
    before = clients.requests.snapshot()
    progress = _Progress(options.progress)
    summary = PublishSummary(dry_run=options.dry_run)

    local = walk_local(output_dir)
    if not local:
        raise PlanRefused(f"{output_dir} holds no files: nothing to publish (build first?)")

    with progress.bar:
        try:
            remote = list_remote(clients.s3, bucket)
            state = read_state(clients.s3, bucket)
        except _AWS_ERRORS as error:
            raise PublishError(describe_error(error, bucket)) from error
        saved_state = state.to_json()
        replaced_earlier = [path for key in state.changed_since(remote) for path in url_paths(key)]
        state.apply_to(remote)
        summary.inspected = _inspect(clients, bucket, local, remote, options, progress)
        # From here the state describes exactly what is in the bucket.
        state.objects = {k: v for k, v in remote.items() if v.headers is not None}

        plan = make_plan(diff(local, remote, options.force), options.max_deletes)
        summary.unchanged = len(plan.unchanged)
        summary.actions = [
            {"kind": a.kind, "key": a.key, "reason": a.reason} for a in plan.changes
        ]
        if options.dry_run or options.verbose:
            for action in plan.changes:
                say(f"{action.kind:<7} {action.key}  ({action.reason})")
        stale_paths = collapse_paths(
            invalidation_paths(plan.changes, options.invalidation_threshold) + replaced_earlier,
            options.invalidation_threshold,
        )

        if options.dry_run:
            summary.uploaded = sum(a.kind == UPLOAD for a in plan.writes)
            summary.copied = sum(a.kind == COPY for a in plan.writes)
            summary.deleted = len(plan.deletes)
            summary.bytes_uploaded = sum(a.local.size for a in plan.writes if a.kind == UPLOAD)
            summary.invalidation_paths = collapse_paths(
                state.pending_invalidation + stale_paths, options.invalidation_threshold
            )
            return _finish(summary, clients, before, started)

        try:
            if distribution_id:
                # Kept in the state if this run fails, so its re-run invalidates them.
                state.add_pending(stale_paths, options.invalidation_threshold)
            # Registration overlaps the asset uploads and must finish before any page goes up,
            # so a new page never shows a counter for a key the table does not know yet.
            with ThreadPoolExecutor(max_workers=1) as registrar:
                registration = registrar.submit(
                    _register_pages, clients, table, Path(output_dir), summary, options.workers
                )

                def pages_registered() -> None:
                    summary.pages_registered = registration.result()

                _write_phases(
                    clients, bucket, plan, state, options, progress, summary, pages_registered
                )
            if plan.deletes:
                keys = [a.key for a in plan.deletes]
                for key in delete_objects(clients.s3, bucket, keys):
                    state.forget(key)
                summary.deleted = len(keys)
            _invalidate(clients, distribution_id, state, options, summary)
        except _AWS_ERRORS as error:
            _save_state_after_failure(clients, bucket, state)
            raise PublishError(describe_error(error, bucket)) from error
        except PublishError:
            _save_state_after_failure(clients, bucket, state)
            raise
        if state.to_json() != saved_state:
            try:
                write_state(clients.s3, bucket, state)
            except _AWS_ERRORS as error:
                raise PublishError(describe_error(error, bucket)) from error
    for note in summary.notes:
        say(note)
    return _finish(summary, clients, before, started)


def _finish(
    summary: PublishSummary, clients: Clients, before: dict[str, int], started: float
) -> PublishSummary:
    after = clients.requests.snapshot()
    summary.requests = {op: n - before.get(op, 0) for op, n in after.items() if n > before.get(op, 0)}
    summary.seconds = time.monotonic() - started
    return summary


def _inspect(
    clients: Clients,
    bucket: str,
    local: dict,
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


def _register_pages(
    clients: Clients, table: str | None, output_dir: Path, summary: PublishSummary, workers: int
) -> int | None:
    # Before the pages go up, so a new page never shows a counter for a key not yet registered.
    manifest = output_dir / PAGE_MANIFEST
    if not table:
        summary.notes.append("no counter table: page registration skipped")
        return None
    if not manifest.is_file():
        summary.notes.append(f"no {PAGE_MANIFEST} in the output: page registration skipped")
        return None
    try:
        keys = json.loads(manifest.read_text(encoding="utf-8"))
        return register_page_keys(clients.dynamodb, table, keys, workers)
    except (*_AWS_ERRORS, ValueError, ImportError) as error:
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
        if action.kind == COPY:
            return action, copy_object_in_place(clients.s3, bucket, action.local)
        return action, upload_object(clients.s3, bucket, action.local, options.multipart_threshold)

    for number, (name, phase) in enumerate(zip(PHASE_NAMES, plan.phases)):
        if number == 1:  # the pages
            before_pages()
        if not phase:
            continue
        with progress.task(f"uploading {name}", len(phase)) as advance:
            written, failed = run_in_pool(write, phase, options.workers, advance)
        for action, obj in written:
            state.record(obj)
            if action.kind == COPY:
                summary.copied += 1
            else:
                summary.uploaded += 1
                summary.bytes_uploaded += obj.size
        if failed:
            # Later phases and all deletions wait for a run whose uploads all succeed.
            raise PublishError(
                f"{len(failed)} of {len(phase)} {name} failed to upload, e.g. "
                f"{_first_failure(failed, bucket)}; nothing was deleted, re-run publish to finish"
            )


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


def _save_state_after_failure(clients: Clients, bucket: str, state: PublishState) -> None:
    try:
        write_state(clients.s3, bucket, state)
    except _AWS_ERRORS:
        pass  # the next run inspects what it cannot prove; the first error is the one to show


# -- the command line ---------------------------------------------------------------------


def run_publish(
    bucket: str | None = None,
    distribution_id: str | None = None,
    table: str | None = None,
    endpoint_url: str | None = None,
    dry_run: bool = False,
    force: bool = False,
    max_deletes: int | None = None,
    invalidate: bool = True,
    wait: bool = False,
    build: bool = True,
    verbose: bool = False,
    *,
    output_dir: str | os.PathLike | None = None,
    invalidation_threshold: int = DEFAULT_INVALIDATION_THRESHOLD,
    workers: int = DEFAULT_WORKERS,
) -> int:
    """`invoke publish`: resolve targets, build with publishconf.py, publish. Returns the exit
    code; every failure is one line on stderr starting with ``error:``."""
    output = Path(output_dir) if output_dir is not None else PROJECT_ROOT / "output"
    try:
        targets = resolve_targets(
            bucket=bucket,
            distribution_id=distribution_id,
            table=table,
            endpoint_url=endpoint_url,
            require=("bucket", "site_url") if build else ("bucket",),
            # Without a build no SITEURL is needed: Terraform is not asked for one.
            wanted=None if build else ("bucket", "distribution_id", "table", "region", "endpoint_url"),
        )
        if build:
            _build(targets.site_url, output)
        options = PublishOptions(
            dry_run=dry_run,
            force=force,
            max_deletes=DEFAULT_MAX_DELETES if max_deletes is None else max_deletes,
            invalidate=invalidate,
            wait=wait,
            invalidation_threshold=invalidation_threshold,
            workers=workers,
            verbose=verbose,
            progress=True,
        )
        summary = publish(
            output,
            targets.bucket,
            distribution_id=targets.distribution_id,
            table=targets.table,
            endpoint_url=targets.endpoint_url,
            region=targets.region,
            options=options,
            echo=print,
        )
    except (TargetError, PublishError, PlanRefused) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(summary.line())
    return 0


def _build(site_url: str, output: Path) -> None:
    from .site import build_site

    # publishconf.py derives FEED_DOMAIN and friends from the environment when it is read.
    previous = os.environ.get("SITEURL")
    os.environ["SITEURL"] = site_url
    try:
        build_site("publishconf.py", output, overrides={"SITEURL": site_url.rstrip("/")})
    except Exception as error:  # noqa: BLE001 - Pelican raises many kinds; the user needs one line
        lines = [line.strip() for line in str(error).splitlines() if line.strip()]
        raise PublishError(f"build with publishconf.py failed: {'; '.join(lines)}") from error
    finally:
        if previous is None:
            os.environ.pop("SITEURL", None)
        else:
            os.environ["SITEURL"] = previous
