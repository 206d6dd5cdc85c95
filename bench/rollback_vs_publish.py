"""Recovering from a one-post mistake: ``make rollback`` against publishing the fix.

The 1,000-post site is published (A), then one post is edited by mistake, rebuilt and
published (B). The author gets A back in one of two ways, measured side by side at the same
emulated RTT (30 ms to S3, CloudFront and DynamoDB, as from a laptop or a CI runner):

- ours: ``make rollback`` (``run_rollback``, a fresh process): the bucket's earlier object
  versions of what B changed are copied back, exactly those URLs invalidated;
- the anchor, what an author does without it: revert the post and ``make publish`` the fix,
  that is a Pelican rebuild of the whole site plus a publish of what the rebuild changed.

Both are counted at the moto server (requests per service, PUTs and copies). After each
recovery every object in the bucket must have A's bytes, or the benchmark fails. Each round
publishes B again first (not measured), so both ways always start from the same bucket.

Run alone: ``python -m bench.rollback_vs_publish [--quick] [--posts N] [--rounds N] [--rtt_ms N]``.
"""

from __future__ import annotations

import hashlib
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.cli import run_alone
from bench.moto_server import CountingMotoServer, Traffic, describe_rtt
from bench.publish_vs_sync import OURS, SITE_URL, Run, Target, _invalidations, _timed, network_rtt, publish_ours
from bench.sitegen import build, edit_post, generate_site
from bench.table import Row
from shared.counter_table import create_table
from deploy.objects import BOOKKEEPING_KEYS
from devstack.provision import create_distribution, create_site_bucket

QUICK = {"posts": 30, "rounds": 1, "rtt_ms": 30}
FULL = {"posts": 1000, "rounds": 3, "rtt_ms": 30}
MISTAKE = "A sentence published by mistake."


def provision(moto: CountingMotoServer) -> Target:
    """A versioned bucket (as site.tf makes it: rollback needs the versions), a table and a
    distribution."""
    s3 = moto.client("s3")
    bucket = "bench-rollback"
    create_site_bucket(s3, bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    create_table(moto.client("dynamodb"), "bench-rollback-counter")
    distribution = create_distribution(moto.client("cloudfront"), bucket, "bench-rollback")
    return Target({OURS: bucket}, "bench-rollback-counter", distribution)


def rollback_ours(moto: CountingMotoServer, rtt: dict[str, float], target: Target) -> Run:
    code = (
        "from deploy.cli import RollbackRequest, run_rollback\n"
        f"raise SystemExit(run_rollback(RollbackRequest(bucket={target.buckets[OURS]!r}, "
        f"distribution_id={target.distribution_id!r}, table={target.table!r}, "
        f"endpoint_url={moto.url!r})))"
    )
    before = _invalidations(moto, target.distribution_id)
    run = _timed(moto, rtt, [sys.executable, "-c", code], {**moto.environment, "SITEURL": SITE_URL})
    after = _invalidations(moto, target.distribution_id)
    run.invalidation_paths = sorted(p for i, paths in after.items() if i not in before for p in paths)
    return run


def bucket_digests(moto: CountingMotoServer, bucket: str) -> dict[str, str]:
    """The site as the bucket serves it now: key -> SHA-256 of the current version."""
    s3 = moto.client("s3")
    digests = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            if item["Key"] not in BOOKKEEPING_KEYS:
                body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
                digests[item["Key"]] = hashlib.sha256(body).hexdigest()
    return digests


def folder_digests(root: Path) -> dict[str, str]:
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*")) if path.is_file()
    }


def _requests(traffic: Traffic) -> str:
    services = {service: traffic.count(service) for service in ("s3", "dynamodb", "cloudfront")}
    writes = traffic.count("s3", "PutObject") + traffic.count("s3", "CopyObject")
    listed = ", ".join(f"{service} {count}" for service, count in services.items() if count)
    return f"{sum(services.values())} requests ({listed}; {writes} S3 writes)"


def run(posts: int, rounds: int, rtt_ms: int = 30) -> list[Row]:
    rtt = network_rtt(rtt_ms)
    with tempfile.TemporaryDirectory(prefix="bench-rollback-") as scratch:
        site = generate_site(Path(scratch) / "content", posts)
        good, bad, fixed = (Path(scratch) / name for name in ("good", "bad", "fixed"))
        build(site, good, settings_file="publishconf.py", site_url=SITE_URL)
        post = site.posts[len(site.posts) // 2]
        original = post.read_text(encoding="utf-8")
        edit_post(post, MISTAKE)
        build(site, bad, settings_file="publishconf.py", site_url=SITE_URL)
        post.write_text(original, encoding="utf-8")
        expected = folder_digests(good)
        changed = sum(expected.get(key) != digest for key, digest in folder_digests(bad).items())
        rollbacks: list[Run] = []
        fixes: list[tuple[float, Run]] = []
        with CountingMotoServer() as moto:
            target = provision(moto)
            bucket = target.buckets[OURS]
            publish_ours(moto, {}, good, target)
            for number in range(rounds):
                publish_ours(moto, {}, bad, target)
                rollbacks.append(rollback_ours(moto, rtt, target))
                if bucket_digests(moto, bucket) != expected:
                    raise RuntimeError(f"round {number}: make rollback did not bring back the good site")
                publish_ours(moto, {}, bad, target)
                # The fix: the post reverted (the content is the good one again), rebuilt, published.
                started = time.perf_counter()
                build(site, fixed, settings_file="publishconf.py", site_url=SITE_URL)
                build_seconds = time.perf_counter() - started
                fixes.append((build_seconds, publish_ours(moto, rtt, fixed, target)))
                if bucket_digests(moto, bucket) != expected:
                    raise RuntimeError(f"round {number}: publishing the fix did not bring back the good site")
                print(
                    f"  round {number}: rollback {rollbacks[-1].seconds:.2f} s, fix "
                    f"{build_seconds:.2f} s build + {fixes[-1][1].seconds:.2f} s publish",
                    file=sys.stderr, flush=True,
                )
    rollback_seconds = statistics.median(r.seconds for r in rollbacks)
    fix_seconds = statistics.median(build + publish.seconds for build, publish in fixes)
    publish_seconds = statistics.median(publish.seconds for _, publish in fixes)
    build_seconds = statistics.median(build for build, _ in fixes)
    where = f"{posts} posts, {changed} files changed by the mistake, RTT {describe_rtt(rtt)}"
    return [
        Row(
            f"Rollback of a one-post mistake ({where}): wall time (median of {rounds})",
            f"make rollback: {rollback_seconds:.2f} s",
            f"make publish of the fix: {fix_seconds:.2f} s (rebuild {build_seconds:.2f} s + "
            f"publish {publish_seconds:.2f} s)",
            rollback_seconds / fix_seconds, "reported (no goal set)", None,
        ),
        Row(
            f"Rollback of a one-post mistake ({where}): requests",
            f"make rollback: {_requests(rollbacks[-1].traffic)}, "
            f"{len(rollbacks[-1].invalidation_paths)} invalidation paths",
            f"make publish of the fix: {_requests(fixes[-1][1].traffic)}, "
            f"{len(fixes[-1][1].invalidation_paths)} invalidation paths",
            rollbacks[-1].traffic.count() / max(fixes[-1][1].traffic.count(), 1),
            "reported (no goal set)", None,
        ),
    ]


if __name__ == "__main__":
    run_alone(run, QUICK, FULL, __doc__)
