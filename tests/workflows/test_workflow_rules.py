"""The workflows keep every rule, and each rule catches the mistake it exists for."""

from __future__ import annotations

import pytest

from tests.workflows import workflow_rules as rules

CI = ".github/workflows/ci.yml"
DEPLOY = ".github/workflows/deploy.yml"
PLAN = ".github/workflows/terraform-plan.yml"
TF_INIT = ".github/actions/terraform-init/action.yml"
CHECKOUT_PIN = "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1"


@pytest.mark.parametrize("rule", rules.RULES, ids=lambda r: r.__name__)
def test_workflows_keep_rule(rule, project_root):
    assert rule(project_root) == []


@pytest.mark.parametrize(
    ("rule", "kind"),
    [
        (rules.undeclared_terraform_variables, "variable"),
        (rules.undeclared_terraform_outputs, "output"),
    ],
    ids=["variables", "outputs"],
)
def test_workflows_use_only_declared_terraform_names(rule, kind, project_root):
    if not rules.declared_terraform(project_root, kind):
        pytest.skip(f"terraform/ declares no {kind} yet")
    assert rule(project_root) == []


# (rule, file, text in the file, what replaces it, words the problem report must contain)
BROKEN = {
    "SHA without version": (
        rules.version_comments,
        CI,
        CHECKOUT_PIN,
        CHECKOUT_PIN[:-9],
        "version comment",
    ),
    "pinned in flow style without version": (
        rules.version_comments,
        CI,
        "      - name: Install the project\n",
        "      - {uses: actions/cache@0400d5f644dc74513175e3cd8d07132dd4860809}\n"
        "      - name: Install the project\n",
        "actions/cache@0400d5f644dc74513175e3cd8d07132dd4860809 has no",
    ),
    "deploy on pull requests": (
        rules.deploy_gating,
        DEPLOY,
        "  workflow_dispatch:\n",
        "  workflow_dispatch:\n  pull_request:\n",
        "not only push to main",
    ),
    "deploy from any branch": (
        rules.deploy_gating,
        DEPLOY,
        "branches: [main]",
        "branches: [main, 'release/*']",
        "push trigger",
    ),
    "apply without tests": (rules.deploy_gating, DEPLOY, "    needs: test\n", "", "make test"),
    "apply on any ref": (
        rules.deploy_gating,
        DEPLOY,
        "github.ref == 'refs/heads/main' && ",
        "",
        "refs/heads/main",
    ),
    "publish after failure": (
        rules.deploy_gating,
        DEPLOY,
        "    needs: terraform\n",
        "    needs: terraform\n    if: always()\n",
        "always()",
    ),
    "publish outside production": (
        rules.deploy_gating,
        DEPLOY,
        "    environment:\n      name: production\n",
        "    environment:\n      name: staging\n",
        "production environment",
    ),
    "plan with the apply role": (
        rules.deploy_gating,
        PLAN,
        "vars.AWS_TERRAFORM_PLAN_ROLE_ARN }}",
        "vars.AWS_TERRAFORM_APPLY_ROLE_ARN }}",
        "not only push to main",
    ),
    "no pull request plan": (
        rules.plan_gating,
        PLAN,
        "vars.AWS_TERRAFORM_PLAN_ROLE_ARN }}",
        "vars.AWS_TERRAFORM_APPLY_ROLE_ARN }}",
        "no pull request job",
    ),
    "cancel a running apply": (
        rules.deploy_gating,
        DEPLOY,
        "cancel-in-progress: false",
        "cancel-in-progress: true",
        "cancel",
    ),
    "plan for forks": (
        rules.plan_gating,
        PLAN,
        "github.event.pull_request.head.repo.full_name == github.repository && ",
        "",
        "forks",
    ),
    "plan without summary": (
        rules.plan_gating,
        PLAN,
        '>> "$GITHUB_STEP_SUMMARY"',
        '>> "$RUNNER_TEMP/summary.md"',
        "summary",
    ),
    "unused write scope": (
        rules.job_permissions,
        CI,
        "      contents: read # actions/checkout\n",
        "      contents: read # actions/checkout\n      pull-requests: write\n",
        "pull-requests",
    ),
    "OIDC token for tests": (
        rules.job_permissions,
        CI,
        "      contents: read # actions/checkout\n",
        "      contents: read # actions/checkout\n      id-token: write\n",
        "id-token",
    ),
    "no such make target": (
        rules.unknown_make_targets,
        DEPLOY,
        "run: make publish",
        "run: make deploy",
        "make deploy",
    ),
    "long-lived keys": (
        rules.long_lived_credentials,
        DEPLOY,
        "role-to-assume: ${{ vars.AWS_DEPLOY_ROLE_ARN }}",
        "aws-access-key-id: ${{ secrets.AWS_ACCESS_KEY_ID }}",
        "secrets",
    ),
    "apply without the reviewed plan": (
        rules.terraform_pipeline,
        DEPLOY,
        "terraform apply -input=false -no-color -lock-timeout=5m tfplan",
        "terraform apply -input=false -auto-approve",
        "apply tfplan",
    ),
    "no fmt check": (
        rules.terraform_pipeline,
        TF_INIT,
        "run: terraform fmt -check -recursive -diff",
        "run: terraform fmt -recursive",
        "fmt -check",
    ),
    "state without lock file": (
        rules.terraform_pipeline,
        TF_INIT,
        ' \\\n          -backend-config="use_lockfile=true"',
        "",
        "use_lockfile",
    ),
    "publish without its site URL": (
        rules.publish_targets,
        DEPLOY,
        "      SITEURL: ",
        "      SITE_URL: ",
        "SITEURL",
    ),
    "undocumented variable": (
        rules.documented_variables,
        DEPLOY,
        "vars.DOMAIN_NAME",
        "vars.SITE_DOMAIN",
        "SITE_DOMAIN",
    ),
    "artifacts on success only": (
        rules.ci_job,
        CI,
        "if: failure()",
        "if: success()",
        "test-artifacts",
    ),
    "no browser install": (
        rules.ci_job,
        CI,
        "playwright install --with-deps chromium",
        "playwright install chromium",
        "Chromium",
    ),
    "CI runs a subset": (rules.ci_job, CI, "run: make test", "run: make build", "make test"),
}


