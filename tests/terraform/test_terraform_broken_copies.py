"""The offline checks catch what they promise to: each test breaks a copy of the stack once."""

from __future__ import annotations

import pytest

from tests.terraform import terraform_checks as checks


def test_the_real_stack_has_no_errors():
    assert checks.all_errors(checks.TERRAFORM) == []


BREAKAGES = {
    "unknown argument": (
        "site.tf", "  bucket = local.site_bucket_name\n", "  bucket = local.site_bucket_name\n  colour = \"blue\"\n",
        "aws_s3_bucket.site: unsupported argument or block 'colour'"),
    "unknown nested block": (
        "cdn.tf", "    function_association {", "    function_assoc {",
        "aws_cloudfront_distribution.site.default_cache_behavior[0]: unsupported argument or block 'function_assoc'"),
    "undeclared variable": (
        "cdn.tf", "price_class         = var.price_class", "price_class         = var.cdn_price_class",
        "resource aws_cloudfront_distribution.site: reference to undeclared var.cdn_price_class"),
    "undeclared local": (
        "counter.tf", "name                        = local.counter_table_name", "name                        = local.table_name",
        "resource aws_dynamodb_table.counter: reference to undeclared local.table_name"),
    "undeclared resource": (
        "outputs.tf", "value       = aws_s3_bucket.site.bucket", "value       = aws_s3_bucket.website.bucket",
        "output site_bucket_name: reference to undeclared aws_s3_bucket.website"),
    "attribute the type does not export": (
        "outputs.tf", "aws_cloudfront_distribution.site.domain_name\n", "aws_cloudfront_distribution.site.domain\n",
        "output distribution_domain_name: aws_cloudfront_distribution exports no attribute 'domain'"),
    "counted resource used without an instance key": (
        "cdn.tf", "aws_wafv2_web_acl.cdn[0].arn", "aws_wafv2_web_acl.cdn.arn",
        "resource aws_cloudfront_distribution.site: aws_wafv2_web_acl.cdn has count/for_each; reference an instance (aws_wafv2_web_acl.cdn[...])"),
    "missing required argument": (
        "cdn.tf", '  runtime = "cloudfront-js-2.0"\n', "",
        "aws_cloudfront_function.viewer_request: missing required argument 'runtime'"),
    "block written as an argument": (
        "site.tf", 'versioning_configuration {\n    status = "Enabled"\n  }', 'versioning_configuration = {\n    status = "Enabled"\n  }',
        "aws_s3_bucket_versioning.site: 'versioning_configuration' is a block, write `versioning_configuration { ... }`, not `versioning_configuration = ...`"),
    "argument written as a block": (
        "counter.tf", "  environment {\n    variables = {", "  environment {\n    variables {",
        "aws_lambda_function.counter.environment[0]: 'variables' is an argument, write `variables = ...`, not a block"),
    "undocumented variable": (
        "variables.tf", '  description = "Extra tags on every resource, merged over Project and ManagedBy."\n', "",
        "variable tags: no description"),
    "public bucket": (
        "site.tf", "  block_public_policy     = true\n  ignore_public_acls      = true\n  restrict_public_buckets = true\n}\n\nresource \"aws_s3_bucket_ownership_controls\" \"site\"",
        "  block_public_policy     = false\n  ignore_public_acls      = true\n  restrict_public_buckets = false\n}\n\nresource \"aws_s3_bucket_ownership_controls\" \"site\"",
        "aws_s3_bucket.site: public access block leaves off block_public_policy, restrict_public_buckets"),
    "OAC condition dropped": (
        "site.tf", 'variable = "AWS:SourceArn"', 'variable = "aws:SourceAccount"',
        "site bucket policy: no statement conditioned on AWS:SourceArn = this distribution"),
    "wildcard IAM action": (
        "counter.tf", 'actions   = ["dynamodb:BatchGetItem", "dynamodb:UpdateItem"]', 'actions   = ["dynamodb:*"]',
        "data.aws_iam_policy_document.counter_lambda.statement[0]: wildcard action 'dynamodb:*'"),
    "throttling removed": (
        "counter.tf", "    throttling_burst_limit   = var.api_throttle_burst_limit\n", "",
        "aws_apigatewayv2_stage.default: throttling_burst_limit not set"),
    "role without the permissions boundary": (
        "counter.tf", "\n  permissions_boundary = aws_iam_policy.permissions_boundary.arn\n", "\n",
        "aws_iam_role.counter_lambda: no permissions_boundary"),
    "role written without the boundary condition": (
        "ci.tf", 'conditions = [{ test = "StringEquals", variable = "iam:PermissionsBoundary", values = [local.permissions_boundary_arn] }]',
        "conditions = []",
        "local.bounded_role_statements[0]: 'iam:CreateRole' without an iam:PermissionsBoundary condition"),
    "boundary removable": (
        "ci.tf", '"iam:UntagRole", "iam:ListInstanceProfilesForRole",', '"iam:UntagRole", "iam:ListInstanceProfilesForRole", "iam:DeleteRolePermissionsBoundary",',
        "local.stack_access.Roles.write: 'iam:DeleteRolePermissionsBoundary' is never granted"),
    "boundary rewritable": (
        "ci.tf", 'read      = ["iam:GetPolicy", "iam:GetPolicyVersion", "iam:ListPolicyVersions"]\n      write     = []',
        'read      = ["iam:GetPolicy", "iam:GetPolicyVersion", "iam:ListPolicyVersions"]\n      write     = ["iam:CreatePolicyVersion"]',
        "local.stack_access.PermissionsBoundary.write: 'iam:CreatePolicyVersion' is never granted"),
    "execute-api endpoint disabled under CloudFront": (
        "counter.tf", "disable_execute_api_endpoint = false", "disable_execute_api_endpoint = true",
        "aws_apigatewayv2_api.counter: execute-api endpoint disabled, but CloudFront's origin is that endpoint"),
    "deletion protection off": (
        "counter.tf", "deletion_protection_enabled = true", "deletion_protection_enabled = false",
        "aws_dynamodb_table.counter: deletion protection off"),
}


