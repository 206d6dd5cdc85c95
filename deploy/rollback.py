"""`make rollback`: put the site back as an earlier publish left it, from the bucket's object
versions and the publish history (deploy/history.py).

``rollback()`` reads as a straight line of stages, most of them publish's own: under the
bucket's lock, read the state and the history it holds and choose the target; list the bucket;
check that every version needed is still there (else refuse, changing nothing); plan (restore
each key the later publishes changed or deleted, remove each key they added); record the
rollback in the state's history before the first change; follow the pages (pages that come
back are registered again, counts and all; pages that go are retired); restore in publish's
order (new files first, pages before the feeds that link to them), remove last; invalidate
exactly the changed paths; save the state with the rollback marked done. Interrupted, it is re-run as it was: the unfinished
rollback on record names the same target, and what is already back is left alone.
"""

from __future__ import annotations

import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable, ContextManager

from .diff import (
    DEFAULT_INVALIDATION_THRESHOLD,
    Action,
    ActionKind,
    Plan,
    invalidation_paths,
    make_plan,
    url_paths,
)
from .history import (
    EntryKind,
    HistoryEntry,
    RollbackRefused,
    default_target,
    new_entry_id,
    restore_targets,
    unfinished_rollback,
)
from .lock import DEFAULT_LOCK_TTL_SECONDS, PublishLock, operator_name
from .objects import RemoteObject
from .pages import PageChanges, manifest_keys
from .publish import (
    Progress,
    delete_planned,
    finish,
    follow_pages_or_fail,
    invalidate_pending,
    learn_versions,
    locked,
    now_text,
    one_line_errors,
    run_in_pool,
    save_state,
    state_saved_on_failure,
    write_phases,
)
from .remote import (
    DEFAULT_WORKERS,
    Clients,
    PublishError,
    list_remote,
    read_object,
    read_state,
    restore_version,
    stored_version,
    write_state,
)
from .site import page_manifest_name
from .state import PublishState, collapse_paths
from .wording import counted, destination


@dataclass(frozen=True)
class RollbackOptions:
    dry_run: bool = False
    invalidate: bool = True
    wait: bool = False
    invalidation_threshold: int = DEFAULT_INVALIDATION_THRESHOLD
    workers: int = DEFAULT_WORKERS
    verbose: bool = False
    progress: bool = False
    page_manifest: str | None = None
    break_lock: bool = False
    lock_ttl_seconds: int = DEFAULT_LOCK_TTL_SECONDS


@dataclass
class RollbackSummary:
    dry_run: bool = False
    bucket: str = ""
    distribution_id: str | None = None
    site_url: str | None = None
    target: str = ""
    rollback_id: str | None = None
    restored: int = 0
    deleted: int = 0  # files the later publishes added, removed
    unchanged: int = 0  # files already as the target left them
    invalidation_paths: list[str] = field(default_factory=list)
    invalidation_id: str | None = None
    pages_registered: int | None = None
    pages_retired: int = 0
    notes: list[str] = field(default_factory=list)
    actions: list[dict[str, str]] = field(default_factory=list)
    requests: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def where(self) -> str:
        verb = "would roll back" if self.dry_run else "rolled back"
        return f"{verb} " + destination(self.bucket, self.distribution_id, self.site_url)

    def line(self) -> str:
        paths = counted(len(self.invalidation_paths), "path")
        if self.dry_run:
            return (
                f"dry run: rolling back to publish {self.target} would restore "
                f"{counted(self.restored, 'file')} and remove {counted(self.deleted, 'file')} "
                f"({self.unchanged} already as it was); would invalidate {paths}"
                + (f", retire {counted(self.pages_retired, 'page key')}" if self.pages_retired else "")
            )
        pages = ""
        if self.pages_registered is not None:
            pages = f"; {counted(self.pages_registered, 'page key')} registered, {self.pages_retired} retired"
        return (
            f"rolled back to publish {self.target}: {counted(self.restored, 'file')} restored, "
            f"{counted(self.deleted, 'file')} removed, {self.unchanged} already as it was; "
            f"{paths} invalidated{pages}; recorded as {self.rollback_id}; "
            f"{counted(sum(self.requests.values()), 'request')} in {self.seconds:.1f} s"
        )


