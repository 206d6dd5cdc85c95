"""A user's mistakes get one clear line and a non-zero exit, never a traceback: run through
the real commands (`invoke publish`, `invoke serve`) as `make` runs them."""

from __future__ import annotations

import socket

import pytest

from tests.cli.conftest import Run

pytestmark = pytest.mark.slow


def assert_one_clear_line(run: Run, *words: str) -> str:
    assert run.code != 0, run
    assert "Traceback" not in run.stderr + run.stdout, run.stderr
    assert len(run.error_lines) == 1, run.stderr
    line = run.error_lines[0]
    assert "\x1b" not in line and "│" not in line and "╷" not in line, line
    for word in words:
        assert word.lower() in line.lower(), line
    return line


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def publish_command(tmp_path) -> tuple[str, ...]:
    """`invoke publish` of a built one-page site, so each mistake is met where a user meets it."""
    site = tmp_path / "output"
    site.mkdir()
    (site / "index.html").write_text("<!doctype html><title>home</title>")
    return ("publish", "--no-build", "--output", str(site), "--bucket", "blog-site", "--no-invalidate")


def test_publish_with_a_profile_that_does_not_exist(run_invoke, publish_command):
    run = run_invoke(*publish_command, AWS_PROFILE="no-such-profile")
    assert_one_clear_line(run, "no-such-profile", "AWS_PROFILE")


def test_publish_to_an_endpoint_that_is_not_a_url(run_invoke, publish_command):
    run = run_invoke(*publish_command, AWS_ENDPOINT_URL="not-a-url")
    assert_one_clear_line(run, "not-a-url", "http://host:port")


def test_publish_with_max_deletes_that_is_not_a_number(run_invoke, publish_command):
    run = run_invoke(*publish_command, "--max-deletes", "abc")
    assert_one_clear_line(run, "--max-deletes", "abc")


def test_publish_to_an_unreachable_endpoint_says_what_to_check(run_invoke, publish_command):
    run = run_invoke(
        *publish_command, AWS_ENDPOINT_URL=f"http://127.0.0.1:{closed_port()}",
        AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
    )
    assert_one_clear_line(run, "127.0.0.1", "check", "AWS_ENDPOINT_URL")


def test_publish_with_terraform_not_initialised(run_invoke, tmp_path):
    """No bucket given: targets come from `terraform output`, which fails before `init`."""
    run = run_invoke("publish", "--no-build", "--no-invalidate", AWS_ACCESS_KEY_ID="testing",
                     AWS_SECRET_ACCESS_KEY="testing", TF_DATA_DIR=str(tmp_path / "no-terraform-data"))
    assert_one_clear_line(run, "terraform", "Error:", "terraform init")


def test_serve_on_a_port_that_is_not_a_number(run_invoke):
    run = run_invoke("serve", PORT="abc")
    assert_one_clear_line(run, "PORT", "abc")


def test_serve_against_an_external_endpoint_needs_no_credentials(run_invoke):
    # no credentials asked for: the one line is about the endpoint that is not there
    run = run_invoke("serve", AWS_ENDPOINT_URL=f"http://127.0.0.1:{closed_port()}",
                     PORT=str(closed_port()))
    line = assert_one_clear_line(run, "could not connect", "check")
    assert "credentials" not in line


def test_serve_against_an_unreachable_endpoint_says_what_to_check(run_invoke):
    run = run_invoke("serve", AWS_ENDPOINT_URL=f"http://127.0.0.1:{closed_port()}",
                     PORT=str(closed_port()), AWS_ACCESS_KEY_ID="testing",
                     AWS_SECRET_ACCESS_KEY="testing")
    assert_one_clear_line(run, "could not connect", "check")


def test_publish_with_an_invalidation_threshold_that_is_not_a_number(run_invoke, publish_command):
    run = run_invoke(*publish_command, "--invalidation-threshold", "x")
    assert_one_clear_line(run, "--invalidation-threshold", "'x'")


def test_publish_to_an_endpoint_with_a_broken_ipv6_host(run_invoke, publish_command):
    run = run_invoke(*publish_command, AWS_ENDPOINT_URL="http://[::1")
    assert_one_clear_line(run, "http://[::1", "http://host:port")


def test_publish_no_build_without_the_output_folder(run_invoke, tmp_path):
    run = run_invoke("publish", "--no-build", "--output", str(tmp_path / "nothing"), "--bucket", "blog-site",
                     "--no-invalidate")
    assert_one_clear_line(run, "does not exist", "build first")


def test_new_post_with_a_ten_thousand_character_title(run_invoke, tmp_path):
    content = tmp_path / "content"
    content.mkdir()
    run = run_invoke("new-post", "--title", "A very long title " * 555 + "end", "--content", str(content))
    assert run.code == 0 and "Traceback" not in run.stderr, run.stderr
    [post] = (content / "posts").iterdir()
    assert len(post.name.encode()) <= 255
    header = post.read_text(encoding="utf-8").split("\n\n", 1)[0].splitlines()
    assert header[0].startswith("Title: A very long title") and header[0].endswith("end")
    assert [line.split(":")[0] for line in header] == ["Title", "Date", "Category", "Slug", "Status"]
