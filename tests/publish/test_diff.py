"""The pure stages of publish (walk, diff, plan, invalidation paths), alone."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from deploy.diff import (
    Action,
    ActionKind,
    PlanRefused,
    diff,
    invalidation_paths,
    make_plan,
    needs_inspection,
    url_paths,
    walk_local,
)
from deploy.headers import Headers, headers_for
from deploy.objects import RemoteObject



def site(tmp_path: Path, files: dict[str, bytes]) -> dict:
    for key, data in files.items():
        path = tmp_path / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return walk_local(tmp_path)


def as_published(local: dict) -> dict[str, RemoteObject]:
    """The bucket right after publishing ``local``: single-part ETags are MD5s."""
    return {
        key: RemoteObject(key, f.md5, f.size, md5=f.md5, headers=f.headers)
        for key, f in local.items()
    }


def test_walk_local_keys_digests_and_headers(tmp_path):
    local = site(tmp_path, {"posts/x/index.html": b"<p>x</p>"})

    assert list(local) == ["posts/x/index.html"]
    entry = local["posts/x/index.html"]
    assert entry.md5 == hashlib.md5(b"<p>x</p>").hexdigest()
    assert entry.sha256 == hashlib.sha256(b"<p>x</p>").hexdigest()
    assert entry.size == 8 and entry.headers == headers_for("posts/x/index.html")


def test_diff_gives_every_action_a_reason(tmp_path):
    local = site(
        tmp_path,
        {"same.html": b"same", "new.html": b"new", "grown.html": b"grown!", "edited.html": b"abcd", "css/a.css": b"a"},
    )
    remote = as_published(local)
    del remote["new.html"]
    remote["grown.html"] = RemoteObject("grown.html", "0" * 32, 5, md5="0" * 32, headers=local["grown.html"].headers)
    remote["edited.html"] = RemoteObject("edited.html", "1" * 32, 4, md5="1" * 32, headers=local["edited.html"].headers)
    remote["css/a.css"].headers = Headers("text/css; charset=utf-8", "no-cache")
    remote["gone.html"] = RemoteObject("gone.html", "2" * 32, 3, md5="2" * 32)

    reasons = {a.key: (a.kind, a.reason) for a in diff(local, remote)}

    assert reasons == {
        "css/a.css": (ActionKind.COPY, "headers differ: cache-control 'no-cache' -> 'public, max-age=3600'"),
        "edited.html": (ActionKind.UPLOAD, "md5 differs"),
        "gone.html": (ActionKind.DELETE, "not in the build output"),
        "grown.html": (ActionKind.UPLOAD, "size differs (5 -> 6 bytes)"),
        "new.html": (ActionKind.UPLOAD, "missing remotely"),
        "same.html": (ActionKind.UNCHANGED, "same content and headers"),
    }
    assert {a.kind for a in diff(local, remote, force=True) if a.key != "gone.html"} == {ActionKind.UPLOAD}


@given(st.dictionaries(st.from_regex(r"[a-z]{1,8}(/[a-z]{1,8}){0,2}\.(html|css|png)", fullmatch=True), st.binary(max_size=64), max_size=12))
def test_a_bucket_holding_exactly_the_build_has_nothing_to_do(tmp_path_factory, files):
    local = site(tmp_path_factory.mktemp("out"), files)
    assert {a.kind for a in diff(local, as_published(local))} <= {ActionKind.UNCHANGED}


def test_a_sha256_from_metadata_decides_for_multipart_objects(tmp_path):
    local = site(tmp_path, {"big.bin": b"x" * 100})["big.bin"]
    multipart = RemoteObject("big.bin", "abc-2", 100, sha256=local.sha256, headers=local.headers)
    assert [a.kind for a in diff({"big.bin": local}, {"big.bin": multipart})] == [ActionKind.UNCHANGED]
    multipart.sha256 = "0" * 64
    assert [a.reason for a in diff({"big.bin": local}, {"big.bin": multipart})] == ["sha256 differs"]


def test_only_objects_that_may_be_unchanged_are_inspected(tmp_path):
    local = site(tmp_path, {"a.html": b"aaaa"})["a.html"]
    unknown_headers = RemoteObject("a.html", local.md5, 4, md5=local.md5)
    assert needs_inspection(local, unknown_headers)
    assert not needs_inspection(local, RemoteObject("a.html", "0" * 32, 4, md5="0" * 32))
    assert not needs_inspection(local, RemoteObject("a.html", "x-2", 5))
    assert needs_inspection(local, RemoteObject("a.html", "x-2", 4))  # multipart, digest unknown
    assert not needs_inspection(local, RemoteObject("a.html", local.md5, 4, md5=local.md5, headers=local.headers))


def test_plan_orders_new_files_first_each_kind_assets_then_pages_then_feeds_and_deletes_last(tmp_path):
    keys = ["index.html", "feeds/all.atom.xml", "counter-pages.json", "js/counter.0123456789.js", "images/a.png", "posts/x/index.html"]
    local = site(tmp_path, {key: b"x" for key in keys} | {f"old/{key}": b"new bytes" for key in keys})
    in_bucket = {f"old/{key}": RemoteObject(f"old/{key}", "1" * 32, 1, md5="1" * 32) for key in keys}
    actions = diff(local, in_bucket | {"old.html": RemoteObject("old.html", "0" * 32, 1)})

    plan = make_plan(actions)

    # Nothing live links to a new file, so new files go up first; a replaced page goes up only
    # once every new page and asset it may link to is there.
    assert [sorted(a.key for a in phase) for phase in plan.phases.values()] == [
        ["images/a.png", "js/counter.0123456789.js"],
        ["index.html", "posts/x/index.html"],
        ["counter-pages.json", "feeds/all.atom.xml"],
        ["old/images/a.png", "old/js/counter.0123456789.js"],
        ["old/index.html", "old/posts/x/index.html"],
        ["old/counter-pages.json", "old/feeds/all.atom.xml"],
    ]
    assert [a.key for a in plan.deletes] == ["old.html"]


def test_plan_refuses_to_delete_more_than_half_the_bucket_unless_max_deletes_says_so():
    remote = {f"p{i}.html": RemoteObject(f"p{i}.html", "0" * 32, 1) for i in range(30)}
    broken_build = diff({}, {k: v for k, v in remote.items() if k != "p0.html"})

    with pytest.raises(PlanRefused, match=r"refusing to delete 29 objects \(more than half of the 30 objects in the bucket\).*--max-deletes 29"):
        make_plan(broken_build, bucket_objects=30)

    assert len(make_plan(broken_build, max_deletes=29, bucket_objects=30).deletes) == 29
    assert len(make_plan(broken_build[:15], bucket_objects=30).deletes) == 15
    with pytest.raises(PlanRefused):
        make_plan(broken_build[:16], bucket_objects=30)


def test_plan_refuses_more_deletes_than_allowed():
    remote = {f"p{i}.html": RemoteObject(f"p{i}.html", "0" * 32, 1) for i in range(5)}
    actions = diff({}, remote)
    assert len(make_plan(actions, max_deletes=5).deletes) == 5
    with pytest.raises(PlanRefused, match="refusing to delete 5 objects"):
        make_plan(actions, max_deletes=4)


@pytest.mark.parametrize(
    "key, paths",
    [
        ("index.html", ["/", "/index.html"]),
        ("posts/x/index.html", ["/posts/x/", "/posts/x/index.html"]),
        ("page/2/index.html", ["/page/2/", "/page/2/index.html"]),
        ("404.html", ["/404.html"]),
        ("feeds/all.atom.xml", ["/feeds/all.atom.xml"]),
        ("posts/café/index.html", ["/posts/caf%C3%A9/", "/posts/caf%C3%A9/index.html"]),
        ("images/a b*.png", ["/images/a%20b%2A.png"]),
    ],
)
def test_url_forms_of_a_key(key, paths):
    assert url_paths(key) == paths


def test_replaced_deleted_and_new_pages_are_invalidated_new_assets_not():
    old = RemoteObject("posts/x/index.html", "0" * 32, 1)
    actions = [
        # CloudFront caches a 404 for a while: someone may have asked for the new page already.
        Action(ActionKind.UPLOAD, "posts/new/index.html", "missing remotely"),
        Action(ActionKind.UPLOAD, "images/new.png", "missing remotely"),
        Action(ActionKind.UPLOAD, "posts/x/index.html", "md5 differs", remote=old),
        Action(ActionKind.DELETE, "tags/gone/index.html", "not in the build output", remote=old),
        Action(ActionKind.UNCHANGED, "index.html", "same content and headers", remote=old),
    ]
    assert invalidation_paths(actions) == [
        "/posts/new/",
        "/posts/new/index.html",
        "/posts/x/",
        "/posts/x/index.html",
        "/tags/gone/",
        "/tags/gone/index.html",
    ]
    assert invalidation_paths(actions, threshold=5) == ["/*"]
    assert invalidation_paths(actions, threshold=6) != ["/*"]
