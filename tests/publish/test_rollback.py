"""`make rollback` against a versioned moto bucket: publish A, publish B, roll back, and the
bucket serves exactly A again; the counter follows; an interrupted rollback converges."""

from __future__ import annotations

import json
import shutil
import threading
from datetime import UTC, datetime

import pytest

from counter_lambda.counter import UnknownPage, page_pk, read_counts, record_hit
from shared.counter_table import retired_pk
from deploy.diff import url_paths
from deploy.history import RollbackRefused
from deploy.objects import BOOKKEEPING_KEYS, HISTORY_KEY, STATE_KEY
from deploy.remote import PublishError
from tests.publish.helpers import BUCKET, SITE, TABLE, Stack, edit, registered_keys, snapshot, write_site

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def make_site_b(stack: Stack, tmp_path) -> None:
    """B, from A: edits, an addition, a deletion, a header-only change, a new asset."""
    site_b = tmp_path / "site-b"
    shutil.copytree(stack.site, site_b)
    edit(site_b, "posts/alpha/index.html", "first post", "first post, rewritten")
    edit(site_b, "index.html", "beta</a>", "beta</a><a href=/posts/delta/>delta</a>")
    edit(site_b, "theme/css/main.css", "#222", "#111")
    (site_b / "posts/delta").mkdir()
    (site_b / "posts/delta/index.html").write_text("<h1>Delta</h1><img src=/images/delta.png>")
    (site_b / "images/delta.png").write_bytes(b"\x89PNG delta")
    (site_b / "posts/gamma/index.html").unlink()
    (site_b / "counter-pages.json").write_text(json.dumps(["/", "/posts/alpha/", "/posts/beta/", "/posts/delta/"]))
    stack.site = site_b


def differing_paths(a: dict[str, bytes], b: dict[str, bytes]) -> list[str]:
    keys = {key for key in a.keys() | b.keys() if a.get(key) != b.get(key)}
    return sorted(path for key in keys for path in url_paths(key))


@pytest.fixture
def published_a_then_b(stack, counter_table, tmp_path):
    """Publish A, then B; return what A served."""
    stack.publish(table=TABLE)
    served_a = stack.served()
    make_site_b(stack, tmp_path)
    stack.publish(table=TABLE)
    return served_a


def test_rollback_serves_exactly_the_previous_publish_and_invalidates_exactly_the_difference(
    stack, counter_table, published_a_then_b
):
    served_a, served_b = published_a_then_b, stack.served()
    invalidations_before = len(stack.invalidations())

    summary = stack.rollback(table=TABLE)

    assert stack.served() == served_a  # every key's bytes and headers
    expected = differing_paths({k: v[0] for k, v in served_a.items()}, {k: v[0] for k, v in served_b.items()})
    assert stack.invalidations()[invalidations_before:] == [expected]
    # alpha, index, css, the page manifest, gamma; delta and its image
    assert (summary.restored, summary.deleted) == (5, 2)
    assert summary.unchanged == 0
    assert summary.where() == f"rolled back bucket {BUCKET}, CloudFront distribution {stack.distribution_id}"
    assert summary.line().startswith("rolled back to publish ")
    assert "5 files restored, 2 files removed" in summary.line()


def test_the_counter_follows_publish_and_rollback(stack, counter_table, tmp_path):
    stack.publish(table=TABLE)
    for _ in range(3):
        record_hit(counter_table, TABLE, "/posts/gamma/", visitor=None, now=NOW)
    make_site_b(stack, tmp_path)

    published = stack.publish(table=TABLE)

    # B deleted gamma: its count is kept aside and can no longer be raised.
    assert published.pages_retired == 1 and published.pages_registered == 1
    with pytest.raises(UnknownPage):
        record_hit(counter_table, TABLE, "/posts/gamma/", visitor=None, now=NOW)
    with pytest.raises(UnknownPage):
        read_counts(counter_table, TABLE, "/posts/gamma/", now=NOW)
    keys = registered_keys(counter_table)
    assert retired_pk("/posts/gamma/") in keys and page_pk("/posts/delta/") in keys

    rolled_back = stack.rollback(table=TABLE)

    # gamma is back and counts on from 3; delta, which A did not have, stops counting.
    assert (rolled_back.pages_registered, rolled_back.pages_retired) == (1, 1)
    assert record_hit(counter_table, TABLE, "/posts/gamma/", visitor=None, now=NOW).views == 4
    with pytest.raises(UnknownPage):
        record_hit(counter_table, TABLE, "/posts/delta/", visitor=None, now=NOW)
    assert retired_pk("/posts/gamma/") not in registered_keys(counter_table)


class FailingCopies:
    """The Nth CopyObject (a restore) raises ``error``."""

    def __init__(self, client, fail_on: int, error: BaseException):
        self.fail_on, self.error, self.seen, self._lock = fail_on, error, 0, threading.Lock()
        client.meta.events.register("before-parameter-build.s3.CopyObject", self)

    def __call__(self, params, **_):
        with self._lock:
            self.seen += 1
            if self.seen == self.fail_on:
                raise self.error


