"""Publish against moto: what lands in the bucket, what CloudFront is told, what the user sees."""

from __future__ import annotations

import json
import os
import threading

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from moto.core.botocore_stubber import MockRawResponse
from moto.server import ThreadedMotoServer

from deploy import headers as header_table
from deploy.diff import PlanRefused
from deploy.objects import BOOKKEEPING_KEYS, STATE_KEY
from deploy.publish import PublishOptions, publish
from deploy.remote import PublishError, list_remote
from shared.targets import DEFAULT_REGION
from tests.publish.helpers import BUCKET, COUNTER_JS, SITE, OperationLog, edit, write_site


# -- first publish, no-change publish, one edit --------------------------------------------


def test_first_publish_uploads_everything_with_the_right_headers(stack):
    summary = stack.publish()

    stack.assert_matches_site()
    assert summary.uploaded == len(SITE) + 1 and summary.unchanged == 0
    assert summary.bytes_uploaded == sum(p.stat().st_size for p in stack.site.rglob("*") if p.is_file())
    expected = {
        "index.html": ("text/html; charset=utf-8", header_table.REVALIDATE),
        "posts/alpha/index.html": ("text/html; charset=utf-8", header_table.REVALIDATE),
        "feeds/all.atom.xml": ("application/atom+xml; charset=utf-8", header_table.REVALIDATE),
        "counter-pages.json": ("application/json; charset=utf-8", header_table.REVALIDATE),
        COUNTER_JS: ("text/javascript; charset=utf-8", header_table.IMMUTABLE),
        "theme/css/main.css": ("text/css; charset=utf-8", header_table.SHORT),
        "images/topology.svg": ("image/svg+xml; charset=utf-8", header_table.SHORT),
        "images/photo.png": ("image/png", header_table.SHORT),
    }
    for key, (content_type, cache_control) in expected.items():
        head = stack.s3.head_object(Bucket=BUCKET, Key=key)
        assert (head["ContentType"], head["CacheControl"]) == (content_type, cache_control), key
    # Everything was new: no cache can hold an old copy.
    assert stack.invalidations() == [] and summary.invalidation_paths == []


def test_second_publish_without_change_uploads_and_invalidates_nothing(stack):
    stack.publish()
    before = stack.objects()

    summary = stack.publish()

    assert (summary.uploaded, summary.copied, summary.deleted) == (0, 0, 0)
    assert summary.unchanged == len(before)
    assert stack.objects() == before
    assert stack.invalidations() == []
    # One listing and one read of publish's state: no per-object request at all.
    assert summary.requests == {"ListObjectsV2": 1, "GetObject": 1}


def test_rebuild_that_rewrites_every_file_with_the_same_bytes_uploads_nothing(stack):
    stack.publish()
    for path in stack.site.rglob("*"):
        if path.is_file():
            path.write_bytes(path.read_bytes())  # a Pelican rebuild: new mtimes, same bytes
            os.utime(path, (1, 1))

    assert stack.publish().uploaded == 0


def test_one_post_edit_uploads_and_invalidates_only_what_changed(stack):
    stack.publish()
    log = OperationLog(stack.clients.s3)
    edit(stack.site, "posts/beta/index.html", "second post", "second post, now longer")
    edit(stack.site, "feeds/all.atom.xml", "<entry>beta</entry>", "<entry>beta, edited</entry>")

    summary = stack.publish()

    assert sorted(log.keys("PutObject")) == ["feeds/all.atom.xml", "posts/beta/index.html"]
    assert summary.uploaded == 2 and summary.unchanged == len(SITE) - 1
    expected_paths = ["/feeds/all.atom.xml", "/posts/beta/", "/posts/beta/index.html"]
    assert stack.invalidations() == [expected_paths]
    assert summary.invalidation_paths == expected_paths
    stack.assert_matches_site()


def test_same_size_edit_with_old_mtime_is_uploaded(stack):
    stack.publish()
    path = stack.site / "posts/alpha/index.html"
    stat = path.stat()
    edit(stack.site, "posts/alpha/index.html", "first post", "FIRST POST")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size

    summary = stack.publish()

    assert summary.uploaded == 1
    assert summary.actions == [
        {"kind": "upload", "key": "posts/alpha/index.html", "reason": "md5 differs"}
    ]
    assert b"FIRST POST" in stack.body("posts/alpha/index.html")
    assert stack.invalidations() == [["/posts/alpha/", "/posts/alpha/index.html"]]


