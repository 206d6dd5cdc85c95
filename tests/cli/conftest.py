"""Fixtures of the command-line tests: the project's real commands run in subprocesses with
an environment of the test's choosing, and what a user sees of them."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from shared.targets import PROJECT_ROOT

INVOKE = Path(sys.executable).with_name("invoke")


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str

    @property
    def error_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.startswith("error:")]


@pytest.fixture
def clean_env(tmp_path) -> dict[str, str]:
    """An environment with no AWS settings of the developer's, and a home of its own."""
    env = {
        name: value for name, value in os.environ.items()
        if not name.startswith(("AWS_", "SITE_", "DISTRIBUTION_", "COUNTER_")) and name != "PORT"
    }
    home = tmp_path / "home"
    home.mkdir()
    env.update(HOME=str(home), AWS_EC2_METADATA_DISABLED="true",
               AWS_CONFIG_FILE=str(home / "aws-config"), AWS_SHARED_CREDENTIALS_FILE=str(home / "aws-credentials"))
    return env


@pytest.fixture
def run_invoke(clean_env):
    """Run ``invoke <arguments>`` from the project root with ``clean_env`` plus ``extra``."""

    def run(*arguments: str, timeout: float = 120, **extra: str) -> Run:
        done = subprocess.run(
            [str(INVOKE), *arguments], cwd=PROJECT_ROOT, env={**clean_env, **extra},
            capture_output=True, text=True, timeout=timeout,
        )
        return Run(done.returncode, done.stdout, done.stderr)

    return run
