"""The CloudFront Function, run under node against the URL table the local edge also passes."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from shared.edge_rules import CLOUDFRONT_FUNCTION_MAX_BYTES, PLACEHOLDER, edge_rules_from
from tests.terraform.terraform_checks import REPO

FUNCTION = REPO / "terraform" / "functions" / "viewer_request.js"
CASES_PATH = REPO / "tests" / "data" / "url_rewrite_cases.json"
CASES = json.loads(CASES_PATH.read_text(encoding="utf-8"))
RUNNER = Path(__file__).with_name("run_viewer_request.js")


@pytest.fixture(scope="module")
def outcomes() -> dict[str, dict]:
    node = shutil.which("node")
    assert node, "node is not on PATH; it runs the CloudFront Function in these tests"
    rules = json.dumps(edge_rules_from({}, {}).viewer_request_rules())
    completed = subprocess.run([node, str(RUNNER), str(FUNCTION), str(CASES_PATH), PLACEHOLDER, rules],
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


def test_the_rules_have_one_place_in_the_code():
    """Terraform and the content check put the rules where the empty table is: once."""
    assert FUNCTION.read_text(encoding="utf-8").count(PLACEHOLDER) == 1
    edge_rules = (REPO / "terraform" / "edge_rules.tf").read_text(encoding="utf-8")
    assert f'"{PLACEHOLDER}"' in edge_rules and "redirects.json" in edge_rules
