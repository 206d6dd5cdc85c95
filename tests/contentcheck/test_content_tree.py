"""A content folder holding what is not a post: a named pipe, a folder linked into itself, a
name that is not UTF-8. `make check` (and every build) says so in one line each, at once,
instead of hanging, burying the report in duplicates, or passing what publish then refuses."""

from __future__ import annotations

import os
import threading

import pytest

from tests.contentcheck.helpers import shown

CHECK_WITHIN_SECONDS = 120  # a build of a three-post blog on a loaded machine; a hang is forever


def check_in_time(checked, files=None):
    """The check's report, or a failure if it did not finish (a daemon thread: a hang dies
    with the test run)."""
    result = {}
    worker = threading.Thread(target=lambda: result.update(report=checked(files or {})), daemon=True)
    worker.start()
    worker.join(CHECK_WITHIN_SECONDS)
    if worker.is_alive():
        pytest.fail(f"make check still running after {CHECK_WITHIN_SECONDS} s")
    return result["report"]


def content_folder(checked, tmp_path):
    checked({})  # writes the blog once, so the folder exists to add to
    return tmp_path / "content"


def test_a_named_pipe_called_x_md_is_one_error_not_a_hang(checked, tmp_path):
    os.mkfifo(content_folder(checked, tmp_path) / "posts" / "x.md")
    report = check_in_time(checked)
    assert [line for line in shown(report) if ": error: " in line] == [
        "content/posts/x.md: error: is a named pipe, not a file: a build would wait on it forever; remove it"
    ]


def test_a_folder_linked_into_itself_is_one_error_not_hundreds_of_duplicates(checked, tmp_path):
    content = content_folder(checked, tmp_path)
    (content / "posts" / "again").symlink_to(content, target_is_directory=True)
    report = check_in_time(checked)
    errors = [line for line in shown(report) if ": error: " in line]
    assert len(errors) == 1, errors
    assert errors[0].startswith("content/posts/again: error: links back to ")
    assert errors[0].endswith("a folder it is in (a symlink loop): Pelican would read the posts again at every turn; remove the link")


def test_a_static_file_whose_name_is_not_utf8_is_caught_by_the_check(checked, tmp_path):
    images = content_folder(checked, tmp_path) / "images"
    images.mkdir(exist_ok=True)
    with open(os.path.join(os.fsencode(images), b"caf\xe9.png"), "wb") as image:
        image.write(b"png")
    report = check_in_time(checked)
    assert [line for line in shown(report) if ": error: " in line] == [
        "content/images/caf\\xe9.png: error: has a name that is not UTF-8, which S3 cannot store: "
        "rename it (publish would refuse it)"
    ]