def test_homepage_edit_invalidates_both_root_forms(stack):
    stack.publish()
    edit(stack.site, "index.html", "Field Notes", "Field Notes!")

    stack.publish()

    assert stack.invalidations() == [["/", "/index.html"]]


# -- deletions and their guard ---------------------------------------------------------------


def test_deleted_post_is_deleted_last_and_invalidated(stack):
    stack.publish()
    log = OperationLog(stack.clients.s3)
    (stack.site / "posts/gamma/index.html").unlink()
    edit(stack.site, "index.html", "beta</a>", "beta</a> ")
    edit(stack.site, COUNTER_JS, "", "")  # unchanged
    (stack.site / "js/counter.abcdef0123.js").write_text("new widget")

    summary = stack.publish()

    assert "posts/gamma/index.html" not in stack.objects()
    assert summary.deleted == 1
    operations = [op for op, key in log.calls if key not in BOOKKEEPING_KEYS]
    assert operations[-1] == "DeleteObjects"
    # The new asset goes up before the page that would reference it.
    puts = log.keys("PutObject")
    assert puts.index("js/counter.abcdef0123.js") < puts.index("index.html")
    assert stack.invalidations() == [
        ["/", "/index.html", "/posts/gamma/", "/posts/gamma/index.html"]
    ]
    stack.assert_matches_site()


def test_max_deletes_guard_refuses_and_changes_nothing(stack):
    stack.publish()
    before = stack.objects()
    for slug in ("alpha", "beta", "gamma"):
        (stack.site / f"posts/{slug}/index.html").unlink()
    edit(stack.site, "index.html", "Field Notes", "Empty Notes")

    with pytest.raises(PlanRefused, match="refusing to delete 3 objects .*--max-deletes 2"):
        stack.publish(max_deletes=2)

    assert stack.objects() == before
    assert stack.invalidations() == []
    assert stack.publish(max_deletes=3).deleted == 3


def test_empty_output_is_refused_rather_than_deleting_the_site(stack, tmp_path):
    stack.publish()
    before = stack.objects()
    empty = tmp_path / "empty"
    empty.mkdir()

    with pytest.raises(PlanRefused, match="no files"):
        publish(empty, BUCKET, clients=stack.clients, options=PublishOptions(max_deletes=10_000))

    assert stack.objects() == before


# -- dry run, force, headers ------------------------------------------------------------------


def test_dry_run_reports_the_plan_with_reasons_and_changes_nothing(stack):
    stack.publish()
    before = stack.objects()
    edit(stack.site, "posts/alpha/index.html", "first post", "first post, edited")
    (stack.site / "posts/gamma/index.html").unlink()
    (stack.site / "posts/delta").mkdir()
    (stack.site / "posts/delta/index.html").write_text("<h1>Delta</h1>")
    printed: list[str] = []

    summary = publish(
        stack.site,
        BUCKET,
        distribution_id=stack.distribution_id,
        clients=stack.clients,
        options=PublishOptions(dry_run=True),
        echo=printed.append,
    )

    assert stack.objects() == before
    assert stack.invalidations() == []
    assert (summary.uploaded, summary.deleted) == (2, 1)
    assert printed == [
        "upload  posts/alpha/index.html  (size differs (31 -> 39 bytes))",
        "upload  posts/delta/index.html  (missing remotely)",
        "delete  posts/gamma/index.html  (not in the build output)",
    ]
    assert summary.invalidation_paths == [
        "/posts/alpha/",
        "/posts/alpha/index.html",
        # A new page: CloudFront may hold the 404 someone got before it existed.
        "/posts/delta/",
        "/posts/delta/index.html",
        "/posts/gamma/",
        "/posts/gamma/index.html",
    ]
    assert set(summary.requests) <= {"ListObjectsV2", "GetObject"}
    assert "dry run: would upload 2" in summary.line()


def test_force_reuploads_everything(stack):
    stack.publish()

    summary = stack.publish(force=True)

    assert summary.uploaded == len(SITE) + 1
    assert {a["reason"] for a in summary.actions} == {"forced"}


