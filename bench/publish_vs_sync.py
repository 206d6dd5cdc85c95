"""Publish benchmarks: our publish against ``aws s3 sync``, ``rclone sync --checksum`` and
``s5cmd sync``, on the same moto server and the same build, counted on the server side, with no
round-trip time and with an emulated one (30 ms to S3, CloudFront and DynamoDB alike, as from a
laptop or a CI runner: ``bench.moto_server``'s per-service RTT, applied at the server, so every
tool pays it alike).

1. Full first publish of the synthetic site into empty buckets (which tool goes first rotates
   from round to round).
2. One post edited, the site rebuilt (Pelican rewrites every file), and every tool publishes
   the same rebuild again: PUT requests, bytes uploaded, invalidation paths, wall time.

Every tool runs as the command a user types would: a fresh process each (our ``run_publish``,
the body of ``invoke publish --no-build``; awscli v1 and s5cmd from ``.venv-awscli``; Debian's
rclone), so start-up counts for all (ours with its modules byte-compiled, as a user's second
run finds them). The anchors, each with its documented options for speed:

- ``aws s3 sync <output>/ s3://<bucket> --delete``, as in Pelican's own Makefile (not its
  ``--acl public-read``: our bucket is private behind CloudFront), awscli's default 10
  concurrent requests;
- ``rclone sync --checksum --fast-list --transfers N --checkers N --s3-no-check-bucket
  --s3-no-head``: MD5 comparison with the listing's ETags, like ours, one recursive listing,
  no bucket check, no HEAD after each upload;
- ``s5cmd --numworkers N sync --delete``: built for throughput; it compares size and
  modification time (it has no content comparison), so a rebuild that rewrites every file
  re-uploads them all (``--size-only`` would miss an edit of the same length).

Run alone: ``python -m bench.publish_vs_sync [--quick] [--posts N] [--rounds N] [--rtt_ms N]``.
"""

from __future__ import annotations

import compileall
import hashlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from bench.cli import run_alone
from bench.moto_server import DUMMY_CREDENTIALS, CountingMotoServer, Traffic, describe_rtt
from bench.sitegen import build, edit_post, generate_site
from bench.table import Row, human_bytes
from shared.counter_table import create_table
from shared.targets import PROJECT_ROOT
from devstack.provision import create_distribution, create_site_bucket

SITE_URL = "https://blog.example.org"
AWSCLI = PROJECT_ROOT / ".venv-awscli" / "bin" / "aws"
S5CMD = PROJECT_ROOT / ".venv-awscli" / "bin" / "s5cmd"
# The anchors' parallelism: rclone's --transfers/--checkers and s5cmd's --numworkers.
ANCHOR_WORKERS = 64
# The goals at network RTT (against the fastest anchor) and the earlier ones at zero
# RTT (against aws s3 sync, the anchor they were set with).
EDIT_GOAL_AT_RTT = 0.5
FULL_GOAL_AT_RTT = 1.0
EDIT_GOAL_AT_ZERO = 0.3
FULL_GOAL_AT_ZERO = 1.0
QUICK = {"posts": 30, "rounds": 1, "rtt_ms": 30}
FULL = {"posts": 1000, "rounds": 3, "rtt_ms": 30}

OURS = "ours"
AWS_SYNC = "aws s3 sync"
RCLONE = "rclone"
S5CMD_SYNC = "s5cmd"
ANCHOR_TOOLS = (AWS_SYNC, RCLONE, S5CMD_SYNC)
TOOLS = (OURS, *ANCHOR_TOOLS)
_BUCKET_NAMES = {OURS: "ours", AWS_SYNC: "awscli", RCLONE: "rclone", S5CMD_SYNC: "s5cmd"}


class AnchorMissing(RuntimeError):
    pass


def missing_anchors() -> list[str]:
    """The anchor tools not installed here, each with how to install it."""
    missing = []
    if not AWSCLI.exists():
        missing.append(f"{AWSCLI} (run `make tools`)")
    if not S5CMD.exists():
        missing.append(f"{S5CMD} (run `make tools`)")
    if shutil.which("rclone") is None:
        missing.append("rclone (run `make tools` as root, or install Debian's rclone)")
    return missing