@pytest.mark.parametrize("error", [ConnectionResetError("reset"), KeyboardInterrupt()], ids=["failed", "killed"])
def test_an_interrupted_rollback_converges_on_its_rerun_at_every_point(stack, counter_table, tmp_path, error):
    stack.publish(table=TABLE)
    served_a, site_a = stack.served(), stack.site
    make_site_b(stack, tmp_path)
    site_b = stack.site
    for fail_on in range(1, 6):  # each of the five restores
        stack.site = site_b
        stack.publish(table=TABLE)
        served_b = stack.served()
        failing = FailingCopies(stack.clients.s3, fail_on, error)
        with pytest.raises((PublishError, KeyboardInterrupt)):
            stack.rollback(table=TABLE, workers=1)
        assert stack.served() != served_a  # stopped before the end
        stack.clients.s3.meta.events.unregister("before-parameter-build.s3.CopyObject", failing)
        invalidations_before = len(stack.invalidations())

        rerun = stack.rollback(table=TABLE)

        assert stack.served() == served_a, fail_on
        # Whatever either run changed is invalidated.
        covered = {path for batch in stack.invalidations()[invalidations_before - 1 :] for path in batch}
        assert set(differing_paths({k: v[0] for k, v in served_a.items()}, {k: v[0] for k, v in served_b.items()})) <= covered
        again = stack.rollback(table=TABLE, to=rerun.target)
        assert again.requests.get("CopyObject", 0) == 0 and again.notes[-1].startswith("the site is already")
        stack.site = site_a


def test_rolling_back_twice_goes_back_two_publishes_and_a_named_one_is_idempotent(stack, tmp_path):
    stack.publish()
    served_a = stack.served()
    make_site_b(stack, tmp_path)
    stack.publish()
    served_b = stack.served()
    edit(stack.site, "posts/beta/index.html", "second post", "second post, C")
    stack.publish()

    first = stack.rollback()
    assert stack.served() == served_b
    second = stack.rollback()
    assert stack.served() == served_a
    assert second.target != first.target
    with pytest.raises(RollbackRefused, match="nothing to roll back to"):
        stack.rollback()

    named = stack.rollback(to=second.target)

    assert named.restored == named.deleted == 0 and stack.served() == served_a


def test_rollback_refuses_when_a_version_it_needs_is_gone_and_changes_nothing(stack, tmp_path):
    stack.publish()
    make_site_b(stack, tmp_path)
    stack.publish()
    served_b = stack.served()
    # The bucket's lifecycle rule expires noncurrent versions: A's alpha is gone.
    versions = stack.s3.list_object_versions(Bucket=BUCKET, Prefix="posts/alpha/index.html")["Versions"]
    old = [v for v in versions if not v["IsLatest"]]
    stack.s3.delete_object(Bucket=BUCKET, Key="posts/alpha/index.html", VersionId=old[0]["VersionId"])

    with pytest.raises(RollbackRefused, match=r"no longer holds the earlier version of 1 file \(e\.g\. posts/alpha/index\.html"):
        stack.rollback()

    assert stack.served() == served_b


def test_rollback_dry_run_prints_the_plan_and_changes_nothing(stack, tmp_path):
    stack.publish()
    make_site_b(stack, tmp_path)
    stack.publish()
    served_b = stack.served()
    printed: list[str] = []
    from deploy.rollback import RollbackOptions, rollback

    summary = rollback(BUCKET, distribution_id=stack.distribution_id, clients=stack.clients,
                       options=RollbackOptions(dry_run=True), echo=printed.append)

    assert stack.served() == served_b
    assert printed[:3] == [
        f"restore counter-pages.json  (as publish {summary.target} left it)",
        f"restore index.html  (as publish {summary.target} left it)",
        f"restore posts/alpha/index.html  (as publish {summary.target} left it)",
    ]
    assert f"remove  posts/delta/index.html  (added after publish {summary.target})" in printed
    assert summary.line().startswith(f"dry run: rolling back to publish {summary.target} would restore 5 files and remove 2 files")
    assert set(summary.requests) <= {"ListObjectsV2", "GetObject", "HeadObject"}


def test_rollback_in_a_bucket_without_versioning_is_refused_clearly(tmp_path, aws_env):
    from moto import mock_aws

    with mock_aws():
        stack = Stack(write_site(tmp_path / "output"), versioned=False)
        stack.publish()
        edit(stack.site, "posts/alpha/index.html", "first", "1st")
        stack.publish()
        with pytest.raises(RollbackRefused, match="is versioning on for the bucket"):
            stack.rollback()


def test_a_damaged_history_refuses_rollback_but_never_stops_a_publish(stack, tmp_path):
    stack.publish()
    state = json.loads(stack.body(STATE_KEY))
    state["history"] = [{"id": 1}]
    stack.s3.put_object(Bucket=BUCKET, Key=STATE_KEY, Body=json.dumps(state).encode())
    with pytest.raises(RollbackRefused, match="no publish history"):
        stack.rollback()
    edit(stack.site, "posts/alpha/index.html", "first", "1st")
    stack.publish()
    edit(stack.site, "posts/alpha/index.html", "1st", "first")
    stack.publish()
    stack.rollback()
    assert b"1st" in stack.body("posts/alpha/index.html")
    assert not BOOKKEEPING_KEYS & set(stack.objects())
    assert snapshot(stack.site).keys() == stack.objects().keys()


def test_a_bucket_keeping_its_history_apart_from_the_state_still_rolls_back(stack):
    # As publish left a bucket before the history moved into the state: a document of its own.
    stack.publish()
    edit(stack.site, "posts/alpha/index.html", "first", "1st")
    stack.publish()
    state = json.loads(stack.body(STATE_KEY))
    entries = state.pop("history")
    stack.s3.put_object(Bucket=BUCKET, Key=STATE_KEY, Body=json.dumps(state).encode())
    stack.s3.put_object(Bucket=BUCKET, Key=HISTORY_KEY, Body=json.dumps({"version": 1, "entries": entries}).encode())

    summary = stack.rollback()

    assert summary.restored == 1
    assert b"first" in stack.body("posts/alpha/index.html")
    assert [entry["kind"] for entry in json.loads(stack.body(STATE_KEY))["history"]] == ["publish", "publish", "rollback"]
