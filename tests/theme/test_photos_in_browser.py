"""Photos in a real Chromium: a 360 px phone downloads a variant no wider than 1000 px of a
4000x3000 phone photo, in the best format it takes, and nothing below the first screen until the
reader scrolls there."""

from __future__ import annotations

import re
import textwrap

import pytest

from bench.sitegen import photo_jpeg
from bench.static_site import serve_site
from deploy.site import build_site
from tests.blogs import write_blog
from tests.theme.conftest import words

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

POST = """
    Title: A walk along the harbour
    Date: 2026-03-01 09:00
    Slug: harbour

    Out before the ferries.

    ![The harbour at dawn]({{static}}/images/harbour.jpg)

    {long}

    ![Boats further down]({{static}}/images/boats.jpg)
    """
PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}


@pytest.fixture(scope="module")
def photo_site(tmp_path_factory):
    root = tmp_path_factory.mktemp("photo-site")
    content = write_blog(root / "content", {
        "posts/harbour.md": textwrap.dedent(POST).format(long=words(1500)),
        "images/harbour.jpg": photo_jpeg(4000, 3000),
        "images/boats.jpg": photo_jpeg(4000, 3000, seed=1),
    })
    # The project's CACHE_PATH: the same photos as tests/plugin's are encoded once per checkout.
    output = build_site("pelicanconf.py", root / "output", content_path=content)
    with serve_site(output) as url:
        yield url


def downloaded_images(browser, url: str, device: dict, scroll: bool) -> list[tuple[str, int, str]]:
    """(photo, width, format) of each image variant the page fetched."""
    context = browser.new_context(**device)
    page = context.new_page()
    fetched: list[str] = []
    page.on("requestfinished", lambda request: fetched.append(request.url) if request.resource_type == "image" else None)
    try:
        page.goto(url + "/posts/harbour/", wait_until="load")
        if scroll:
            page.locator("img[alt='Boats further down']").scroll_into_view_if_needed()
            page.wait_for_function("[...document.images].every(image => image.complete && image.naturalWidth)")
        page.wait_for_timeout(300)
    finally:
        context.close()
    found = []
    for fetched_url in fetched:
        variant = re.search(r"/images/(\w+)-(\d+)w\.[0-9a-f]{10}\.(\w+)$", fetched_url)
        if variant:
            found.append((variant.group(1), int(variant.group(2)), variant.group(3)))
    return found


def test_a_phone_downloads_a_variant_no_wider_than_1000_px_and_the_rest_when_scrolled(browser, photo_site):
    first_screen = downloaded_images(browser, photo_site, PHONE, scroll=False)
    assert [photo for photo, _, _ in first_screen] == ["harbour"], "the photo below waits for the reader"
    everything = downloaded_images(browser, photo_site, PHONE, scroll=True)
    assert sorted(photo for photo, _, _ in everything) == ["boats", "harbour"]
    assert all(width <= 1000 for _, width, _ in everything), everything
    assert {image_format for _, _, image_format in everything} == {"avif"}


def test_a_desktop_downloads_a_variant_for_the_column_not_the_original(browser, photo_site):
    (harbour,) = downloaded_images(browser, photo_site, DESKTOP, scroll=False)
    # The column is 664 CSS px wide: the 664 px variant, not the 4000 px original.
    assert harbour == ("harbour", 664, "avif")
