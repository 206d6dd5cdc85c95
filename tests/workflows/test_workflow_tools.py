"""The workflows pass GitHub's JSON schemas and zizmor's offline audits, and both tools bite."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

BIN = Path(sys.executable).parent
# check-jsonschema ships these schemas inside the package: no network.
SCHEMAS = {
    "vendor.github-workflows": ".github/workflows/*.yml",
    "vendor.github-actions": ".github/actions/*/action.yml",
    "vendor.dependabot": ".github/dependabot.yml",
}


def check_schemas(root: Path) -> tuple[int, str]:
    worst, report = 0, []
    for schema, pattern in SCHEMAS.items():
        files = sorted(str(p) for p in root.glob(pattern))
        assert files, f"nothing matches {pattern}"
        done = subprocess.run(
            [BIN / "check-jsonschema", "--builtin-schema", schema, *files],
            capture_output=True,
            text=True,
            timeout=120,
        )
        worst = max(worst, done.returncode)
        report.append(f"{schema}: {done.stdout}{done.stderr}")
    return worst, "\n".join(report)


def zizmor_findings(root: Path) -> list[dict]:
    """Findings at zizmor's default persona and severity, ignoring any config or inline ignore."""
    done = subprocess.run(
        [
            BIN / "zizmor",
            "--offline",
            "--no-config",
            "--no-ignores",
            "--format",
            "json",
            str(root / ".github"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.stdout.strip().startswith("["), done.stderr
    findings = json.loads(done.stdout)
    # zizmor exits 0 only with no findings; a tool failure is not "no findings".
    assert (done.returncode == 0) == (findings == []), done.stderr
    return findings


def test_workflows_actions_and_dependabot_match_github_schemas():
    code, report = check_schemas(ROOT)
    assert code == 0, report


@pytest.mark.parametrize(
    ("relative", "old", "new"),
    [
        (".github/workflows/deploy.yml", "    needs: terraform\n", "    need: terraform\n"),
        (".github/workflows/ci.yml", "timeout-minutes: 45", "timeout-minutes: soon"),
        (".github/dependabot.yml", "interval: weekly", "interval: fortnightly"),
        (".github/actions/terraform-init/action.yml", "  using: composite", "  using: compose"),
    ],
    ids=["misspelt needs", "timeout not a number", "unknown schedule", "unknown action kind"],
)
def test_schema_check_rejects_broken_copy(broken_copy, relative, old, new):
    root, mutate = broken_copy
    mutate(relative, old, new)
    code, report = check_schemas(root)
    assert code != 0
    assert Path(relative).name in report


def test_zizmor_offline_finds_nothing(broken_copy):
    root, _ = broken_copy
    assert zizmor_findings(root) == []


# (file, text in the file, what replaces it, the zizmor audit that must fire)
ZIZMOR_BROKEN = [
    (
        ".github/workflows/ci.yml",
        "        with:\n          persist-credentials: false\n",
        "",
        "artipacked",
    ),
    (
        ".github/workflows/ci.yml",
        "  pull_request:\n",
        "  pull_request_target:\n",
        "dangerous-triggers",
    ),
    (
        ".github/workflows/ci.yml",
        "    permissions:\n      contents: read # actions/checkout\n",
        "    permissions: write-all\n",
        "excessive-permissions",
    ),
    (
        ".github/workflows/ci.yml",
        "run: make test",
        'run: make test PYTEST_ARGS="-k ${{ github.head_ref }}"',
        "template-injection",
    ),
    (
        ".github/workflows/deploy.yml",
        "aws-actions/configure-aws-credentials@e6de054238d6b7531b4efff3b6587d9aade6a06c",
        "aws-actions/configure-aws-credentials@v6",
        "unpinned-uses",
    ),
    (
        ".github/workflows/deploy.yml",
        "uses: $/.github/workflows/ci.yml",
        "uses: ./.github/workflows/ci.yml",
        "self-repository",
    ),
    (".github/dependabot.yml", "    cooldown:\n      default-days: 7\n", "", "dependabot-cooldown"),
]


@pytest.mark.parametrize(
    ("relative", "old", "new", "audit"), [pytest.param(*c, id=c[3]) for c in ZIZMOR_BROKEN]
)
def test_zizmor_flags_broken_copy(broken_copy, relative, old, new, audit):
    root, mutate = broken_copy
    mutate(relative, old, new)
    assert audit in {f["ident"] for f in zizmor_findings(root)}
