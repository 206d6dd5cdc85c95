"""`make publish`: upload only the files whose bytes or headers changed, delete last, invalidate
only the paths that changed, register new page keys with the counter and retire the keys of
pages that went, one publish at a time, each recorded so `make rollback` can undo it.

``publish()`` reads as a straight line of named stages over one run's
:class:`~deploy.deployer.Deployer` (walk local while reading the bucket: state, then listing;
inspect, diff, plan; summarise; then under the bucket's lock: record the publish in the state,
follow the pages and write, delete, invalidate, save the state); the pure ones live in
``deploy.diff``, ``deploy.state`` and ``deploy.history``, the steps rollback shares in
``deploy.deployer``, the AWS calls in ``deploy.remote`` and ``deploy.lock``, each tested alone.
The command line around it is ``deploy.cli``.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, ClassVar

from .deployer import Deployer, RemoteSite, RunOptions, RunSummary, Target, now_text
from .diff import (
    Action,
    ActionKind,
    Plan,
    PlanRefused,
    diff,
    invalidation_paths,
    make_plan,
    needs_inspection,
    walk_local,
)
from .history import EntryKind, HistoryEntry, new_entry_id, unfinished_publish
from .lock import operator_name
from .objects import LocalFile, RemoteObject
from .pages import PageChanges, manifest_keys, table_identity
from .remote import (
    MULTIPART_THRESHOLD,
    Clients,
    ConditionalWrite,
    PublishError,
    copy_object_in_place,
    inspect_object,
    read_object,
    state_etag,
    upload_object,
    write_state,
)
from .state import PublishState, collapse_paths
from .wording import counted, human_bytes


@dataclass(frozen=True)
class PublishOptions(RunOptions):
    """How to publish, whatever the targets: the engine's half of `make publish`'s flags."""

    force: bool = False
    # None: at most 256 deletions and at most half the bucket; a number: exactly that bound.
    max_deletes: int | None = None
    multipart_threshold: int = MULTIPART_THRESHOLD


@dataclass
class PublishSummary(RunSummary):
    """What a publish did (or, in a dry run, would do)."""

    DOING: ClassVar[tuple[str, str]] = ("would publish to", "published to")

    publish_id: str | None = None  # the history entry `make rollback` can undo
    uploaded: int = 0
    copied: int = 0  # header-only changes, CopyObject in place
    bytes_uploaded: int = 0
    inspected: int = 0  # HEAD requests needed to decide

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


Publisher = Deployer[PublishOptions, PublishSummary]


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
    clients = clients or Clients.create(endpoint_url, region, options.workers, options.read_timeout)
    target = Target(bucket, distribution_id, table, site_url)
    run = Publisher(clients, options, PublishSummary(target, dry_run=options.dry_run), echo)

    with run.progress.shown():
        survey = _survey(run, _walk_and_read(run, output_dir))
        run.print_plan(survey.plan, lambda action: action.kind.value)
        run.summary.inspected = survey.inspected
        pages = _page_changes(run, survey)
        if options.dry_run:
            _summarise_dry_run(run, survey, pages)
            return run.finish(print_notes=False)
        if not survey.writes_anything and not options.break_lock:
            run.follow_pages(pages)
            return run.finish()

        if distribution_id and options.invalidate and (survey.stale_paths or survey.state.pending_invalidation):
            clients.make_soon("cloudfront")
        with run.locked("publish"):
            survey, pages, entry = _record_publish(run, survey, pages)
            state = survey.state
            with run.state_saved_on_failure(state):
                _follow_pages_and_write(run, pages, survey.plan, state)
                run.lock.refresh()
                run.delete_planned(survey.plan, state)
                run.invalidate_pending(state)
            if entry is not None:
                entry.done = True
            _note_pages_followed(run, state, pages)
            run.save_state(state, survey.found.saved_state)
    return run.finish()


@dataclass
class _Survey:
    """What publish found (the build output and the bucket) and plans to do about it."""

    local: dict[str, LocalFile]
    found: RemoteSite
    plan: Plan
    stale_paths: list[str]
    inspected: int  # HEAD requests it took

    @property
    def remote(self) -> dict[str, RemoteObject]:
        return self.found.objects

    @property
    def state(self) -> PublishState:
        return self.found.state

    @property
    def writes_anything(self) -> bool:
        return bool(
            self.plan.changes
            or self.stale_paths
            or self.state.pending_invalidation
            or self.state.to_json() != self.found.saved_state
        )


def _walk_local(output_dir: str | os.PathLike) -> dict[str, LocalFile]:
    local = walk_local(output_dir)
    if not local:
        raise PlanRefused(f"{output_dir} holds no files: nothing to publish (build first?)")
    return local


def _walk_and_read(run: Publisher, output_dir: str | os.PathLike) -> tuple[dict[str, LocalFile], RemoteSite]:
    """Hash the build output while the bucket is read: the two overlap, the requests' round
    trips hidden behind the hashing. The S3 client is made first, alone: made while the hashing
    holds the interpreter, it would hold back the first request."""
    with run.one_line_errors():
        _ = run.s3
    with ThreadPoolExecutor(max_workers=1) as reader:
        reading = reader.submit(run.read_bucket)
        try:
            local = _walk_local(output_dir)
        except BaseException:
            reading.cancel()
            raise
        return local, reading.result()


def _survey(run: Publisher, walked: tuple[dict[str, LocalFile], RemoteSite]) -> _Survey:
    """From what was found: inspect what is unknown, diff and plan."""
    local, found = walked
    threshold, remote = run.options.invalidation_threshold, found.objects
    inspected = _inspect(run, local, remote)
    found.state.describe(remote)
    plan = make_plan(diff(local, remote, run.options.force), run.options.max_deletes, len(remote))
    stale_paths = collapse_paths(
        invalidation_paths(plan.changes, threshold, new_pages=bool(remote)) + found.replaced_earlier,
        threshold,
    )
    return _Survey(local, found, plan, stale_paths, inspected)


def _inspect(run: Publisher, local: dict[str, LocalFile], remote: dict[str, RemoteObject]) -> int:
    """HEAD the objects whose content may be unchanged but whose headers or digest are unknown
    (written by something other than publish, or after a lost state)."""
    if run.options.force:
        return 0
    unknown = [
        remote[key] for key in local.keys() & remote.keys() if needs_inspection(local[key], remote[key])
    ]
    if not unknown:
        return 0
    with run.progress.task("checking", len(unknown)) as advance:
        found, failed = run.in_pool(lambda obj: inspect_object(run.s3, run.bucket, obj), unknown, advance)
    if failed:
        raise PublishError(f"could not inspect {len(failed)} objects, e.g. {run.first_failure(failed)}")
    remote.update({obj.key: obj for obj in found})
    return len(unknown)


def _page_changes(run: Publisher, survey: _Survey) -> PageChanges | None:
    """The page keys this publish leaves, and which appear or go: the manifest in the output
    against the one in the bucket (read only when it changes). None: no registration. Nothing
    to do (no keys) when the table was brought in line with the manifest the bucket holds
    and this publish leaves it as it is."""
    local, manifest, table = survey.local, run.manifest, run.target.table
    if not table:
        run.summary.notes.append("no counter table: page registration skipped")
        return None
    if manifest not in local:
        run.summary.notes.append(f"no {manifest} in the output: page registration skipped")
        return None
    listed = survey.remote.get(manifest)
    written = any(a.key == manifest for a in survey.plan.writes)
    identity = table_identity(run.clients.dynamodb, table)
    followed = survey.state.pages_followed
    if listed is not None and not written and identity and followed == (listed.etag, identity):
        return PageChanges(table=identity)
    if followed is not None and followed[1] != identity and followed[1].startswith(f"{table} created "):
        run.summary.notes.append(
            f"{table} is not the table the last publish registered pages in (rebuilt or restored): every page registered again"
        )
    after = manifest_keys(local[manifest].path.read_bytes())
    if listed is None:
        before: list[str] = []
    elif written:
        with run.one_line_errors():
            before = manifest_keys(read_object(run.s3, run.bucket, manifest))
    else:
        before = after
    changes = PageChanges.between(before, after)
    changes.table = identity
    return changes


def _summarise_dry_run(run: Publisher, survey: _Survey, pages: PageChanges | None) -> None:
    plan, summary = survey.plan, run.summary
    uploads = [a for a in plan.writes if a.kind is ActionKind.UPLOAD]
    summary.uploaded = len(uploads)
    summary.copied = len(plan.writes) - len(uploads)
    summary.deleted = len(plan.deletes)
    summary.bytes_uploaded = sum(a.local.size for a in uploads)
    summary.invalidation_paths = collapse_paths(
        survey.state.pending_invalidation + survey.stale_paths, run.options.invalidation_threshold
    )
    summary.pages_retired = len(pages.going) if pages else 0


def _moved_since(run: Publisher, survey: _Survey) -> bool:
    with run.one_line_errors():
        return state_etag(run.s3, run.bucket) != survey.found.state_etag


def _record_publish(
    run: Publisher, survey: _Survey, pages: PageChanges | None
) -> tuple[_Survey, PageChanges | None, HistoryEntry | None]:
    """Under the lock, before the first change: write the state with this publish on record in
    its history (what each key to change holds now, its version id, so `make rollback` can undo
    it even if it is killed halfway) and the paths it makes stale (so a re-run invalidates
    them), on the condition that the state is still the one the survey read. If another run
    published between the survey and the lock, survey again. An unfinished publish on record
    is carried on by this one (its first records kept)."""
    for _ in range(3):
        state = survey.state
        if run.target.distribution_id:
            state.add_pending(survey.stale_paths, run.options.invalidation_threshold)
        if not survey.plan.changes:
            if not _moved_since(run, survey):
                return survey, pages, None
        else:
            entry = _note_publish(run, survey)
            try:
                with run.one_line_errors():
                    survey.found.state_etag = write_state(run.s3, run.bucket, state, read_at=survey.found.state_etag)
                run.summary.publish_id = entry.id
                return survey, pages, entry
            except ConditionalWrite:
                pass
        # Another run published between our look at the bucket and the lock: look again.
        survey = _survey(run, (survey.local, run.read_bucket()))
        pages = _page_changes(run, survey)
    raise PublishError("the publish state kept changing under the lock; re-run to publish")


def _note_publish(run: Publisher, survey: _Survey) -> HistoryEntry:
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
    with run.one_line_errors():
        run.learn_versions([a for a in changes if a.remote and a.key not in entry.replaced])
    for action in changes:
        entry.note_replaced(action.key, action.remote.version_id if action.remote else None)
    return entry


def _note_pages_followed(run: Publisher, state: PublishState, pages: PageChanges | None) -> None:
    """The table now follows the manifest the bucket holds (once pages were followed)."""
    manifest = run.manifest
    if pages is not None and pages.table and manifest in state.objects:
        state.pages_followed = (state.objects[manifest].etag, pages.table)


def _follow_pages_and_write(run: Publisher, pages: PageChanges | None, plan: Plan, state: PublishState) -> None:
    """Write the phases in order. The counter follows the pages meanwhile (new keys registered,
    removed pages retired) and is done before any page goes up, so a new page never shows a
    counter for a key the table does not know."""
    def write(action: Action) -> RemoteObject:
        if action.kind is ActionKind.COPY:
            return copy_object_in_place(run.s3, run.bucket, action.local)
        return upload_object(run.s3, run.bucket, action.local, run.options.multipart_threshold)

    summary = run.summary
    with ThreadPoolExecutor(max_workers=1) as registrar:
        following = registrar.submit(run.follow_pages, pages)
        written = run.write_phases(plan, state, write, following.result)
    for action, obj in written:
        if action.kind is ActionKind.COPY:
            summary.copied += 1
        else:
            summary.uploaded += 1
            summary.bytes_uploaded += obj.size
