"""What the publish tests share besides fixtures: a small built site, a moto bucket and
distribution seen as a user would see them, and a log of the S3 calls publish makes."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import boto3

from deploy.objects import BOOKKEEPING_KEYS, STATE_KEY
from deploy.publish import PublishOptions, PublishSummary, publish
from deploy.remote import Clients
from deploy.rollback import RollbackOptions, RollbackSummary, rollback
from shared.targets import DEFAULT_REGION
from plugins.visitor_counter.keys import script_name

BUCKET = "blog-site-123456789012"
TABLE = "blog-counter"
COUNTER_SCRIPT = "document.querySelectorAll('.visitor-counter')"
# Named as the visitor_counter plugin names it: the start of its own SHA-256.
COUNTER_JS = script_name(COUNTER_SCRIPT.encode(), "js")

SITE = {
    "index.html": "<h1>Field Notes</h1><a href=/posts/alpha/>alpha</a><a href=/posts/beta/>beta</a>",
    "404.html": "<h1>Not found</h1>",
    "posts/alpha/index.html": "<h1>Alpha</h1><p>first post</p>",
    "posts/beta/index.html": "<h1>Beta</h1><p>second post</p>",
    "posts/gamma/index.html": "<h1>Gamma</h1><p>third post</p>",
    "tags/aws/index.html": "<ul><li>alpha</li><li>beta</li><li>gamma</li></ul>",
    "feeds/all.atom.xml": "<feed><entry>alpha</entry><entry>beta</entry></feed>",
    "theme/css/main.css": "body { color: #222 }",
    COUNTER_JS: COUNTER_SCRIPT,
    "images/topology.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>",
    "counter-pages.json": json.dumps(["/", "/posts/alpha/", "/posts/beta/", "/posts/gamma/"]),
}
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))


def write_site(root: Path, files: dict[str, str] = SITE) -> Path:
    for key, text in files.items():
        path = root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (root / "images").mkdir(exist_ok=True)
    (root / "images" / "photo.png").write_bytes(PNG)
    return root


def edit(root: Path, key: str, old: str, new: str) -> None:
    path = root / key
    path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")


def snapshot(output: Path) -> dict[str, bytes]:
    return {p.relative_to(output).as_posix(): p.read_bytes() for p in output.rglob("*") if p.is_file()}


class Stack:
    """A moto bucket and distribution, and helpers to look at them as a user would."""

    def __init__(self, site: Path, versioned: bool = True):
        self.site = site
        self.s3 = boto3.client("s3", region_name=DEFAULT_REGION)
        self.cloudfront = boto3.client("cloudfront", region_name=DEFAULT_REGION)
        self.s3.create_bucket(Bucket=BUCKET)
        if versioned:  # as terraform/site.tf makes the site bucket
            self.s3.put_bucket_versioning(
                Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"}
            )
        self.distribution_id = self.cloudfront.create_distribution(
            DistributionConfig={
                "CallerReference": "test",
                "Comment": "",
                "Enabled": True,
                "Origins": {
                    "Quantity": 1,
                    "Items": [
                        {
                            "Id": "site",
                            "DomainName": f"{BUCKET}.s3.{DEFAULT_REGION}.amazonaws.com",
                            "S3OriginConfig": {"OriginAccessIdentity": ""},
                        }
                    ],
                },
                "DefaultCacheBehavior": {
                    "TargetOriginId": "site",
                    "ViewerProtocolPolicy": "redirect-to-https",
                    "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6",
                },
            }
        )["Distribution"]["Id"]
        self.clients = Clients.create()

    def publish(self, **options) -> PublishSummary:
        table = options.pop("table", None)
        return publish(
            self.site,
            BUCKET,
            distribution_id=self.distribution_id,
            table=table,
            clients=self.clients,
            options=PublishOptions(**options),
        )

    def objects(self) -> dict[str, str]:
        """key -> ETag of every site object (publish's own bookkeeping left out)."""
        listed = self.s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])
        return {o["Key"]: o["ETag"] for o in listed if o["Key"] not in BOOKKEEPING_KEYS}

    def served(self) -> dict[str, tuple[bytes, str, str]]:
        """key -> (bytes, Content-Type, Cache-Control) of every site object, as a viewer gets it."""
        served = {}
        for key in self.objects():
            got = self.s3.get_object(Bucket=BUCKET, Key=key)
            served[key] = (got["Body"].read(), got["ContentType"], got.get("CacheControl", ""))
        return served

    def rollback(self, **options) -> "RollbackSummary":
        table = options.pop("table", None)
        to = options.pop("to", None)
        return rollback(
            BUCKET,
            to=to,
            distribution_id=self.distribution_id,
            table=table,
            clients=self.clients,
            options=RollbackOptions(**options),
        )

    def body(self, key: str) -> bytes:
        return self.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()

    def invalidations(self) -> list[list[str]]:
        """Paths of every invalidation, oldest first, as CloudFront reports them."""
        listed = self.cloudfront.list_invalidations(DistributionId=self.distribution_id)
        items = listed["InvalidationList"].get("Items", [])
        batches = [
            self.cloudfront.get_invalidation(DistributionId=self.distribution_id, Id=item["Id"])[
                "Invalidation"
            ]
            for item in items
        ]
        batches.sort(key=lambda inv: inv["CreateTime"])
        return [sorted(inv["InvalidationBatch"]["Paths"]["Items"]) for inv in batches]

    def assert_matches_site(self) -> None:
        local = snapshot(self.site)
        assert set(self.objects()) == set(local)
        for key, data in local.items():
            assert self.body(key) == data, key


class OperationLog:
    """(operation, key) of every S3 call in the order made, read from botocore's own events."""

    def __init__(self, client):
        self.calls: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        client.meta.events.register("before-parameter-build.s3", self._record)

    def _record(self, model, params, **_):
        with self._lock:
            self.calls.append((model.name, params.get("Key", "")))

    def keys(self, operation: str) -> list[str]:
        return [key for op, key in self.calls if op == operation and key not in BOOKKEEPING_KEYS]


def registered_keys(dynamodb) -> set[str]:
    items = dynamodb.scan(TableName=TABLE)["Items"]
    return {item["pk"]["S"] for item in items}
