"""Publish benchmarks: our publish against ``aws s3 sync``, on the same moto server and the same
build, counted on the server side.

1. Full first publish of the synthetic site into empty buckets (which tool goes first
   alternates from round to round).
2. One post edited, the site rebuilt (Pelican rewrites every file), and both publish the same
   rebuild again: PUT requests, bytes uploaded, invalidation paths, wall time.

Both run as the command a user types would: a fresh process each (our ``run_publish``, the
body of ``invoke publish --no-build``; awscli v1 from its own virtualenv), so interpreter start
counts for both. ``aws s3 sync`` runs as in Pelican's own Makefile (``--delete``; not its
``--acl public-read``: our bucket is private behind CloudFront).

Run alone: ``python -m bench.publish_vs_sync [--quick] [--posts N] [--rounds N]``.
"""

from __future__ import annotations

import hashlib
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.cli import run_alone
from bench.moto_server import CountingMotoServer, Traffic
from bench.sitegen import build, edit_post, generate_site
from bench.table import Row, human_bytes
from counter_lambda.tables import create_table
from deploy.targets import PROJECT_ROOT
from devstack.provision import create_distribution, create_site_bucket

SITE_URL = "https://blog.example.org"
AWSCLI = PROJECT_ROOT / ".venv-awscli" / "bin" / "aws"
EDIT_WALL_GOAL = 0.3
FULL_WALL_GOAL = 1.0
QUICK = {"posts": 30, "rounds": 1}
FULL = {"posts": 1000, "rounds": 3}


class AnchorMissing(RuntimeError):
    pass


@dataclass
class Target:
    """One round's resources: a bucket for us, one for ``aws s3 sync``, a table, a distribution."""

    ours_bucket: str
    sync_bucket: str
    table: str
    distribution_id: str


@dataclass
class Run:
    seconds: float
    traffic: Traffic
    invalidation_paths: list[str] = field(default_factory=list)

    def content_uploads(self, bucket: str, site_keys: set[str]):
        return [r for r in self.traffic.uploads(bucket) if r.key in site_keys]


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


def provision(moto: CountingMotoServer, round_number: int) -> Target:
    target = Target(
        f"bench-ours-{round_number}", f"bench-sync-{round_number}", f"bench-counter-{round_number}", ""
    )
    s3 = moto.client("s3")
    create_site_bucket(s3, target.ours_bucket)
    create_site_bucket(s3, target.sync_bucket)
    create_table(moto.client("dynamodb"), target.table)
    target.distribution_id = create_distribution(moto.client("cloudfront"), target.ours_bucket, f"bench-{round_number}")
    return target


def _invalidations(moto: CountingMotoServer, distribution_id: str) -> dict[str, list[str]]:
    cloudfront = moto.client("cloudfront")
    listed = cloudfront.list_invalidations(DistributionId=distribution_id)["InvalidationList"]
    found = {}
    for item in listed.get("Items", []) or []:
        batch = cloudfront.get_invalidation(DistributionId=distribution_id, Id=item["Id"])
        found[item["Id"]] = batch["Invalidation"]["InvalidationBatch"]["Paths"].get("Items", [])
    return found


def _timed(moto: CountingMotoServer, command: list[str], env: dict[str, str]) -> Run:
    with moto.measure() as traffic:
        started = time.perf_counter()
        done = subprocess.run(command, env=env, capture_output=True, text=True, cwd=PROJECT_ROOT)
        seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{command[0]} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    return Run(seconds, traffic)


def publish_ours(moto: CountingMotoServer, output: Path, target: Target) -> Run:
    before = _invalidations(moto, target.distribution_id)
    code = (
        "from deploy.cli import PublishRequest, run_publish\n"
        f"raise SystemExit(run_publish(PublishRequest(bucket={target.ours_bucket!r}, "
        f"distribution_id={target.distribution_id!r}, table={target.table!r}, "
        f"endpoint_url={moto.url!r}, build=False, output_dir={str(output)!r})))"
    )
    env = {**moto.environment, "SITEURL": SITE_URL}  # every target given: Terraform is not asked
    run = _timed(moto, [sys.executable, "-c", code], env)
    after = _invalidations(moto, target.distribution_id)
    run.invalidation_paths = sorted(p for i, paths in after.items() if i not in before for p in paths)
    return run


def publish_sync(moto: CountingMotoServer, output: Path, target: Target) -> Run:
    if not AWSCLI.exists():
        raise AnchorMissing(f"{AWSCLI} is missing: run `make .venv-awscli/.installed`")
    command = [
        str(AWSCLI), "s3", "sync", f"{output}/", f"s3://{target.sync_bucket}", "--delete",
        "--no-progress", "--only-show-errors", "--endpoint-url", moto.url,
    ]
    return _timed(moto, command, moto.environment)


def publish_both(moto: CountingMotoServer, output: Path, target: Target, ours_first: bool) -> tuple[Run, Run]:
    """Ours and ``aws s3 sync`` on the same output; which goes first alternates across rounds."""
    tools = {"ours": publish_ours, "sync": publish_sync}
    runs = {name: tools[name](moto, output, target) for name in (("ours", "sync") if ours_first else ("sync", "ours"))}
    return runs["ours"], runs["sync"]


