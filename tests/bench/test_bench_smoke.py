"""Every benchmark once, with tiny sizes, so `make bench` cannot rot between full runs.

No timing is asserted (a shared CI machine makes any threshold flaky); what is asserted are the
facts a benchmark reports that do not depend on speed: every row is there, the one-post edit
uploads and invalidates only what changed, a hit costs at most three DynamoDB requests, the
widget's size, requests and layout shift.
"""

from __future__ import annotations

import math
import subprocess
import sys
from datetime import datetime, timezone

import pytest

from bench import (
    cold_start,
    counter_history,
    counter_hot_path,
    photos,
    plugin_overhead,
    publish_vs_sync,
    rollback_vs_publish,
    run_all,
    search_bytes,
    widget_budget,
    writing_loop,
)
from bench.table import Row
from deploy.site import PROJECT_ROOT

TINY = {
    plugin_overhead: {"posts": 4, "runs": 1},
    publish_vs_sync: {"posts": 4, "rounds": 1},
    counter_hot_path: {"hits": 5},
    counter_history: {"days": 5, "pages": 10},
    cold_start: {"runs": 1},
    widget_budget: {"views": 2},
    writing_loop: {"posts": 4, "rounds": 1},
    rollback_vs_publish: {"posts": 4, "rounds": 1, "rtt_ms": 0},
    photos: {"photos": 1, "runs": 1},
    search_bytes: {"posts": 6},
}
# The table's rows, in order: one per figure the issue asks for.
EXPECTED_FIGURES = [
    "Build with the counter plugin: time inside the plugin",
    "Build with the counter plugin: CPU time",
    "One-post edit (4 posts): PUT requests",
    "One-post edit (4 posts): bytes uploaded",
    "One-post edit (4 posts): CloudFront invalidation paths",
    "One-post edit (4 posts): wall time, RTT 0 ms",
    "One-post edit (4 posts): wall time, RTT s3 30 ms, cloudfront 30 ms, dynamodb 30 ms",
    "Full first publish (4 posts, ",
    "Full first publish (4 posts, ",
    "Counter hot path: DynamoDB requests per hit",
    "Counter hot path: time per hit",
    "Counter hot path at DynamoDB RTT dynamodb 5 ms: time per hit, a new reader",
    "Counter hot path at DynamoDB RTT dynamodb 5 ms: time per hit, a returning reader",
    "Counter hot path at DynamoDB RTT dynamodb 5 ms: Lambda billed duration",
    "Counter hot path at DynamoDB RTT dynamodb 5 ms: time per hit less moto's own CPU, a new reader",
    "Counter hot path at DynamoDB RTT dynamodb 5 ms: time per hit less moto's own CPU, a returning reader",
    "Counter history: DynamoDB requests per counted hit",
    "Counter history: largest item",
    "make stats:",
    "Handler cold start",
    "Widget: counter.js size",
    "Widget: requests per page view",
    "Widget: CLS",
    "Edit-to-visible, one-post edit, 4-post site",
    "make serve to ready, sample site",
    "make serve to ready, 4-post site",
    "Rollback of a one-post mistake (4 posts, ",
    "Rollback of a one-post mistake (4 posts, ",
    "Photos: image bytes of a post with 1 photo, phone",
    "Photos: image bytes of a post with 1 photo, desktop",
    "Photos: image bytes of a post with 1 photo, laptop",
    "Photos: build CPU time, first build with 1 new photo",
    "Photos: build CPU time, rebuild with nothing changed",
    "Search, first query (6 posts, ",
    "Search, next query: refined (",
    "Search, next query: a new word (",
    "Search index as published (6 posts)",
    "Build CPU time with search (6 posts)",
]


@pytest.fixture(scope="module")
def outcomes() -> list[run_all.Outcome]:
    missing = publish_vs_sync.missing_anchors()
    if missing:
        pytest.skip(f"the publish benchmark's anchors are missing: {'; '.join(missing)}")
    assert [TINY.get(module) for module in run_all.BENCHMARKS] == list(TINY.values()), (
        "a benchmark was added to run_all without tiny sizes here"
    )
    return [run_all.run_benchmark(module, sizes) for module, sizes in TINY.items()]


# Every benchmark once: subprocess anchors (aws s3 sync, rclone, s5cmd), Chromium for the widget and
# pelican --autoreload for the writing loop take most of a minute, so the tests reading them run in
# `make test` only; the command-line test below stays in `make test-fast`.
runs_every_benchmark = pytest.mark.slow


def rows_of(outcomes) -> list[Row]:
    return [row for outcome in outcomes for row in outcome.rows]


def row(outcomes, figure_start: str) -> Row:
    return next(r for r in rows_of(outcomes) if r.figure.startswith(figure_start))


