"""The writing loop: a one-post edit on the generated site, from file save to the open page
showing the new sentence in Chromium, against ``pelican --autoreload`` rebuilding the same site;
and ``make serve`` from a present virtualenv to ready, on the sample site and the generated one.

Ours is ``invoke serve --content <site>`` (what ``make serve CONTENT=`` runs): the rebuild, the
real publish into the local bucket, the edge's event to the open page, its reload through the
edge. The anchor is ``pelican --autoreload`` on the same content with the same settings, its
output served as files; its time is save → the rebuilt file holds the sentence → the page,
navigated to at that moment, shows it (a browser cannot learn of Pelican's rebuild by itself).
Both run in the same run on the same machine; edits alternate between the two, median of the rounds.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.sitegen import edit_post, generate_site
from bench.static_site import serve_site
from bench.table import Row
from shared.targets import PROJECT_ROOT

QUICK = {"posts": 40, "rounds": 3}
FULL = {"posts": 1000, "rounds": 7}
# A folder per run (two runs at once must not rewrite each other's posts), and not under
# bench/.work: Pelican's watcher ignores every path with a hidden folder in it, so
# `pelican --autoreload` would never see an edit there.
WORK_PREFIX = "bench-writing-loop-"
# A stuck anchor fails the benchmark loudly instead of waiting forever.
ANCHOR_REBUILD_LIMIT_SECONDS = 300
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Process:
    def __init__(self, command: list[str], ready: str, timeout: float = 600):
        self.lines: list[str] = []
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            command, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            start_new_session=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        threading.Thread(target=self._read, daemon=True).start()
        self.ready_seconds = self.wait_for(ready, timeout) - self.started

    def _read(self):
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, pattern: str, timeout: float, after: int = 0) -> float:
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            if any(re.search(pattern, line) for line in self.lines[after:]):
                return time.perf_counter()
            if self.process.poll() is not None:
                break
            time.sleep(0.01)
        raise RuntimeError(f"no {pattern!r} from {self.process.args[:2]}:\n" + "\n".join(self.lines[-20:]))

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)


def serve_to_ready(content: Path | None) -> float:
    command = [str(BIN / "invoke"), "serve", "--port", str(_free_port())]
    if content is not None:
        command += ["--content", str(content)]
    running = _Process(command, r"is running at http://")
    running.stop()
    return running.ready_seconds


def _post_url(post: Path) -> str:
    slug = re.search(r"^Slug: (.+)$", post.read_text(), re.M).group(1).strip()
    return f"/posts/{slug}/"


def run(posts: int, rounds: int) -> list[Row]:
    work = Path(tempfile.mkdtemp(prefix=WORK_PREFIX))
    try:
        return _measure(work, posts, rounds)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _measure(work: Path, posts: int, rounds: int) -> list[Row]:
    from playwright.sync_api import sync_playwright

    from devstack.browser import launch_chromium

    site = generate_site(work / "content", posts)
    sample_ready = serve_to_ready(None)
    port = _free_port()
    ours = _Process([str(BIN / "invoke"), "serve", "--port", str(port), "--content", str(site.content_dir)], r"is running at http://")
    anchor_output = work / "anchor-output"
    # Each side watches a copy of its own: with one folder, every edit made for one side also
    # set the other rebuilding, and pelican --autoreload misses an edit saved while it is
    # rebuilding (it watches again only after the build), so the anchor's edit could be lost.
    anchor_content = work / "anchor-content"
    shutil.copytree(site.content_dir, anchor_content)
    anchor = _Process(
        [str(BIN / "pelican"), str(anchor_content), "-s", "pelicanconf.py", "-o", str(anchor_output), "--autoreload"],
        r"AutoReload Mode|Done: Processed",
    )
    ours_times, anchor_times = [], []
    try:
        anchor.wait_for(r"Done: Processed", 600)
        with sync_playwright() as playwright, serve_site(anchor_output) as anchor_url:
            browser = launch_chromium(playwright)
            page = browser.new_page()
            for number in range(rounds):
                post = site.posts[(number * 37) % len(site.posts)]
                url = _post_url(post)
                note = f"Edited in round {number} of the writing loop."
                # Ours: the page is open; the save alone must bring the sentence.
                page.goto(f"http://127.0.0.1:{port}{url}")
                page.wait_for_load_state("load")
                saved = time.perf_counter()
                edit_post(post, note)
                page.wait_for_selector(f"text={note}", timeout=120_000)
                ours_times.append(time.perf_counter() - saved)
                print(f"  round {number}: ours {ours_times[-1]:.2f} s", file=sys.stderr, flush=True)
                time.sleep(0.5)
                # The anchor: the same kind of edit on another post, Pelican rebuilding.
                other = anchor_content / site.posts[(number * 37 + 11) % len(site.posts)].relative_to(site.content_dir)
                other_url, other_note = _post_url(other), f"Anchor edit in round {number}."
                output_file = anchor_output / other_url.strip("/") / "index.html"
                saved = time.perf_counter()
                edit_post(other, other_note)
                rebuilt_by = saved + ANCHOR_REBUILD_LIMIT_SECONDS
                while other_note not in _read(output_file):
                    if time.perf_counter() > rebuilt_by:
                        raise RuntimeError(
                            f"pelican --autoreload did not rebuild {output_file} within "
                            f"{ANCHOR_REBUILD_LIMIT_SECONDS} s of the edit"
                        )
                    time.sleep(0.005)
                page.goto(f"{anchor_url}{other_url}")
                page.wait_for_selector(f"text={other_note}", timeout=120_000)
                anchor_times.append(time.perf_counter() - saved)
                print(f"  round {number}: pelican --autoreload {anchor_times[-1]:.2f} s", file=sys.stderr, flush=True)
                time.sleep(0.5)
            browser.close()
    finally:
        ours.stop()
        anchor.stop()
    large_ready = serve_to_ready(site.content_dir)
    ours_median, anchor_median = statistics.median(ours_times), statistics.median(anchor_times)
    spread = f"{min(ours_times):.2f}–{max(ours_times):.2f} s"
    return [
        Row.at_most(
            f"Edit-to-visible, one-post edit, {posts}-post site (median of {rounds}; ours {spread})",
            f"{ours_median:.2f} s", f"{anchor_median:.2f} s (pelican --autoreload)",
            ours_median / anchor_median, 1.0,
        ),
        Row("make serve to ready, sample site (present venv)", f"{sample_ready:.1f} s", "", None, "", None),
        Row(f"make serve to ready, {posts}-post site (present venv)", f"{large_ready:.1f} s", "", None, "", None),
    ]


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return ""


if __name__ == "__main__":
    from bench.table import markdown_table

    print(markdown_table(run(**(QUICK if "--quick" in sys.argv else FULL))))
