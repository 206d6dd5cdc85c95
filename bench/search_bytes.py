"""What the site's search costs a reader and a build, on the generated site.

**Bytes**: a real Chromium opens ``/search/``, types a word from a post's title (the first
query) and then other words, each after the previous one's results showed; every response from
the moment the reader starts typing is counted, as CloudFront would send it (``compress = true``:
JavaScript and JSON gzipped; Pagefind's index files, already gzipped, as they are). The next
queries are of two kinds: the same word refined (a second word added, as a reader narrows a
search) and a new word of another post's title. **Index**: the bundle's files and bytes as
published. **Build time**: CPU time of a build in a fresh interpreter with ``SITE_SEARCH`` on
against the same build with it off (Pagefind runs as a child process; its CPU is counted).

Run alone: ``python -m bench.search_bytes [--quick] [--posts N]``.
"""

from __future__ import annotations

import gzip
import re
import statistics
import sys
import tempfile
from pathlib import Path

from bench.build_cpu import build_cpu_seconds
from bench.cli import run_alone
from bench.sitegen import generate_site
from bench.static_site import serve_site
from bench.table import Row, human_bytes
from devstack.browser import launch_chromium

QUICK = {"posts": 60}
FULL = {"posts": 1000}
FIRST_QUERY_GOAL = 150 * 1024
NEXT_QUERY_GOAL = 10 * 1024
COMPRESSED_TYPES = ("javascript", "json", "text/", "xml", "svg")
STOP_WORDS = set("the a an of to in for with on by from as at that this which when while because so but and or not".split())


def timed_build(content: Path, output: Path, search_on: bool) -> float:
    """CPU seconds of one build in a fresh interpreter, Pagefind's process included."""
    return build_cpu_seconds(content, output, {"SITE_SEARCH": {"enabled": search_on}})


def title_words(post: Path) -> list[str]:
    title = post.read_text(encoding="utf-8").splitlines()[0].removeprefix("Title: ")
    return [w for w in re.findall(r"[a-z]+", title.lower()) if w not in STOP_WORDS]


def sent_bytes(response) -> int:
    """The body as CloudFront sends it: text gzipped, the rest as stored."""
    body = response.body()
    kind = response.headers.get("content-type", "")
    return len(gzip.compress(body, 6)) if any(t in kind for t in COMPRESSED_TYPES) else len(body)


def query_bytes(browser, url: str, queries: list[str]) -> list[int]:
    """Bytes fetched for each query, typed one after the other on one search page."""
    page = browser.new_page()
    fetched: list[tuple[str, int]] = []

    def count(request) -> None:
        response = request.response()
        if response is not None:
            fetched.append((request.url.rsplit("/", 2)[-2] + "/" + request.url.rsplit("/", 1)[-1], sent_bytes(response)))

    page.on("requestfinished", count)
    try:
        page.goto(f"{url}/search/", wait_until="networkidle")
        box = page.get_by_role("searchbox")
        costs = []
        for query in queries:
            fetched.clear()
            box.fill(query)
            page.wait_for_function(
                "q => document.getElementById('search-status').textContent.includes(q)", arg=query, timeout=60_000
            )
            page.wait_for_load_state("networkidle")
            costs.append(sum(size for _, size in fetched))
            print(f"search_bytes: {query!r}: " + ", ".join(f"{name} {size}" for name, size in fetched), file=sys.stderr)
        return costs
    finally:
        page.close()


def bundle_size(output: Path) -> tuple[int, int]:
    files = [p for p in (output / "pagefind").rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def run(posts: int) -> list[Row]:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="bench-search-") as scratch:
        root = Path(scratch)
        site = generate_site(root / "content", posts)
        off = timed_build(site.content_dir, root / "off", search_on=False)
        on = timed_build(site.content_dir, root / "on", search_on=True)
        files, size = bundle_size(root / "on")
        first = title_words(site.posts[len(site.posts) // 2])[0]
        refined = f"{first} {title_words(site.posts[len(site.posts) // 2])[1]}"
        others = [title_words(site.posts[i])[-1] for i in (len(site.posts) // 7, len(site.posts) // 3, len(site.posts) - 5)]
        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            try:
                with serve_site(root / "on") as url:
                    costs = query_bytes(browser, url, [first, refined, *others])
            finally:
                browser.close()

    first_cost, refined_cost, other_costs = costs[0], costs[1], costs[2:]
    return [
        Row(f"Search, first query ({posts} posts, '{first}')", human_bytes(first_cost), human_bytes(FIRST_QUERY_GOAL),
            first_cost / FIRST_QUERY_GOAL, "≤ 150 KiB", first_cost <= FIRST_QUERY_GOAL),
        Row(f"Search, next query: refined ('{refined}')", human_bytes(refined_cost), human_bytes(NEXT_QUERY_GOAL),
            refined_cost / NEXT_QUERY_GOAL, "≤ 10 KiB", refined_cost <= NEXT_QUERY_GOAL),
        Row(f"Search, next query: a new word (median of {len(other_costs)}: {', '.join(others)})",
            human_bytes(statistics.median(other_costs)), human_bytes(NEXT_QUERY_GOAL),
            statistics.median(other_costs) / NEXT_QUERY_GOAL, "≤ 10 KiB", statistics.median(other_costs) <= NEXT_QUERY_GOAL),
        Row(f"Search index as published ({posts} posts)", f"{human_bytes(size)} in {files} files", "n/a", None, "", None),
        Row(f"Build CPU time with search ({posts} posts)", f"{on:.1f} s", f"{off:.1f} s (search off)", on / off, "", None),
    ]


if __name__ == "__main__":
    run_alone(run, QUICK, FULL, __doc__)
