"""Rules the GitHub Actions workflows keep, each checked against a repository root.

Every rule is a function ``rule(root) -> list[str]`` returning the problems it finds, one line
each; an empty list means the rule holds. The tests run each rule on this repository and on a
deliberately broken copy, so a rule that could never fail is caught too.

Only what this project knows is here (which roles deploy, how Terraform runs, which variables
exist). Pinning, triggers, broad permissions, persisted credentials and expressions in scripts
are zizmor's audits, which test_workflow_tools.py runs.
"""

from __future__ import annotations

import functools
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

WORKFLOWS = Path(".github/workflows")
CHECKOUT = "actions/checkout"
AWS_CREDENTIALS = "aws-actions/configure-aws-credentials"
VERSION_COMMENT = re.compile(r"#\s*v\d+(\.\d+){0,2}\s*$")
TEMPLATE = re.compile(r"\$\{\{")
MAIN_ONLY = "github.ref == 'refs/heads/main'"
# Roles that change production; the plan role only reads.
WRITER_ROLES = ("vars.AWS_TERRAFORM_APPLY_ROLE_ARN", "vars.AWS_DEPLOY_ROLE_ARN")
PLAN_ROLE = "vars.AWS_TERRAFORM_PLAN_ROLE_ARN"
FORK_GUARD = "github.event.pull_request.head.repo.full_name == github.repository"
# A job condition with one of these runs even when a job it needs failed or was skipped.
STATUS_OVERRIDES = ("always()", "failure()", "cancelled()")


