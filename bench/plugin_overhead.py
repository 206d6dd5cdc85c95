"""Build overhead of the visitor-counter plugin: the synthetic site built with the plugin on and
off (``VISITOR_COUNTER = {"enabled": False}``), same settings, same content.

Builds alternate on/off in adjacent pairs after one discarded warm-up build; the figure is the
median of the pairs' ratios of CPU time (user + system of this process, which runs nothing else
during a build), so other work on a shared machine moves it far less than wall time would.

Run alone: ``python -m bench.plugin_overhead [--quick] [--posts N] [--runs N]``.
"""

from __future__ import annotations

import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from bench.cli import run_alone
from bench.sitegen import GeneratedSite, build, generate_site
from bench.table import Row

GOAL = 1.05
QUICK = {"posts": 30, "runs": 3}
FULL = {"posts": 1000, "runs": 5}
MANIFEST = "counter-pages.json"


def _timed_build(site: GeneratedSite, output: Path, counter: bool) -> tuple[float, float]:
    if output.exists():
        shutil.rmtree(output)
    cpu, wall = time.process_time(), time.perf_counter()
    build(site, output, counter=counter)
    return time.process_time() - cpu, time.perf_counter() - wall


def run(posts: int, runs: int) -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="bench-plugin-") as scratch:
        root = Path(scratch)
        site = generate_site(root / "content", posts)
        on_dir, off_dir = root / "on", root / "off"
        _timed_build(site, on_dir, counter=True)  # warm-up: imports, Pygments lexers, disk cache
        on: list[tuple[float, float]] = []
        off: list[tuple[float, float]] = []
        for pair in range(runs):
            order = (True, False) if pair % 2 == 0 else (False, True)
            for counter in order:
                (on if counter else off).append(_timed_build(site, on_dir if counter else off_dir, counter))
        pages_counted = len(json.loads((on_dir / MANIFEST).read_text(encoding="utf-8")))
        files_on = sum(1 for p in on_dir.rglob("*") if p.is_file())
        files_off = sum(1 for p in off_dir.rglob("*") if p.is_file())
        if (off_dir / MANIFEST).exists():
            raise RuntimeError("the build with the counter off still wrote the page manifest")

    ratio = statistics.median(a[0] / b[0] for a, b in zip(on, off))
    wall_ratio = statistics.median(a[1] / b[1] for a, b in zip(on, off))
    runs_label = f"median of {runs} pairs" if runs > 1 else "1 pair"
    return [
        Row.at_most(
            f"Build with the counter plugin: CPU time ({posts:,} posts; {runs_label})",
            f"{statistics.median(c for c, _ in on):.2f} s ({files_on:,} files, {pages_counted:,} pages counted; "
            f"wall ratio {wall_ratio:.3f}×)",
            f"plugin off: {statistics.median(c for c, _ in off):.2f} s ({files_off:,} files)",
            ratio,
            GOAL,
        )
    ]


if __name__ == "__main__":
    run_alone(run, QUICK, FULL, __doc__)