def compile_publish(root: Path = PROJECT_ROOT) -> None:
    """Byte-compile what our publish imports, as every run after the first finds it on a
    user's machine: the benchmark's environment may forbid writing bytecode
    (PYTHONDONTWRITEBYTECODE), which would charge ours a compile of its modules on every run."""
    for package in ("deploy", "counter_lambda"):
        compileall.compile_dir(root / package, quiet=1)


def network_rtt(rtt_ms: int) -> dict[str, float]:
    return {service: rtt_ms / 1000 for service in ("s3", "cloudfront", "dynamodb")}


@dataclass
class Target:
    """One round's resources at one RTT: a bucket per tool, a table, a distribution (ours)."""

    buckets: dict[str, str]
    table: str
    distribution_id: str


@dataclass
class Run:
    seconds: float
    traffic: Traffic
    invalidation_paths: list[str] = field(default_factory=list)

    def content_uploads(self, bucket: str, site_keys: set[str]):
        return [r for r in self.traffic.uploads(bucket) if r.key in site_keys]


@dataclass
class Round:
    rtt: dict[str, float]
    target: Target
    first: dict[str, Run] = field(default_factory=dict)
    edit: dict[str, Run] = field(default_factory=dict)


def file_digests(root: Path) -> dict[str, str]:
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def url_forms(key: str) -> set[str]:
    """The URLs a CDN may have cached an object under (``a/index.html`` is also ``/a/``)."""
    forms = {"/" + key}
    if key == "index.html" or key.endswith("/index.html"):
        forms.add("/" + key[: -len("index.html")])
    return forms


def provision(moto: CountingMotoServer, number: int) -> Target:
    buckets = {tool: f"bench-{name}-{number}" for tool, name in _BUCKET_NAMES.items()}
    target = Target(buckets, f"bench-counter-{number}", "")
    s3 = moto.client("s3")
    for bucket in buckets.values():
        create_site_bucket(s3, bucket)
    create_table(moto.client("dynamodb"), target.table)
    target.distribution_id = create_distribution(moto.client("cloudfront"), buckets[OURS], f"bench-{number}")
    return target


def _invalidations(moto: CountingMotoServer, distribution_id: str) -> dict[str, list[str]]:
    cloudfront = moto.client("cloudfront")
    listed = cloudfront.list_invalidations(DistributionId=distribution_id)["InvalidationList"]
    found = {}
    for item in listed.get("Items", []) or []:
        batch = cloudfront.get_invalidation(DistributionId=distribution_id, Id=item["Id"])
        found[item["Id"]] = batch["Invalidation"]["InvalidationBatch"]["Paths"].get("Items", [])
    return found


def _timed(moto: CountingMotoServer, rtt: dict[str, float], command: list[str], env: dict[str, str]) -> Run:
    with moto.round_trip(rtt), moto.measure() as traffic:
        started = time.perf_counter()
        done = subprocess.run(command, env=env, capture_output=True, text=True, cwd=PROJECT_ROOT)
        seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{command[0]} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    return Run(seconds, traffic)


def publish_ours(moto: CountingMotoServer, rtt: dict[str, float], output: Path, target: Target) -> Run:
    before = _invalidations(moto, target.distribution_id)
    code = (
        "from deploy.cli import PublishRequest, run_publish\n"
        f"raise SystemExit(run_publish(PublishRequest(bucket={target.buckets[OURS]!r}, "
        f"distribution_id={target.distribution_id!r}, table={target.table!r}, "
        f"endpoint_url={moto.url!r}, build=False, output_dir={str(output)!r})))"
    )
    env = {**moto.environment, "SITEURL": SITE_URL}  # every target given: Terraform is not asked
    run = _timed(moto, rtt, [sys.executable, "-c", code], env)
    after = _invalidations(moto, target.distribution_id)
    run.invalidation_paths = sorted(p for i, paths in after.items() if i not in before for p in paths)
    return run


