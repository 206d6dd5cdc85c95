"""Each rule of the content check on a blog that breaks it: the message an author reads, with
the file and the line, and whether it blocks publishing. Real Pelican builds."""

from __future__ import annotations

import json

import pytest

from contentcheck.check import check_site
from tests.blogs import FIXTURE_BLOG
from tests.contentcheck.helpers import gif, png, shown


def test_the_fixture_blog_has_no_errors_and_warns_only_of_what_is_held_back():
    report = check_site("pelicanconf.py", content_path=FIXTURE_BLOG)
    assert report.ok, shown(report)
    assert [line.split(": warning: ")[0] for line in shown(report)] == [
        "tests/fixtures/blog/posts/2026-09-01-unfinished.md:4",
        "tests/fixtures/blog/posts/2999-01-01-from-the-future.md:2",
    ]
    assert report.posts == 10 and report.pages == 2


def test_a_post_pelican_cannot_read_is_an_error_with_its_reason_and_the_fix(checked):
    report = checked({
        "posts/bad-date.md": "Title: Bad date\nDate: 2026-13-45\n\nx\n",
        "posts/untitled.md": "Date: 2026-01-02\n\nx\n",
    })
    assert not report.ok
    bad, untitled = shown(report)
    assert bad.startswith("content/posts/bad-date.md:2: error: Pelican cannot read this file, so it is not published")
    assert "'2026-13-45' is not a valid date" in bad and 'write the date as "Date: 2026-05-01"' in bad
    assert untitled.startswith("content/posts/untitled.md: error: ") and "'title'" in untitled
    assert 'add a "Title: ..." line' in untitled


def test_two_posts_with_one_slug_are_an_error_naming_both(checked):
    report = checked({"posts/again.md": "Title: Good again\nDate: 2026-01-03\nSlug: good\n\nx\n"})
    errors = [line for line in shown(report) if ": error: " in line]
    assert errors[0].startswith('content/posts/again.md:3: error: slug "good" is also used by ')
    assert errors[0].endswith('only one of them can be published at /posts/good/; give each a different "Slug:" line')
    assert errors[1].startswith('content/posts/good.md:3: error: slug "good" is also used by ')
    assert "Failed to overwrite" not in " ".join(shown(report)), "Pelican's crash is explained, not repeated"


def test_a_link_or_image_the_build_does_not_produce_is_an_error_with_a_suggestion(checked):
    report = checked({"posts/links.md": """
        Title: Links
        Date: 2026-01-04
        Slug: links

        A [typo](/posts/goood/), a [good link](/posts/good/), [mail](mailto:me@example.org).

        ![gone](/images/gone.png){: width="10" height="10"}

        [missing]({filename}/posts/nope.md)
        """})
    assert shown(report) == [
        "content/posts/links.md:5: error: link to /posts/goood/ goes nowhere: the build writes no file there; "
        "did you mean /posts/good/?",
        "content/posts/links.md:7: error: image to /images/gone.png goes nowhere: the build writes no file "
        "there; is the file under content/images/ (STATIC_PATHS)?",
        "content/posts/links.md:9: error: link {filename}/posts/nope.md points at a file Pelican cannot find: "
        "{filename} and {static} paths start from content/ when they begin with /, else from this file's folder",
    ]


def test_relative_links_and_the_old_url_scheme_resolve_like_the_site_does(checked):
    old_scheme = {"ARTICLE_URL": "{slug}.html", "ARTICLE_SAVE_AS": "{slug}.html"}
    report = checked({"posts/links.md": """
        Title: Links
        Date: 2026-01-04
        Slug: links

        [sibling](good.html) and [absolute](/good.html) and [broken](goodd.html).
        """}, **old_scheme)
    assert [line.split(" goes nowhere")[0] for line in shown(report)] == ["content/posts/links.md:5: error: link to /goodd.html"]


def test_a_page_key_the_counter_rejects_is_an_error(checked):
    report = checked({"posts/sale.md": "Title: Sale\nDate: 2026-01-05\nSlug: save-50%af-today\n\nx\n"})
    (line,) = shown(report)
    assert line.startswith("content/posts/sale.md:3: error: the visitor counter cannot count this page: "
                           "its address /posts/save-50%af-today/ is not a valid page key (path is percent-encoded twice)")


def test_a_site_url_without_a_scheme_is_an_error_on_its_settings_line(checked):
    report = checked({}, SITEURL="blog.example.com")
    assert [p.message for p in report.errors] == [
        "SITEURL 'blog.example.com' has no scheme: every absolute link would be broken; "
        "write SITEURL = 'https://blog.example.com' (or '' for local builds)"
    ]
    assert report.errors[0].file.endswith("pelicanconf.py") and report.errors[0].line


@pytest.mark.parametrize(
    "site_url, what",
    [("https://", "has no host name"), ("https://blog example.com", "has a space in it"),
     ("https://blog.example.com/?utm=1", "has a query or fragment, which every link would carry")],
)
def test_a_site_url_of_a_broken_shape_is_an_error(checked, site_url, what):
    report = checked({}, SITEURL=site_url)
    [message] = [p.message for p in report.errors]
    # (Pelican reads "https://" as "https:/": it strips SITEURL's trailing slash)
    assert message.startswith("SITEURL 'https:/")
    assert f" {what}: every absolute link would be broken; write SITEURL = 'https://" in message


