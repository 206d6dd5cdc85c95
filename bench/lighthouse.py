"""Lighthouse scores of the built theme: home, a post, a tag page, the archives, a post of 8
photos and the search page with a query, mobile and desktop presets, the four categories. The
anchor is the issue's bar: 100 in every cell.

Needs the lighthouse npm package outside the repo (``npm install --prefix DIR lighthouse@12.2.3``)
and a Chromium. The site is built as published (absolute SITEURL = the local server), served
from its folder with the stand-in counter API, so the count loads as it does in production.
CSP headers come from the CDN, not the HTML, so they are not part of this run.

    python -m bench.lighthouse --lighthouse /work/tools/lh/node_modules/.bin/lighthouse
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.photos import SLUG as PHOTO_SLUG
from bench.static_site import serve_site

# The search page with a query: the results render after Pagefind's engine and index load.
PAGES = {"home": "/", "post": None, "tag": None, "archives": "/archives/", "photos": None, "search": "/search/?q=diagram"}
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
CHROME_FLAGS = "--headless=new --no-sandbox --disable-gpu"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def build_fixture_site(root: Path, site_url: str) -> Path:
    """The theme tests' fixture blog (never content/) and a post of 8 phone photos
    (``bench.photos``), built as published for ``site_url``."""
    from bench.photos import photo_post
    from tests.theme.conftest import IDENTITY, build, write_content

    content = write_content(root)
    photo_post(content, 8)
    return build(content, root / "output", "publishconf.py", SITEURL=site_url, FEED_DOMAIN=site_url, **IDENTITY)


def run_lighthouse(lighthouse: str, url: str, preset: str, report: Path) -> dict[str, int]:
    command = [
        lighthouse, url, "--quiet", "--output=json", f"--output-path={report}",
        f"--chrome-flags={CHROME_FLAGS}", f"--only-categories={','.join(CATEGORIES)}",
    ]
    if preset == "desktop":
        command.append("--preset=desktop")
    env = {**os.environ, "CHROME_PATH": os.environ.get("CHROME_PATH", "/usr/bin/chromium")}
    subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    result = json.loads(report.read_text())
    scores = {name: round(result["categories"][name]["score"] * 100) for name in CATEGORIES}
    scores["cls"] = result["audits"]["cumulative-layout-shift"]["numericValue"]
    scores["failed"] = sorted(
        audit_id for audit_id, audit in result["audits"].items()
        if audit.get("score") is not None and audit["score"] < 1 and audit.get("scoreDisplayMode") in ("binary", "numeric")
        and audit_id not in ("largest-contentful-paint", "first-contentful-paint", "speed-index", "interactive", "total-blocking-time", "max-potential-fid")
    )
    return scores


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lighthouse", default="lighthouse", help="path of the lighthouse CLI")
    parser.add_argument("--reports", type=Path, default=Path("test-artifacts/lighthouse"))
    parser.add_argument("--only", nargs="+", choices=sorted(PAGES), help="these pages only (default: all)")
    args = parser.parse_args(argv)
    args.reports.mkdir(parents=True, exist_ok=True)
    port = free_port()
    site_url = f"http://127.0.0.1:{port}"
    pages = dict(PAGES, post="/posts/diagram-and-code/", tag="/tags/aws/", photos=f"/posts/{PHOTO_SLUG}/")
    pages = {name: path for name, path in pages.items() if not args.only or name in args.only}
    below_bar = 0
    with tempfile.TemporaryDirectory() as scratch:
        output = build_fixture_site(Path(scratch), site_url)
        with serve_site(output, port=port) as url:
            print(f"{'page':9} {'preset':8} " + " ".join(f"{c[:13]:>13}" for c in CATEGORIES) + "      CLS  below 1")
            for name, path in pages.items():
                for preset in ("mobile", "desktop"):
                    scores = run_lighthouse(args.lighthouse, url + path, preset, args.reports / f"{name}-{preset}.json")
                    below_bar += sum(scores[c] < 100 for c in CATEGORIES)
                    print(f"{name:9} {preset:8} " + " ".join(f"{scores[c]:>13}" for c in CATEGORIES)
                          + f" {scores['cls']:8.3f}  {', '.join(scores['failed']) or '-'}")
    print(f"cells below 100: {below_bar} of {len(pages) * 2 * len(CATEGORIES)} (anchor: 0)")
    return 0 if below_bar == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