def test_header_rule_change_alone_copies_objects_in_place(stack, monkeypatch):
    stack.publish()
    log = OperationLog(stack.clients.s3)
    rules = list(header_table.HEADER_RULES)
    rules.insert(0, header_table._rule(r"\.css$", "public, max-age=60", "asset"))
    monkeypatch.setattr(header_table, "HEADER_RULES", tuple(rules))

    summary = stack.publish()

    assert (summary.uploaded, summary.copied) == (0, 1)
    assert log.keys("CopyObject") == ["theme/css/main.css"] and log.keys("PutObject") == []
    head = stack.s3.head_object(Bucket=BUCKET, Key="theme/css/main.css")
    assert head["CacheControl"] == "public, max-age=60"
    assert head["ContentType"] == "text/css; charset=utf-8"
    assert stack.invalidations() == [["/theme/css/main.css"]]
    assert stack.publish().copied == 0


def test_objects_written_by_another_tool_are_checked_and_fixed_in_place(stack):
    # As `aws s3 sync` leaves them: right bytes, no Cache-Control, a guessed Content-Type.
    for path in stack.site.rglob("*"):
        key = path.relative_to(stack.site).as_posix()
        if path.is_file():
            stack.s3.put_object(Bucket=BUCKET, Key=key, Body=path.read_bytes(), ContentType="text/plain")

    summary = stack.publish()

    assert summary.uploaded == 0 and summary.copied == len(SITE) + 1
    assert summary.inspected == len(SITE) + 1
    head = stack.s3.head_object(Bucket=BUCKET, Key="index.html")
    assert head["CacheControl"] == header_table.REVALIDATE
    again = stack.publish()
    assert (again.inspected, again.copied) == (0, 0)


def test_the_listing_in_ranges_finds_every_object_the_state_knows_or_not(stack):
    keys = [f"posts/p{n:02d}/index.html" for n in range(20)]
    for key in [*keys, STATE_KEY]:
        stack.s3.put_object(Bucket=BUCKET, Key=key, Body=b"x")
    # The state knows every other key, and two that were deleted since.
    known = [*keys[::2], "posts/gone/index.html", "zz/gone.html"]

    listed = list_remote(stack.clients.s3, BUCKET, known, workers=4, page_size=3)

    assert sorted(listed) == keys
    assert stack.clients.requests.snapshot()["ListObjectsV2"] > len(keys) // 3  # ranges and pages


def test_lost_state_costs_inspections_not_uploads(stack):
    stack.publish()
    stack.s3.delete_object(Bucket=BUCKET, Key=STATE_KEY)

    summary = stack.publish()

    assert (summary.uploaded, summary.copied, summary.inspected) == (0, 0, len(SITE) + 1)


def test_large_file_goes_up_multipart_and_compares_by_sha256(stack):
    threshold = 5 * 1024 * 1024
    video = stack.site / "images" / "talk.webm"
    video.write_bytes(b"a" * (threshold + 1024))

    stack.publish(multipart_threshold=threshold)

    assert "-" in stack.objects()["images/talk.webm"]  # a multipart ETag, not an MD5
    assert stack.publish(multipart_threshold=threshold).uploaded == 0
    stack.s3.delete_object(Bucket=BUCKET, Key=STATE_KEY)
    assert stack.publish(multipart_threshold=threshold).uploaded == 0
    video.write_bytes(b"b" * (threshold + 1024))  # same size, other bytes
    summary = stack.publish(multipart_threshold=threshold)
    assert summary.actions == [
        {"kind": "upload", "key": "images/talk.webm", "reason": "sha256 differs"}
    ]
    assert stack.body("images/talk.webm")[:1] == b"b"


# -- invalidation ---------------------------------------------------------------------------


def test_many_changed_paths_collapse_to_one_wildcard(stack):
    stack.publish()
    for slug in ("alpha", "beta"):
        edit(stack.site, f"posts/{slug}/index.html", "post", "post!")

    summary = stack.publish(invalidation_threshold=3)

    assert stack.invalidations() == [["/*"]]
    assert summary.invalidation_paths == ["/*"]


def test_no_invalidate_keeps_the_paths_for_the_next_publish(stack):
    stack.publish()
    edit(stack.site, "posts/alpha/index.html", "first", "1st")

    skipped = stack.publish(invalidate=False)

    assert stack.invalidations() == [] and skipped.invalidation_paths == []
    stack.publish()
    assert stack.invalidations() == [["/posts/alpha/", "/posts/alpha/index.html"]]


def test_wait_returns_once_cloudfront_reports_the_invalidation_done(stack):
    stack.publish()
    edit(stack.site, "posts/alpha/index.html", "first", "1st")

    summary = stack.publish(wait=True)

    status = stack.cloudfront.get_invalidation(
        DistributionId=stack.distribution_id, Id=summary.invalidation_id
    )["Invalidation"]["Status"]
    assert status.lower() == "completed"