def publish_aws_sync(moto: CountingMotoServer, rtt: dict[str, float], output: Path, target: Target) -> Run:
    if not AWSCLI.exists():
        raise AnchorMissing(f"{AWSCLI} is missing: run `make tools`")
    command = [
        str(AWSCLI), "s3", "sync", f"{output}/", f"s3://{target.buckets[AWS_SYNC]}", "--delete",
        "--no-progress", "--only-show-errors", "--endpoint-url", moto.url,
    ]
    return _timed(moto, rtt, command, moto.environment)


def rclone_environment(moto: CountingMotoServer, remote: str = "bench") -> dict[str, str]:
    """An S3 remote named ``remote`` on the moto server, configured by environment only."""
    prefix = f"RCLONE_CONFIG_{remote.upper()}_"
    # rclone's S3 client refuses a CA bundle over its own transport; the endpoint is plain HTTP.
    inherited = {k: v for k, v in moto.environment.items() if k != "AWS_CA_BUNDLE"}
    return {
        **inherited,
        "RCLONE_CONFIG": str(Path(tempfile.gettempdir()) / "bench-rclone-none.conf"),  # no config file
        prefix + "TYPE": "s3",
        prefix + "PROVIDER": "Other",
        prefix + "ENDPOINT": moto.url,
        prefix + "REGION": DUMMY_CREDENTIALS["AWS_REGION"],
        prefix + "ACCESS_KEY_ID": DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        prefix + "SECRET_ACCESS_KEY": DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        prefix + "FORCE_PATH_STYLE": "true",
        prefix + "LIST_VERSION": "2",
    }


def publish_rclone(moto: CountingMotoServer, rtt: dict[str, float], output: Path, target: Target) -> Run:
    rclone = shutil.which("rclone")
    if rclone is None:
        raise AnchorMissing("rclone is missing: run `make tools` as root (Debian's rclone)")
    command = [
        rclone, "sync", "--checksum", "--fast-list", "--transfers", str(ANCHOR_WORKERS),
        "--checkers", str(ANCHOR_WORKERS), "--s3-no-check-bucket", "--s3-no-head",
        f"{output}/", f"bench:{target.buckets[RCLONE]}",
    ]
    return _timed(moto, rtt, command, rclone_environment(moto))


def publish_s5cmd(moto: CountingMotoServer, rtt: dict[str, float], output: Path, target: Target) -> Run:
    if not S5CMD.exists():
        raise AnchorMissing(f"{S5CMD} is missing: run `make tools`")
    command = [
        str(S5CMD), "--endpoint-url", moto.url, "--numworkers", str(ANCHOR_WORKERS), "sync", "--delete",
        f"{output}/", f"s3://{target.buckets[S5CMD_SYNC]}/",
    ]
    return _timed(moto, rtt, command, moto.environment)


PUBLISHERS: dict[str, Callable[[CountingMotoServer, dict[str, float], Path, Target], Run]] = {
    OURS: publish_ours,
    AWS_SYNC: publish_aws_sync,
    RCLONE: publish_rclone,
    S5CMD_SYNC: publish_s5cmd,
}


def publish_all(moto: CountingMotoServer, output: Path, one: Round, turn: int) -> dict[str, Run]:
    """Every tool on the same output at the round's RTT; who goes first rotates with ``turn``."""
    order = TOOLS[turn % len(TOOLS):] + TOOLS[: turn % len(TOOLS)]
    runs = {tool: PUBLISHERS[tool](moto, one.rtt, output, one.target) for tool in order}
    return {tool: runs[tool] for tool in TOOLS}


