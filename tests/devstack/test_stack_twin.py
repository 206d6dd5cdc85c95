"""The local stack is production's twin: the bucket Terraform makes (versioned, the same
lifecycle), an endpoint of one's own without credentials, and `make publish` and `make rollback`
pointed at a running `make serve` by the variables it prints."""

from __future__ import annotations

import shutil
import urllib.request

import boto3
from moto import mock_aws

from deploy.cli import PublishRequest, RollbackRequest, run_publish, run_rollback
from devstack.provision import StackNames, provision
from devstack.stack import DevStack
from shared.targets import PROJECT_ROOT
from tests.terraform import terraform_checks as checks


def test_the_local_bucket_is_versioned_with_the_lifecycle_terraform_gives_it(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    config = checks.load(PROJECT_ROOT / "terraform")
    rule = checks.first_block(config.resources[("aws_s3_bucket_lifecycle_configuration", "site")], "rule")
    retention = config.variables["noncurrent_version_retention_days"]["default"]
    with mock_aws():
        names = StackNames()
        s3 = provision(names).s3
        assert s3.get_bucket_versioning(Bucket=names.bucket)["Status"] == "Enabled"
        [local_rule] = s3.get_bucket_lifecycle_configuration(Bucket=names.bucket)["Rules"]
    assert local_rule["ID"] == checks.literal(rule["id"])
    assert local_rule["Status"] == checks.literal(rule["status"])
    assert local_rule["NoncurrentVersionExpiration"]["NoncurrentDays"] == retention
    assert local_rule["Expiration"]["ExpiredObjectDeleteMarker"] is checks.first_block(rule, "expiration")["expired_object_delete_marker"]
    aborted = checks.first_block(rule, "abort_incomplete_multipart_upload")["days_after_initiation"]
    assert local_rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"] == aborted


def served(stack: DevStack, path: str) -> bytes:
    with urllib.request.urlopen(f"{stack.url}{path}", timeout=10) as response:
        return response.read()


def test_make_publish_and_make_rollback_run_against_a_running_local_stack(built_site, tmp_path, monkeypatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    site = tmp_path / "output"
    shutil.copytree(built_site, site)
    with DevStack(port=0, output_dir=built_site, build=False) as stack:
        # what `make serve` prints, as another terminal would have it
        printed = dict(part.split("=", 1) for part in stack.target_variables().split())
        assert set(printed) == {"AWS_ENDPOINT_URL", "SITE_BUCKET", "DISTRIBUTION_ID", "COUNTER_TABLE"}
        original = served(stack, "/about/")
        (site / "about" / "index.html").write_bytes(original.replace(b"<h1>About</h1>", b"<h1>About us</h1>"))
        with monkeypatch.context() as terminal:
            for name in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
                terminal.delenv(name, raising=False)
            for name, value in printed.items():
                terminal.setenv(name, value)
            assert run_publish(PublishRequest(build=False, output_dir=site)) == 0
            assert b"<h1>About us</h1>" in served(stack, "/about/")
            assert run_rollback(RollbackRequest()) == 0
        assert served(stack, "/about/") == original
        s3 = boto3.client("s3", endpoint_url=stack.endpoint_url, region_name="us-east-1",
                          aws_access_key_id="local", aws_secret_access_key="local")
        versions = s3.list_object_versions(Bucket=printed["SITE_BUCKET"], Prefix="about/index.html")["Versions"]
        assert len(versions) == 3  # served, published over, rolled back