def test_an_image_without_a_size_is_a_warning_that_gives_the_size_to_write(checked):
    # Without the photos plugin, which writes the size of a local photo itself.
    report = checked({
        "posts/picture.md": "Title: Picture\nDate: 2026-01-06\nSlug: picture\n\nLook:\n\n![x]({static}/images/pic.png)\n",
        "images/pic.png": png(40, 30),
    }, PHOTOS={"enabled": False})
    assert report.ok
    assert shown(report) == [
        "content/posts/picture.md:7: warning: image /images/pic.png has no width and height: the text below it "
        'jumps when it loads (layout shift); add {: width="40" height="30"} right after the image\'s closing parenthesis'
    ]


def test_a_local_photo_needs_no_size_by_hand_but_a_gif_still_does(checked):
    report = checked({
        "posts/picture.md": (
            "Title: Picture\nDate: 2026-01-06\nSlug: picture\n\nLook:\n\n![x]({static}/images/pic.png)\n\n"
            "![y]({static}/images/spin.gif)\n"
        ),
        "images/pic.png": png(40, 30),
        "images/spin.gif": gif(20, 10),
    })
    assert shown(report) == [
        "content/posts/picture.md:9: warning: image /images/spin.gif has no width and height: the text below it "
        'jumps when it loads (layout shift); add {: width="20" height="10"} right after the image\'s closing parenthesis'
    ]


def test_an_original_over_5_mb_is_a_warning(checked):
    heavy = png(40, 30) + b"\0" * (5 * 1024 * 1024)  # a real PNG, padded past 5 MB after its end
    report = checked({
        "posts/big.md": "Title: Big\nDate: 2026-01-06\nSlug: big\n\n![x]({static}/images/big.png)\n\n![x]({static}/images/big.png)\n",
        "images/big.png": heavy,
    })
    assert shown(report) == [
        "content/posts/big.md:5: warning: image /images/big.png is 5.0 MB, over 5 MB: readers get resized copies, "
        "but the repository, every build and every check carry the original; export it at most 3000 px wide "
        "(JPEG quality 85 is about 1-2 MB)"
    ]


INLINE_HTML_POST = """
        Title: Inline
        Date: 2026-01-07
        Slug: inline

        <p style="color: red">red</p>

        <script>alert(1)</script>

        <button onclick="go()">go</button>

        ![remote](https://images.example.com/x.png){: width="10" height="10"}

        <iframe src="https://video.example.com/embed/1"></iframe>
        """


def test_inline_code_and_other_origins_the_csp_blocks_are_warnings(checked):
    from pelicanconf import PLUGINS

    without_moving = [name for name in PLUGINS if name != "inline_assets"]
    report = checked({"posts/html.md": INLINE_HTML_POST}, PLUGINS=without_moving)
    assert report.ok, "warnings do not block"
    assert shown(report) == [
        "content/posts/html.md:5: warning: inline <p style=…> in this content is blocked by the site's "
        "Content-Security-Policy (style-src 'self'): the build keeps it but readers' browsers ignore it; use a "
        "class styled in theme/static/css/main.css instead",
        "content/posts/html.md:7: warning: inline <script> in this content is blocked by the site's "
        "Content-Security-Policy (script-src 'self' 'wasm-unsafe-eval'): the build keeps it but readers' browsers ignore it; use a "
        "file under content/ (or the theme) loaded with <script src> instead",
        "content/posts/html.md:9: warning: inline <button onclick=…> in this content is blocked by the site's "
        "Content-Security-Policy (script-src 'self' 'wasm-unsafe-eval'): the build keeps it but readers' browsers ignore it; use a "
        "script file instead",
        "content/posts/html.md:11: warning: <img> from https://images.example.com is blocked by the site's "
        "Content-Security-Policy (img-src 'self' data:): readers see nothing; put the file under content/ and "
        "link it with {static}",
        "content/posts/html.md:13: warning: <iframe> from https://video.example.com is blocked by the site's "
        "Content-Security-Policy (default-src 'self'): readers see nothing; put the file under content/ and "
        "link it with {static}",
    ]


def test_sources_the_author_adds_in_csp_json_are_not_warned_about(checked):
    """csp.json is what CloudFront and the local edge send too (tests/terraform/test_edge_rules_agree.py)."""
    post = """
        Title: Embeds
        Date: 2026-01-07
        Slug: embeds

        ![remote](https://images.example.com/x.png){: width="10" height="10"}

        <iframe src="https://video.example.com/embed/1"></iframe>

        <iframe src="https://other.example.net/embed/2"></iframe>
        """
    additions = '{"frame-src": ["https://video.example.com"], "img-src": ["https://images.example.com"]}'
    report = checked({"posts/embeds.md": post}, csp=additions)
    assert shown(report) == [
        "content/posts/embeds.md:9: warning: <iframe> from https://other.example.net is blocked by the site's "
        "Content-Security-Policy (frame-src 'self' https://video.example.com): readers see nothing; put the file "
        "under content/ and link it with {static}",
    ]