def run(posts: int, rounds: int, rtt_ms: int = 30) -> list[Row]:
    missing = missing_anchors()
    if missing:
        raise AnchorMissing("missing anchors: " + "; ".join(missing))
    settings = [{}, network_rtt(rtt_ms)]
    compile_publish()
    with tempfile.TemporaryDirectory(prefix="bench-publish-") as scratch:
        site = generate_site(Path(scratch) / "content", posts)
        output = Path(scratch) / "output"
        build(site, output, settings_file="publishconf.py", site_url=SITE_URL)
        with CountingMotoServer() as moto:
            all_rounds = [
                Round(rtt, provision(moto, len(settings) * n + i))
                for n in range(rounds) for i, rtt in enumerate(settings)
            ]
            for turn, one in enumerate(all_rounds):
                one.first = publish_all(moto, output, one, turn)
            before = file_digests(output)
            edit_post(site.newest_post)
            build(site, output, settings_file="publishconf.py", site_url=SITE_URL)
            after = file_digests(output)
            for turn, one in enumerate(all_rounds):
                one.edit = publish_all(moto, output, one, turn + 1)
    changed = sorted(k for k, digest in after.items() if before.get(k) != digest)
    deleted = sorted(set(before) - set(after))
    return _rows(posts, settings, all_rounds, set(before), set(after), changed, deleted)


def _median(rounds: list[Round], stage: str, tool: str) -> float:
    return statistics.median(getattr(one, stage)[tool].seconds for one in rounds)


def _round_range(rounds: list[Round], stage: str, anchor: str) -> str:
    """The spread of the per-round ratios, so a noisy machine shows in the table."""
    ratios = sorted(getattr(one, stage)[OURS].seconds / getattr(one, stage)[anchor].seconds for one in rounds)
    return f"rounds {ratios[0]:.2f}–{ratios[-1]:.2f}×"


def _listed(items: list[str]) -> str:
    """The first few names, pages before the files that go with them (feeds, search chunks)."""
    shown = sorted(items, key=lambda key: (not key.endswith(".html"), key))
    return ", ".join(shown[:4]) + (", …" if len(shown) > 4 else "")


def _extra_writes(run: Run, bucket: str, site_keys: set[str]) -> str:
    """Ours' writes of objects that are not site files (the publish state, and whatever else
    publish keeps beside it), each named, so they are counted apart from the changed files."""
    extra = Counter(r.key for r in run.traffic.uploads(bucket) if r.key not in site_keys)
    return "".join(f" + {count} of {key}" for key, count in sorted(extra.items()))


def _anchor_figures(one: Round, stage: str) -> str:
    runs = getattr(one, stage)
    return "; ".join(
        f"{tool} {len(runs[tool].traffic.uploads(one.target.buckets[tool])):,} PUTs, "
        f"{human_bytes(runs[tool].traffic.uploaded_bytes(one.target.buckets[tool]))}"
        for tool in ANCHOR_TOOLS
    )


def _timing_row(
    figure: str, rounds: list[Round], stage: str, goal_anchor: str | None, limit: float, ours_extra: str = ""
) -> Row:
    """Ours against ``goal_anchor`` (None: the fastest anchor), every anchor's time shown."""
    medians = {tool: _median(rounds, stage, tool) for tool in TOOLS}
    fastest = min(ANCHOR_TOOLS, key=medians.__getitem__)
    anchor = goal_anchor or fastest
    times = ", ".join(f"{tool} {medians[tool]:.2f} s" for tool in ANCHOR_TOOLS)
    if goal_anchor:
        label = f"{anchor}: {medians[anchor]:.2f} s (all: {times}; ours ÷ fastest, {fastest}: {medians[OURS] / medians[fastest]:.2f}×)"
    else:
        label = f"fastest, {fastest}: {medians[fastest]:.2f} s (all: {times})"
    return Row.at_most(
        figure,
        f"{medians[OURS]:.2f} s ({_round_range(rounds, stage, anchor)}{ours_extra})",
        label,
        medians[OURS] / medians[anchor],
        limit,
    )


