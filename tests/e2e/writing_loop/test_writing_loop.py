"""The writing loop, as an author lives it: `make serve` open in Chromium while posts are saved,
added, deleted, broken and fixed; drafts previewable and never published."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

VIEWS = ".visitor-counter__value"


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_a_saved_edit_shows_in_the_open_page_and_its_count_goes_on(served, blog, watched):
    page = watched.page
    page.goto(f"{served.url}/posts/alpha/")
    expect(page.locator(VIEWS)).to_have_text("1")
    blog.write("alpha", "Alpha, rewritten after a second thought.")
    page.wait_for_selector("text=Alpha, rewritten after a second thought.", timeout=15_000)
    # The page reloaded by itself and counted that view: the count went on from 1, not from 0.
    expect(page.locator(VIEWS)).to_have_text("2")
    assert not watched.page_errors
    assert not [line for line in watched.console if "Content Security Policy" in line[1]]


def test_a_new_post_appears_in_its_open_page_and_a_deleted_one_answers_404(served, blog, watched):
    page = watched.page
    response = page.goto(f"{served.url}/posts/gamma/")
    assert response.status == 404
    blog.write("gamma", "Gamma, written while its page was open.")
    page.wait_for_selector("text=Gamma, written while its page was open.", timeout=15_000)

    assert fetch(f"{served.url}/posts/beta/")[0] == 200
    mark = len(served.lines)
    blog.delete("beta")
    served.wait_for_output(r"rebuilt .*\d+ deleted", after=mark)
    status, body = fetch(f"{served.url}/posts/beta/")
    assert status == 404 and "Beta, soon deleted." not in body


def test_a_broken_post_names_its_file_and_reason_keeps_the_site_and_recovers(served, blog, watched, artifacts):
    page = watched.page
    page.goto(f"{served.url}/posts/delta/")
    page.wait_for_selector("text=Delta before the mistake.")
    mark = len(served.lines)
    blog.write("delta", "Delta with a broken date.", date="2024-31-12")

    panel = page.wait_for_selector(".dev-build-error", timeout=15_000)
    text = panel.inner_text()
    assert "posts/delta.md:2" in text and "'2024-31-12' is not a valid date" in text
    (artifacts / "writing-loop").mkdir(exist_ok=True)
    page.screenshot(path=str(artifacts / "writing-loop" / "error-page.png"))

    error_line = served.wait_for_output(r"delta\.md:2: error: .*not a valid date", after=mark)
    assert "'2024-31-12'" in error_line
    served.wait_for_output(r"build failed .*last good site is still served", after=mark)
    assert not any("Traceback" in line for line in served.lines[mark:])
    # Readers (and other tabs) still get the last good pages.
    for path in ("/posts/delta/", "/posts/alpha/", "/"):
        status, body = fetch(f"{served.url}{path}")
        assert status == 200, path
    assert "Delta before the mistake." in fetch(f"{served.url}/posts/delta/")[1]
    # A page opened or reloaded while the build is broken shows the problem at once (the
    # preview script reads /_dev/status as it starts; no build event is news to that page).
    page.reload()
    panel = page.wait_for_selector(".dev-build-error", timeout=5_000)
    assert "'2024-31-12' is not a valid date" in panel.inner_text()

    blog.write("delta", "Delta, fixed.")
    page.wait_for_selector("text=Delta, fixed.", timeout=15_000)
    assert page.query_selector(".dev-build-error") is None


def test_drafts_and_future_posts_are_previewed_but_never_published(served, blog, watched, tmp_path, monkeypatch):
    page = watched.page
    page.goto(f"{served.url}/drafts/secret.html")
    assert page.is_visible(".draft-flag")
    assert page.get_attribute('meta[name="robots"]', "content").startswith("noindex")
    # A post dated in the future is held back as a draft until its date (pelicanconf.py), and
    # previewed as one.
    status, body = fetch(f"{served.url}/drafts/future.html")
    assert status == 200 and "From next year." in body

    from moto import mock_aws

    from deploy.publish import publish
    from deploy.site import build_site
    from devstack.provision import StackNames, provision

    monkeypatch.setenv("SITEURL", "https://blog.example.com")
    monkeypatch.setenv("AWS_DEFAULT_REGION", StackNames().region)
    output = build_site("publishconf.py", tmp_path / "out", content_path=blog.content)
    with mock_aws():
        names = StackNames(project="separate")
        site = provision(names)
        publish(output, names.bucket, table=names.table, clients=None, region=names.region)
        keys = {o["Key"] for o in site.s3.list_objects_v2(Bucket=names.bucket)["Contents"]}
        bodies = [site.s3.get_object(Bucket=names.bucket, Key=k)["Body"].read() for k in keys if k.endswith(".html")]
        manifest = json.loads(site.s3.get_object(Bucket=names.bucket, Key="counter-pages.json")["Body"].read())
        registered = {i["pk"]["S"] for i in site.dynamodb.scan(TableName=names.table)["Items"] if "pk" in i}
    assert "posts/alpha/index.html" in keys, "the published posts are there"
    assert not [k for k in keys if "secret" in k or "future" in k or k.startswith("drafts/")]
    assert not [b for b in bodies if b"Not for readers yet." in b or b"From next year." in b]
    assert not [b for b in bodies if b"/_dev/" in b], "nothing of the preview is ever published"
    assert "/posts/alpha/" in manifest
    assert not [k for k in manifest if "secret" in k or "future" in k or "drafts" in k]
    assert [k for k in registered if "/posts/alpha/" in k], "publish registered the published pages"
    assert not [k for k in registered if "secret" in k or "future" in k or "drafts" in k]