def run(posts: int, rounds: int) -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="bench-publish-") as scratch:
        site = generate_site(Path(scratch) / "content", posts)
        output = Path(scratch) / "output"
        build(site, output, settings_file="publishconf.py", site_url=SITE_URL)
        with CountingMotoServer() as moto:
            targets = [provision(moto, n) for n in range(1, rounds + 1)]
            first = [publish_both(moto, output, t, n % 2 == 0) for n, t in enumerate(targets)]
            before = file_digests(output)
            edit_post(site.newest_post)
            build(site, output, settings_file="publishconf.py", site_url=SITE_URL)
            after = file_digests(output)
            edits = [publish_both(moto, output, t, n % 2 == 1) for n, t in enumerate(targets)]
    changed = sorted(k for k, digest in after.items() if before.get(k) != digest)
    deleted = sorted(set(before) - set(after))
    return _rows(posts, targets, first, edits, set(before), set(after), changed, deleted)


def _round_range(pairs: list[tuple[Run, Run]]) -> str:
    """The spread of the per-round ratios, so a noisy machine shows in the table."""
    ratios = sorted(ours.seconds / sync.seconds for ours, sync in pairs)
    return f"rounds {ratios[0]:.2f}–{ratios[-1]:.2f}×"


def _rows(posts, targets, first, edits, before_keys, site_keys, changed, deleted) -> list[Row]:
    rounds = len(targets)
    timing = f"median of {rounds} rounds" if rounds > 1 else "1 round"
    full_ours_s = statistics.median(o.seconds for o, _ in first)
    full_sync_s = statistics.median(s.seconds for _, s in first)
    edit_ours_s = statistics.median(o.seconds for o, _ in edits)
    edit_sync_s = statistics.median(s.seconds for _, s in edits)
    # A CDN may hold an old copy only of objects that existed before: replaced or deleted ones.
    replaced = [k for k in changed if k in before_keys] + deleted
    expected_paths = set().union(set(), *(url_forms(k) for k in replaced))
    uploads_exact = all(
        sorted(r.key for r in ours.content_uploads(t.ours_bucket, site_keys)) == changed
        for t, (ours, _) in zip(targets, edits)
    )
    paths_exact = all(set(ours.invalidation_paths) == expected_paths for ours, _ in edits)

    # Counts and bytes are the same every round; the first round's are shown.
    target, (ours_edit, sync_edit), (ours_full, sync_full) = targets[0], edits[0], first[0]
    ours_puts = ours_edit.traffic.uploads(target.ours_bucket)
    ours_content = ours_edit.content_uploads(target.ours_bucket, site_keys)
    sync_puts = sync_edit.traffic.uploads(target.sync_bucket)
    extra = len(ours_puts) - len(ours_content)
    ours_bytes = ours_edit.traffic.uploaded_bytes(target.ours_bucket)
    sync_bytes = sync_edit.traffic.uploaded_bytes(target.sync_bucket)
    paths = ours_edit.invalidation_paths
    edit = f"One-post edit ({posts:,} posts)"

    def listed(items: list[str]) -> str:
        return ", ".join(items[:4]) + (", …" if len(items) > 4 else "")

    return [
        Row(
            f"{edit}: PUT requests",
            f"{len(ours_puts)} ({len(ours_content)} changed files"
            + (f" + {extra} write{'s' * (extra > 1)} of the publish state" if extra else "") + ")",
            f"aws s3 sync: {len(sync_puts):,}",
            len(ours_puts) / len(sync_puts) if sync_puts else None,
            f"site files put = the {len(changed)} whose bytes changed ({listed(changed)})",
            uploads_exact,
        ),
        Row(
            f"{edit}: bytes uploaded",
            f"{human_bytes(ours_bytes)} (changed files "
            f"{human_bytes(sum(r.payload_bytes for r in ours_content))})",
            f"aws s3 sync: {human_bytes(sync_bytes)}",
            ours_bytes / sync_bytes if sync_bytes else None,
            "only the changed files' bytes (+ publish state)",
            uploads_exact,
        ),
        Row(
            f"{edit}: CloudFront invalidation paths",
            f"{len(paths)}: {listed(paths)}",
            "aws s3 sync: none (users add `/*`, which empties the cache)",
            None,
            "exactly the replaced objects' URLs, no `/*`",
            paths_exact,
        ),
        Row.at_most(
            f"{edit}: wall time, same rebuild ({timing})",
            f"{edit_ours_s:.2f} s ({_round_range(edits)})",
            f"aws s3 sync: {edit_sync_s:.2f} s",
            edit_ours_s / edit_sync_s,
            EDIT_WALL_GOAL,
        ),
        Row.at_most(
            f"Full first publish ({posts:,} posts, {len(site_keys):,} files): wall time ({timing})",
            f"{full_ours_s:.2f} s ({_round_range(first)}; {len(ours_full.traffic.uploads(target.ours_bucket)):,} PUTs, "
            f"{human_bytes(ours_full.traffic.uploaded_bytes(target.ours_bucket))}; also "
            f"{ours_full.traffic.count('dynamodb')} DynamoDB requests registering pages)",
            f"aws s3 sync: {full_sync_s:.2f} s ({len(sync_full.traffic.uploads(target.sync_bucket)):,} PUTs, "
            f"{human_bytes(sync_full.traffic.uploaded_bytes(target.sync_bucket))})",
            full_ours_s / full_sync_s,
            FULL_WALL_GOAL,
        ),
    ]


if __name__ == "__main__":
    run_alone(run, QUICK, FULL, __doc__)
