"""Page registration: publish tells the counter every page key before the pages go up."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from counter_lambda.counter import page_pk
from shared.counter_table import create_table
from deploy.cli import PublishRequest, run_publish
from deploy.diff import url_paths
from deploy.remote import PublishError
from deploy.site import build_site
from shared.targets import DEFAULT_REGION
from tests.publish.helpers import BUCKET, TABLE, OperationLog, Stack, edit, registered_keys, snapshot


# -- page registration ----------------------------------------------------------------------


def test_new_page_keys_are_registered_once(stack, counter_table):
    first = stack.publish(table=TABLE)
    assert first.pages_registered == 4
    keys_after_first = registered_keys(counter_table)
    assert len(keys_after_first) == 4

    (stack.site / "counter-pages.json").write_text(
        json.dumps(["/", "/posts/alpha/", "/posts/beta/", "/posts/delta/", "/posts/gamma/"])
    )
    second = stack.publish(table=TABLE)

    assert second.pages_registered == 1
    assert len(registered_keys(counter_table) - keys_after_first) == 1


def test_an_edit_that_keeps_the_same_pages_asks_the_table_nothing(stack, counter_table):
    stack.publish(table=TABLE)
    edit(stack.site, "posts/alpha/index.html", "first", "1st")

    edited = stack.publish(table=TABLE)

    assert edited.uploaded == 1 and edited.pages_registered == 0
    # one look at which table it is (its creation time), no key read or written
    assert [op for op in edited.requests if op.startswith(("Batch", "Describe"))] == ["DescribeTable"]
    # A key deleted from the table behind publish's back comes back with the next change of pages.
    counter_table.delete_item(TableName=TABLE, Key={"pk": {"S": page_pk("/posts/alpha/")}})
    (stack.site / "counter-pages.json").write_text(
        json.dumps(["/", "/posts/alpha/", "/posts/beta/", "/posts/delta/", "/posts/gamma/"])
    )
    assert stack.publish(table=TABLE).pages_registered == 2
    assert {page_pk("/posts/alpha/"), page_pk("/posts/delta/")} <= registered_keys(counter_table)


def test_a_rebuilt_table_gets_every_page_registered_again(stack, counter_table):
    assert stack.publish(table=TABLE).pages_registered == 4
    # the table deleted and created again (a restore, an apply that replaced it), same name
    counter_table.delete_table(TableName=TABLE)
    create_table(counter_table, TABLE)

    again = stack.publish(table=TABLE)

    assert again.pages_registered == 4
    assert again.notes == [
        f"{TABLE} is not the table the last publish registered pages in (rebuilt or restored): "
        "every page registered again"
    ]
    assert len(registered_keys(counter_table)) == 4
    edit(stack.site, "posts/alpha/index.html", "first", "1st")
    assert stack.publish(table=TABLE).pages_registered == 0  # in line with the new table now
    edit(stack.site, "posts/alpha/index.html", "1st", "first!")
    follow_up = stack.publish(table=TABLE)
    assert (follow_up.pages_registered, follow_up.notes) == (0, [])


def test_registration_is_skipped_and_said_without_a_table_or_a_manifest(stack, counter_table):
    assert stack.publish().notes == ["no counter table: page registration skipped"]
    (stack.site / "counter-pages.json").unlink()
    summary = stack.publish(table=TABLE)
    assert summary.pages_registered is None
    assert summary.notes == ["no counter-pages.json in the output: page registration skipped"]
    assert registered_keys(counter_table) == set()


def test_missing_table_stops_before_any_page_is_uploaded(stack):
    stack.publish()
    edit(stack.site, "posts/alpha/index.html", "first", "1st")

    with pytest.raises(PublishError, match="page registration in blog-counter failed"):
        stack.publish(table=TABLE)

    assert b"first" in stack.body("posts/alpha/index.html")


# -- a real Pelican build ---------------------------------------------------------------------

SITEURL = "https://blog.example.org"


@pytest.mark.slow
def test_real_build_publishes_then_a_one_post_edit_uploads_only_changed_files(
    aws_env, tmp_path, monkeypatch, blog_content
):
    content = blog_content
    output = tmp_path / "output"
    monkeypatch.setenv("SITEURL", SITEURL)

    def rebuild() -> dict[str, bytes]:
        build_site("publishconf.py", output, overrides={"SITEURL": SITEURL, "PATH": str(content)})
        return snapshot(output)

    with mock_aws():
        stack = Stack(output)
        dynamodb = boto3.client("dynamodb", region_name=DEFAULT_REGION)
        create_table(dynamodb, TABLE)
        first_build = rebuild()
        first = stack.publish(table=TABLE)
        stack.assert_matches_site()
        assert first.uploaded == len(first_build)
        manifest = json.loads(first_build["counter-pages.json"])
        assert first.pages_registered == len(manifest) == len(registered_keys(dynamodb))
        assert SITEURL.encode() + b"/posts/" in stack.body("feeds/all.atom.xml")

        post = next(content.glob("posts/*publishing-by-content-hash.md"))
        post.write_text(post.read_text().replace("Comparing content is cheap.", "Comparing bytes is cheap."))
        second_build = rebuild()
        changed = {k for k, data in second_build.items() if first_build.get(k) != data}
        log = OperationLog(stack.clients.s3)

        second = stack.publish(table=TABLE)

        assert "posts/publishing-by-content-hash/index.html" in changed
        assert sorted(log.keys("PutObject")) == sorted(changed)
        assert second.uploaded == len(changed) < len(second_build) // 4, sorted(changed)
        # CloudFront may hold what was replaced or deleted, and a 404 for a new page; a new asset
        # (a search index chunk named after its new content) was never asked for.
        replaced = {key for key in changed if key in first_build}
        deleted = set(first_build) - set(second_build)
        new_pages = {key for key in changed - replaced if key.endswith(".html")}
        expected = sorted({path for key in replaced | deleted | new_pages for path in url_paths(key)})
        assert "/posts/publishing-by-content-hash/" in expected
        assert stack.invalidations() == [expected]
        assert second.pages_registered == 0
        stack.assert_matches_site()


@pytest.mark.slow
def test_a_renamed_manifest_is_still_registered_after_a_real_build(
    aws_env, tmp_path, monkeypatch, capsys, blog_content, settings_naming_the_manifest
):
    settings = settings_naming_the_manifest("pages-to-count.json", blog_content)
    output = tmp_path / "output"
    monkeypatch.setenv("PATH", str(tmp_path))  # no terraform: every target is given

    with mock_aws():
        stack = Stack(output)
        dynamodb = boto3.client("dynamodb", region_name=DEFAULT_REGION)
        create_table(dynamodb, TABLE)
        monkeypatch.setenv("SITEURL", SITEURL)
        request = PublishRequest(
            bucket=BUCKET,
            distribution_id=stack.distribution_id,
            table=TABLE,
            output_dir=output,
            settings_file=settings,
        )

        code = run_publish(request)

        out = capsys.readouterr().out
        assert code == 0, out
        manifest = json.loads((output / "pages-to-count.json").read_text())
        assert not (output / "counter-pages.json").exists()
        assert "/posts/publishing-by-content-hash/" in manifest
        assert registered_keys(dynamodb) == {page_pk(key) for key in manifest}
        assert f"; {len(manifest)} page keys registered;" in out
