"""The proof that the product serves the author's blog, not its sample: a content folder written
here (two posts, one with a plain image), checked, built, published into moto with the real
publish code and served by the local edge with its counter, in both URL schemes."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from contentcheck.check import check_site
from deploy.diff import url_paths
from deploy.publish import publish
from deploy.site import build_site
from devstack.stack import DevStack
from shared.edge_rules import LiveEdgeRules

pytestmark = pytest.mark.slow

# The handler counts browsers, not bots: a request needs a browser's user agent to count.
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
IDENTITY = {"AUTHOR": "Sam Rivera", "SITENAME": "Sam Writes Things"}
OLD_SCHEME = {
    "ARTICLE_URL": "{slug}.html", "ARTICLE_SAVE_AS": "{slug}.html",
    "PAGE_URL": "pages/{slug}.html", "PAGE_SAVE_AS": "pages/{slug}.html",
}
SCHEMES = {
    "pretty URLs": ({}, "/posts/first-week/", "/posts/second-thoughts/"),
    "{slug}.html": (OLD_SCHEME, "/first-week.html", "/second-thoughts.html"),
}


def get(url: str) -> tuple[int, str, dict]:
    request = urllib.request.Request(url)
    opener = urllib.request.build_opener(NoRedirects)
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, response.read().decode("utf-8", "replace"), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace"), dict(error.headers)


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def hit(base: str, key: str) -> dict:
    request = urllib.request.Request(f"{base}/api/hits", data=json.dumps({"path": key}).encode(),
                                     headers={"Content-Type": "application/json", "User-Agent": BROWSER}, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def test_the_authors_two_posts_check_clean_and_the_plain_image_gets_its_size(own_content, tmp_path):
    report = check_site("pelicanconf.py", tmp_path / "output", content_path=own_content, overrides=IDENTITY)
    assert report.ok and (report.posts, report.pages) == (2, 0)
    # The plain image needs no size by hand: the photos plugin writes it.
    assert report.warnings == []
    page = (tmp_path / "output" / "posts" / "first-week" / "index.html").read_text(encoding="utf-8")
    assert 'alt="My desk"' in page and 'width="120" height="80"' in page
    # Without the plugin the check says which size to write.
    report = check_site("pelicanconf.py", content_path=own_content, overrides={**IDENTITY, "PHOTOS": {"enabled": False}})
    (warning,) = report.warnings
    assert warning.file.endswith("my-content/posts/first-week.md") and warning.line == 8
    assert 'add {: width="120" height="80"}' in warning.message


@pytest.mark.parametrize("scheme", SCHEMES, ids=list(SCHEMES))
def test_the_authors_blog_is_built_published_and_served_with_its_counter(
    scheme, own_content, tmp_path, aws_credentials
):
    settings, first, second = SCHEMES[scheme]
    table = tmp_path / "redirects.json"
    table.write_text(json.dumps({"/2019/05/first-week.html": first}), encoding="utf-8")
    overrides = {**IDENTITY, **settings}
    output = tmp_path / "output"
    rules = LiveEdgeRules(redirects_file=table, csp_file=tmp_path / "csp.json")
    with DevStack(port=0, output_dir=output, content_path=own_content, overrides=overrides, edge_rules=rules) as stack:
        status, home, _ = get(f"{stack.url}/")
        assert status == 200 and "Sam Writes Things" in home and "Sam Rivera" in home
        assert "Field Notes" not in home and "Ada Lovelace" not in home, "nothing of the sample settings"
        for path in (first, second):
            status, page, _ = get(stack.url + path)
            assert status == 200, path
            assert f'data-page-key="{path}"' in page
        assert get(f"{stack.url}/images/desk.png")[0] == 200
        assert set(json.loads((output / "counter-pages.json").read_text())) == {"/", first, second}

        assert hit(stack.url, first)["views"] == 1
        assert hit(stack.url, first)["views"] == 2
        assert hit(stack.url, second)["site_views"] == 3

        status, _, headers = get(f"{stack.url}/2019/05/first-week.html?ref=old")
        assert (status, headers["Location"]) == (301, f"{first}?ref=old"), "the old URL keeps its inbound links"

        # An edit republished: the changed page is invalidated at the URL readers use.
        post = own_content / "posts" / "second.md"
        post.write_text(post.read_text(encoding="utf-8") + "\nAn afterthought.\n", encoding="utf-8")
        build_site("pelicanconf.py", output, overrides, own_content)
        summary = publish(
            output, stack.names.bucket, distribution_id=stack.aws.distribution_id, table=stack.names.table,
            endpoint_url=stack.endpoint_url, region=stack.names.region,
        )
        assert second in summary.invalidation_paths
        assert "An afterthought." in get(stack.url + second)[1]


@pytest.mark.parametrize(("key", "paths"), [
    ("posts/first-week/index.html", ["/posts/first-week/", "/posts/first-week/index.html"]),
    ("first-week.html", ["/first-week.html"]),
    ("pages/about.html", ["/pages/about.html"]),
])
def test_invalidation_paths_are_the_urls_of_either_scheme(key, paths):
    assert url_paths(key) == paths
