"""`make stats` / `invoke stats`: resolve the counter table like publish does (command line,
environment, ``terraform output``), read it, print the report; every failure is one line on
stderr starting with ``error:``."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError, NoCredentialsError

from shared.aws import NO_CREDENTIALS, error_code, error_message
from shared.pagekey import PageKeyError, normalise_page_key
from shared.targets import DEFAULT_REGION, PROJECT_ROOT, TargetError, resolve_targets
from stats import render
from stats.history import Table, page_report, site_report
from stats.table import counter_items, dynamodb_client

FORMATS = ("text", "json", "csv", "html")
HTML_DIR = PROJECT_ROOT / "build" / "stats"


class StatsError(RuntimeError):
    """Why there is no report; the message is one line for the user."""


@dataclass(frozen=True)
class StatsRequest:
    page: str | None = None
    format: str = "text"
    html_path: Path | None = None  # default: build/stats/<table>-<today>.html
    table: str | None = None
    endpoint_url: str | None = None
    today: date | None = None  # default: the UTC day now


def describe_read_error(error: BaseException, table: str, where: str) -> str:
    """One line saying why ``table`` at ``where`` (an endpoint URL or "AWS <region>") could not
    be read, and what to check; shared by make stats and the popular_posts plugin."""
    if isinstance(error, NoCredentialsError):
        return NO_CREDENTIALS
    if isinstance(error, EndpointConnectionError):
        local = "://127.0.0.1" in where or "://localhost" in where
        hint = "is `make serve` running? " if local else ""
        return f"cannot reach DynamoDB at {where} ({hint}is AWS_ENDPOINT_URL right?)"
    if isinstance(error, ClientError):
        code = error_code(error)
        if code == "ResourceNotFoundException":
            return f"table {table} does not exist at {where}"
        if code in {"AccessDeniedException", "UnrecognizedClientException", "InvalidSignatureException"}:
            return f"DynamoDB refused to read table {table} ({code}): check the credentials' read access"
        return f"reading table {table} failed: {code}: {error_message(error)}"
    return f"cannot read table {table} at {where}: {error}"


def load(request: StatsRequest) -> tuple[str, Table, date]:
    """The table's name and contents; raises StatsError (or TargetError) with one line."""
    targets = resolve_targets(
        table=request.table,
        endpoint_url=request.endpoint_url,
        require=("table",),
        wanted=("table", "region", "endpoint_url"),
    )
    region = targets.region or DEFAULT_REGION
    where = targets.endpoint_url or f"AWS {region}"
    today = request.today or datetime.now(UTC).date()
    client = dynamodb_client(targets.endpoint_url, region)
    try:
        items = counter_items(client, targets.table)
    except (BotoCoreError, ClientError) as error:
        raise StatsError(describe_read_error(error, targets.table, where)) from error
    if not items:
        raise StatsError(
            f"table {targets.table} at {where} is empty: no page registered and no view counted yet "
            "(publish registers pages; views come from the site)"
        )
    return targets.table, Table.from_items(items, today), today


def report_text(request: StatsRequest, table_name: str, table: Table, today: date) -> str:
    """The report in the requested format (for ``html``: the path of the file written)."""
    if request.format not in FORMATS:
        raise StatsError(f"unknown format {request.format!r}: one of {', '.join(FORMATS)}")
    page = None
    if request.page:
        try:
            page = normalise_page_key(request.page)
        except PageKeyError as error:
            raise StatsError(f"bad page {request.page!r}: {error}") from None
        if page not in table.pages:
            raise StatsError(f"page {page} is not registered in table {table_name}")
    if request.format == "csv":
        return render.as_csv(table, page)
    report = page_report(page, table.pages[page], table, today) if page else site_report(table, today)
    if request.format == "json":
        return render.as_json({"table": table_name, **report})
    if request.format == "html":
        if page:
            raise StatsError("the HTML report is for the whole site: drop PAGE, or use text, --json or --csv")
        path = request.html_path or HTML_DIR / f"{table_name}-{today.isoformat()}.html"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render.as_html(report, table_name), encoding="utf-8")
        return str(path.resolve())
    return render.page_text(report, table_name) if page else render.site_text(report, table_name)


def run_stats(request: StatsRequest) -> int:
    """Print the report; return the exit code."""
    started = time.perf_counter()
    try:
        table_name, table, today = load(request)
        text = report_text(request, table_name, table, today)
    except (TargetError, StatsError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(text)
    if request.format in ("text", "html"):
        print(f"(read {len(table.pages):,} pages in {time.perf_counter() - started:.2f} s)", file=sys.stderr)
    return 0