def rollback(
    bucket: str,
    *,
    to: str | None = None,
    distribution_id: str | None = None,
    table: str | None = None,
    clients: Clients | None = None,
    endpoint_url: str | None = None,
    region: str | None = None,
    options: RollbackOptions | None = None,
    echo: Callable[[str], None] | None = None,
    site_url: str | None = None,
) -> RollbackSummary:
    """Put the site back as publish ``to`` left it (default: the publish before the one the site
    shows now). Raises RollbackRefused or PublishError (one-line messages)."""
    options = options or RollbackOptions()
    say = echo or (lambda _line: None)
    started = time.monotonic()
    clients = clients or Clients.create(endpoint_url, region, options.workers)
    before = clients.requests.snapshot()
    progress = Progress(options.progress)
    summary = RollbackSummary(
        dry_run=options.dry_run, bucket=bucket, distribution_id=distribution_id, site_url=site_url
    )
    manifest = options.page_manifest or page_manifest_name()

    with progress.bar, _lock_unless_dry_run(clients, bucket, options, say) as lock:
        remote, state, saved_state, replaced_earlier = _list_remote(clients, bucket, options)
        history = state.history if state.history is not None else []
        summary.target = to or default_target(history)
        targets = restore_targets(history, summary.target)
        earlier = _versions_still_there(clients, bucket, targets, summary.target, options)
        plan = _plan(targets, remote, earlier, summary)
        pages = _page_changes(clients, bucket, table, manifest, targets, remote, summary)
        _print_plan(plan, options, say)
        # What this run changes, and what an interrupted run before it had already changed.
        stale = collapse_paths(
            invalidation_paths(plan.changes, options.invalidation_threshold) + replaced_earlier,
            options.invalidation_threshold,
        )
        if options.dry_run:
            summary.restored, summary.deleted = len(plan.writes), len(plan.deletes)
            summary.invalidation_paths = stale
            summary.pages_retired = len(pages.going) if pages else 0
            return finish(summary, clients, before, started, say)
        if not plan.changes and not stale and unfinished_rollback(history) is None:
            summary.notes.append(f"the site is already as publish {summary.target} left it")
            return finish(summary, clients, before, started, say)

        entry = _record_rollback(clients, bucket, state, history, plan, options, summary)
        with state_saved_on_failure(clients, bucket, state):
            if distribution_id:
                state.add_pending(stale, options.invalidation_threshold)
            follow_pages_or_fail(clients, table, pages, options, summary)
            _restore(clients, bucket, plan, state, earlier, options, progress, summary, lock)
            lock.refresh()
            delete_planned(clients, bucket, plan, state, summary)
            invalidate_pending(clients, distribution_id, state, options, summary)
        entry.done = True
        if pages is not None:
            state.pages_followed = None  # the next publish brings the table in line again
        save_state(clients, bucket, state, saved_state)
    return finish(summary, clients, before, started, say)


class _NoLock:
    """A dry run changes nothing, so it takes no lock."""

    def refresh(self) -> None:
        return None


def _lock_unless_dry_run(
    clients: Clients, bucket: str, options: RollbackOptions, say: Callable[[str], None]
) -> ContextManager[PublishLock | _NoLock]:
    if options.dry_run:
        return nullcontext(_NoLock())
    return locked(clients, bucket, "rollback", options, say)


def _list_remote(
    clients: Clients, bucket: str, options: RollbackOptions
) -> tuple[dict[str, RemoteObject], PublishState, bytes, list[str]]:
    """The bucket, the state (applied to it; its history says what to restore), the state as
    read, and the URL paths of objects changed since the state was written (by an interrupted
    run)."""
    with one_line_errors(bucket):
        state, _ = read_state(clients.s3, bucket)
        remote = list_remote(clients.s3, bucket, state.objects.keys(), options.workers)
    saved = state.to_json()
    replaced_earlier = [path for key in state.changed_since(remote) for path in url_paths(key)]
    state.apply_to(remote)
    return remote, state, saved, replaced_earlier


def _versions_still_there(
    clients: Clients,
    bucket: str,
    targets: dict[str, str | None],
    target: str,
    options: RollbackOptions,
) -> dict[str, RemoteObject]:
    """What each version to restore holds; refuse, before changing anything, if any is gone."""
    unrecorded = sorted(key for key, version in targets.items() if version == "")
    if unrecorded:
        raise RollbackRefused(
            f"cannot roll back to publish {target}: no version of {counted(len(unrecorded), 'file')} "
            f"was recorded (e.g. {unrecorded[0]}); is versioning on for the bucket? "
            "Publish the fix instead"
        )
    wanted = sorted((key, version) for key, version in targets.items() if version)
    with one_line_errors(bucket):
        found, failed = run_in_pool(
            lambda item: (item[0], stored_version(clients.s3, bucket, *item)),
            wanted,
            options.workers,
            lambda: None,
        )
    if failed:
        key, error = failed[0][0][0], failed[0][1]
        raise PublishError(f"could not read the earlier version of {key}: {error}")
    gone = sorted(key for key, obj in found if obj is None)
    if gone:
        raise RollbackRefused(
            f"cannot roll back to publish {target}: the bucket no longer holds the earlier version "
            f"of {counted(len(gone), 'file')} (e.g. {gone[0]}; noncurrent versions expire by the "
            "bucket's lifecycle rule); nothing was changed. Publish the fix instead"
        )
    return {key: obj for key, obj in found if obj is not None}