def load_yaml(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    # YAML 1.1 reads the bare key `on` as the boolean true.
    if True in data:
        data["on"] = data.pop(True)
    return data


def is_local(uses: str) -> bool:
    return uses.startswith(("$/", "./"))


def action_name(uses: str) -> str:
    """`owner/repo[/path]@ref` -> `owner/repo[/path]`."""
    return uses.split("@", 1)[0]


@dataclass
class Job:
    workflow: str  # file name, e.g. deploy.yml
    job_id: str
    spec: dict[str, Any]
    steps: list[dict[str, Any]] = field(default_factory=list)  # local composite actions inlined

    @property
    def where(self) -> str:
        return f"{self.workflow}: job {self.job_id}"

    @property
    def condition(self) -> str:
        return str(self.spec.get("if", ""))

    @property
    def needs(self) -> list[str]:
        needs = self.spec.get("needs", [])
        return [needs] if isinstance(needs, str) else list(needs)

    @property
    def called_workflow(self) -> str | None:
        uses = self.spec.get("uses")
        return uses if isinstance(uses, str) else None

    def uses_of(self, action: str) -> list[dict[str, Any]]:
        return [s for s in self.steps if action_name(str(s.get("uses", ""))) == action]

    def scripts(self) -> list[str]:
        return [str(s["run"]) for s in self.steps if "run" in s]

    def assumed_roles(self) -> list[str]:
        return [
            str(s.get("with", {}).get("role-to-assume", "")) for s in self.uses_of(AWS_CREDENTIALS)
        ]


class Repo:
    """The workflows, local actions and Makefile of one checkout."""

    def __init__(self, root: Path):
        self.root = root
        self.workflow_files = sorted((root / WORKFLOWS).glob("*.y*ml"))
        self.workflows = {p.name: load_yaml(p) for p in self.workflow_files}

    def local_path(self, uses: str) -> Path:
        return self.root / uses[2:]

    def expand_steps(
        self, steps: list[dict[str, Any]], seen: tuple[str, ...] = ()
    ) -> list[dict[str, Any]]:
        expanded = []
        for step in steps:
            uses = str(step.get("uses", ""))
            if is_local(uses) and uses not in seen:
                action = self.local_path(uses) / "action.yml"
                if action.is_file():
                    inner = load_yaml(action).get("runs", {}).get("steps", [])
                    expanded.extend(self.expand_steps(inner, seen + (uses,)))
                    continue
            expanded.append(step)
        return expanded

    def jobs(self, workflow: str | None = None) -> list[Job]:
        return [
            Job(name, job_id, spec, self.expand_steps(spec.get("steps", [])))
            for name, data in self.workflows.items()
            if workflow in (None, name)
            for job_id, spec in (data.get("jobs") or {}).items()
        ]

    def called_jobs(self, job: Job) -> list[Job]:
        """Jobs of the local reusable workflow a job calls."""
        called = job.called_workflow
        if not called or not is_local(called):
            return []
        return self.jobs(self.local_path(called).name)

    def yaml_files(self) -> list[Path]:
        actions = sorted((self.root / ".github/actions").glob("*/action.y*ml"))
        return self.workflow_files + actions

    def all_scripts(self) -> Iterator[tuple[str, str]]:
        for path in self.yaml_files():
            for script in _string_values(load_yaml(path), "run"):
                yield path.name, script

    def makefile_targets(self) -> set[str]:
        targets: set[str] = set()
        for line in (self.root / "Makefile").read_text(encoding="utf-8").splitlines():
            rule = re.match(r"^([^\s:=#][^:=#]*?)\s*::?(?!=)", line)
            if rule:
                targets.update(rule.group(1).split())
        return targets


def _string_values(node: Any, key: str) -> Iterator[str]:
    """Every string value under `key` anywhere in a parsed YAML document."""
    if isinstance(node, dict):
        if isinstance(node.get(key), str):
            yield node[key]
        for value in node.values():
            yield from _string_values(value, key)
    elif isinstance(node, list):
        for item in node:
            yield from _string_values(item, key)


# --- the rules -------------------------------------------------------------------------------


def version_comments(root: Path) -> list[str]:
    """Every remote `uses:` line ends in the `# vX.Y.Z` release its commit SHA is.

    zizmor's unpinned-uses audit requires the SHA; the comment is what Dependabot rewrites with
    it and what docs/ci.md's table is checked against (zizmor's ref-version-mismatch is online).
    """
    problems = []
    for path in Repo(root).yaml_files():
        lines = path.read_text(encoding="utf-8").splitlines()
        for uses in sorted(set(_string_values(load_yaml(path), "uses"))):
            if is_local(uses):
                continue
            written = [line for line in lines if uses in line]
            if not written or not all(VERSION_COMMENT.search(line) for line in written):
                problems.append(f"{path.name}: {uses} has no `# vX.Y.Z` version comment")
    return problems


def _triggers(workflow: dict[str, Any]) -> dict[str, Any]:
    on = workflow.get("on", {})
    if isinstance(on, str):
        return {on: None}
    if isinstance(on, list):
        return {t: None for t in on}
    return dict(on)


def _needs_closure(jobs: dict[str, Job], job: Job) -> list[Job]:
    """The job and every job it needs, directly or through others."""
    found: dict[str, Job] = {}
    pending = [job]
    while pending:
        current = pending.pop()
        if current.job_id in found:
            continue
        found[current.job_id] = current
        pending.extend(jobs[n] for n in current.needs if n in jobs)
    return list(found.values())


def _runs_tests(repo: Repo, job: Job) -> bool:
    scripts = job.scripts() + [s for called in repo.called_jobs(job) for s in called.scripts()]
    return any(re.search(r"(^|\s)make\s+test(\s|$)", s) for s in scripts)


def deploy_gating(root: Path) -> list[str]:
    """Jobs that change production run on main (push or dispatch) only, after the tests passed."""
    repo = Repo(root)
    problems = []
    deploys = 0
    for name, data in repo.workflows.items():
        jobs = {j.job_id: j for j in repo.jobs(name)}
        writers = [
            j
            for j in jobs.values()
            if any(r in role for role in j.assumed_roles() for r in WRITER_ROLES)
        ]
        if not writers:
            continue
        deploys += 1
        triggers = _triggers(data)
        # A schedule runs on the default branch only (main): it publishes posts whose date came.
        if not {"push", "workflow_dispatch"} <= set(triggers) <= {"push", "workflow_dispatch", "schedule"}:
            problems.append(
                f"{name}: deploys on {sorted(triggers)}, not only push to main, dispatch and a schedule"
            )
        push = triggers.get("push") or {}
        if push.get("branches") != ["main"] or set(push) - {"branches"}:
            problems.append(f"{name}: push trigger is {push!r}, not exactly branches [main]")
        for writer in writers:
            chain = _needs_closure(jobs, writer)
            if not any(_runs_tests(repo, j) for j in chain if j is not writer):
                problems.append(f"{writer.where}: does not need a job that runs `make test`")
            if not any(MAIN_ONLY in j.condition for j in chain):
                problems.append(f"{writer.where}: nothing in its needs chain requires {MAIN_ONLY}")
            for j in chain:
                if any(o in j.condition for o in STATUS_OVERRIDES):
                    problems.append(
                        f"{j.where}: `if: {j.condition}` runs even when what it needs failed"
                    )
            environment = writer.spec.get("environment")
            if (
                environment.get("name") if isinstance(environment, dict) else environment
            ) != "production":
                problems.append(f"{writer.where}: not in the production environment")
        concurrency = data.get("concurrency") or {}
        if not concurrency.get("group") or TEMPLATE.search(str(concurrency.get("group"))):
            problems.append(f"{name}: needs one fixed concurrency group for every deploy")
        if concurrency.get("cancel-in-progress") is not False:
            problems.append(
                f"{name}: a newer run could cancel a running apply (cancel-in-progress)"
            )
    if not deploys:
        problems.append("no workflow assumes the apply or deploy role")
    return problems


def plan_gating(root: Path) -> list[str]:
    """The read-only plan role is used by pull requests of this repository only, never for apply."""
    repo = Repo(root)
    planners = [j for j in repo.jobs() if any(PLAN_ROLE in role for role in j.assumed_roles())]
    problems = [] if planners else ["no pull request job assumes the plan role"]
    for job in planners:
        if set(_triggers(repo.workflows[job.workflow])) != {"pull_request"}:
            problems.append(f"{job.where}: the plan role is assumed outside pull_request")
        if FORK_GUARD not in job.condition:
            problems.append(f"{job.where}: runs for forks too (no `{FORK_GUARD}`)")
        scripts = "\n".join(job.scripts())
        if re.search(r"terraform\s+apply", scripts):
            problems.append(f"{job.where}: applies with the read-only role")
        if "GITHUB_STEP_SUMMARY" not in scripts:
            problems.append(f"{job.where}: the plan is not written to the job summary")
    return problems


def _needed_permissions(repo: Repo, job: Job) -> dict[str, str]:
    needed: dict[str, str] = {}
    if job.uses_of(CHECKOUT):
        needed["contents"] = "read"
    if job.uses_of(AWS_CREDENTIALS):
        needed["id-token"] = "write"
    for called in repo.called_jobs(job):
        for scope, level in _needed_permissions(repo, called).items():
            if needed.get(scope) != "write":
                needed[scope] = level
    return needed


def job_permissions(root: Path) -> list[str]:
    """Each job lists exactly the scopes its steps use: `contents: read` for checkout,
    `id-token: write` for role assumption, and what the jobs of a called workflow use.

    zizmor's excessive-permissions audit catches broad grants (write-all, no permissions at
    all); a narrow scope that no step needs is this project's knowledge, not zizmor's.
    """
    repo = Repo(root)
    problems = []
    for job in repo.jobs():
        granted = job.spec.get("permissions")
        needed = _needed_permissions(repo, job)
        if not isinstance(granted, dict):
            problems.append(f"{job.where}: permissions {granted!r} instead of an explicit list")
            continue
        granted = {k: v for k, v in granted.items() if v != "none"}
        if granted != needed:
            problems.append(f"{job.where}: grants {granted}, its steps use {needed}")
    return problems


def unknown_make_targets(root: Path) -> list[str]:
    """Every `make X` a workflow runs is a target of the Makefile."""
    repo = Repo(root)
    targets = repo.makefile_targets()
    problems = []
    for where, script in repo.all_scripts():
        for wanted in _make_goals(script):
            if wanted not in targets:
                problems.append(f"{where}: `make {wanted}` is not a Makefile target")
    return problems


def _make_goals(script: str) -> Iterator[str]:
    for line in script.splitlines():
        try:
            words = shlex.split(line, comments=True)
        except ValueError:  # a quote continued on the next line
            words = line.split()
        for i, word in enumerate(words):
            if word != "make" or (i and words[i - 1] not in ("&&", "||", ";", "then", "do")):
                continue
            for goal in words[i + 1 :]:
                if goal in ("&&", "||", ";", "|"):
                    break
                if not goal.startswith("-") and "=" not in goal:
                    yield goal


def long_lived_credentials(root: Path) -> list[str]:
    """AWS is reached only by OIDC role assumption; role and region are repository variables."""
    repo = Repo(root)
    problems = [
        f"{p.name}: uses secrets ({m.group(0)})"
        for p in repo.yaml_files()
        for m in re.finditer(r"secrets\.\w+", p.read_text(encoding="utf-8"))
    ]
    for job in repo.jobs():
        for step in job.uses_of(AWS_CREDENTIALS):
            inputs = step.get("with", {})
            if set(inputs) & {"aws-access-key-id", "aws-secret-access-key", "aws-session-token"}:
                problems.append(f"{job.where}: passes access keys to {AWS_CREDENTIALS}")
            if not re.fullmatch(
                r"\$\{\{ vars\.AWS_\w+_ROLE_ARN \}\}", str(inputs.get("role-to-assume", ""))
            ):
                problems.append(f"{job.where}: role-to-assume is not a repository variable")
            if inputs.get("aws-region") != "${{ vars.AWS_REGION }}":
                problems.append(f"{job.where}: aws-region is not vars.AWS_REGION")
    return problems


def terraform_pipeline(root: Path) -> list[str]:
    """The apply job runs fmt, init (S3 backend from variables), validate, plan -out, apply it."""
    expected = [
        ("fmt -check", r"terraform\s+fmt\s+-check"),
        ("init", r"terraform\s+init\b"),
        ("validate", r"terraform\s+validate\b"),
        ("plan -out=tfplan", r"terraform\s+plan\b[^\n]*-out=tfplan"),
        ("apply tfplan", r"terraform\s+apply\b[^\n]*\stfplan\s*$"),
    ]
    backend = ("bucket=", "key=", "region=", "use_lockfile=true")
    repo = Repo(root)
    problems = []
    appliers = [
        j
        for j in repo.jobs()
        if any("AWS_TERRAFORM_APPLY_ROLE_ARN" in r for r in j.assumed_roles())
    ]
    if not appliers:
        problems.append("no job assumes the Terraform apply role")
    for job in appliers:
        script = "\n".join(job.scripts())
        position = 0
        for label, pattern in expected:
            found = re.compile(pattern, re.M).search(script, position)
            if not found:
                problems.append(f"{job.where}: no `terraform {label}` after the previous stage")
                break
            position = found.end()
        init = re.search(r"terraform\s+init\b(?:[^\n]*\\\n)*[^\n]*", script)
        for setting in backend:
            if not init or f'-backend-config="{setting}' not in init.group(0):
                problems.append(f"{job.where}: terraform init lacks -backend-config {setting}")
    return problems


@functools.lru_cache(maxsize=64)
def parse_hcl(text: str) -> dict:
    """Parsed HCL of one file's text; cached: python-hcl2 takes ~0.1 s a file, and every rule
    reading Terraform names parses the same unchanged files (a broken copy changes one)."""
    import hcl2

    return hcl2.loads(text)


def declared_terraform(root: Path, kind: str) -> set[str]:
    """Names of the `variable` or `output` blocks in terraform/*.tf."""
    names: set[str] = set()
    for tf in sorted((root / "terraform").glob("*.tf")):
        for block in parse_hcl(tf.read_text(encoding="utf-8")).get(kind, []):
            names.update(name.strip('"') for name in block)  # python-hcl2 8 keeps the quotes
    return names


def undeclared_terraform_variables(root: Path) -> list[str]:
    """Every TF_VAR_x a workflow sets is a variable the Terraform configuration declares.

    Terraform silently ignores an environment variable for an undeclared name, so a typo here
    would deploy with the default instead.
    """
    declared = declared_terraform(root, "variable")
    return [
        f"{job.where}: sets {key}, but terraform/ declares no variable {key[len('TF_VAR_') :]}"
        for job in Repo(root).jobs()
        for key in (job.spec.get("env") or {})
        if key.startswith("TF_VAR_") and key[len("TF_VAR_") :] not in declared
    ]


def undeclared_terraform_outputs(root: Path) -> list[str]:
    """Every `terraform output NAME` a workflow reads is an output of the configuration."""
    declared = declared_terraform(root, "output")
    return [
        f"{job.where}: reads terraform output {name}, which terraform/ does not declare"
        for job in Repo(root).jobs()
        for script in job.scripts()
        for name in re.findall(r"terraform\s+output\s+(?:-\w+\s+)*(\w+)", script)
        if name not in declared
    ]


def publish_targets(root: Path) -> list[str]:
    """A job running `make publish` sets every target publish needs, so it never asks Terraform."""
    from shared.targets import SOURCES, resolve_targets

    needed = ("bucket", "distribution_id", "table", "region", "site_url")
    problems = []
    for job in Repo(root).jobs():
        if not any(goal == "publish" for s in job.scripts() for goal in _make_goals(s)):
            continue
        # Any value counts as set; SITEURL's must look like one (publish refuses one without a scheme).
        environ = {name: "https://set.example" if name == "SITEURL" else "set" for name in job.spec.get("env") or {}}
        if job.uses_of(AWS_CREDENTIALS):
            environ["AWS_REGION"] = "set"  # exported by configure-aws-credentials
        # An empty Terraform folder: a target the environment leaves out stays unknown.
        targets = resolve_targets(environ=environ, terraform_dir=root / "no-terraform-here")
        problems += [
            f"{job.where}: `make publish` gets no {SOURCES[name].env}"
            for name in needed
            if getattr(targets, name) is None
        ]
    return problems


def documented_variables(root: Path) -> list[str]:
    """The workflows read only the repository variables docs/architecture.md lists."""
    contract = (root / "docs/architecture.md").read_text(encoding="utf-8")
    listed = re.search(r"Repository variables the workflows read:(.*?)(?:\n\n|\Z)", contract, re.S)
    allowed = set(re.findall(r"`(\w+)`", listed.group(1))) if listed else set()
    repo = Repo(root)
    return sorted(
        {
            f"{p.name}: reads vars.{name}, which docs/architecture.md does not list"
            for p in repo.yaml_files()
            for name in re.findall(r"vars\.(\w+)", p.read_text(encoding="utf-8"))
            if name not in allowed
        }
    )


def ci_job(root: Path) -> list[str]:
    """Pull requests, pushes and deploy calls all run `make test`, browser included."""
    repo = Repo(root)
    problems = []
    data = repo.workflows.get("ci.yml")
    if data is None:
        return ["no .github/workflows/ci.yml"]
    triggers = _triggers(data)
    for trigger in ("pull_request", "push", "workflow_call"):
        if trigger not in triggers:
            problems.append(f"ci.yml: not triggered by {trigger}")
    test_jobs = [j for j in repo.jobs("ci.yml") if _runs_tests(repo, j)]
    if not test_jobs:
        problems.append("ci.yml: no job runs `make test`")
    for job in test_jobs:
        scripts = "\n".join(job.scripts())
        if not re.search(r"playwright install --with-deps chromium", scripts):
            problems.append(f"{job.where}: does not install Chromium with Playwright's installer")
        if not any(
            s.get("with", {}).get("cache") == "pip" for s in job.uses_of("actions/setup-python")
        ):
            problems.append(f"{job.where}: Python set up without the pip cache")
        uploads = job.uses_of("actions/upload-artifact")
        if not any(
            "failure()" in str(u.get("if", ""))
            and "test-artifacts" in str(u.get("with", {}).get("path", ""))
            for u in uploads
        ):
            problems.append(f"{job.where}: test-artifacts/ is not uploaded when a test fails")
    return problems


RULES = [
    version_comments,
    deploy_gating,
    plan_gating,
    job_permissions,
    unknown_make_targets,
    long_lived_credentials,
    terraform_pipeline,
    documented_variables,
    publish_targets,
    ci_job,
]
