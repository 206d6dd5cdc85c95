"""`make publish` / `invoke publish`, `make rollback` / `invoke rollback`, `invoke history`:
resolve the targets, build with publishconf.py, publish (or roll back, or list the history),
and turn every failure into one line on stderr."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from plugins.popular_posts.options import SOURCE_SETTING
from shared.aws import describe_error
from shared.targets import PROJECT_ROOT, TargetError, Targets, resolve_targets

from .diff import PlanRefused
from .environment import patched_environ
from .history import EntryKind, HistoryEntry, RollbackRefused
from .publish import PublishOptions, PublishSummary, publish
from .remote import AWS_ERRORS, Clients, PublishError, read_history
from .rollback import RollbackOptions, RollbackSummary, rollback
from .site import page_manifest_name
from .wording import counted, terminal_safe

PUBLISH_SETTINGS = "publishconf.py"


def _say(line: str, file=None) -> None:
    """Print one line for people: names read from the bucket (a lock holder, keys, who
    published) reach the terminal with their control characters escaped."""
    print(terminal_safe(line), file=file or sys.stdout)


@dataclass(frozen=True)
class PublishRequest:
    """Everything `make publish` was asked, relayed as one value: the targets given on the
    command line (None: from the environment or Terraform), whether to build first, and the
    engine's options."""

    bucket: str | None = None
    distribution_id: str | None = None
    table: str | None = None
    endpoint_url: str | None = None
    build: bool = True
    options: PublishOptions = field(default_factory=PublishOptions)
    output_dir: Path = PROJECT_ROOT / "output"
    settings_file: str | Path = PUBLISH_SETTINGS


def run_publish(request: PublishRequest) -> int:
    """Resolve targets, build, publish. Returns the exit code; every failure is one line on
    stderr starting with ``error:``."""

    def run() -> PublishSummary:
        targets = resolve_targets(
            bucket=request.bucket,
            distribution_id=request.distribution_id,
            table=request.table,
            endpoint_url=request.endpoint_url,
            require=("bucket", "site_url") if request.build else ("bucket",),
        )
        if request.build:
            _build(request.settings_file, targets, request.output_dir)
        return publish(
            request.output_dir,
            targets.bucket,
            distribution_id=targets.distribution_id,
            table=targets.table,
            endpoint_url=targets.endpoint_url,
            region=targets.region,
            options=_with_page_manifest(request),
            echo=_say,
            site_url=targets.site_url,
        )

    return _report(run)


@dataclass(frozen=True)
class RollbackRequest:
    """Everything `make rollback` was asked: the publish to go back to (None: the one before
    the site's current publish), the targets given on the command line, and the options."""

    to: str | None = None
    bucket: str | None = None
    distribution_id: str | None = None
    table: str | None = None
    endpoint_url: str | None = None
    options: RollbackOptions = field(default_factory=RollbackOptions)
    settings_file: str | Path = PUBLISH_SETTINGS


def run_rollback(request: RollbackRequest) -> int:
    """Resolve targets and roll back; the exit code; every failure one line on stderr."""

    def run() -> RollbackSummary:
        targets = resolve_targets(
            bucket=request.bucket,
            distribution_id=request.distribution_id,
            table=request.table,
            endpoint_url=request.endpoint_url,
            require=("bucket",),
        )
        return rollback(
            targets.bucket,
            to=request.to,
            distribution_id=targets.distribution_id,
            table=targets.table,
            endpoint_url=targets.endpoint_url,
            region=targets.region,
            options=_with_page_manifest(request),
            echo=_say,
            site_url=targets.site_url,
        )

    return _report(run)


def _report(run: Callable[[], PublishSummary | RollbackSummary]) -> int:
    """Run a publish or a rollback; print where and what it did, or its one-line error; the
    exit code."""
    try:
        summary = run()
    except (TargetError, PublishError, PlanRefused, RollbackRefused) as error:
        _say(f"error: {error}", file=sys.stderr)
        return 1
    except AWS_ERRORS as error:  # before the first request: a profile, an endpoint
        _say(f"error: {describe_error(error)}", file=sys.stderr)
        return 1
    _say(summary.where())
    _say(summary.line())
    return 0


def run_history(bucket: str | None = None, endpoint_url: str | None = None, limit: int = 20) -> int:
    """Print the recent publishes and rollbacks, newest first, with what `make rollback` does."""
    try:
        targets = resolve_targets(bucket=bucket, endpoint_url=endpoint_url, require=("bucket",), wanted=("bucket", "region", "endpoint_url"))
        clients = Clients.create(targets.endpoint_url, targets.region)
        try:
            history = read_history(clients.s3, targets.bucket)
        except AWS_ERRORS as error:
            raise PublishError(describe_error(error, targets.bucket)) from error
    except (TargetError, PublishError) as error:
        _say(f"error: {error}", file=sys.stderr)
        return 1
    for line in history_lines(history, limit):
        _say(line)
    return 0


def history_lines(history: list[HistoryEntry], limit: int = 20) -> list[str]:
    if not history:
        return ["no publishes recorded in the bucket yet"]
    lines = []
    for entry in reversed(history[-limit:]):
        what = "publish" if entry.kind is EntryKind.PUBLISH else f"rollback to {entry.site}"
        state = "" if entry.done else "  (unfinished: re-run it, or roll it back)"
        files = counted(len(entry.replaced), "file")
        lines.append(f"{entry.id}  {entry.at}  {what:<28} {files:>10}  by {entry.by}{state}")
    current = history[-1].site
    lines.append(f"the site shows publish {current}; `make rollback` goes back one publish, "
                 "`make rollback ROLLBACK_ARGS=\"--to <id>\"` to a named one")
    return lines


def _with_page_manifest(request: PublishRequest | RollbackRequest) -> PublishOptions | RollbackOptions:
    """The request's options, naming the page manifest as the settings the site was built with
    name it (unless the options already do)."""
    if request.options.page_manifest:
        return request.options
    return replace(request.options, page_manifest=page_manifest_name(request.settings_file))


def _build(settings_file: str | Path, targets: Targets, output: Path) -> None:
    """Build through the content check (`make check`): its warnings are printed, and any error
    stops the publish before anything is uploaded."""
    from contentcheck.check import check_site
    from contentcheck.printing import report_lines

    site_url = targets.site_url
    # publishconf.py derives FEED_DOMAIN and friends from the environment when it is read; the
    # popular_posts plugin is given the table publish registers pages in.
    overrides = {
        "SITEURL": site_url.rstrip("/"),
        SOURCE_SETTING: {"table": targets.table, "region": targets.region, "endpoint_url": targets.endpoint_url},
    }
    with patched_environ(SITEURL=site_url):
        report = check_site(settings_file, output, overrides=overrides)
    for line in report_lines(report.problems):  # errors first, then the warnings
        _say(line, file=sys.stderr)
    if not report.ok:
        count = len(report.errors)
        raise PublishError(
            f"build with {Path(settings_file).name}: the content check found {count} "
            f"error{'s' if count != 1 else ''} (above); nothing was uploaded"
        )
