"""checkov over the stack: nothing fails, and every skip is inline, reasoned and still needed."""

from __future__ import annotations

import pytest

from tests.terraform import terraform_checks as checks

TERRAFORM = checks.TERRAFORM
pytestmark = pytest.mark.slow  # checkov takes several seconds to load its checks


@pytest.fixture(scope="module")
def report() -> dict:
    try:
        return checks.run_checkov(TERRAFORM)
    except FileNotFoundError as missing:
        pytest.fail(str(missing))


def test_no_failed_checks(report):
    failed = [f"{r['check_id']} {r['resource']} ({r['file_path']}:{r['file_line_range'][0]}) {r['check_name']}"
              for r in report["results"]["failed_checks"]]
    assert report["summary"]["parsing_errors"] == 0
    assert report["summary"]["passed"] > 0
    assert failed == []


def test_every_skip_is_inline_with_a_reason(report):
    skipped = report["results"]["skipped_checks"]
    unexplained = [f"{r['check_id']} {r['resource']}" for r in skipped
                   if len(r["check_result"].get("suppress_comment", "").strip()) < 20]
    assert unexplained == []
    inline = checks.inline_skips(TERRAFORM)
    assert [f"{where} {check}" for where, check, reason in inline if len(reason) < 20] == []
    # A skip no check reports any more is stale: remove it rather than let it hide a future one.
    reported = {r["check_id"] for r in skipped}
    assert [f"{where} {check}" for where, check, _ in inline if check not in reported] == []
    assert len(skipped) >= len(inline)


def test_no_skips_outside_the_terraform_files():
    assert not list(checks.REPO.glob(".checkov.y*ml"))
    assert not list(TERRAFORM.glob(".checkov.y*ml"))
