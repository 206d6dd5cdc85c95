"""The workflows pass GitHub's JSON schemas and zizmor's offline audits, and both tools bite.

zizmor runs as its auditor persona: that persona also reports an explicit
`persist-credentials: true`, a workflow without top-level permissions and any `${{ }}` in a
`run:` script, which the project forbids outright rather than judging case by case.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
# check-jsonschema ships these schemas inside the package: no network.
SCHEMAS = {
    "vendor.github-workflows": ".github/workflows/*.yml",
    "vendor.github-actions": ".github/actions/*/action.yml",
    "vendor.dependabot": ".github/dependabot.yml",
}


def check_schemas(root: Path) -> tuple[int, str]:
    """check-jsonschema's own command line, run in this process: a subprocess per schema spent
    ~0.4 s starting Python and importing the tool for ~0.03 s of validation."""
    from check_jsonschema.cli.main_command import main as check_jsonschema
    from click.testing import CliRunner

    worst, report = 0, []
    for schema, pattern in SCHEMAS.items():
        files = sorted(str(p) for p in root.glob(pattern))
        assert files, f"nothing matches {pattern}"
        done = CliRunner().invoke(check_jsonschema, ["--builtin-schema", schema, *files])
        assert done.exception is None or isinstance(done.exception, SystemExit), done.exception  # a crash is no verdict
        worst = max(worst, done.exit_code)
        report.append(f"{schema}: {done.stdout}{done.stderr}")
    return worst, "\n".join(report)


def zizmor_findings(root: Path) -> list[dict]:
    """Findings of zizmor's offline audits at its auditor persona, ignoring any config or inline ignore."""
    done = subprocess.run(
        [
            BIN / "zizmor",
            "--offline",
            "--no-config",
            "--no-ignores",
            "--persona",
            "auditor",
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


def test_workflows_actions_and_dependabot_match_github_schemas(project_root):
    code, report = check_schemas(project_root)
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


CI = ".github/workflows/ci.yml"
DEPLOY = ".github/workflows/deploy.yml"
PLAN = ".github/workflows/terraform-plan.yml"
TF_INIT = ".github/actions/terraform-init/action.yml"

# (file, text in the file, what replaces it, the zizmor audit that must fire)
ZIZMOR_BROKEN = {
    "checkout keeps the token": (
        CI,
        "        with:\n          persist-credentials: false\n",
        "",
        "artipacked",
    ),
    "checkout keeps the token on purpose": (
        DEPLOY,
        "persist-credentials: false",
        "persist-credentials: true",
        "artipacked",
    ),
    "pull_request_target": (CI, "  pull_request:\n", "  pull_request_target:\n", "dangerous-triggers"),
    "workflow_run": (
        CI,
        "  pull_request:\n",
        "  workflow_run:\n    workflows: [Deploy]\n",
        "dangerous-triggers",
    ),
    "job granted write-all": (
        CI,
        "    permissions:\n      contents: read # actions/checkout\n",
        "    permissions: write-all\n",
        "excessive-permissions",
    ),
    "workflow granted write-all": (
        CI,
        "permissions: {}",
        "permissions: write-all",
        "excessive-permissions",
    ),
    "untrusted input spliced into shell": (
        CI,
        "run: make test",
        'run: make test PYTEST_ARGS="-k ${{ github.head_ref }}"',
        "template-injection",
    ),
    "variable spliced into shell": (
        PLAN,
        "run: terraform plan -input=false",
        "run: terraform plan -var domain_name=${{ vars.DOMAIN_NAME }} -input=false",
        "template-injection",
    ),
    "tag instead of SHA": (
        DEPLOY,
        "aws-actions/configure-aws-credentials@e6de054238d6b7531b4efff3b6587d9aade6a06c",
        "aws-actions/configure-aws-credentials@v6",
        "unpinned-uses",
    ),
    "first-party tag instead of SHA": (
        CI,
        "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1",
        "actions/checkout@v7",
        "unpinned-uses",
    ),
    "tag inside local action": (
        TF_INIT,
        "hashicorp/setup-terraform@dfe3c3f87815947d99a8997f908cb6525fc44e9e",
        "hashicorp/setup-terraform@v4",
        "unpinned-uses",
    ),
    "branch in flow style": (
        CI,
        "      - name: Install the project\n",
        "      - {uses: other/action@main}\n      - name: Install the project\n",
        "unpinned-uses",
    ),
    "local workflow by path": (
        DEPLOY,
        "uses: $/.github/workflows/ci.yml",
        "uses: ./.github/workflows/ci.yml",
        "self-repository",
    ),
    "dependabot without cooldown": (
        ".github/dependabot.yml",
        "    cooldown:\n      default-days: 7\n",
        "",
        "dependabot-cooldown",
    ),
}


@pytest.mark.parametrize("case", ZIZMOR_BROKEN, ids=str)
def test_zizmor_flags_broken_copy(broken_copy, case):
    relative, old, new, audit = ZIZMOR_BROKEN[case]
    root, mutate = broken_copy
    mutate(relative, old, new)
    assert audit in {f["ident"] for f in zizmor_findings(root)}