@pytest.mark.parametrize("breakage", BREAKAGES.values(), ids=BREAKAGES.keys())
def test_breakage_is_reported(breakage, broken_copy):
    filename, old, new, expected = breakage
    errors = checks.all_errors(broken_copy(filename, old, new))
    assert errors, "the broken copy passed every check"
    if expected is not None:
        assert expected in errors


def test_bucket_policy_open_to_anyone_is_named(broken_copy):
    reader = 'resources = ["${aws_s3_bucket.site.arn}/*"]\n\n    principals {\n      '
    copy = broken_copy("site.tf", reader + 'type        = "Service"\n      identifiers = ["cloudfront.amazonaws.com"]',
                       reader + 'type        = "*"\n      identifiers = ["*"]')
    assert "data.aws_iam_policy_document.site_bucket.statement[0]: allows any principal" in checks.all_errors(copy)


def test_ci_role_wildcard_resource_is_named(broken_copy):
    copy = broken_copy("ci.tf", "resources = [local.lambda_arn]", 'resources = ["*"]')
    errors = checks.all_errors(copy)
    assert "local.stack_access.Function.write: 'lambda:CreateFunction' on resource '*'" in errors
    assert "local.stack_access.Function.read: 'lambda:GetFunction' on resource '*'" in errors


def test_ci_role_wildcard_on_write_only_resources_is_named(broken_copy):
    copy = broken_copy("ci.tf", 'also_written = ["${local.wafv2_global_arn}/managedruleset/*/*"]', 'also_written = ["*"]')
    errors = checks.all_errors(copy)
    assert "local.stack_access.WebAcl.write: 'wafv2:CreateWebACL' on resource '*'" in errors


def test_parse_error_names_the_file(broken_copy):
    copy = broken_copy("dns.tf", "  private_zone = false\n}", "  private_zone = false\n")
    assert any(error.startswith("dns.tf: ") for error in checks.all_errors(copy))


@pytest.mark.slow
def test_checkov_fails_a_public_bucket(broken_copy):
    old, new = BREAKAGES["public bucket"][1:3]
    copy = broken_copy("site.tf", old, new)
    try:
        report = checks.run_checkov(copy, checks=["CKV_AWS_54", "CKV_AWS_56"])
    except FileNotFoundError as missing:
        pytest.fail(str(missing))
    failed = {(r["check_id"], r["resource"]) for r in report["results"]["failed_checks"]}
    assert failed == {("CKV_AWS_54", "aws_s3_bucket_public_access_block.site"),
                      ("CKV_AWS_56", "aws_s3_bucket_public_access_block.site")}


UNFORMATTED = [
    ("  hash_key                    = \"pk\"", "  hash_key = \"pk\"",
     "counter.tf:6: `=` at column 11, terraform fmt puts it at 30"),
    ("    type = \"S\"", "      type = \"S\"", "counter.tf:11: indented 6, terraform fmt indents 4"),
]


@pytest.mark.parametrize(("old", "new", "expected"), UNFORMATTED)
def test_unformatted_file_is_reported(broken_copy, old, new, expected):
    copy = broken_copy("counter.tf", old, new)
    checked_with, problems = checks.fmt_check(copy)
    assert any("counter.tf" in problem for problem in problems), f"{checked_with} passed {new!r}"


@pytest.mark.parametrize(("old", "new", "expected"), UNFORMATTED)
def test_stand_in_for_terraform_fmt_names_the_line(broken_copy, old, new, expected):
    # The check where terraform is not on PATH: it must bite on its own.
    copy = broken_copy("counter.tf", old, new)
    assert expected in checks.fmt_problems((copy / "counter.tf").read_text(encoding="utf-8"), "counter.tf")
