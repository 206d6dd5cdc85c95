"""A blog moved in as its author wrote it (tests/fixtures/movedblog), built once with three PyPI
plugins beside ours: what a reader gets on each page."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path

import pytest

from deploy.site import build_site
from tests.blogs import MOVED_BLOG, moved_blog_settings
from tests.plugin.test_site_build import scan


@pytest.fixture(scope="module")
def moved_site(tmp_path_factory) -> Path:
    return build_site("pelicanconf.py", tmp_path_factory.mktemp("moved") / "output", moved_blog_settings(), MOVED_BLOG)


def prose(site: Path, page: str) -> str:
    html = (site / page).read_text(encoding="utf-8")
    return html.split('<div class="prose">', 1)[1].split('<footer class="post__footer">', 1)[0]


def test_liquid_img_tag_becomes_a_sized_image(moved_site):
    body = prose(moved_site, "posts/liquid-tags/index.html")
    assert "{%" not in body
    # plugins/photos serves it as a variant named by its content hash (images/thumbnail-40w.<hash>.png).
    image = re.search(r'<img [^>]*src="/images/thumbnail(-\d+w\.[0-9a-f]{10})?\.png"[^>]*>', body).group(0)
    assert 'width="40"' in image and 'height="30"' in image
    assert (moved_site / "images/thumbnail.png").is_file()


def test_bracketed_footnote_becomes_a_numbered_note(moved_site):
    body = prose(moved_site, "posts/footnotes/index.html")
    assert "[ref]" not in body
    assert re.search(r'<a href="#sf-footnotes-1" class="simple-footnote"[^>]*>1</a>', body)
    assert "Like this one, from pelican-simple-footnotes." in body.split('class="simple-footnotes"', 1)[1]


def test_series_lists_its_parts_on_each_post(moved_site):
    for page, current in (("posts/liquid-tags/index.html", "Liquid tags"), ("posts/footnotes/index.html", "Footnotes")):
        html = (moved_site / page).read_text(encoding="utf-8")
        series = html.split('<nav class="series"', 1)[1].split("</nav>", 1)[0]
        assert "in the series <strong>Moving in</strong>" in series
        assert re.search(rf'<span aria-current="page">{current}', series)
        assert series.count("<li>") == 2


def test_tex_becomes_mathml_and_dollars_elsewhere_stay(moved_site):
    body = prose(moved_site, "posts/twenty-formulas/index.html")
    assert body.count("<math") == 18
    assert body.count('display="block"') == 2
    text_outside_code = re.sub(r"<code>.*?</code>|<pre>.*?</pre>|<math.*?</math>", "", body, flags=re.S)
    assert "A lunch costs $5 and a book $10; that is not maths." in text_outside_code
    assert not re.search(r"\$[^$\s]|\\\(|\\\[", text_outside_code.replace("$5 and a book $10", ""))
    assert "<code>echo $HOME</code>" in body and "<code>cost = $x$</code>" in body
    assert '<span class="nv">$x</span>$' in body  # the fenced block, highlighted as code


def test_no_page_keeps_inline_styles_or_scripts(moved_site):
    pages = sorted(moved_site.rglob("*.html"))
    assert len(pages) > 10
    for page in pages:
        found = scan(page)
        assert (found.inline_styles, found.inline_scripts) == (0, 0), page


def test_inline_styles_become_classes_of_a_fingerprinted_stylesheet(moved_site):
    html = (moved_site / "posts/inline-html/index.html").read_text(encoding="utf-8")
    paragraph = re.search(r'<p class="padded (inline-[0-9a-f]{10})">A paragraph styled inline.</p>', html)
    sheet_url = re.findall(r'<link rel="stylesheet" href="(/css/inline\.([0-9a-f]{10})\.css)">', html)
    assert paragraph and len(sheet_url) == 1
    sheet = (moved_site / sheet_url[0][0].lstrip("/")).read_text(encoding="utf-8")
    assert hashlib.sha256(sheet.encode()).hexdigest().startswith(sheet_url[0][1])
    assert f".{paragraph.group(1)} {{ padding-left: 37px !important; border-left: 6px solid rgb(200, 0, 0) !important; }}" in sheet
    assert ".callout { outline: 3px dashed rgb(0, 128, 0); }" in sheet
    assert html.index("/theme/css/main.css") < html.index(sheet_url[0][0])  # after the theme's: it wins ties


def test_inline_script_becomes_a_file_in_its_place(moved_site):
    html = (moved_site / "posts/inline-html/index.html").read_text(encoding="utf-8")
    src = re.search(r'<p id="script-target">waiting</p>\s*<script src="(/js/inline\.([0-9a-f]{10})\.js)"></script>', html)
    assert src
    script = (moved_site / src.group(1).lstrip("/")).read_text(encoding="utf-8")
    assert 'document.getElementById("script-target").textContent = "the inline script ran";' in script
    assert hashlib.sha256(script.encode()).hexdigest().startswith(src.group(2))


def test_notebook_post_renders_cells_and_writes_its_plot_as_a_file(moved_site):
    html = (moved_site / "posts/fitting-a-line/index.html").read_text(encoding="utf-8")
    body = prose(moved_site, "posts/fitting-a-line/index.html")
    assert "<h1>Fitting a line, as a notebook</h1>" in html
    assert '<span class="nn">statistics</span>' in body  # the code, highlighted
    assert "<pre>2.5\n</pre>" in body  # its output
    assert body.count("<math") == 2 and "$" not in body.replace("$$", "")  # Markdown cells' maths
    assert "data:image" not in html
    image = re.search(r'<img [^>]*src="/(images/embedded\.([0-9a-f]{10})\.png)"[^>]*>', body)
    assert 'width="64" height="48"' in image.group(0)  # sized from its bytes: nothing jumps as it loads
    notebook = json.loads((MOVED_BLOG / "posts/fitting-a-line.ipynb").read_text())
    plotted = base64.b64decode(notebook["cells"][2]["outputs"][0]["data"]["image/png"])
    assert (moved_site / image.group(1)).read_bytes() == plotted
    assert "1 min read" in html  # the plot's base64 is not read as words
    assert re.search(r'<meta name="description" content="The model is y=ax\+b, fitted by least squares:', html)


def test_notebook_embedded_in_a_post(moved_site):
    body = prose(moved_site, "posts/embedded-notebook/index.html")
    assert "{% notebook" not in body
    before, notebook, after = body.partition('<div class="notebook">')
    assert "comes from <code>notebooks/mean.ipynb</code>" in before
    assert "Embedded: the mean of four numbers." in after and "<pre>2.5\n</pre>" in after
    assert after.index("And the post goes on after it.") > after.index("2.5")
    assert re.search(r'<img [^>]*src="/images/embedded\.[0-9a-f]{10}\.png"', after)
    assert not (moved_site / "posts/mean/index.html").exists()  # an embedded notebook is not a post


def test_a_second_build_writes_the_same_bytes(moved_site, tmp_path):
    again = build_site("pelicanconf.py", tmp_path / "again", moved_blog_settings(), MOVED_BLOG)
    first = {p.relative_to(moved_site): p.read_bytes() for p in moved_site.rglob("*") if p.is_file()}
    second = {p.relative_to(again): p.read_bytes() for p in again.rglob("*") if p.is_file()}
    assert first.keys() == second.keys()
    assert [name for name in first if first[name] != second[name]] == []


def test_notebook_posts_kept_in_the_notebooks_folder_are_published(tmp_path):
    """pelican-jupyter blogs keep their notebook posts in notebooks/ with a .nbdata beside each."""
    from tests.blogs import write_blog

    notebook = {"cells": [{"cell_type": "markdown", "id": "a", "metadata": {}, "source": "Kept in notebooks/."}],
                "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    content = write_blog(tmp_path / "content", {
        "notebooks/glue.ipynb": json.dumps(notebook),
        "notebooks/glue.nbdata": "Title: Glue\nDate: 2026-05-01\nSlug: glue\n",
    })
    site = build_site("pelicanconf.py", tmp_path / "output", None, content)
    assert "Kept in notebooks/." in (site / "posts/glue/index.html").read_text(encoding="utf-8")
