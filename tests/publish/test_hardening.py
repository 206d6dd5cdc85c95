"""Publish tried as a clumsy user and an unlucky operator would (issue 16, "Publish"): a broken
build, two publishes at once, a publish killed at any point, a damaged state file, names that
only look fingerprinted. Each test fails on publish as it was before these guards."""

from __future__ import annotations

import json
import re
import shutil
import threading
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote, urljoin

import pytest

from deploy import headers as header_table
from deploy.diff import PlanRefused
from deploy.lock import LockHeld, PublishLock
from deploy.objects import BOOKKEEPING_KEYS, LOCK_KEY, STATE_KEY
from deploy.remote import PublishError
from tests.publish.helpers import BUCKET, COUNTER_JS, SITE, edit

# -- delete guard relative to the site --------------------------------------------------------


def test_a_build_that_lost_most_of_the_site_is_refused_and_changes_nothing(stack):
    stack.publish()
    before = stack.served()
    for path in list(stack.site.rglob("*")):
        if path.is_file() and path.name != "index.html":
            path.unlink()  # a broken build: a home page, a few pages, nothing else
    kept = len([p for p in stack.site.rglob("*") if p.is_file()])
    deletes = len(SITE) + 1 - kept

    with pytest.raises(PlanRefused, match=rf"refusing to delete {deletes} objects \(more than half of the {len(SITE) + 1} objects in the bucket\).*--max-deletes {deletes}"):
        stack.publish()

    assert stack.served() == before
    assert stack.publish(max_deletes=deletes).deleted == deletes


# -- one publish at a time -------------------------------------------------------------------


def held_by_another_run(stack, ttl_seconds: int = 900) -> PublishLock:
    lock = PublishLock(stack.s3, BUCKET, "publish", ttl_seconds)
    lock.acquire()
    return lock


def test_a_second_publish_refuses_in_one_line_saying_who_holds_the_lock_since_when(stack):
    stack.publish()
    held_by_another_run(stack)
    edit(stack.site, "posts/alpha/index.html", "first", "1st")
    before = stack.served()

    with pytest.raises(LockHeld) as refused:
        stack.publish()

    message = str(refused.value)
    assert "\n" not in message
    assert re.match(r"publish is locked by \S+@\S+ \(pid \d+\) \(publish\) since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC; .*--break-lock", message)
    assert stack.served() == before


def test_two_publishes_at_once_one_finishes_the_other_refuses(stack, tmp_path):
    stack.publish()
    other = tmp_path / "other-build"
    shutil.copytree(stack.site, other)
    edit(stack.site, "posts/alpha/index.html", "first", "first from A")
    edit(stack.site, "posts/beta/index.html", "second", "second from A")
    edit(other, "posts/alpha/index.html", "first", "first from B")
    edit(other, "posts/beta/index.html", "second", "second from B")
    a_is_uploading, b_has_tried = threading.Event(), threading.Event()

    def pause_a(params, **_):
        if params.get("Key") not in BOOKKEEPING_KEYS and not a_is_uploading.is_set():
            a_is_uploading.set()
            b_has_tried.wait(10)

    stack.clients.s3.meta.events.register("before-parameter-build.s3.PutObject", pause_a)
    publish_a = threading.Thread(target=stack.publish, kwargs={"workers": 1})
    publish_a.start()
    assert a_is_uploading.wait(10)
    from deploy.publish import publish
    from deploy.remote import Clients

    try:
        with pytest.raises(LockHeld):
            publish(other, BUCKET, distribution_id=stack.distribution_id, clients=Clients.create())
    finally:
        b_has_tried.set()
        publish_a.join(10)

    stack.assert_matches_site()  # exactly A's build, not a mix
    assert LOCK_KEY not in {o["Key"] for o in stack.s3.list_objects_v2(Bucket=BUCKET)["Contents"]}


def test_a_lock_left_by_a_crashed_run_expires_or_is_broken_with_break_lock(stack, capsys):
    stack.publish()
    edit(stack.site, "posts/alpha/index.html", "first", "1st")
    held_by_another_run(stack)
    with pytest.raises(LockHeld):
        stack.publish()
    printed: list[str] = []
    from deploy.publish import PublishOptions, publish

    summary = publish(stack.site, BUCKET, clients=stack.clients, options=PublishOptions(break_lock=True), echo=printed.append)

    assert summary.uploaded == 1
    assert printed[0].startswith("removed the publish lock held by ")
    # A lock past its TTL (S3's clock) is taken over without asking.
    held_by_another_run(stack, ttl_seconds=0)
    edit(stack.site, "posts/alpha/index.html", "1st", "first")
    assert stack.publish().uploaded == 1