@runs_every_benchmark
def test_every_benchmark_runs_and_the_table_has_every_row(outcomes):
    assert [o.error for o in outcomes] == [None] * len(outcomes)
    figures = [r.figure for r in rows_of(outcomes)]
    assert len(figures) == len(EXPECTED_FIGURES)
    for figure, expected in zip(figures, EXPECTED_FIGURES):
        assert figure.startswith(expected)
    for timed in ("Build with", "One-post edit (4 posts): wall", "Full first", "Counter hot path: time", "Handler"):
        ratio = row(outcomes, timed).ratio
        assert ratio is not None and math.isfinite(ratio) and ratio > 0


@runs_every_benchmark
def test_one_post_edit_uploads_and_invalidates_only_what_changed(outcomes):
    puts = row(outcomes, "One-post edit (4 posts): PUT requests")
    assert puts.passed, puts
    # aws s3 sync re-uploads the whole rebuilt site, so ours is a small fraction of it.
    assert puts.ratio < 0.5
    assert "posts/post-00004/index.html" in puts.goal
    assert "rclone" in puts.anchor and "s5cmd" in puts.anchor
    paths = row(outcomes, "One-post edit (4 posts): CloudFront invalidation paths")
    assert paths.passed and "/posts/post-00004/" in paths.ours and "/*" not in paths.ours.split(": ", 1)[1]


@runs_every_benchmark
def test_publish_rows_state_the_rtt_and_compare_with_the_fastest_anchor(outcomes):
    figures = [r.figure for r in rows_of(outcomes)]
    networked = [f for f in figures if "RTT s3 30 ms" in f]
    assert len(networked) == 2 and any(f.startswith("Full first") for f in networked)
    edit = row(outcomes, "One-post edit (4 posts): wall time, RTT s3 30 ms")
    assert edit.anchor.startswith("fastest, ")
    assert all(tool in edit.anchor for tool in ("aws s3 sync", "rclone", "s5cmd"))


@runs_every_benchmark
def test_counter_hit_costs_at_most_three_dynamodb_requests(outcomes):
    requests = row(outcomes, "Counter hot path: DynamoDB requests per hit")
    assert requests.passed and requests.ratio <= counter_hot_path.MAX_REQUESTS_PER_HIT


@runs_every_benchmark
def test_rollback_rewrites_only_what_the_mistake_changed(outcomes):
    """The benchmark itself fails unless both ways bring back the good site byte for byte;
    rollback writes the files the mistake changed (plus its bookkeeping), no more."""
    wall = row(outcomes, "Rollback of a one-post mistake (4 posts, ")
    changed = int(wall.figure.split(" files changed")[0].rsplit(", ", 1)[1])
    requests = [r for r in rows_of(outcomes) if r.figure.startswith("Rollback")][1]
    writes = int(requests.ours.split("; ")[1].split(" S3 writes")[0])
    assert changed >= 1
    assert changed <= writes <= changed + 4, requests.ours
    invalidated = int(requests.ours.rsplit(", ", 1)[1].split()[0])
    assert changed <= invalidated <= 2 * changed, requests.ours  # each file, and a page's / form


@runs_every_benchmark
def test_cold_start_sees_the_client_made_at_import(outcomes):
    assert "client created at import: yes" in row(outcomes, "Handler cold start").ours


@runs_every_benchmark
def test_widget_budget_facts(outcomes):
    size = row(outcomes, "Widget: counter.js size")
    assert size.passed and 0 < size.ratio <= 1
    requests = row(outcomes, "Widget: requests per page view")
    assert requests.passed, requests  # one API call per view, the script fetched at most once
    assert row(outcomes, "Widget: CLS").passed


@runs_every_benchmark
def test_photos_send_a_phone_fewer_bytes_than_the_original(outcomes):
    phone = row(outcomes, "Photos: image bytes of a post with 1 photo, phone")
    assert 0 < phone.ratio < 0.5, phone
    assert "(1 image)" in phone.ours


@runs_every_benchmark
def test_the_first_search_fetches_the_engine_and_the_index(outcomes):
    first = row(outcomes, "Search, first query")
    assert first.passed and first.ratio > 0.5, first  # the engine and its WebAssembly alone are 83 KiB
    assert " in " in row(outcomes, "Search index as published").ours


@runs_every_benchmark
def test_report_has_the_run_facts_and_the_table(outcomes, tmp_path):
    text = run_all.report(outcomes, quick=True, started=datetime.now(timezone.utc), load_before="0.0/0.0/0.0")
    assert f"Python {sys.version.split()[0]}" in text
    assert "CPUs" in text and "GiB memory" in text
    table = [line for line in text.splitlines() if line.startswith("| ")]
    assert table[0] == "| figure | ours | anchor | ratio | goal | pass/fail |"
    assert len(table) == 1 + len(EXPECTED_FIGURES)
    assert all(line.count(" | ") == 5 for line in table)


def test_a_benchmark_runs_alone_from_the_command_line():
    done = subprocess.run(
        [sys.executable, "-m", "bench.cold_start", "--runs", "1"],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "| figure | ours | anchor | ratio | goal | pass/fail |"
    assert "Handler cold start" in done.stdout