def _rows(posts, settings, all_rounds, before_keys, site_keys, changed, deleted) -> list[Row]:
    rounds_at = [[one for one in all_rounds if one.rtt == rtt] for rtt in settings]
    count = len(rounds_at[0])
    timing = f"median of {count} rounds" if count > 1 else "1 round"
    # A CDN may hold an old copy only of objects that existed before: replaced or deleted ones.
    replaced = [k for k in changed if k in before_keys] + deleted
    expected_paths = set().union(set(), *(url_forms(k) for k in replaced))
    uploads_exact = all(
        sorted(r.key for r in one.edit[OURS].content_uploads(one.target.buckets[OURS], site_keys)) == changed
        for one in all_rounds
    )
    paths_exact = all(set(one.edit[OURS].invalidation_paths) == expected_paths for one in all_rounds)

    # Counts and bytes are the same every round and at every RTT; the first round's are shown.
    shown = all_rounds[0]
    buckets = shown.target.buckets
    ours_edit = shown.edit[OURS]
    ours_puts = ours_edit.traffic.uploads(buckets[OURS])
    ours_content = ours_edit.content_uploads(buckets[OURS], site_keys)
    sync_puts = shown.edit[AWS_SYNC].traffic.uploads(buckets[AWS_SYNC])
    ours_bytes = ours_edit.traffic.uploaded_bytes(buckets[OURS])
    sync_bytes = shown.edit[AWS_SYNC].traffic.uploaded_bytes(buckets[AWS_SYNC])
    paths = ours_edit.invalidation_paths
    edit = f"One-post edit ({posts:,} posts)"

    rows = [
        Row(
            f"{edit}: PUT requests",
            f"{len(ours_puts)} ({len(ours_content)} changed files"
            f"{_extra_writes(ours_edit, buckets[OURS], site_keys)})",
            f"aws s3 sync: {len(sync_puts):,} ("
            + "; ".join(
                f"{tool}: {len(shown.edit[tool].traffic.uploads(buckets[tool])):,}" for tool in ANCHOR_TOOLS[1:]
            )
            + ")",
            len(ours_puts) / len(sync_puts) if sync_puts else None,
            f"site files put = the {len(changed)} whose bytes changed ({_listed(changed)})",
            uploads_exact,
        ),
        Row(
            f"{edit}: bytes uploaded",
            f"{human_bytes(ours_bytes)} (changed files "
            f"{human_bytes(sum(r.payload_bytes for r in ours_content))})",
            f"aws s3 sync: {human_bytes(sync_bytes)} ("
            + "; ".join(
                f"{tool}: {human_bytes(shown.edit[tool].traffic.uploaded_bytes(buckets[tool]))}"
                for tool in ANCHOR_TOOLS[1:]
            )
            + ")",
            ours_bytes / sync_bytes if sync_bytes else None,
            "only the changed files' bytes (+ publish state)",
            uploads_exact,
        ),
        Row(
            f"{edit}: CloudFront invalidation paths",
            f"{len(paths)}: {_listed(paths)}",
            "aws s3 sync, rclone, s5cmd: none (users add `/*`, which empties the cache)",
            None,
            "exactly the replaced objects' URLs, no `/*`",
            paths_exact,
        ),
    ]
    for rtt, rounds in zip(settings, rounds_at):
        at = f"RTT {describe_rtt(rtt)}"
        networked = bool(rtt)
        rows.append(_timing_row(
            f"{edit}: wall time, {at}, same rebuild ({timing})",
            rounds, "edit", None if networked else AWS_SYNC,
            EDIT_GOAL_AT_RTT if networked else EDIT_GOAL_AT_ZERO,
        ))
    for rtt, rounds in zip(settings, rounds_at):
        at = f"RTT {describe_rtt(rtt)}"
        networked = bool(rtt)
        first = rounds[0]
        ours_bucket = first.target.buckets[OURS]
        rows.append(_timing_row(
            f"Full first publish ({posts:,} posts, {len(before_keys):,} files), {at}: wall time ({timing})",
            rounds, "first", None if networked else AWS_SYNC,
            FULL_GOAL_AT_RTT if networked else FULL_GOAL_AT_ZERO,
            f"; {len(first.first[OURS].traffic.uploads(ours_bucket)):,} PUTs, "
            f"{human_bytes(first.first[OURS].traffic.uploaded_bytes(ours_bucket))}, "
            f"{first.first[OURS].traffic.count('dynamodb')} DynamoDB requests registering pages; "
            f"anchors: {_anchor_figures(first, 'first')}",
        ))
    return rows


if __name__ == "__main__":
    run_alone(run, QUICK, FULL, __doc__)
