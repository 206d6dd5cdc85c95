"""Create on moto (or any AWS-compatible endpoint) what Terraform creates for a site: the
private bucket, the counter table and the distribution, under the names its defaults give them.

Every step is idempotent, so a stack pointed at an endpoint that outlives it (LocalStack, a
moto server of its own) finds its resources again on the next start.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import boto3

from shared.counter_table import create_table
from shared.targets import DEFAULT_REGION

# moto's account id; the Terraform stack names the bucket "<project>-site-<account id>".
LOCAL_ACCOUNT_ID = "123456789012"
DEFAULT_PROJECT = "blog"  # variables.tf: project_name
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"  # the site behaviour's managed cache policy


@dataclass(frozen=True)
class StackNames:
    """The names the Terraform stack gives its resources by default."""

    project: str = DEFAULT_PROJECT
    region: str = DEFAULT_REGION
    site_name: str = "localhost"

    @property
    def bucket(self) -> str:
        return f"{self.project}-site-{LOCAL_ACCOUNT_ID}"

    @property
    def table(self) -> str:
        return f"{self.project}-counter"

    @property
    def distribution_comment(self) -> str:
        return f"{self.project} site"


@dataclass(frozen=True)
class Provisioned:
    """The clients of one endpoint and the distribution created there."""

    names: StackNames
    s3: Any
    dynamodb: Any
    cloudfront: Any
    distribution_id: str


# terraform/site.tf's lifecycle rule, with variables.tf's default noncurrent_version_retention_days:
# overwritten and deleted versions are kept for rollback, then expire.
NONCURRENT_VERSION_RETENTION_DAYS = 30
SITE_LIFECYCLE_RULES = [
    {
        "ID": "expire-old-versions",
        "Status": "Enabled",
        "Filter": {},
        "NoncurrentVersionExpiration": {"NoncurrentDays": NONCURRENT_VERSION_RETENTION_DAYS},
        "Expiration": {"ExpiredObjectDeleteMarker": True},
        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
    }
]


def create_site_bucket(s3: Any, bucket: str) -> None:
    """A bucket with every public access blocked, versioned, with the lifecycle rule that
    expires old versions, as site.tf makes it: `make rollback` works against the local stack."""
    if bucket not in {b["Name"] for b in s3.list_buckets().get("Buckets", [])}:
        region = s3.meta.region_name
        location = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
        s3.create_bucket(Bucket=bucket, **location)
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True, "IgnorePublicAcls": True,
            "BlockPublicPolicy": True, "RestrictPublicBuckets": True,
        },
    )
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": SITE_LIFECYCLE_RULES})


def create_distribution(cloudfront: Any, bucket: str, comment: str) -> str:
    """The id of the distribution in front of ``bucket`` with this comment, created if missing."""
    for item in cloudfront.list_distributions().get("DistributionList", {}).get("Items", []) or []:
        if item.get("Comment") == comment:
            return item["Id"]
    origin_id = "site-bucket"
    created = cloudfront.create_distribution(
        DistributionConfig={
            "CallerReference": comment,
            "Comment": comment,
            "Enabled": True,
            "DefaultRootObject": "index.html",
            "Origins": {
                "Quantity": 1,
                "Items": [{
                    "Id": origin_id,
                    "DomainName": f"{bucket}.s3.{cloudfront.meta.region_name}.amazonaws.com",
                    "S3OriginConfig": {"OriginAccessIdentity": ""},
                }],
            },
            "DefaultCacheBehavior": {
                "TargetOriginId": origin_id,
                "ViewerProtocolPolicy": "redirect-to-https",
                "CachePolicyId": CACHING_OPTIMIZED,
            },
        }
    )
    return created["Distribution"]["Id"]


def provision(names: StackNames = StackNames(), endpoint_url: str | None = None) -> Provisioned:
    """The bucket, the counter table and the distribution, on ``endpoint_url`` (default: the
    one boto3 resolves, which ``AWS_ENDPOINT_URL`` or moto's ``mock_aws`` decide)."""
    session = boto3.session.Session(region_name=names.region)
    s3, dynamodb, cloudfront = (session.client(service, endpoint_url=endpoint_url) for service in ("s3", "dynamodb", "cloudfront"))
    create_site_bucket(s3, names.bucket)
    create_table(dynamodb, names.table)
    return Provisioned(names, s3, dynamodb, cloudfront, create_distribution(cloudfront, names.bucket, names.distribution_comment))
