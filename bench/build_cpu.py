"""CPU time of one build in a fresh interpreter, as ``make build`` runs it: the build's own
process and every process it waited for (a plugin's helper binary included)."""

from __future__ import annotations

import json
import resource
import shutil
import subprocess
import sys
from pathlib import Path

from shared.targets import PROJECT_ROOT

BUILD = (
    "import sys, json; from deploy.site import build_site; "
    "build_site('pelicanconf.py', sys.argv[2], json.loads(sys.argv[3]), sys.argv[1])"
)


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def build_cpu_seconds(content: Path, output: Path, overrides: dict) -> float:
    """CPU seconds of a build of ``content`` into a fresh ``output`` with ``overrides``."""
    shutil.rmtree(output, ignore_errors=True)
    before = children_cpu()
    done = subprocess.run([sys.executable, "-c", BUILD, str(content), str(output), json.dumps(overrides)],
                          cwd=PROJECT_ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"build failed: {done.stderr.strip()[-2000:]}")
    return children_cpu() - before