def test_a_killed_publish_releases_its_lock_and_a_long_one_keeps_it(stack, monkeypatch):
    stack.publish()
    edit(stack.site, "posts/alpha/index.html", "first", "1st")

    def killed(params, **_):
        if params.get("Key") not in BOOKKEEPING_KEYS:
            raise KeyboardInterrupt

    stack.clients.s3.meta.events.register("before-parameter-build.s3.PutObject", killed)
    with pytest.raises(KeyboardInterrupt):
        stack.publish()
    stack.clients.s3.meta.events.unregister("before-parameter-build.s3.PutObject", killed)
    assert stack.publish().uploaded == 1  # not locked out by its own earlier run

    renewals = []
    original = PublishLock.refresh
    monkeypatch.setattr(PublishLock, "refresh", lambda self: (renewals.append(1), original(self)))
    edit(stack.site, "posts/alpha/index.html", "1st", "first")
    stack.publish(lock_ttl_seconds=0)  # every stage is "a third of the TTL" later
    assert renewals


# -- no dangling links during a publish ------------------------------------------------------

LINK = re.compile(rb"""(?:href|src)=["']?([^"' >]+)""")


def dangling_links(stack, live_before: set[str]) -> list[str]:
    """Links from live pages to missing objects. Live: every page a reader can reach, from the
    home page or from a page that was there before the publish (bookmarks, search results)."""
    present = set(stack.objects())
    pages = [k for k in present if k.endswith(".html")]
    seen, queue, broken = set(), [k for k in pages if k in live_before or k == "index.html"], []
    while queue:
        key = queue.pop()
        if key in seen:
            continue
        seen.add(key)
        for raw in LINK.findall(stack.body(key)):
            target = urljoin("/" + key, unquote(raw.decode()))
            if not target.startswith("/") or target.startswith("//"):
                continue
            path = target.split("#")[0].split("?")[0].lstrip("/")
            path = path + "index.html" if path == "" or path.endswith("/") else path
            if path not in present:
                broken.append(f"{key} -> /{path}")
            elif path.endswith(".html"):
                queue.append(path)
    return broken


def test_a_publish_killed_at_any_point_leaves_no_live_page_linking_to_a_missing_one(stack, tmp_path):
    """A new post with a new tag page and image, listings that link to them, a deleted post."""
    stack.publish()
    site_a = stack.site
    site_b = tmp_path / "site-b"
    shutil.copytree(site_a, site_b)
    (site_b / "posts/delta").mkdir()
    (site_b / "posts/delta/index.html").write_text("<h1>Delta</h1><img src=/images/delta.png><a href=/tags/new/>new</a>")
    (site_b / "tags/new").mkdir()
    (site_b / "tags/new/index.html").write_text("<a href=/posts/delta/>delta</a>")
    (site_b / "images/delta.png").write_bytes(b"\x89PNG delta")
    edit(site_b, "index.html", "beta</a>", "beta</a><a href=/posts/delta/>delta</a>")
    edit(site_b, "tags/aws/index.html", "<li>gamma</li>", "<li><a href=/posts/delta/>delta</a></li>")
    edit(site_b, "posts/beta/index.html", "second post", "second post <a href=/tags/new/>new</a>")
    edit(site_b, "index.html", "<a href=/posts/beta/>", "<a href=/posts/beta/>")
    (site_b / "posts/gamma/index.html").unlink()
    live_before = set(stack.objects())
    writes = 6  # three new files, three replaced pages

    for kill_at in range(1, writes + 1):
        stack.site = site_a
        stack.publish()  # back to A
        stack.site = site_b
        from tests.publish.test_publish import FailingPuts

        failing = FailingPuts(stack.clients.s3, fail_on=kill_at, error=KeyboardInterrupt())
        try:
            stack.publish(workers=1)
        except KeyboardInterrupt:
            pass
        stack.clients.s3.meta.events.unregister("before-parameter-build.s3.PutObject", failing)
        assert dangling_links(stack, live_before) == [], f"killed at write {kill_at}"
    stack.publish()
    stack.assert_matches_site()