def _plan(
    targets: dict[str, str | None],
    remote: dict[str, RemoteObject],
    earlier: dict[str, RemoteObject],
    summary: RollbackSummary,
) -> Plan:
    """Restore each key not already as the target left it; remove each key added since."""
    actions = []
    for key, version in sorted(targets.items()):
        now = remote.get(key)
        if version is None:
            if now is not None:
                actions.append(Action(ActionKind.DELETE, key, f"added after publish {summary.target}", None, now))
            continue
        then = earlier[key]
        same = now is not None and (now.etag, now.size, now.headers) == (then.etag, then.size, then.headers)
        kind = ActionKind.UNCHANGED if same else ActionKind.RESTORE
        actions.append(Action(kind, key, f"as publish {summary.target} left it", None, now))
    # The user named what to restore; the history bounds it, so no delete guard applies.
    plan = make_plan(actions, max_deletes=len(actions))
    summary.unchanged = len(plan.unchanged)
    summary.actions = [{"kind": a.kind.value, "key": a.key, "reason": a.reason} for a in plan.changes]
    return plan


def _page_changes(
    clients: Clients,
    bucket: str,
    table: str | None,
    manifest: str,
    targets: dict[str, str | None],
    remote: dict[str, RemoteObject],
    summary: RollbackSummary,
) -> PageChanges | None:
    """The page manifest now against the one the target left; None when the rollback leaves
    the manifest as it is (the same pages exist before and after)."""
    if not table:
        summary.notes.append("no counter table: page keys left as they are")
        return None
    if manifest not in targets:
        return None
    with one_line_errors(bucket):
        now = manifest_keys(read_object(clients.s3, bucket, manifest)) if manifest in remote else []
        version = targets[manifest]
        then = manifest_keys(read_object(clients.s3, bucket, manifest, version)) if version else []
    return PageChanges.between(now, then)


def _print_plan(plan: Plan, options: RollbackOptions, say: Callable[[str], None]) -> None:
    if options.dry_run or options.verbose:
        for action in sorted(plan.writes, key=lambda a: a.key) + plan.deletes:
            verb = "remove" if action.kind is ActionKind.DELETE else "restore"
            say(f"{verb:<7} {action.key}  ({action.reason})")


def _record_rollback(
    clients: Clients,
    bucket: str,
    state: PublishState,
    history: list[HistoryEntry],
    plan: Plan,
    options: RollbackOptions,
    summary: RollbackSummary,
) -> HistoryEntry:
    """Before the first change, record in the state's history what each key to change holds
    now, so this rollback can itself be undone; an unfinished rollback to the same publish is
    carried on."""
    entry = unfinished_rollback(history)
    if entry is None or entry.site != summary.target:
        entry_id = new_entry_id(history, datetime.now(timezone.utc))
        entry = HistoryEntry(entry_id, EntryKind.ROLLBACK, now_text(), operator_name(), site=summary.target)
        history.append(entry)
    with one_line_errors(bucket):
        learn_versions(clients, bucket, [a for a in plan.changes if a.key not in entry.replaced], options)
        for action in plan.changes:
            entry.note_replaced(action.key, action.remote.version_id if action.remote else None)
        state.history = history
        write_state(clients.s3, bucket, state)
    summary.rollback_id = entry.id
    return entry


def _restore(
    clients: Clients,
    bucket: str,
    plan: Plan,
    state: PublishState,
    earlier: dict[str, RemoteObject],
    options: RollbackOptions,
    progress: Progress,
    summary: RollbackSummary,
    lock: PublishLock,
) -> None:
    def written_one(_action: Action, _obj: RemoteObject) -> None:
        summary.restored += 1

    write_phases(
        bucket,
        plan,
        state,
        lambda action: restore_version(clients.s3, bucket, earlier[action.key]),
        written_one,
        options,
        progress,
        lambda: None,
        lock,
    )
