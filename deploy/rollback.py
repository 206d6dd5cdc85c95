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

from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, ClassVar

from .deployer import Deployer, RunOptions, RunSummary, Target, now_text
from .diff import Action, ActionKind, Plan, invalidation_paths, make_plan
from .history import (
    EntryKind,
    HistoryEntry,
    RollbackRefused,
    default_target,
    new_entry_id,
    restore_targets,
    unfinished_rollback,
)
from .lock import operator_name
from .objects import RemoteObject
from .pages import PageChanges, manifest_keys
from .remote import Clients, PublishError, read_object, restore_version, stored_version, write_state
from .state import PublishState, collapse_paths
from .wording import counted


@dataclass(frozen=True)
class RollbackOptions(RunOptions):
    """How to roll back: `make rollback`'s flags (the target publish is the call's ``to``)."""


@dataclass
class RollbackSummary(RunSummary):
    """What a rollback did (or, in a dry run, would do)."""

    DOING: ClassVar[tuple[str, str]] = ("would roll back", "rolled back")

    target: str = ""  # the publish the site goes back to
    rollback_id: str | None = None
    restored: int = 0  # deleted: files the later publishes added, removed

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


RollingBack = Deployer[RollbackOptions, RollbackSummary]


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
    clients = clients or Clients.create(endpoint_url, region, options.workers, options.read_timeout)
    target = Target(bucket, distribution_id, table, site_url)
    run = RollingBack(clients, options, RollbackSummary(target, dry_run=options.dry_run), echo)
    summary = run.summary

    with run.progress.shown(), _locked_unless_dry_run(run):
        found = run.read_bucket()
        state, remote = found.state, found.objects
        history = state.history if state.history is not None else []
        summary.target = to or default_target(history)
        targets = restore_targets(history, summary.target)
        earlier = _versions_still_there(run, targets)
        plan = _plan(run, targets, remote, earlier)
        pages = _page_changes(run, targets, remote)
        run.print_plan(plan, lambda action: "remove" if action.kind is ActionKind.DELETE else "restore")
        # What this run changes, and what an interrupted run before it had already changed.
        threshold = options.invalidation_threshold
        stale = collapse_paths(invalidation_paths(plan.changes, threshold) + found.replaced_earlier, threshold)
        if options.dry_run:
            summary.restored, summary.deleted = len(plan.writes), len(plan.deletes)
            summary.invalidation_paths = stale
            summary.pages_retired = len(pages.going) if pages else 0
            return run.finish()
        if not plan.changes and not stale and unfinished_rollback(history) is None:
            summary.notes.append(f"the site is already as publish {summary.target} left it")
            return run.finish()

        entry = _record_rollback(run, state, history, plan)
        with run.state_saved_on_failure(state):
            if distribution_id:
                state.add_pending(stale, threshold)
            run.follow_pages(pages)
            written = run.write_phases(plan, state, lambda action: restore_version(run.s3, bucket, earlier[action.key]))
            summary.restored = len(written)
            run.lock.refresh()
            run.delete_planned(plan, state)
            run.invalidate_pending(state)
        entry.done = True
        if pages is not None:
            state.pages_followed = None  # the next publish brings the table in line again
        run.save_state(state, found.saved_state)
    return run.finish()


def _locked_unless_dry_run(run: RollingBack) -> AbstractContextManager[object]:
    """A dry run changes nothing, so it takes no lock."""
    return nullcontext() if run.options.dry_run else run.locked("rollback")


def _versions_still_there(run: RollingBack, targets: dict[str, str | None]) -> dict[str, RemoteObject]:
    """What each version to restore holds; refuse, before changing anything, if any is gone."""
    to = run.summary.target
    unrecorded = sorted(key for key, version in targets.items() if version == "")
    if unrecorded:
        raise RollbackRefused(
            f"cannot roll back to publish {to}: no version of {counted(len(unrecorded), 'file')} "
            f"was recorded (e.g. {unrecorded[0]}); is versioning on for the bucket? "
            "Publish the fix instead"
        )
    wanted = sorted((key, version) for key, version in targets.items() if version)
    with run.one_line_errors():
        found, failed = run.in_pool(lambda item: (item[0], stored_version(run.s3, run.bucket, *item)), wanted)
    if failed:
        key, error = failed[0][0][0], failed[0][1]
        raise PublishError(f"could not read the earlier version of {key}: {error}")
    gone = sorted(key for key, obj in found if obj is None)
    if gone:
        raise RollbackRefused(
            f"cannot roll back to publish {to}: the bucket no longer holds the earlier version "
            f"of {counted(len(gone), 'file')} (e.g. {gone[0]}; noncurrent versions expire by the "
            "bucket's lifecycle rule); nothing was changed. Publish the fix instead"
        )
    return {key: obj for key, obj in found if obj is not None}


def _plan(
    run: RollingBack,
    targets: dict[str, str | None],
    remote: dict[str, RemoteObject],
    earlier: dict[str, RemoteObject],
) -> Plan:
    """Restore each key not already as the target left it; remove each key added since."""
    to = run.summary.target
    actions = []
    for key, version in sorted(targets.items()):
        now = remote.get(key)
        if version is None:
            if now is not None:
                actions.append(Action(ActionKind.DELETE, key, f"added after publish {to}", None, now))
            continue
        then = earlier[key]
        same = now is not None and (now.etag, now.size, now.headers) == (then.etag, then.size, then.headers)
        kind = ActionKind.UNCHANGED if same else ActionKind.RESTORE
        actions.append(Action(kind, key, f"as publish {to} left it", None, now))
    # The user named what to restore; the history bounds it, so no delete guard applies.
    return make_plan(actions, max_deletes=len(actions))


def _page_changes(
    run: RollingBack, targets: dict[str, str | None], remote: dict[str, RemoteObject]
) -> PageChanges | None:
    """The page manifest now against the one the target left; None when the rollback leaves
    the manifest as it is (the same pages exist before and after)."""
    manifest = run.manifest
    if not run.target.table:
        run.summary.notes.append("no counter table: page keys left as they are")
        return None
    if manifest not in targets:
        return None
    with run.one_line_errors():
        now = manifest_keys(read_object(run.s3, run.bucket, manifest)) if manifest in remote else []
        version = targets[manifest]
        then = manifest_keys(read_object(run.s3, run.bucket, manifest, version)) if version else []
    return PageChanges.between(now, then)


def _record_rollback(run: RollingBack, state: PublishState, history: list[HistoryEntry], plan: Plan) -> HistoryEntry:
    """Before the first change, record in the state's history what each key to change holds
    now, so this rollback can itself be undone; an unfinished rollback to the same publish is
    carried on."""
    to = run.summary.target
    entry = unfinished_rollback(history)
    if entry is None or entry.site != to:
        entry_id = new_entry_id(history, datetime.now(timezone.utc))
        entry = HistoryEntry(entry_id, EntryKind.ROLLBACK, now_text(), operator_name(), site=to)
        history.append(entry)
    with run.one_line_errors():
        run.learn_versions([a for a in plan.changes if a.key not in entry.replaced])
        for action in plan.changes:
            entry.note_replaced(action.key, action.remote.version_id if action.remote else None)
        state.history = history
        write_state(run.s3, run.bucket, state)
    run.summary.rollback_id = entry.id
    return entry
