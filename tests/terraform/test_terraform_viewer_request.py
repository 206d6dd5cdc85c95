"""The CloudFront Function, run under node against the URL table the local edge also passes."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from contentcheck.redirects import CLOUDFRONT_FUNCTION_MAX_BYTES, PLACEHOLDER, render_viewer_request
from tests.terraform.terraform_checks import REPO

FUNCTION = REPO / "terraform" / "functions" / "viewer_request.js"
CASES_PATH = REPO / "tests" / "data" / "url_rewrite_cases.json"
CASES = json.loads(CASES_PATH.read_text(encoding="utf-8"))
RUNNER = Path(__file__).with_name("run_viewer_request.js")


@pytest.fixture(scope="module")
def outcomes() -> dict[str, dict]:
    node = shutil.which("node")
    assert node, "node is not on PATH; it runs the CloudFront Function in these tests"
    completed = subprocess.run([node, str(RUNNER), str(FUNCTION), str(CASES_PATH), PLACEHOLDER],
                               capture_output=True, text=True, timeout=60, check=False)
    assert completed.returncode == 0, completed.stderr
    return {outcome["name"]: outcome for outcome in json.loads(completed.stdout)}


def test_case_names_are_unique():
    assert len({case["name"] for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_viewer_request(case, outcomes):
    outcome = outcomes[case["name"]]
    expect = case["expect"]
    if "redirect" in expect:
        assert (outcome.get("status"), outcome.get("redirect")) == (expect["status"], expect["redirect"])
    else:
        assert "status" not in outcome, f"unexpected redirect to {outcome.get('redirect')}"
        assert outcome["uri"] == expect["uri"]


def test_function_fits_cloudfront_limits():
    # CloudFront Functions: at most 10 KB of code, a top-level `handler(event)`, no modules.
    code = FUNCTION.read_text(encoding="utf-8")
    assert len(code.encode()) <= CLOUDFRONT_FUNCTION_MAX_BYTES
    assert "function handler(event)" in code
    assert "require(" not in code and "import " not in code


def test_the_redirects_table_has_one_place_in_the_code():
    """Terraform and the content check put redirects.json where the empty table is: once."""
    assert FUNCTION.read_text(encoding="utf-8").count(PLACEHOLDER) == 1
    cdn = (REPO / "terraform" / "cdn.tf").read_text(encoding="utf-8")
    assert f'"{PLACEHOLDER}"' in cdn and "redirects.json" in cdn


@pytest.mark.slow
def test_terraform_renders_the_code_the_content_check_measures(tmp_path):
    """The code Terraform gives CloudFront, redirects included, is what the check measures
    against the 10 KB limit: the same table, the same bytes but for JSON escaping."""
    terraform = shutil.which("terraform")
    if terraform is None:
        pytest.skip("terraform is not on PATH")
    table = {"/2019/05/hello.html": "/posts/hello/", "/talks.html": "https://talks.example.org/"}
    (tmp_path / "functions").mkdir()
    shutil.copy(FUNCTION, tmp_path / "functions" / FUNCTION.name)
    (tmp_path / "redirects.json").write_text(json.dumps(table))
    cdn = (REPO / "terraform" / "cdn.tf").read_text(encoding="utf-8")
    block = cdn[cdn.index("locals {\n  redirects_file"):]
    block = block[: block.index("\n}\n") + 3].replace("/../redirects.json", "/redirects.json")
    (tmp_path / "main.tf").write_text(block + 'output "code" {\n  value = local.viewer_request_code\n}\n')
    environment = {"TF_CLI_CONFIG_FILE": "/dev/null", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    subprocess.run([terraform, "init", "-backend=false", "-input=false"], cwd=tmp_path, env=environment,
                   capture_output=True, check=True, timeout=120)
    subprocess.run([terraform, "apply", "-auto-approve", "-input=false"], cwd=tmp_path, env=environment,
                   capture_output=True, check=True, timeout=120)
    done = subprocess.run([terraform, "output", "-raw", "code"], cwd=tmp_path, env=environment,
                          capture_output=True, text=True, check=True, timeout=120)
    assert done.stdout == render_viewer_request(table)
