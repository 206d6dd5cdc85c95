"""Build overhead of the visitor-counter plugin: the synthetic site built with the plugin on and
off (``VISITOR_COUNTER = {"enabled": False}``), same settings, same content.

Each build is a fresh process, as ``make build`` is (repeated builds in one process slow down
as they go, which would favour whichever came first). Builds alternate on/off in adjacent pairs
after one discarded warm-up build; the figure is the median of the pairs' ratios of CPU time
(user + system of the build process), which other work on a shared machine moves far less than
wall time.

Run alone: ``python -m bench.plugin_overhead [--quick] [--posts N] [--runs N]``.
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.build_cpu import children_cpu
from bench.cli import run_alone
from bench.sitegen import GeneratedSite, generate_site
from bench.table import Row
from shared.targets import PROJECT_ROOT

GOAL = 1.05
QUICK = {"posts": 30, "runs": 3}
FULL = {"posts": 1000, "runs": 7}
MANIFEST = "counter-pages.json"


BUILD = (
    "import sys; from pathlib import Path; from bench.sitegen import GeneratedSite, build; "
    "build(GeneratedSite(Path(sys.argv[1]), []), Path(sys.argv[2]), counter=sys.argv[3] == 'on')"
)


def _timed_build(site: GeneratedSite, output: Path, counter: bool) -> tuple[float, float]:
    """CPU and wall seconds of one build in a fresh interpreter."""
    if output.exists():
        shutil.rmtree(output)
    command = [sys.executable, "-c", BUILD, str(site.content_dir), str(output), "on" if counter else "off"]
    cpu, wall = children_cpu(), time.perf_counter()
    done = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True)
    cpu, wall = children_cpu() - cpu, time.perf_counter() - wall
    if done.returncode != 0:
        raise RuntimeError(f"build failed: {done.stderr.strip()[-2000:]}")
    return cpu, wall


def _plugin_share(site: GeneratedSite, output: Path) -> tuple[float, float, int]:
    """One instrumented build in a fresh interpreter (see bench.plugin_share)."""
    if output.exists():
        shutil.rmtree(output)
    command = [sys.executable, "-m", "bench.plugin_share", str(site.content_dir), str(output)]
    done = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"instrumented build failed: {done.stderr.strip()[-2000:]}")
    total, inside, calls = done.stdout.split()[-3:]
    return float(total), float(inside), int(calls)


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
        shares = [_plugin_share(site, root / "instrumented") for _ in range(max(1, runs // 2))]

    ratios = sorted(a[0] / b[0] for a, b in zip(on, off))
    ratio = statistics.median(ratios)
    wall_ratio = statistics.median(a[1] / b[1] for a, b in zip(on, off))
    runs_label = f"median of {runs} pairs" if runs > 1 else "1 pair"
    shares.sort(key=lambda share: share[0] / (share[0] - share[1]))
    total, inside, calls = shares[len(shares) // 2]  # the median run
    share_ratios = [t / (t - i) for t, i, _ in shares]
    share_ratio = total / (total - inside)
    return [
        Row.at_most(
            f"Build with the counter plugin: time inside the plugin, same build ({posts:,} posts; "
            f"median of {len(shares)})",
            f"{total:.2f} s build, {inside * 1000:.0f} ms in {calls:,} plugin calls "
            f"(runs {share_ratios[0]:.4f}–{share_ratios[-1]:.4f}×)",
            f"the same build less the plugin's time: {total - inside:.2f} s",
            share_ratio,
            GOAL,
        ),
        Row.at_most(
            f"Build with the counter plugin: CPU time ({posts:,} posts; {runs_label})",
            f"{statistics.median(c for c, _ in on):.2f} s ({files_on:,} files, {pages_counted:,} pages counted; "
            f"pairs {ratios[0]:.3f}–{ratios[-1]:.3f}×, fastest on ÷ fastest off "
            f"{min(c for c, _ in on) / min(c for c, _ in off):.3f}×, wall ratio {wall_ratio:.3f}×)",
            f"plugin off: {statistics.median(c for c, _ in off):.2f} s ({files_off:,} files)",
            ratio,
            GOAL,
        )
    ]


if __name__ == "__main__":
    run_alone(run, QUICK, FULL, __doc__)