def test_an_unreadable_csp_json_is_an_error(checked):
    report = checked({}, csp='{"frame-src": "https://video.example.com"}')
    assert [problem.message for problem in report.errors] == [
        'CSP additions: must be one JSON object of "directive": ["source", ...], '
        'e.g. {"frame-src": ["https://www.youtube-nocookie.com"]}'
    ]


def test_drafts_and_future_posts_are_warnings_saying_when_they_go_live(checked):
    report = checked({
        "posts/draft.md": "Title: Draft\nDate: 2026-01-08\nStatus: draft\nSlug: draft\n\nx\n",
        "posts/later.md": "Title: Later\nDate: 2999-05-01 07:00\nSlug: later\n\nx\n",
    })
    assert report.ok
    assert shown(report) == [
        "content/posts/draft.md:3: warning: draft (Status: draft): held back, make publish never uploads it; "
        "make serve previews it at /drafts/draft.html; remove the Status line to publish it",
        "content/posts/later.md:2: warning: dated 2999-05-01 07:00, in the future: held back (not listed, not in "
        "feeds) until then; the daily deploy publishes it on that date",
    ]


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('{"/old.html": "/posts/good/"}', None),
        ('{"/old.html": "/posts/gone/"}', '"/old.html" redirects to /posts/gone/, which the build does not produce'),
        ('{"/posts/good/": "/elsewhere/"}', 'old URL "/posts/good/" is a page the site still publishes: the redirect '
                                            "would hide it; remove the entry or the page"),
        ('{"old.html": "/posts/good/"}', 'old URL "old.html" must be a path starting with / (no ? or #)'),
        ('{"/café.html": "/posts/good/"}', 'old URL "/café.html" must be written as browsers send it, percent-encoded '
                                            '(e.g. "/caf%C3%A9.html" for "/café.html")'),
        ('{"/a.html": "/b.html", "/b.html": "/a.html"}', '"/a.html" redirects in a loop'),
        ('{"/old.html": "posts/good/"}', 'new URL "posts/good/" must start with / or https://'),
        ('{"/old.html": ', "redirects table: not valid JSON: Expecting value (column 15)"),
    ],
)
def test_the_redirects_table_is_checked_entry_by_entry(checked, table, message):
    report = checked({}, redirects=table)
    if message is None:
        assert report.errors == []
        return
    (error,) = [p for p in report.errors if p.message == message]
    assert error.file.endswith("redirects.json") and error.line == 1


def test_a_redirects_table_over_cloudfronts_limit_is_an_error_with_the_size(checked):
    table = {f"/{year}/{n:03d}/a-long-title-from-the-old-blog.html": "/posts/good/" for year in (2019, 2020) for n in range(90)}
    report = checked({}, redirects=json.dumps(table, indent=1))
    (error,) = report.errors
    assert error.message.startswith("180 redirects make the CloudFront Function ")
    assert "above CloudFront's 10,240-byte limit (terraform apply would fail)" in error.message


@pytest.mark.slow
def test_several_hundred_pages_check_clean():
    """A blog of 400 generated posts (and its tags, categories, archives, pagination) has no
    false alarm: every internal link the theme and the posts write resolves."""
    import tempfile
    from pathlib import Path

    from bench.sitegen import generate_site

    with tempfile.TemporaryDirectory() as scratch:
        site = generate_site(Path(scratch) / "content", 400)
        report = check_site("pelicanconf.py", content_path=site.content_dir)
    assert report.problems == [] and report.posts == 400


@pytest.mark.parametrize(
    "encoded, expected",
    [
        ('{"/old/": "/posts/good/"}'.encode("utf-16"),
         "redirects table: saved as UTF-16: save it as UTF-8 (without a byte order mark), as Terraform reads it"),
        ('{"/old/": "/posts/good/"}'.encode("utf-8-sig"),
         "redirects table: saved as UTF-8 with a byte order mark: save it as UTF-8 (without a byte order mark), as Terraform reads it"),
        ('{"/old/": "/posts/good/"}'.encode("utf-16-le"),
         "redirects table: not UTF-8 (saved as UTF-16?): save it as UTF-8, as Terraform reads it"),
    ],
    ids=["UTF-16", "UTF-8 with BOM", "UTF-16 without BOM"],
)
def test_a_redirects_table_saved_in_another_encoding_is_one_error(checked, tmp_path, encoded, expected):
    (tmp_path / "redirects.json").write_bytes(encoded)
    report = checked({})
    assert [p.message for p in report.errors] == [expected]


def test_the_local_edge_serves_on_without_a_redirects_table_it_cannot_read(tmp_path):
    from shared.edge_rules import RULES_FILE, LiveEdgeRules

    redirects = tmp_path / "redirects.json"
    redirects.write_bytes('{"/old/": "/posts/good/"}'.encode("utf-16"))
    rules = LiveEdgeRules(RULES_FILE, redirects, tmp_path / "csp.json").current()
    assert rules.redirects == {}
