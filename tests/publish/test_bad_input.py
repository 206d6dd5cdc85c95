"""Inputs that used to end in a traceback or a wedge (issue 26): each is one line that says what
to do, or the right behaviour. Publish through the same calls `make publish` makes."""

from __future__ import annotations

import json
import os

import pytest

from deploy.cli import PublishRequest, run_publish
from deploy.diff import PlanRefused
from deploy.lock import LockHeld
from deploy.objects import LOCK_KEY, STATE_KEY
from deploy.publish import PublishOptions, publish
from tests.publish.helpers import BUCKET, edit


def put_lock(stack, **document) -> None:
    body = {"holder": "someone@host (pid 1)", "operation": "publish", "token": "t", "ttl_seconds": 900}
    body.update(document)
    stack.s3.put_object(Bucket=BUCKET, Key=LOCK_KEY, Body=json.dumps(body).encode())


def test_a_lock_claiming_1e20_seconds_refuses_in_one_line_and_break_lock_clears_it(stack):
    stack.publish()
    put_lock(stack, ttl_seconds=1e20)
    edit(stack.site, "posts/alpha/index.html", "first", "1st")
    with pytest.raises(LockHeld, match=r"^publish is locked by someone@host \(pid 1\) \(publish\) since .*--break-lock"):
        stack.publish()
    printed: list[str] = []
    summary = publish(stack.site, BUCKET, clients=stack.clients, options=PublishOptions(break_lock=True), echo=printed.append)
    assert summary.uploaded == 1
    assert printed[0].startswith("removed the publish lock held by someone@host")


def test_a_lock_holder_s_control_characters_never_reach_the_terminal(stack, capsys):
    stack.publish()
    put_lock(stack, holder="evil\x1b[2J\x1b]0;owned\x07@host")
    edit(stack.site, "posts/alpha/index.html", "first", "1st")
    request = PublishRequest(bucket=BUCKET, build=False, output_dir=stack.site)
    assert run_publish(request) == 1
    error = capsys.readouterr().err
    assert "\x1b" not in error and "\x07" not in error
    assert error.startswith("error: publish is locked by evil\\x1b[2J\\x1b]0;owned\\x07@host (publish)")


@pytest.mark.parametrize("history_entry_kind", [[], {}, 3, None])
def test_a_state_history_entry_of_a_strange_kind_is_dropped_not_a_traceback(stack, history_entry_kind):
    stack.publish()
    state = json.loads(stack.s3.get_object(Bucket=BUCKET, Key=STATE_KEY)["Body"].read())
    state["history"][-1]["kind"] = history_entry_kind
    stack.s3.put_object(Bucket=BUCKET, Key=STATE_KEY, Body=json.dumps(state).encode())
    edit(stack.site, "posts/alpha/index.html", "first", "1st")
    assert stack.publish().uploaded == 1
    stack.assert_matches_site()


DEEPLY_NESTED = b"[" * 100_000 + b"]" * 100_000


def test_a_state_nested_deeper_than_python_parses_costs_inspections(stack):
    stack.publish()
    stack.s3.put_object(Bucket=BUCKET, Key=STATE_KEY, Body=DEEPLY_NESTED)
    edit(stack.site, "posts/alpha/index.html", "first", "1st")
    assert stack.publish().uploaded == 1
    stack.assert_matches_site()


def test_a_lock_nested_deeper_than_python_parses_is_an_unreadable_lock(stack):
    stack.publish()
    stack.s3.put_object(Bucket=BUCKET, Key=LOCK_KEY, Body=DEEPLY_NESTED)
    edit(stack.site, "posts/alpha/index.html", "first", "1st")
    with pytest.raises(LockHeld, match="^publish is locked by an unreadable lock"):
        stack.publish()
    assert publish(stack.site, BUCKET, clients=stack.clients, options=PublishOptions(break_lock=True)).uploaded == 1


@pytest.mark.parametrize(
    "name, reason",
    [
        (".env", "is hidden (a dotfile such as .env or .git/ is never published)"),
        (".git/config", "is hidden (a dotfile such as .env or .git/ is never published)"),
        ("posts/.DS_Store", "is hidden (a dotfile such as .env or .git/ is never published)"),
        (STATE_KEY, "is a name publish keeps for its own records in the bucket"),
        (LOCK_KEY, "is a name publish keeps for its own records in the bucket"),
    ],
)
def test_dotfiles_and_bookkeeping_names_in_the_output_are_refused_in_one_line(stack, name, reason):
    stack.publish()
    before = stack.served()
    (stack.site / name).parent.mkdir(parents=True, exist_ok=True)
    (stack.site / name).write_text("SECRET=1")
    edit(stack.site, "posts/alpha/index.html", "first", "1st")
    with pytest.raises(PlanRefused) as refused:
        stack.publish()
    shown = name.split("/")[0] + "/" if name.startswith(".git/") else name
    assert str(refused.value) == f"{stack.site}/{shown} {reason}: remove it from the output folder; nothing was uploaded"
    assert stack.served() == before


def test_a_well_known_folder_is_published(stack):
    (stack.site / ".well-known").mkdir()
    (stack.site / ".well-known" / "security.txt").write_text("Contact: mailto:a@example.org\n")
    stack.publish()
    assert stack.body(".well-known/security.txt").startswith(b"Contact:")


def test_a_file_whose_name_is_not_utf8_is_refused_in_one_line(stack):
    os.makedirs(stack.site / "images", exist_ok=True)
    with open(os.path.join(os.fsencode(stack.site), b"images", b"caf\xe9.png"), "wb") as image:
        image.write(b"png")
    with pytest.raises(PlanRefused) as refused:
        stack.publish()
    assert str(refused.value) == (
        f"{stack.site}/images/caf\\xe9.png has a name that is not UTF-8, which S3 cannot store: "
        "remove it from the output folder; nothing was uploaded"
    )


@pytest.mark.parametrize("what", ["missing", "a file"])
def test_publish_no_build_without_an_output_folder_is_one_line(stack, tmp_path, capsys, what):
    output = tmp_path / "output-here"
    if what == "a file":
        output.write_text("not a folder")
    assert run_publish(PublishRequest(bucket=BUCKET, build=False, output_dir=output)) == 1
    problem = "does not exist" if what == "missing" else "is a file, not a folder"
    assert capsys.readouterr().err == (
        f"error: {output} {problem}: nothing to publish (build first, or pass the output folder)\n"
    )
