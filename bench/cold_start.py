"""Handler cold start: a fresh interpreter importing ``counter_lambda.handler`` (which builds its
DynamoDB client at import, as a Lambda should) against a fresh interpreter that only creates
``boto3.client("dynamodb")``: the least any Python Lambda talking to DynamoDB pays.

Each run is a new process, timed from spawn to exit; the two commands alternate, and the figure
is the ratio of their medians. The handler's process also reports how many botocore clients
exist once the import is done, so the table says whether the client is made at import.

Run alone: ``python -m bench.cold_start [--quick] [--runs N]``.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

from bench.cli import run_alone
from bench.moto_server import DUMMY_CREDENTIALS
from bench.table import Row
from shared.targets import PROJECT_ROOT

GOAL = 1.1
QUICK = {"runs": 5}
FULL = {"runs": 15}

HANDLER = "import counter_lambda.handler"
# Run once, apart from the timed runs: walking the heap would add to the handler's time.
CLIENTS_AFTER_IMPORT = (
    "import gc, sys, botocore.client, counter_lambda.handler\n"
    "sys.stdout.write(str(sum(isinstance(o, botocore.client.BaseClient) for o in gc.get_objects())))"
)
ANCHOR = "import boto3; boto3.client('dynamodb', region_name='us-east-1')"


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PYTHON"))}
    # What the Lambda runtime provides; no endpoint, no network: creating a client sends nothing.
    env.update(DUMMY_CREDENTIALS, TABLE_NAME="blog-counter", PYTHONPATH=str(PROJECT_ROOT))
    return env


def _time(code: str, env: dict[str, str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"cold start run failed: {done.stderr.strip()[-2000:]}")
    return seconds, done.stdout


def run(runs: int) -> list[Row]:
    env = _environment()
    _time(ANCHOR, env)  # warms the disk cache for both: every import below comes from memory
    clients = _time(CLIENTS_AFTER_IMPORT, env)[1].strip()
    times: dict[str, list[float]] = {HANDLER: [], ANCHOR: []}
    for attempt in range(runs):
        for code in (HANDLER, ANCHOR) if attempt % 2 == 0 else (ANCHOR, HANDLER):
            times[code].append(_time(code, env)[0])
    ours, anchor = statistics.median(times[HANDLER]), statistics.median(times[ANCHOR])
    made_at_import = clients == "1"
    return [
        Row.at_most(
            f"Handler cold start: fresh interpreter (median of {runs})",
            f"import counter_lambda.handler: {ours * 1000:.0f} ms "
            f"(client created at import: {'yes' if made_at_import else f'no ({clients} clients)'})",
            f"import boto3 + boto3.client('dynamodb'): {anchor * 1000:.0f} ms",
            ours / anchor,
            GOAL,
        )
    ]


if __name__ == "__main__":
    run_alone(run, QUICK, FULL, __doc__)