@pytest.mark.parametrize("case", BROKEN, ids=str)
def test_rule_catches_broken_copy(broken_copy, case):
    rule, relative, old, new, expected = BROKEN[case]
    root, mutate = broken_copy
    assert rule(root) == [], "the unbroken copy must pass first"
    mutate(relative, old, new)
    problems = rule(root)
    assert problems, f"{rule.__name__} missed: {case}"
    assert any(expected in p for p in problems), problems


def test_undeclared_terraform_names_are_caught(broken_copy):
    root, mutate = broken_copy
    for tf in (root / "terraform").glob("*.tf"):
        tf.unlink()
    repo = rules.Repo(root)
    variables = {
        key[len("TF_VAR_") :]
        for job in repo.jobs()
        for key in job.spec.get("env", {})
        if key.startswith("TF_VAR_")
    }
    outputs = {"site_bucket_name", "distribution_id", "counter_table_name", "site_url"}
    (root / "terraform/main.tf").write_text(
        "".join(f'variable "{name}" {{\n  type = string\n}}\n' for name in sorted(variables))
        + "".join(f'output "{name}" {{\n  value = "x"\n}}\n' for name in sorted(outputs)),
        encoding="utf-8",
    )
    assert rules.undeclared_terraform_variables(root) == []
    assert rules.undeclared_terraform_outputs(root) == []
    mutate(DEPLOY, "TF_VAR_domain_name:", "TF_VAR_domain:")
    mutate(DEPLOY, "terraform output -raw site_url", "terraform output -raw website_url")
    assert rules.undeclared_terraform_variables(root) == [
        "deploy.yml: job terraform: sets TF_VAR_domain, but terraform/ declares no variable domain"
    ]
    assert rules.undeclared_terraform_outputs(root) == [
        "deploy.yml: job terraform: reads terraform output website_url,"
        " which terraform/ does not declare"
    ]


def test_every_rule_has_a_broken_case():
    covered = {rule for rule, *_ in BROKEN.values()}
    assert [r.__name__ for r in rules.RULES if r not in covered] == []