# -- faults ---------------------------------------------------------------------------------


class FailingPuts:
    """Makes the Nth site PutObject (and only it) raise ``error``: a dropped connection, or an
    interruption (Ctrl-C) that leaves publish no chance to save anything."""

    def __init__(self, client, fail_on: int, error: BaseException = ConnectionResetError("reset")):
        self.fail_on, self.error, self.seen, self._lock = fail_on, error, 0, threading.Lock()
        client.meta.events.register("before-parameter-build.s3.PutObject", self)

    def __call__(self, params, **_):
        if params.get("Key") in BOOKKEEPING_KEYS:
            return None
        with self._lock:
            self.seen += 1
            if self.seen == self.fail_on:
                raise self.error
        return None


def test_interrupted_publish_deletes_nothing_and_a_rerun_converges(stack):
    stack.publish()
    edit(stack.site, "theme/css/main.css", "#222", "#111")
    edit(stack.site, "posts/alpha/index.html", "first", "1st")
    edit(stack.site, "posts/beta/index.html", "second", "2nd")
    (stack.site / "posts/gamma/index.html").unlink()
    FailingPuts(stack.clients.s3, fail_on=2)

    with pytest.raises(PublishError, match="failed to upload.*nothing was deleted"):
        stack.publish(workers=1)

    assert "posts/gamma/index.html" in stack.objects()
    assert stack.invalidations() == []
    summary = stack.publish()
    stack.assert_matches_site()
    assert summary.deleted == 1
    # The re-run invalidates what the failed run had already replaced, too.
    assert stack.invalidations() == [
        [
            "/posts/alpha/",
            "/posts/alpha/index.html",
            "/posts/beta/",
            "/posts/beta/index.html",
            "/posts/gamma/",
            "/posts/gamma/index.html",
            "/theme/css/main.css",
        ]
    ]
    assert stack.publish().requests == {"ListObjectsV2": 1, "GetObject": 1}


def test_killed_publish_reruns_and_invalidates_what_it_had_replaced(stack):
    stack.publish()
    edit(stack.site, "theme/css/main.css", "#222", "#111")
    edit(stack.site, "posts/alpha/index.html", "first", "1st")
    FailingPuts(stack.clients.s3, fail_on=2, error=KeyboardInterrupt())

    with pytest.raises(KeyboardInterrupt):
        stack.publish(workers=1)

    # On record before the first change, with the paths it was about to make stale; nothing
    # was saved after the interruption.
    recorded = json.loads(stack.body(STATE_KEY))
    assert [entry["done"] for entry in recorded["history"]] == [True, False]
    assert recorded["pending_invalidation"] == ["/posts/alpha/", "/posts/alpha/index.html", "/theme/css/main.css"]
    assert b"#111" in stack.body("theme/css/main.css")  # but the first upload landed
    summary = stack.publish()
    stack.assert_matches_site()
    assert summary.uploaded == 1
    assert stack.invalidations() == [
        ["/posts/alpha/", "/posts/alpha/index.html", "/theme/css/main.css"]
    ]


def test_transient_server_error_is_retried(stack):
    failures = {"left": 1}

    def throttle(event_name, request, **_):
        if request.url.endswith("/posts/alpha/index.html") and failures["left"]:
            failures["left"] -= 1
            return AWSResponse(request.url, 503, {}, MockRawResponse(b"<Error><Code>SlowDown</Code></Error>"))
        return None

    stack.clients.s3.meta.events.register_first("before-send.s3.PutObject", throttle)

    summary = stack.publish()

    assert failures["left"] == 0
    # files, one retry, the lock, the state before the changes (the publish on record) and after
    assert summary.requests["PutObject"] == len(SITE) + 1 + 1 + 1 + 2
    assert stack.body("posts/alpha/index.html") == SITE["posts/alpha/index.html"].encode()


def test_publishes_to_an_endpoint_url_without_any_configured_credentials(tmp_path, monkeypatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        site = write_site(tmp_path / "output")
        any_key = boto3.Session(aws_access_key_id="a", aws_secret_access_key="b", region_name=DEFAULT_REGION)
        s3 = any_key.client("s3", endpoint_url=endpoint)
        s3.create_bucket(Bucket=BUCKET)

        summary = publish(site, BUCKET, endpoint_url=endpoint)

        assert summary.uploaded == len(SITE) + 1
        assert s3.get_object(Bucket=BUCKET, Key="index.html")["Body"].read() == SITE["index.html"].encode()
    finally:
        server.stop()
