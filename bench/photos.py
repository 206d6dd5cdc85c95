"""What plugins/photos saves a reader and costs a build, on a post with 8 phone photos.

The post: 8 JPEGs of 4000x3000 (``bench.sitegen.photo_jpeg``: about 2 MB each, GPS in the EXIF)
between paragraphs, in a small generated site. **Bytes**: a real Chromium reads the post at a
phone's size (360x740 CSS px at 2x), a desktop's (1280x900 at 1x) and a laptop's (1440x900 at
2x), scrolled to the end so
every lazy image loads, and every image response's body is summed; the anchor is the same post
built with ``PHOTOS = {"enabled": False}`` (the originals, as the theme served them before).
**Build time**: CPU time (user + system) of a build in a fresh interpreter, as ``make build``
runs; the anchor is the build with the plugin off. First with an empty cache (every variant
encoded: the cost of adding the photos), then again with the cache warm and nothing changed.

Run alone: ``python -m bench.photos [--quick] [--photos N] [--runs N]``.
"""

from __future__ import annotations

import statistics
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from bench.build_cpu import build_cpu_seconds
from bench.cli import run_alone
from bench.sitegen import generate_site, photo_jpeg
from bench.static_site import serve_site
from bench.table import Row, human_bytes
from deploy.wording import counted
from devstack.browser import launch_chromium

QUICK = {"photos": 2, "runs": 1}
FULL = {"photos": 8, "runs": 5}
SLUG = "photo-walk"
DEVICES = {
    "phone 360 px at 2x": {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True},
    "desktop 1280 px at 1x": {"viewport": {"width": 1280, "height": 900}},
    "laptop 1440 px at 2x": {"viewport": {"width": 1440, "height": 900}, "device_scale_factor": 2},
}


def photo_post(content: Path, photos: int) -> None:
    body = []
    for number in range(photos):
        (content / "images" / f"walk-{number}.jpg").write_bytes(photo_jpeg(4000, 3000, seed=number))
        body.append(f"Stop {number + 1} on the walk, a paragraph about what is in the picture.\n\n"
                    f"![Stop {number + 1}]({{static}}/images/walk-{number}.jpg)\n")
    (content / "posts" / "photo-walk.md").write_text(
        f"Title: A walk in {photos} photos\nDate: 2026-06-01 09:00\nSlug: {SLUG}\n\n" + "\n".join(body),
        encoding="utf-8",
    )


def timed_build(content: Path, output: Path, cache: Path, photos_on: bool) -> float:
    """CPU seconds of one build in a fresh interpreter."""
    return build_cpu_seconds(content, output, {"CACHE_PATH": str(cache), "PHOTOS": {"enabled": photos_on}})


def image_bytes(browser, url: str, device: dict) -> tuple[int, int]:
    """Bytes of every content image (under /images/, not the theme's) the post fetched once scrolled to its end,
    and how many."""
    context = browser.new_context(**device)
    page = context.new_page()
    bodies: list[int] = []
    page.on("response", lambda response: bodies.append(len(response.body())) if urlsplit(response.url).path.startswith("/images/") else None)
    try:
        page.goto(f"{url}/posts/{SLUG}/", wait_until="load")
        for image in page.locator(".prose img").all():
            image.scroll_into_view_if_needed()
        page.wait_for_function("[...document.querySelectorAll('.prose img')].every(i => i.complete && i.naturalWidth)")
        page.wait_for_timeout(300)
    finally:
        context.close()
    return sum(bodies), len(bodies)


def run(photos: int, runs: int) -> list[Row]:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="bench-photos-") as scratch:
        root = Path(scratch)
        site = generate_site(root / "content", 3)
        photo_post(site.content_dir, photos)
        off, cold, warm = [], [], []
        for round_number in range(runs):
            cache = root / f"cache-{round_number}"
            off.append(timed_build(site.content_dir, root / "off", cache, photos_on=False))
            cold.append(timed_build(site.content_dir, root / "on", cache, photos_on=True))
            warm.append(timed_build(site.content_dir, root / "on", cache, photos_on=True))
        served = {}
        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            try:
                for label, output in (("before", root / "off"), ("after", root / "on")):
                    with serve_site(output) as url:
                        served[label] = {name: image_bytes(browser, url, device) for name, device in DEVICES.items()}
            finally:
                browser.close()

    rows = []
    for name in DEVICES:
        (before, before_count), (after, after_count) = served["before"][name], served["after"][name]
        rows.append(Row(
            f"Photos: image bytes of a post with {counted(photos, 'photo')}, {name}",
            f"{human_bytes(after)} ({counted(after_count, 'image')})", f"{human_bytes(before)}: the {counted(before_count, 'original')}",
            after / before, "reported", None,
        ))
    off_s, cold_s, warm_s = (statistics.median(values) for values in (off, cold, warm))
    per_photo = (cold_s - off_s) / photos
    # Each round's builds ran back to back: the median of the rounds' ratios, not a ratio of medians.
    cold_ratio = statistics.median(c / o for c, o in zip(cold, off))
    warm_ratio = statistics.median(w / o for w, o in zip(warm, off))
    spread = f"rounds {min(w / o for w, o in zip(warm, off)):.2f}–{max(w / o for w, o in zip(warm, off)):.2f}×"
    rows.append(Row(
        f"Photos: build CPU time, first build with {counted(photos, 'new photo')} (median of {runs})",
        f"{cold_s:.1f} s, {per_photo:.2f} s a photo", f"plugin off: {off_s:.1f} s", cold_ratio, "reported", None,
    ))
    rows.append(Row(
        f"Photos: build CPU time, rebuild with nothing changed (median of {runs})",
        f"{warm_s:.2f} s, {(warm_s - off_s) / photos * 1000:+.0f} ms a photo ({spread})",
        f"plugin off: {off_s:.2f} s", warm_ratio, "reported", None,
    ))
    return rows


if __name__ == "__main__":
    run_alone(run, QUICK, FULL, __doc__)
