"""The offline stack's own promises: any AWS endpoint, persisted counts, a clear port error."""

from __future__ import annotations

import json
import socket
import urllib.request

import boto3
import pytest

import devstack.stack
from devstack.stack import DevStack, PortInUse
from tests.blogs import write_blog

BROWSER_UA = "Mozilla/5.0 (X11; Linux x86_64) test"


def hit(stack: DevStack, key: str) -> dict:
    request = urllib.request.Request(
        f"{stack.url}/api/hits", data=json.dumps({"path": key}).encode(), method="POST",
        headers={"Content-Type": "application/json", "User-Agent": BROWSER_UA},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def test_aws_endpoint_url_points_the_whole_stack_elsewhere(built_site, external_endpoint, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", external_endpoint)
    # no credentials: an endpoint of one's own needs none, as moto and LocalStack take any
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    with DevStack(port=0, output_dir=built_site, build=False) as stack:
        assert stack._moto is None, "no embedded moto when an endpoint is given"
        assert hit(stack, "/about/")["views"] == 1
        with urllib.request.urlopen(f"{stack.url}/about/") as response:
            assert b"<h1>About</h1>" in response.read()
    s3 = boto3.client("s3", endpoint_url=external_endpoint, region_name="us-east-1")
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket="blog-site-123456789012")["Contents"]}
    assert "about/index.html" in keys and "counter-pages.json" in keys


@pytest.mark.slow
def test_persist_keeps_counts_across_restarts(built_site, tmp_path, monkeypatch):
    monkeypatch.setattr(devstack.stack, "STATE_DIR", tmp_path / "state")
    with DevStack(port=0, output_dir=built_site, build=False, persist=True) as stack:
        for _ in range(2):
            hit(stack, "/posts/why-s3-and-cloudfront/")
    assert (tmp_path / "state" / "counter-table.json").exists()
    with DevStack(port=0, output_dir=built_site, build=False, persist=True) as stack:
        again = hit(stack, "/posts/why-s3-and-cloudfront/")
        assert again["views"] == 3
        assert again["unique_today"] == 1, "the same reader after a restart is not a new visitor"
        # One reader adds at most 3 views of a page a day: the limit survives the restart too.
        assert hit(stack, "/posts/why-s3-and-cloudfront/")["views"] == 3
    with DevStack(port=0, output_dir=built_site, build=False, persist=False) as stack:
        assert hit(stack, "/posts/why-s3-and-cloudfront/")["views"] == 1, "without persist a run starts at zero"


def test_a_taken_port_fails_clearly_before_building(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        stack = DevStack(port=port, output_dir=tmp_path / "out")
        with pytest.raises(PortInUse, match=f"127.0.0.1:{port}.*set PORT"):
            stack.start()
    assert not (tmp_path / "out").exists(), "nothing built when the edge cannot listen"


@pytest.mark.slow
def test_deleting_most_posts_while_serving_removes_them_from_the_preview(tmp_path):
    """The local bucket mirrors the author's folder: publish's mass-delete guard protects a real
    site from a broken build, and must not refuse an author who deletes most of their posts."""
    count = 40
    posts = {f"posts/p{n}.md": f"Title: Post {n}\nDate: 2024-01-01 {n // 60:02d}:{n % 60:02d}\nSlug: p{n}\nTags: t{n}\n\nText {n}.\n" for n in range(count)}
    content = write_blog(tmp_path / "content", posts)
    stack = DevStack(port=0, output_dir=tmp_path / "output", content_path=content, live=True, say=lambda _line: None)
    with stack:
        keys = lambda: {o["Key"] for o in stack.s3.list_objects_v2(Bucket=stack.names.bucket).get("Contents", [])}
        assert {f"posts/p{n}/index.html" for n in range(count)} <= keys()
        for n in range(1, count):
            (content / "posts" / f"p{n}.md").unlink()
        result = stack.rebuild()
        assert result.report.ok
        remaining = keys()
        assert "posts/p0/index.html" in remaining
        assert not {f"posts/p{n}/index.html" for n in range(1, count)} & remaining, result.summary_line
