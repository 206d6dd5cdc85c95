"""The publish state document: what publish remembers of the bucket between runs."""

from __future__ import annotations

from deploy.headers import Headers
from deploy.objects import RemoteObject, md5_of_etag
from deploy.state import PublishState


def test_publish_state_round_trips_and_a_damaged_one_is_empty():
    html = Headers("text/html; charset=utf-8", "public, max-age=0, must-revalidate")
    state = PublishState(
        {
            "a.html": RemoteObject("a.html", "a" * 32, 3, md5="a" * 32, headers=html),
            "big.bin": RemoteObject("big.bin", "b" * 32 + "-3", 9, sha256="c" * 64, headers=html),
        },
        ["/a.html"],
    )

    again = PublishState.from_json(state.to_json())

    assert again == state
    assert PublishState.from_json(b"{not json") == PublishState()
    assert PublishState.from_json(b'{"headers": [], "objects": {"a": {"etag": "x", "size": 1, "h": 3}}}') == PublishState()


def test_state_applies_only_to_objects_whose_etag_it_recorded():
    html = Headers("text/html; charset=utf-8", "no-cache")
    state = PublishState({"a.html": RemoteObject("a.html", "x-2", 3, sha256="f" * 64, headers=html)})
    same = {"a.html": RemoteObject("a.html", "x-2", 3)}
    rewritten = {"a.html": RemoteObject("a.html", "y-2", 3)}

    state.apply_to(same)
    state.apply_to(rewritten)

    assert (same["a.html"].sha256, same["a.html"].headers) == ("f" * 64, html)
    assert (rewritten["a.html"].sha256, rewritten["a.html"].headers) == (None, None)


def test_state_names_objects_replaced_or_removed_since_it_was_written():
    html = Headers("text/html; charset=utf-8", "no-cache")
    state = PublishState(
        {k: RemoteObject(k, etag, 1, headers=html) for k, etag in (("a", "1" * 32), ("b", "2" * 32), ("c", "3" * 32))}
    )
    listed = {
        "a": RemoteObject("a", "1" * 32, 1),
        "b": RemoteObject("b", "9" * 32, 1),
        "new": RemoteObject("new", "4" * 32, 1),
    }

    assert state.changed_since(listed) == ["b", "c"]


def test_paths_left_to_invalidate_accumulate_and_collapse_above_the_threshold():
    state = PublishState(pending_invalidation=["/b.html"])

    state.add_pending(["/a.html", "/b.html"], threshold=3)
    assert state.pending_invalidation == ["/a.html", "/b.html"]
    state.add_pending(["/c.html", "/d.html"], threshold=3)
    assert state.pending_invalidation == ["/*"]


def test_only_a_single_part_etag_is_taken_for_the_md5():
    assert md5_of_etag("d41d8cd98f00b204e9800998ecf8427e") == "d41d8cd98f00b204e9800998ecf8427e"
    assert md5_of_etag("d41d8cd98f00b204e9800998ecf8427e-3") is None  # multipart
