"""Target resolution: command line > environment > `terraform output -json`.

A fake `terraform` on PATH stands in for the binary (it prints what a real one prints for an
applied stack and records how it was called); nothing of ours is replaced.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from shared.targets import TargetError, Targets, resolve_targets

OUTPUTS = {
    "site_bucket_name": {"sensitive": False, "type": "string", "value": "blog-site-111122223333"},
    "distribution_id": {"sensitive": False, "type": "string", "value": "E2TFDIST"},
    "counter_table_name": {"sensitive": False, "type": "string", "value": "blog-counter"},
    "aws_region": {"sensitive": False, "type": "string", "value": "eu-west-1"},
    "site_url": {"sensitive": False, "type": "string", "value": "https://blog.example.org"},
    "api_endpoint": {"sensitive": False, "type": "string", "value": "https://api.example.org"},
}


def fake_terraform(folder: Path, stdout: str, exit_code: int = 0, stderr: str = "") -> Path:
    """A `terraform` executable printing ``stdout``; each call appends its argv to calls.log."""
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "terraform"
    script.write_text(
        f"#!{sys.executable}\n"
        "import sys, pathlib\n"
        f"log = pathlib.Path({str(folder / 'calls.log')!r})\n"
        "log.write_text(log.read_text() + ' '.join(sys.argv[1:]) + '\\n' if log.exists() else ' '.join(sys.argv[1:]) + '\\n')\n"
        f"sys.stdout.write({stdout!r})\n"
        f"sys.stderr.write({stderr!r})\n"
        f"sys.exit({exit_code})\n"
    )
    script.chmod(0o755)
    return folder


def calls(folder: Path) -> list[str]:
    log = folder / "calls.log"
    return log.read_text().splitlines() if log.exists() else []


@pytest.fixture
def path_with(monkeypatch, tmp_path):
    def use(folder: Path) -> Path:
        monkeypatch.setenv("PATH", str(folder))
        return folder

    return use


def test_terraform_outputs_fill_what_nothing_else_gives(path_with, tmp_path):
    tf = path_with(fake_terraform(tmp_path / "bin", json.dumps(OUTPUTS)))

    targets = resolve_targets(environ={}, terraform_dir=tmp_path / "terraform")

    assert targets == Targets(
        bucket="blog-site-111122223333",
        distribution_id="E2TFDIST",
        table="blog-counter",
        region="eu-west-1",
        endpoint_url=None,
        site_url="https://blog.example.org",
    )
    # -no-color: Terraform's error box characters never reach the user's one-line message.
    assert calls(tf) == [f"-chdir={tmp_path / 'terraform'} output -json -no-color"]


def test_command_line_beats_environment_beats_terraform(path_with, tmp_path):
    path_with(fake_terraform(tmp_path / "bin", json.dumps(OUTPUTS)))
    environ = {"SITE_BUCKET": "env-bucket", "DISTRIBUTION_ID": "EENV", "AWS_ENDPOINT_URL": "http://localhost:5000"}

    targets = resolve_targets(environ=environ, bucket="cli-bucket", table="")

    assert targets.bucket == "cli-bucket"
    assert targets.distribution_id == "EENV"
    assert targets.endpoint_url == "http://localhost:5000"
    assert targets.table == "blog-counter"  # an empty option counts as not given


def test_terraform_is_not_run_when_everything_is_given(path_with, tmp_path):
    tf = path_with(fake_terraform(tmp_path / "bin", json.dumps(OUTPUTS)))
    environ = {"SITEURL": "https://x.example", "AWS_REGION": "us-east-1", "COUNTER_TABLE": "t"}

    resolve_targets(environ=environ, bucket="b", distribution_id="D")

    assert calls(tf) == []


def test_without_terraform_optional_targets_stay_unset(path_with, tmp_path):
    path_with(tmp_path)

    targets = resolve_targets(environ={"SITE_BUCKET": "b"}, require=("bucket",))

    assert targets == Targets(bucket="b")


def test_without_terraform_a_missing_required_target_is_one_clear_line(path_with, tmp_path):
    path_with(tmp_path)

    with pytest.raises(TargetError) as raised:
        resolve_targets(environ={}, require=("bucket",))

    message = str(raised.value)
    assert "\n" not in message
    assert message == (
        "no site bucket: pass --bucket, or set SITE_BUCKET, or apply terraform/ so "
        "`terraform output site_bucket_name` is set (terraform is not on PATH)"
    )


def test_a_failing_terraform_is_reported_in_the_error(path_with, tmp_path):
    path_with(fake_terraform(tmp_path / "bin", "", 1, "Error: Backend initialization required\n"))

    with pytest.raises(TargetError, match=r"\(terraform output failed: Error: Backend initialization required\)"):
        resolve_targets(environ={}, require=("site_url",))


def test_an_unapplied_stack_and_a_disabled_counter_leave_targets_unset(path_with, tmp_path):
    outputs = dict(OUTPUTS, counter_table_name={"sensitive": False, "type": "string", "value": None})
    path_with(fake_terraform(tmp_path / "bin", json.dumps(outputs)))
    assert resolve_targets(environ={}).table is None

    path_with(fake_terraform(tmp_path / "empty", "{}\n"))
    with pytest.raises(TargetError, match=r"\(terraform has no outputs \(not applied\?\)\)$"):
        resolve_targets(environ={}, require=("distribution_id",))


def test_unknown_target_names_are_a_programming_error():
    with pytest.raises(TypeError):
        resolve_targets(environ={}, buckett="typo")


def test_only_wanted_targets_are_resolved_and_asked_of_terraform(path_with, tmp_path):
    tf = path_with(fake_terraform(tmp_path / "bin", json.dumps(OUTPUTS)))
    environ = {"SITE_BUCKET": "b", "AWS_DEFAULT_REGION": "eu-central-1"}

    targets = resolve_targets(environ=environ, wanted=("bucket", "region"))

    assert targets == Targets(bucket="b", region="eu-central-1")
    assert calls(tf) == []


@pytest.mark.parametrize("site_url", ["blog.example.com", "//blog.example.com", "ftp://blog.example.com"])
def test_a_site_url_without_a_web_scheme_is_refused_in_one_line(site_url):
    with pytest.raises(TargetError) as refused:
        resolve_targets(environ={"SITEURL": site_url, "SITE_BUCKET": "b"}, require=("bucket", "site_url"))
    message = str(refused.value)
    assert message.startswith(f"SITEURL {site_url!r} ") and "\n" not in message
    assert ("has no scheme" if "://" not in site_url else "is not a web address") in message
    assert "https://blog.example.com" in message


@pytest.mark.parametrize(
    "site_url, expected",
    [
        ("https://", "SITEURL 'https://' has no host name: write it as https://your-domain.example"),
        ("https://blog example.com", "SITEURL 'https://blog example.com' has a space in it: write it as https://blogexample.com"),
        ("https://blog.example.com/?ref=x", "SITEURL 'https://blog.example.com/?ref=x' has a query or fragment, "
         "which every link would carry: write it as https://blog.example.com/"),
        ("https://blog.example.com#top", "SITEURL 'https://blog.example.com#top' has a query or fragment, "
         "which every link would carry: write it as https://blog.example.com"),
        ("https://[::1", "SITEURL 'https://[::1' is not a web address: write it as https://[::1"),
    ],
)
def test_a_site_url_of_a_broken_shape_is_refused_in_one_line(site_url, expected):
    with pytest.raises(TargetError) as refused:
        resolve_targets(environ={"SITEURL": site_url, "SITE_BUCKET": "b"}, require=("bucket", "site_url"))
    assert str(refused.value) == expected


@pytest.mark.parametrize("endpoint", ["http://[::1", "http://localhost:port", "http://"])
def test_an_endpoint_that_does_not_parse_is_refused_in_one_line(endpoint):
    with pytest.raises(TargetError) as refused:
        resolve_targets(environ={"AWS_ENDPOINT_URL": endpoint, "SITE_BUCKET": "b"}, require=("bucket",))
    assert str(refused.value) == (
        f"AWS endpoint {endpoint!r} (AWS_ENDPOINT_URL or --endpoint-url) is not a URL: "
        "write it as http://host:port, or unset it to use AWS"
    )


def test_a_site_url_with_a_scheme_is_taken_as_given():
    targets = resolve_targets(environ={"SITEURL": "https://blog.example.com", "SITE_BUCKET": "b"}, require=("bucket",))
    assert targets.site_url == "https://blog.example.com"
