"""invoke tasks: thin wrappers over ``deploy`` (publish) and ``devstack`` (the offline stack).
The Makefile calls these."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from invoke import task

from deploy.diff import DEFAULT_INVALIDATION_THRESHOLD, DEFAULT_MAX_DELETES

TARGET_HELP = {
    "bucket": "site bucket (default: $SITE_BUCKET or terraform output site_bucket_name)",
    "distribution-id": "CloudFront distribution (default: $DISTRIBUTION_ID or terraform output)",
    "table": "counter table for page registration (default: $COUNTER_TABLE or terraform output)",
    "endpoint-url": "AWS endpoint for moto/LocalStack (default: $AWS_ENDPOINT_URL)",
}
BREAK_LOCK_HELP = (
    "remove the publish lock left by a run that is gone (crashed, killed), then go on; "
    "a lock also expires by itself 15 minutes after its run last renewed it"
)


def _count(flag: str, value) -> int | None:
    """A numeric flag, or one clear line and exit 2 (invoke passes flags without a default
    type as text)."""
    if value is None:
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = -1
    if number < 0:
        print(f"error: {flag} takes a whole number of 0 or more, not {value!r}", file=sys.stderr)
        raise SystemExit(2)
    return number


def _count_or(flag: str, value, default: int) -> int:
    number = _count(flag, value)
    return default if number is None else number


@task(help={"output": "output folder (default: output)"})
def build(c, output="output"):
    """Build the site with pelicanconf.py (local settings)."""
    from deploy.site import build_site

    path = build_site("pelicanconf.py", output)
    print(f"built {path}")


@task(
    help={
        "content": "content folder to check instead of the settings' PATH",
        "settings": "Pelican settings file (default: pelicanconf.py)",
        "all": "print every finding (past 50, each rule's first few and its count)",
    }
)
def check(c, content=None, settings="pelicanconf.py", all=False):  # noqa: A002 - the flag's name
    """Check the content: errors (they block publish) and warnings, each with its file and line."""
    from contentcheck.__main__ import main

    arguments = ["--settings", settings] + (["--content", content] if content else []) + (["--all"] if all else [])
    code = main(arguments)
    if code:
        raise SystemExit(code)


@task(
    help={
        "port": "edge port (default 8000, or $PORT)",
        "persist": "keep the local AWS state between runs in .local-state/",
        "content": "content folder to serve instead of the settings' PATH",
        "settings": "Pelican settings file (default: pelicanconf.py)",
    }
)
def serve(c, port=None, persist=False, content=None, settings=None):
    """Run the whole stack locally as a live preview: every save rebuilds, republishes, reloads."""
    from devstack.stack import serve as serve_stack

    serve_stack(port=port or os.environ.get("PORT", 8000), persist=persist, content=content, settings=settings)


@task(
    help={
        "port": "edge port (default 8000, or $PORT)",
        "content": "content folder to serve instead of the settings' PATH",
        "settings": "Pelican settings file (default: publishconf.py)",
    }
)
def preview(c, port=None, content=None, settings=None):
    """Serve the production build (publishconf.py: no drafts, no future posts) through the local stack."""
    from devstack.stack import serve as serve_stack

    serve_stack(port=port or os.environ.get("PORT", 8000), content=content, settings=settings, production=True)


@task(
    help={
        "title": "the post's title",
        "content": "content folder (default: the settings' PATH)",
        "settings": "Pelican settings file (default: pelicanconf.py)",
    }
)
def new_post(c, title="", content=None, settings="pelicanconf.py"):
    """Write a dated Markdown post (a draft) and print its path and preview URL."""
    from devstack.authoring import PostExists, new_post as write_post

    try:
        path, url = write_post(title, settings, content)
    except (ValueError, PostExists) as error:
        raise SystemExit(f"error: {error}") from None
    port = os.environ.get("PORT", 8000)
    print(f"wrote {path}\npreview: http://127.0.0.1:{port}{url}  (make serve; remove 'Status: draft' to publish it)")


@task(
    help={
        **TARGET_HELP,
        "dry-run": "print the plan with reasons and change nothing",
        "force": "re-upload every file",
        "max-deletes": (
            f"the most objects this publish may delete (default: {DEFAULT_MAX_DELETES}, and never "
            "more than half the objects in the bucket); give the number a plan was refused for "
            "to allow it"
        ),
        "break-lock": BREAK_LOCK_HELP,
        "no-invalidate": "skip the CloudFront invalidation",
        "wait": "wait for the invalidation to complete",
        "no-build": "publish the existing build folder without rebuilding",
        "output": "the build folder (default: output)",
        "invalidation-threshold": "invalidate /* instead when more paths changed than this (default 300)",
        "verbose": "print every planned action with its reason",
    }
)
def publish(
    c,
    bucket=None,
    distribution_id=None,
    table=None,
    endpoint_url=None,
    dry_run=False,
    force=False,
    max_deletes=None,
    break_lock=False,
    no_invalidate=False,
    wait=False,
    no_build=False,
    output=None,
    verbose=False,
    invalidation_threshold=None,  # not the number: invoke would parse the flag as int, with a traceback
):
    """Build with publishconf.py and publish output/ to S3 (recorded: `make rollback` undoes it).

    Uploads what changed, invalidates it, registers new page keys and retires removed ones;
    `invoke history` lists the publishes."""
    from deploy.cli import PublishRequest, run_publish
    from deploy.publish import PublishOptions

    options = PublishOptions(
        dry_run=dry_run,
        force=force,
        max_deletes=_count("--max-deletes", max_deletes),
        break_lock=break_lock,
        invalidate=not no_invalidate,
        wait=wait,
        invalidation_threshold=_count_or("--invalidation-threshold", invalidation_threshold, DEFAULT_INVALIDATION_THRESHOLD),
        verbose=verbose,
        progress=True,
    )
    code = run_publish(
        PublishRequest(
            bucket=bucket,
            distribution_id=distribution_id,
            table=table,
            endpoint_url=endpoint_url,
            build=not no_build,
            options=options,
            **({} if output is None else {"output_dir": Path(output).resolve()}),
        )
    )
    if code:
        raise SystemExit(code)


@task(
    help={
        "to": "the publish id to go back to (see `invoke history`; default: the publish before the current one)",
        **TARGET_HELP,
        "dry-run": "print what would be restored and removed, and change nothing",
        "break-lock": BREAK_LOCK_HELP,
        "no-invalidate": "skip the CloudFront invalidation",
        "wait": "wait for the invalidation to complete",
        "verbose": "print every file restored or removed",
    }
)
def rollback(
    c,
    to=None,
    bucket=None,
    distribution_id=None,
    table=None,
    endpoint_url=None,
    dry_run=False,
    break_lock=False,
    no_invalidate=False,
    wait=False,
    verbose=False,
):
    """Put the site back as the previous publish (or --to <id>) left it.

    From the bucket's object versions: files changed or deleted come back, files added go,
    counter keys follow, only changed paths are invalidated."""
    from deploy.cli import RollbackRequest, run_rollback
    from deploy.rollback import RollbackOptions

    options = RollbackOptions(
        dry_run=dry_run,
        break_lock=break_lock,
        invalidate=not no_invalidate,
        wait=wait,
        verbose=verbose,
        progress=True,
    )
    request = RollbackRequest(
        to=to, bucket=bucket, distribution_id=distribution_id, table=table, endpoint_url=endpoint_url, options=options
    )
    code = run_rollback(request)
    if code:
        raise SystemExit(code)


@task(help={"bucket": TARGET_HELP["bucket"], "endpoint-url": TARGET_HELP["endpoint-url"], "limit": "how many to list (default 20)"})
def history(c, bucket=None, endpoint_url=None, limit=20):
    """List the recent publishes and rollbacks, newest first: the ids `make rollback` takes."""
    from deploy.cli import run_history

    code = run_history(bucket, endpoint_url, int(limit))
    if code:
        raise SystemExit(code)


@task(help={"quick": "small synthetic site, for a smoke run"})
def bench(c, quick=False):
    """Run every benchmark and write bench/results.md."""
    c.run(f"{sys.executable} -m bench.run_all{' --quick' if quick else ''}", pty=False)


@task(
    help={
        "page": "one page's detail, e.g. /posts/hello/ (default: the whole site)",
        "json": "print the report as JSON",
        "csv": "print every count as CSV (item, period, views, uniques)",
        "html": "write a self-contained HTML report and print its path",
        "output": "where --html writes (default build/stats/<table>-<day>.html)",
        "table": "counter table (default: $COUNTER_TABLE or terraform output counter_table_name)",
        "endpoint-url": "AWS endpoint, e.g. the one `make serve` prints (default: $AWS_ENDPOINT_URL)",
    }
)
def stats(c, page=None, json=False, csv=False, html=False, output=None, table=None, endpoint_url=None):
    """Views per day, unique visitors and top pages, read from the counter table."""
    from pathlib import Path

    from stats.cli import StatsRequest, run_stats

    chosen = [name for name, on in (("json", json), ("csv", csv), ("html", html)) if on]
    if len(chosen) > 1:
        raise SystemExit(f"error: choose one of --{', --'.join(chosen)}")
    request = StatsRequest(
        page=page or None,
        format=chosen[0] if chosen else "text",
        html_path=Path(output) if output else None,
        table=table,
        endpoint_url=endpoint_url,
    )
    code = run_stats(request)
    if code:
        raise SystemExit(code)