def test_new_pages_are_invalidated_for_the_404_cloudfront_may_hold(stack):
    stack.publish()
    (stack.site / "posts/delta").mkdir()
    (stack.site / "posts/delta/index.html").write_text("<h1>Delta</h1>")
    (stack.site / "images/delta.png").write_bytes(b"\x89PNG delta")

    stack.publish()

    assert stack.invalidations() == [["/posts/delta/", "/posts/delta/index.html"]]


# -- a damaged state file heals ----------------------------------------------------------------

DAMAGED_STATES = {
    "objects is a list": {"version": 1, "headers": [], "objects": [], "pending_invalidation": []},
    "a pending path that is not text": {"version": 1, "headers": [], "objects": {}, "pending_invalidation": [1]},
    "a pending path that CloudFront refuses": {"version": 1, "headers": [], "objects": {}, "pending_invalidation": ["no slash", "/a b"]},
    "pending is a string": {"version": 1, "headers": [], "objects": {}, "pending_invalidation": "/index.html"},
    "headers is not a list": {"version": 1, "headers": {"a": 1}, "objects": {"index.html": {"etag": "x", "size": 1, "h": 0}}},
    "a header set of three": {"version": 1, "headers": [["a", "b", "c"]], "objects": {"index.html": {"etag": "x", "size": 1, "h": 0}}},
    "an entry that is a string": {"version": 1, "headers": [["text/html", "x"]], "objects": {"index.html": "etag"}},
    "a negative size": {"version": 1, "headers": [["text/html", "x"]], "objects": {"index.html": {"etag": "x", "size": -1, "h": 0}}},
    "a size that is true": {"version": 1, "headers": [["text/html", "x"]], "objects": {"index.html": {"etag": "x", "size": True, "h": 0}}},
    "a header index out of range": {"version": 1, "headers": [["text/html", "x"]], "objects": {"index.html": {"etag": "x", "size": 1, "h": 7}}},
    "a digest that is a number": {"version": 1, "headers": [["text/html", "x"]], "objects": {"index.html": {"etag": "x", "size": 1, "h": 0, "sha256": 5}}},
    "the document is a list": [],
    "the document is null": None,
    "a version from the future": {"version": 99, "objects": {}},
}


@pytest.mark.parametrize("document", DAMAGED_STATES.values(), ids=DAMAGED_STATES.keys())
def test_a_damaged_state_costs_inspections_never_a_wedge(stack, document):
    stack.publish()
    stack.s3.put_object(Bucket=BUCKET, Key=STATE_KEY, Body=json.dumps(document).encode())
    edit(stack.site, "posts/alpha/index.html", "first", "1st")

    healed = stack.publish()

    assert healed.uploaded == 1
    stack.assert_matches_site()
    assert stack.publish().requests == {"ListObjectsV2": 1, "GetObject": 1}  # healed for good


def test_state_bytes_that_are_not_utf8_cost_inspections(stack):
    stack.publish()
    stack.s3.put_object(Bucket=BUCKET, Key=STATE_KEY, Body=b"\xff\xfe{")
    assert stack.publish().inspected == len(SITE) + 1


def test_a_damaged_pending_list_invalidates_everything_once(stack):
    stack.publish()
    stack.s3.put_object(Bucket=BUCKET, Key=STATE_KEY, Body=json.dumps(DAMAGED_STATES["a pending path that is not text"]).encode())
    stack.publish()
    assert stack.invalidations() == [["/*"]]


# -- cache headers by content --------------------------------------------------------------------


def test_only_files_named_with_their_own_digest_are_cached_forever(stack):
    (stack.site / "images/chart.20261122.png").write_bytes(b"\x89PNG a chart that will be redrawn")
    stack.s3.put_object(  # as the look-based rule once stored it
        Bucket=BUCKET, Key="images/chart.20261122.png", Body=b"\x89PNG old chart",
        CacheControl=header_table.IMMUTABLE, ContentType="image/png",
    )

    stack.publish()

    def cache_control(key: str) -> str:
        return stack.s3.head_object(Bucket=BUCKET, Key=key)["CacheControl"]

    assert cache_control("images/chart.20261122.png") == header_table.SHORT
    assert cache_control(COUNTER_JS) == header_table.IMMUTABLE
    (stack.site / "js/counter.0123456789.js").write_text("not named by its content")
    stack.publish()
    assert cache_control("js/counter.0123456789.js") == header_table.SHORT
