"""`make publish` / `invoke publish`: resolve the targets, build with publishconf.py, publish,
and turn every failure into one line on stderr."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field, replace
from pathlib import Path

from .diff import PlanRefused
from .environment import patched_environ
from .publish import PublishOptions, publish
from .remote import PublishError
from .site import page_manifest_name
from .targets import PROJECT_ROOT, TargetError, resolve_targets

PUBLISH_SETTINGS = "publishconf.py"


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
    try:
        targets = resolve_targets(
            bucket=request.bucket,
            distribution_id=request.distribution_id,
            table=request.table,
            endpoint_url=request.endpoint_url,
            require=("bucket", "site_url") if request.build else ("bucket",),
            # Without a build no SITEURL is needed: Terraform is not asked for one.
            wanted=None if request.build else ("bucket", "distribution_id", "table", "region", "endpoint_url"),
        )
        if request.build:
            _build(request.settings_file, targets.site_url, request.output_dir)
        summary = publish(
            request.output_dir,
            targets.bucket,
            distribution_id=targets.distribution_id,
            table=targets.table,
            endpoint_url=targets.endpoint_url,
            region=targets.region,
            options=_with_page_manifest(request),
            echo=print,
        )
    except (TargetError, PublishError, PlanRefused) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(summary.line())
    return 0


def _with_page_manifest(request: PublishRequest) -> PublishOptions:
    """The manifest the build wrote is named by the settings it built with."""
    if request.options.page_manifest:
        return request.options
    return replace(request.options, page_manifest=page_manifest_name(request.settings_file))


def _build(settings_file: str | Path, site_url: str, output: Path) -> None:
    """Build through the content check (`make check`): its warnings are printed, and any error
    stops the publish before anything is uploaded."""
    from contentcheck.check import check_site

    # publishconf.py derives FEED_DOMAIN and friends from the environment when it is read.
    with patched_environ(SITEURL=site_url):
        report = check_site(settings_file, output, overrides={"SITEURL": site_url.rstrip("/")})
    for problem in report.problems:
        print(problem, file=sys.stderr)
    if not report.ok:
        count = len(report.errors)
        raise PublishError(
            f"build with {Path(settings_file).name}: the content check found {count} "
            f"error{'s' if count != 1 else ''} (above); nothing was uploaded"
        )
