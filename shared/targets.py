"""Where publish goes: command line, then environment, then ``terraform output -json``.

Terraform is asked only when a value is still missing and a ``terraform`` binary is on PATH;
its absence is not an error unless a required target then stays unknown.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Mapping
from urllib.parse import urlsplit

from shared.site_url import site_url_problem

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TERRAFORM_DIR = PROJECT_ROOT / "terraform"
DEFAULT_REGION = "us-east-1"


class TargetError(RuntimeError):
    """A required target could not be resolved; the message is one line for the user."""


@dataclass(frozen=True)
class Source:
    option: str
    env: str
    terraform_output: str | None
    what: str
    also_env: tuple[str, ...] = ()  # read after ``env``, before Terraform


# One row per target: the CLI option that overrides it, its environment variable and the
# Terraform output (docs/architecture.md pins these names).
SOURCES = {
    "bucket": Source("--bucket", "SITE_BUCKET", "site_bucket_name", "site bucket"),
    "distribution_id": Source(
        "--distribution-id", "DISTRIBUTION_ID", "distribution_id", "CloudFront distribution"
    ),
    "table": Source("--table", "COUNTER_TABLE", "counter_table_name", "counter table"),
    "region": Source("--region", "AWS_REGION", "aws_region", "AWS region", ("AWS_DEFAULT_REGION",)),
    "endpoint_url": Source("--endpoint-url", "AWS_ENDPOINT_URL", None, "AWS endpoint"),
    "site_url": Source("SITEURL", "SITEURL", "site_url", "site URL"),
}


@dataclass(frozen=True)
class Targets:
    bucket: str | None = None
    distribution_id: str | None = None
    table: str | None = None
    region: str | None = None
    endpoint_url: str | None = None
    site_url: str | None = None


@dataclass
class TerraformOutputs:
    values: dict[str, str]
    note: str  # why Terraform gave nothing, for the error line

    @classmethod
    def read(cls, chdir: Path = TERRAFORM_DIR) -> "TerraformOutputs":
        binary = shutil.which("terraform")
        if binary is None:
            return cls({}, "terraform is not on PATH")
        try:
            done = subprocess.run(
                [binary, f"-chdir={chdir}", "output", "-json", "-no-color"],
                capture_output=True,
                text=True,
                timeout=120,
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            return cls({}, f"terraform output failed: {error}")
        if done.returncode != 0:
            # Terraform's diagnostic is a box of lines; its "Error:" line says what is wrong.
            lines = [line.strip("│╷╵ \t") for line in done.stderr.splitlines()]
            lines = [line for line in lines if line] or ["no message"]
            said = next((line for line in lines if line.startswith("Error:")), lines[-1])
            return cls({}, f"terraform output failed: {said}")
        try:
            raw = json.loads(done.stdout or "{}")
        except json.JSONDecodeError:
            return cls({}, "terraform output -json printed no JSON")
        values = {
            name: str(entry["value"])
            for name, entry in raw.items()
            if isinstance(entry, dict) and entry.get("value") not in (None, "")
        }
        return cls(values, "" if values else "terraform has no outputs (not applied?)")


def is_endpoint_url(url: str) -> bool:
    """An http(s) URL with a host and, if any, a numeric port (``http://[::1`` is not)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def resolve_targets(
    *,
    environ: Mapping[str, str] | None = None,
    terraform_dir: Path = TERRAFORM_DIR,
    require: tuple[str, ...] = (),
    wanted: tuple[str, ...] | None = None,
    **given: str | None,
) -> Targets:
    """Resolve the ``wanted`` targets (default: all; the others stay None); raise TargetError
    naming the first ``require``d one left unknown.

    ``given`` holds command-line values by field name (``bucket=...``); empty means unset.
    """
    unknown = (set(given) | set(require) | set(wanted or ())) - set(SOURCES)
    if unknown:
        raise TypeError(f"unknown targets: {', '.join(sorted(unknown))}")
    env = os.environ if environ is None else environ
    sources = {name: SOURCES[name] for name in (wanted or SOURCES)}
    values: dict[str, str | None] = {name: None for name in SOURCES}
    for name, source in sources.items():
        found = [given.get(name)] + [env.get(var) for var in (source.env, *source.also_env)]
        values[name] = next((value for value in found if value), None)
    terraform: TerraformOutputs | None = None
    if any(values[n] is None and s.terraform_output for n, s in sources.items()):
        terraform = TerraformOutputs.read(terraform_dir)
        for name, source in sources.items():
            if values[name] is None and source.terraform_output:
                values[name] = terraform.values.get(source.terraform_output)
    endpoint_url = values["endpoint_url"]
    if endpoint_url and not is_endpoint_url(endpoint_url):
        raise TargetError(
            f"AWS endpoint {endpoint_url!r} (AWS_ENDPOINT_URL or --endpoint-url) is not a URL: "
            "write it as http://host:port, or unset it to use AWS"
        )
    site_url = values["site_url"]
    # Pelican would accept it and write every absolute link (feeds, canonical URLs) broken.
    if site_url and (problem := site_url_problem(site_url)):
        raise TargetError(f"SITEURL {site_url!r} {problem.what}: write it as {problem.instead}")
    for name in require:
        if values[name] is None:
            source = SOURCES[name]
            how = [f"set {source.env}"]
            if source.option != source.env:
                how.insert(0, f"pass {source.option}")
            if source.terraform_output:
                how.append(f"apply terraform/ so `terraform output {source.terraform_output}` is set")
            note = f" ({terraform.note})" if terraform and terraform.note else ""
            raise TargetError(f"no {source.what}: {', or '.join(how)}{note}")
    return Targets(**{f.name: values[f.name] for f in fields(Targets)})
