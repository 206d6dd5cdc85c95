"""`make publish` as a user runs it: targets from the flags or the environment, one error
line and a non-zero exit on failure, the summary line on success."""

from __future__ import annotations

import re
from pathlib import Path

from moto.core import set_initial_no_auth_action_count

from deploy.cli import PUBLISH_SETTINGS, PublishRequest, RollbackRequest, run_history, run_publish, run_rollback
from deploy.publish import PublishOptions
from deploy.rollback import RollbackOptions
from deploy.site import page_manifest_name
from plugins.visitor_counter.keys import DEFAULTS
from tests.publish.helpers import BUCKET, SITE, TABLE, registered_keys, write_site


def run_cli(capsys, site: Path, verbose: bool = False, **targets) -> tuple[int, list[str], list[str]]:
    """`make publish PUBLISH_ARGS="--no-build ..."` on ``site``: exit code, stdout, stderr lines."""
    request = PublishRequest(build=False, output_dir=site, options=PublishOptions(verbose=verbose), **targets)
    code = run_publish(request)
    captured = capsys.readouterr()
    return code, captured.out.splitlines(), captured.err.splitlines()


def test_missing_bucket_is_one_error_line_and_nonzero_exit(stack, capsys):
    code, out, err = run_cli(capsys, stack.site, bucket="no-such-bucket-here")

    assert code == 1
    assert err == ["error: bucket no-such-bucket-here does not exist (NoSuchBucket)"]


def test_bad_credentials_are_one_error_line_and_nothing_is_deleted(stack, capsys, monkeypatch):
    stack.publish()
    before = stack.objects()
    (stack.site / "posts/gamma/index.html").unlink()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIANOTAREALKEY00000")

    code, _, err = set_initial_no_auth_action_count(0)(run_cli)(capsys, stack.site, bucket=BUCKET)

    assert code == 1
    assert len(err) == 1 and err[0].startswith("error: AWS rejected the credentials (InvalidAccessKeyId")
    assert stack.objects() == before


def test_no_credentials_at_all_is_one_error_line(stack, capsys, monkeypatch, tmp_path):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))

    code, _, err = run_cli(capsys, stack.site, bucket=BUCKET)

    assert code == 1
    assert err == [
        "error: no AWS credentials found: set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"
    ]


def test_cli_reads_targets_from_the_environment_and_prints_a_summary(stack, capsys, monkeypatch):
    monkeypatch.setenv("SITE_BUCKET", BUCKET)
    monkeypatch.setenv("DISTRIBUTION_ID", stack.distribution_id)
    monkeypatch.setenv("PATH", str(stack.site))  # no terraform: the environment is enough

    code, out, err = run_cli(capsys, stack.site, verbose=True)

    assert code == 0, err
    assert out[-1].startswith(f"published: {len(SITE) + 1} uploaded")
    assert "upload  index.html  (missing remotely)" in out
    assert "no counter table: page registration skipped" in out
    code, out, _ = run_cli(capsys, stack.site)
    assert out[-1].startswith("published: 0 uploaded (0 B), 0 copied")


def test_cli_without_a_bucket_names_every_way_to_give_one(aws_env, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))

    code, _, err = run_cli(capsys, write_site(tmp_path / "output"))

    assert code == 1
    assert err == [
        "error: no site bucket: pass --bucket, or set SITE_BUCKET, or apply terraform/ so "
        "`terraform output site_bucket_name` is set (terraform is not on PATH)"
    ]


# -- the page manifest is the one the plugin's settings name ---------------------------------


def test_the_manifest_name_is_read_from_the_settings_the_build_used(settings_naming_the_manifest):
    assert page_manifest_name(PUBLISH_SETTINGS) == DEFAULTS["manifest"]
    assert page_manifest_name(settings_naming_the_manifest("pages-to-count.json")) == "pages-to-count.json"
    assert page_manifest_name(PUBLISH_SETTINGS, {"VISITOR_COUNTER": {"manifest": "other.json"}}) == "other.json"


def test_a_renamed_manifest_is_still_registered(stack, counter_table, capsys, settings_naming_the_manifest):
    (stack.site / "counter-pages.json").rename(stack.site / "pages-to-count.json")
    request = PublishRequest(
        bucket=BUCKET,
        table=TABLE,
        build=False,
        output_dir=stack.site,
        settings_file=settings_naming_the_manifest("pages-to-count.json"),
    )

    code = run_publish(request)

    out = capsys.readouterr().out
    assert code == 0, out
    assert "page registration skipped" not in out
    assert "; 4 page keys registered;" in out.splitlines()[-1]
    assert len(registered_keys(counter_table)) == 4


# -- where it published, plurals, rollback and history from the command line -------------------


def test_the_summary_says_where_it_published_with_right_plurals(stack, capsys, monkeypatch):
    monkeypatch.setenv("SITEURL", "https://blog.example.org")
    monkeypatch.setenv("PATH", str(stack.site))
    run_cli(capsys, stack.site, bucket=BUCKET, distribution_id=stack.distribution_id)
    (stack.site / "404.html").write_text("<h1>Gone</h1>")

    code, out, _ = run_cli(capsys, stack.site, bucket=BUCKET, distribution_id=stack.distribution_id)

    assert code == 0
    assert out[-2] == (
        f"published to bucket {BUCKET}, CloudFront distribution {stack.distribution_id}, "
        "site https://blog.example.org"
    )
    assert "; 1 path invalidated;" in out[-1] and "1 paths" not in out[-1]
    assert re.search(r"; \d+ requests in ", out[-1])


def test_history_lists_publishes_newest_first_and_rollback_undoes_the_last(stack, capsys, monkeypatch):
    monkeypatch.setenv("PATH", str(stack.site))
    run_cli(capsys, stack.site, bucket=BUCKET)
    (stack.site / "posts/alpha/index.html").write_text("<h1>Alpha, edited</h1>")
    run_cli(capsys, stack.site, bucket=BUCKET)

    assert run_history(BUCKET) == 0
    listed = capsys.readouterr().out.splitlines()
    assert len(listed) == 3
    assert re.match(r"\d{8}-\d{6}(-\d+)?  \S+Z  publish\s+1 file  by ", listed[0])
    assert re.match(rf"\d{{8}}-\d{{6}}(-\d+)?  \S+Z  publish\s+{len(SITE) + 1} files  by ", listed[1])
    assert listed[2].startswith("the site shows publish ")

    dry = run_rollback(RollbackRequest(bucket=BUCKET, options=RollbackOptions(dry_run=True)))
    out = capsys.readouterr().out.splitlines()
    assert dry == 0 and out[0].startswith("restore posts/alpha/index.html  (as publish ")
    assert out[-1].endswith("would restore 1 file and remove 0 files (0 already as it was); would invalidate 2 paths")

    assert run_rollback(RollbackRequest(bucket=BUCKET)) == 0
    assert stack.body("posts/alpha/index.html") == SITE["posts/alpha/index.html"].encode()
    assert run_rollback(RollbackRequest(bucket=BUCKET)) == 1
    assert capsys.readouterr().err.splitlines() == [
        f"error: the history holds nothing from before publish {listed[1].split()[0]}: nothing to roll back to"
    ]
