"""The Terraform stack, checked offline the way `terraform validate` would, plus its promises."""

from __future__ import annotations

import re
import subprocess
import zipfile
from pathlib import Path

import pytest

from deploy.objects import BOOKKEEPING_KEYS
from tests.terraform import terraform_checks as checks

REPO = checks.REPO
TERRAFORM = checks.TERRAFORM
ARCHITECTURE = REPO / "docs" / "architecture.md"


def resource(config: checks.Config, type_name: str, name: str) -> dict:
    return config.resources[(type_name, name)]


def test_every_file_parses(config):
    assert sorted(p.name for p in TERRAFORM.glob("*.tf")), "no .tf files"
    assert config.parse_errors == []


def test_resources_and_data_sources_match_the_provider_schema(config, schema):
    assert config.resources and config.data
    assert checks.schema_errors(config, schema) == []


def test_references_resolve(config, schema):
    assert checks.reference_errors(config, schema) == []


def test_variables_and_outputs_are_documented(config):
    assert checks.documentation_errors(config) == []


def test_security_and_cost_promises_hold(config):
    assert checks.policy_errors(config) == []


def test_schema_file_is_what_the_generator_writes():
    if not (REPO / "scripts" / "terraform_schema" / "node_modules" / "@cdktn" / "provider-aws").exists():
        pytest.skip("provider bindings not installed: cd scripts/terraform_schema && npm ci --ignore-scripts")
    completed = subprocess.run(["node", "scripts/terraform_schema/generate.js", "--check"], cwd=REPO,
                               capture_output=True, text=True, timeout=120, check=False)
    assert completed.returncode == 0, completed.stderr


def test_outputs_are_the_names_publish_reads(config):
    section = ARCHITECTURE.read_text(encoding="utf-8").split("## Terraform outputs", 1)[1].split("##", 1)[0]
    published = set(re.findall(r"`([a-z_]+)`", section.split("Environment overrides", 1)[0]))
    assert published, "no output names found in docs/architecture.md"
    assert published <= set(config.outputs)
    roles = {"deploy_role_arn", "terraform_apply_role_arn", "terraform_plan_role_arn"}
    assert roles <= set(config.outputs)


def test_names_follow_the_architecture(config):
    assert checks.literal(config.locals["site_bucket_name"]) == "${var.project_name}-site-${local.account_id}"
    assert checks.literal(config.locals["counter_table_name"]) == "${var.project_name}-counter"
    assert checks.literal(config.variables["project_name"]["default"]) == "blog"
    assert checks.literal(config.variables["aws_region"]["default"]) == "us-east-1"
    table = resource(config, "aws_dynamodb_table", "counter")
    assert checks.literal(table["hash_key"]) == "pk" and "range_key" not in table
    assert [checks.literal(a["type"]) for a in table["attribute"]] == ["S"]
    assert checks.literal(table["billing_mode"]) == "PAY_PER_REQUEST"
    ttl = checks.first_block(table, "ttl")
    assert checks.literal(ttl["attribute_name"]) == "expires_at" and ttl["enabled"] is True
    assert checks.first_block(table, "point_in_time_recovery")["enabled"] is True


def test_lambda_runs_the_counter_package_as_specified(config):
    function = resource(config, "aws_lambda_function", "counter")
    assert checks.literal(function["runtime"]) == "python3.13"
    assert [checks.literal(a) for a in function["architectures"]] == ["arm64"]
    assert function["memory_size"] == 128
    assert function["timeout"] <= 10
    assert checks.literal(function["handler"]) == "counter_lambda.handler.handler"
    variables = checks.first_block(function, "environment")["variables"]
    assert set(variables) == {"TABLE_NAME", "SITE_NAME", "ORIGIN_VERIFY_SECRET", "VISITOR_HASH_SECRET"}
    assert "random_password.origin_verify.result" in variables["ORIGIN_VERIFY_SECRET"]
    # Stable across Lambda instances, or unique visitors would be counted once per instance.
    assert "random_password.visitor_hash.result" in variables["VISITOR_HASH_SECRET"]
    assert checks.literal(checks.first_block(function, "logging_config")["log_format"]) == "JSON"
    assert "var.lambda_reserved_concurrency" in function["reserved_concurrent_executions"]


def archive_like_terraform(config: checks.Config, destination: Path) -> Path:
    """Builds the zip the archive_file data source describes: each `source` block's filename
    pattern applied to the fileset it iterates (a `{a,b}` alternative is each of them)."""
    archive = config.data[("archive_file", "counter_lambda")]
    dynamic = checks.dynamic_blocks(archive)["source"][0]
    pattern = re.search(r'fileset\("\$\{path\.module\}/([^"]+)", "([^"]+)"\)',
                        archive["dynamic"][0]['"source"']["for_each"])
    assert pattern, "archive_file no longer iterates fileset(path.module/..., pattern)"
    source_dir = (TERRAFORM / pattern.group(1)).resolve()
    alternatives = re.fullmatch(r"\{([^}]*)\}(.*)", pattern.group(2))
    globs = [name + alternatives.group(2) for name in alternatives.group(1).split(",")] if alternatives else [pattern.group(2)]
    name_template = checks.literal(dynamic["filename"])
    with zipfile.ZipFile(destination, "w") as zipped:
        for path in sorted({path for glob in globs for path in source_dir.glob(glob)}):
            relative = path.relative_to(source_dir).as_posix()
            if "__pycache__" not in relative:
                zipped.write(path, name_template.replace("${source.value}", relative))
    return destination


def test_lambda_zip_is_the_lambda_package_and_the_shared_floor(config, tmp_path):
    bundle = archive_like_terraform(config, tmp_path / "counter_lambda.zip")
    names = zipfile.ZipFile(bundle).namelist()
    packages = {name.split("/")[0] for name in names}
    assert packages == {"counter_lambda", "shared"} and all(name.endswith(".py") for name in names)
    on_disk = {path.relative_to(REPO).as_posix() for package in packages for path in (REPO / package).rglob("*.py")
               if "__pycache__" not in path.parts}
    assert set(names) == on_disk, "the zip is the two packages whole"
    handler = checks.literal(resource(config, "aws_lambda_function", "counter")["handler"])
    module, function = handler.rsplit(".", 1)
    # The zip first on the path, run from an empty folder: only the zip, the standard library
    # and boto3 (present in the Lambda runtime) can satisfy the imports.
    probe = (f"import importlib; m = importlib.import_module({module!r}); "
             f"assert callable(getattr(m, {function!r})); print(m.__file__)")
    completed = subprocess.run([str(REPO / ".venv" / "bin" / "python"), "-c", probe], cwd=tmp_path,
                               env={"PYTHONPATH": str(bundle), "PATH": "/usr/bin:/bin"},
                               capture_output=True, text=True, timeout=60, check=False)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip().startswith(str(bundle))


def test_cloudfront_serves_site_and_api_as_specified(config):
    distribution = resource(config, "aws_cloudfront_distribution", "site")
    assert distribution["http_version"] == '"http2and3"' and distribution["is_ipv6_enabled"] is True
    assert [checks.literal(a) for a in distribution["aliases"]] == ["${var.domain_name}", "${local.www_domain_name}"]
    certificate = checks.first_block(distribution, "viewer_certificate")
    assert checks.literal(certificate["ssl_support_method"]) == "sni-only"
    assert checks.literal(certificate["minimum_protocol_version"]) == "TLSv1.2_2021"
    default = checks.first_block(distribution, "default_cache_behavior")
    assert "caching_optimized" in default["cache_policy_id"]
    assert "aws_cloudfront_function.viewer_request.arn" in default["function_association"][0]["function_arn"]
    [api] = distribution["ordered_cache_behavior"]
    assert checks.literal(api["path_pattern"]) == "/api/*"
    assert {checks.literal(m) for m in api["allowed_methods"]} == {"GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"}
    assert "caching_disabled" in api["cache_policy_id"]
    assert "aws_cloudfront_origin_request_policy.counter_api.id" in api["origin_request_policy_id"]
    managed = {name: checks.literal(body["name"]) for (t, name), body in config.data.items()
               if t in ("aws_cloudfront_cache_policy", "aws_cloudfront_origin_request_policy")}
    assert managed == {"caching_optimized": "Managed-CachingOptimized", "caching_disabled": "Managed-CachingDisabled"}
    [api_origin] = [o for o in distribution["origin"] if o["origin_id"] == api["target_origin_id"]]
    [header] = api_origin["custom_header"]
    assert checks.literal(header["name"]) == "x-origin-verify"
    assert "random_password.origin_verify.result" in header["value"]
    assert checks.literal(checks.first_block(api_origin, "custom_origin_config")["origin_protocol_policy"]) == "https-only"
    errors = [(e["error_code"], checks.local_value(config, e["response_page_path"]), e["response_code"])
              for e in distribution["custom_error_response"]]
    assert errors == [(403, "/404.html", 404)]


def test_the_api_receives_the_reader_s_address_not_cloudfront_s(config):
    # API Gateway's sourceIp behind CloudFront is an edge's; the handler's per-reader limits and
    # unique visitors read CloudFront-Viewer-Address, which CloudFront adds only when named.
    policy = resource(config, "aws_cloudfront_origin_request_policy", "counter_api")
    headers = checks.first_block(policy, "headers_config")
    assert checks.literal(headers["header_behavior"]) == "whitelist"
    forwarded = {checks.literal(h).lower() for h in checks.first_block(headers, "headers")["items"]}
    assert forwarded == {"cloudfront-viewer-address", "user-agent", "content-type"}  # never host
    query = checks.first_block(policy, "query_strings_config")
    assert checks.literal(query["query_string_behavior"]) == "all"  # GET /api/hits?path=


def test_security_headers_allow_only_own_content(config):
    csp = checks.local_value(config, "${local.edge_headers.content_security_policy}")
    assert csp == {
        "default-src": ["'self'"], "script-src": ["'self'", "'wasm-unsafe-eval'"], "style-src": ["'self'"], "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"], "frame-ancestors": ["'none'"], "base-uri": ["'self'"], "form-action": ["'self'"],
    }
    policy = checks.first_block(resource(config, "aws_cloudfront_response_headers_policy", "security"), "security_headers_config")
    hsts = checks.first_block(policy, "strict_transport_security")
    assert checks.local_value(config, hsts["access_control_max_age_sec"]) >= 31536000 and hsts["override"] is True
    assert checks.local_value(config, checks.first_block(policy, "frame_options")["frame_option"]) == "DENY"
    assert "content_type_options" in policy and "referrer_policy" in policy


def test_api_routes_and_stage(config):
    routes = resource(config, "aws_apigatewayv2_route", "hits")
    # One ANY route: the handler, not API Gateway, answers a wrong method (405 with Allow).
    assert re.findall(r"[A-Z]+ /api/hits", str(routes["for_each"])) == ["ANY /api/hits"]
    integration = resource(config, "aws_apigatewayv2_integration", "counter")
    assert checks.literal(integration["payload_format_version"]) == "2.0"
    stage = resource(config, "aws_apigatewayv2_stage", "default")
    assert checks.literal(stage["name"]) == "$default" and stage["auto_deploy"] is True
    log_format = checks.first_block(stage, "access_log_settings")["format"]
    assert "sourceIp" not in log_format and "userAgent" not in log_format


def test_github_roles_trust_only_this_repository(config):
    release = [checks.literal(s) for s in config.locals["github_release_subjects"]]
    # only the environment: a job on main without `environment:` skips its required reviewers
    assert release == ["repo:${var.github_repository}:environment:${var.github_environment}"]
    assert [checks.literal(s) for s in config.locals["github_pull_request_subjects"]] == ["repo:${var.github_repository}:pull_request"]
    trust = config.data[("aws_iam_policy_document", "github_trust")]["statement"][0]
    conditions = {checks.literal(c["variable"]): (checks.literal(c["test"]), c["values"]) for c in trust["condition"]}
    assert conditions["token.actions.githubusercontent.com:aud"] == ("StringEquals", ['"sts.amazonaws.com"'])
    assert conditions["token.actions.githubusercontent.com:sub"][0] == "StringEquals"


def test_deploy_role_may_publish_exactly(config):
    granted = {}
    for statement in config.locals["deploy_statements"]:
        for action in statement["actions"]:
            granted.setdefault(checks.literal(action), set()).update(checks.literal(r) for r in statement["resources"])
    assert granted == {
        "s3:ListBucket": {"${local.site_bucket_arn}"},
        "s3:GetObject": {"${local.site_bucket_arn}/*"},
        "s3:PutObject": {"${local.site_bucket_arn}/*"},
        "s3:DeleteObject": {"${local.site_bucket_arn}/*"},
        "s3:GetObjectVersion": {"${local.site_bucket_arn}/*"},  # make rollback
        "cloudfront:CreateInvalidation": {"${aws_cloudfront_distribution.site.arn}"},
        "cloudfront:GetInvalidation": {"${aws_cloudfront_distribution.site.arn}"},
        "dynamodb:BatchGetItem": {"${aws_dynamodb_table.counter.arn}"},
        "dynamodb:BatchWriteItem": {"${aws_dynamodb_table.counter.arn}"},
        "dynamodb:DescribeTable": {"${aws_dynamodb_table.counter.arn}"},  # a rebuilt table
        "dynamodb:Scan": {"${aws_dynamodb_table.counter.arn}"},  # the build's popular posts list
    }


def test_counter_lambda_role_has_exactly_the_handler_actions(config):
    statements = config.data[("aws_iam_policy_document", "counter_lambda")]["statement"]
    statement = statements[0]
    # record_hit: three UpdateItem; read_counts and a crawler's answer: one BatchGetItem.
    assert {checks.literal(a) for a in statement["actions"]} == {"dynamodb:BatchGetItem", "dynamodb:UpdateItem"}
    assert statement["resources"] == ["${aws_dynamodb_table.counter.arn}"]
    # the undo of a marker a hit on an unknown page created: DeleteItem of markers only
    [undo] = [s for s in statements if checks.literal(s["sid"]) == "UndoOwnMarkers"]
    assert [checks.literal(a) for a in undo["actions"]] == ["dynamodb:DeleteItem"]
    [condition] = undo["condition"]
    assert (checks.literal(condition["test"]), checks.literal(condition["variable"])) == (
        "ForAllValues:StringLike", "dynamodb:LeadingKeys")
    assert [checks.literal(v) for v in condition["values"]] == ["visitor#*"]


def test_apply_role_cannot_delete_the_table(config):
    actions = {checks.literal(a) for row in config.locals["stack_access"].values()
               for kind in ("read", "write") for a in row[kind]}
    assert "dynamodb:DeleteTable" not in actions
    assert not any(a.startswith("dynamodb:") and ("Item" in a or "Query" in a or "Scan" in a) for a in actions)


def test_examples_set_only_declared_variables(config):
    example = (TERRAFORM / "terraform.tfvars.example").read_text(encoding="utf-8")
    assigned = set(re.findall(r"^#?\s*([a-z_]+)\s*=", example, flags=re.MULTILINE))
    assert assigned and assigned <= set(config.variables)
    backend = (TERRAFORM / "backend.hcl.example").read_text(encoding="utf-8")
    assert re.search(r"^use_lockfile\s*=\s*true$", backend, flags=re.MULTILINE)


def test_files_are_as_terraform_fmt_writes_them():
    # CI runs `terraform fmt -check -recursive` before plan and apply.
    checked_with, problems = checks.fmt_check(TERRAFORM)
    assert problems == [], f"checked with {checked_with}"


# ---------------------------------------------------------------------------------------------
# Production: throttling, the cost guard, the permissions boundary, the stats reader.

DEPLOY_GUIDE = REPO / "docs" / "deploy.md"
# A post on a popular forum peaks at tens of views a second; every view is one POST /api/hits.
READER_SPIKE_PER_SECOND = 100


def default(config: checks.Config, variable: str):
    return config.variables[variable]["default"]


def test_api_limits_admit_a_reader_spike_and_the_guide_states_them(config):
    rate, burst = default(config, "api_throttle_rate_limit"), default(config, "api_throttle_burst_limit")
    assert rate >= READER_SPIKE_PER_SECOND and burst >= 2 * rate
    stage = checks.first_block(resource(config, "aws_apigatewayv2_stage", "default"), "default_route_settings")
    assert "var.api_throttle_rate_limit" in stage["throttling_rate_limit"]
    assert "var.api_throttle_burst_limit" in stage["throttling_burst_limit"]
    guide = DEPLOY_GUIDE.read_text(encoding="utf-8")
    stated = dict(re.findall(r"`(api_throttle_(?:rate|burst)_limit)` \(default (\d+)", guide))
    assert stated == {"api_throttle_rate_limit": str(rate), "api_throttle_burst_limit": str(burst)}


def test_cloudfront_keeps_its_way_to_the_api(config):
    # disable_execute_api_endpoint = true would also refuse CloudFront, whose origin is that URL.
    api = resource(config, "aws_apigatewayv2_api", "counter")
    assert api["disable_execute_api_endpoint"] is False
    distribution = resource(config, "aws_cloudfront_distribution", "site")
    assert any("aws_apigatewayv2_api.counter.api_endpoint" in o["domain_name"] for o in distribution["origin"])


def test_cost_budget_is_on_by_default_and_emails_at_its_thresholds(config):
    assert default(config, "enable_cost_budget") is True
    assert default(config, "monthly_budget_usd") > 0
    budget = resource(config, "aws_budgets_budget", "monthly")
    assert "var.enable_cost_budget" in budget["count"]
    assert checks.literal(budget["budget_type"]) == "COST" and checks.literal(budget["time_unit"]) == "MONTHLY"
    assert "var.monthly_budget_usd" in budget["limit_amount"]
    notifications = {checks.literal(n["notification_type"]): n for n in budget["notification"]}
    assert set(notifications) == {"ACTUAL", "FORECASTED"}
    assert "var.budget_alert_threshold_percent" in str(notifications["ACTUAL"]["threshold"])
    assert all(n["subscriber_email_addresses"] == ["${var.budget_alert_email}"] for n in notifications.values())
    # The apply role manages this budget only, and the plan role reads it.
    row = config.locals["stack_access"]["Budget"]
    assert [checks.literal(r) for r in row["resources"]] == ["${local.budget_arn}"]
    assert checks.literal(config.locals["budget_arn"]).endswith(":budget/${var.project_name}-monthly")
    assert "${var.project_name}-monthly" == checks.literal(budget["name"])


BUDGET_VARIABLES = {
    "no address while the budget is on": ({}, "budget_alert_email is required while enable_cost_budget is true"),
    "not an address": ({"budget_alert_email": "me"}, "budget_alert_email must be an email address"),
    "zero budget": ({"budget_alert_email": "me@example.com", "monthly_budget_usd": "0"}, "monthly_budget_usd must be between"),
    "threshold not a percentage": ({"budget_alert_email": "me@example.com", "budget_alert_threshold_percent": "0"},
                                   "budget_alert_threshold_percent must be a whole number"),
    "budget off, no address": ({"enable_cost_budget": "false"}, ""),
    "budget on, with an address": ({"budget_alert_email": "me@example.com"}, ""),
}


@pytest.mark.parametrize(("values", "expected"), BUDGET_VARIABLES.values(), ids=BUDGET_VARIABLES.keys())
def test_budget_variables_are_validated_by_terraform(values, expected, tmp_path_factory):
    scratch = tmp_path_factory.getbasetemp() / "variables-only"
    said = checks.variable_errors(TERRAFORM, scratch, {"domain_name": "example.com", **values})
    if said is None:
        pytest.skip("terraform is not on PATH")
    if expected:
        assert expected in said
    else:
        assert said == ""


def test_every_role_but_the_apply_role_carries_the_permissions_boundary(config):
    roles = checks.find_resources(config, "aws_iam_role")
    assert {"counter_lambda", "github", "stats_reader"} <= set(roles)
    for name in ("counter_lambda", "stats_reader"):
        assert roles[name]["permissions_boundary"] == "${aws_iam_policy.permissions_boundary.arn}"
    assert roles["github"]["permissions_boundary"] == "${each.value.bounded ? aws_iam_policy.permissions_boundary.arn : null}"
    assert github_roles_bounded(config) == {"deploy": True, "terraform_apply": False, "terraform_plan": True}
    boundary = resource(config, "aws_iam_policy", "permissions_boundary")
    assert "local.permissions_boundary_name" in boundary["name"]
    assert checks.literal(config.locals["permissions_boundary_arn"]) == "${local.iam_arn}:policy/${local.permissions_boundary_name}"


def github_roles_bounded(config: checks.Config) -> dict[str, bool]:
    """Each GitHub role's `bounded` setting, read from the for-expression that builds them."""
    written = checks.literal(config.locals["github_roles"])
    return {role: flag == "true" for role, flag in re.findall(r"(\w+) = \{name = .*?, bounded = (true|false)\}", written)}


def test_apply_role_writes_roles_only_within_the_boundary(config):
    statements = {s["sid"]: s for s in config.locals["bounded_role_statements"]}
    [writes] = statements.values()
    assert {checks.literal(a) for a in writes["actions"]} == {
        "iam:CreateRole", "iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:PutRolePermissionsBoundary"}
    [condition] = writes["conditions"]
    assert (checks.literal(condition["test"]), checks.literal(condition["variable"])) == ("StringEquals", "iam:PermissionsBoundary")
    assert [checks.literal(v) for v in condition["values"]] == ["${local.permissions_boundary_arn}"]
    # Nothing else grants them, and the boundary itself is read-only to every role.
    rows = config.locals["stack_access"]
    assert not any(checks.literal(a) in checks.ROLE_WRITES_NEEDING_BOUNDARY for row in rows.values() for a in row["write"])
    assert rows["PermissionsBoundary"]["write"] == []
    assert [checks.literal(r) for r in rows["PermissionsBoundary"]["resources"]] == ["${local.permissions_boundary_arn}"]
    apply_statements = str(config.locals["github_roles"])
    assert "local.bounded_role_statements" in apply_statements


def test_boundary_is_made_of_every_bounded_role_s_grants(config):
    document = config.data[("aws_iam_policy_document", "permissions_boundary")]
    assert sorted(document["source_policy_documents"]) == sorted([
        "${data.aws_iam_policy_document.counter_lambda.json}", "${data.aws_iam_policy_document.stats_reader.json}"])
    assert "if role.bounded" in checks.literal(config.locals["bounded_role_grants"])
    assert "local.bounded_role_grants" in checks.literal(config.locals["boundary_grants"])
    [statement] = checks.dynamic_blocks(document)["statement"]
    assert "statement.value" in statement["actions"] and "jsondecode(statement.key)[0]" in statement["resources"]


def test_stats_reader_may_read_the_counter_table_and_nothing_else(config):
    [statement] = config.data[("aws_iam_policy_document", "stats_reader")]["statement"]
    assert {checks.literal(a) for a in statement["actions"]} == {"dynamodb:Scan"}
    assert statement["resources"] == ["${aws_dynamodb_table.counter.arn}"]
    policy = resource(config, "aws_iam_role_policy", "stats_reader")
    assert "aws_iam_role.stats_reader" in policy["role"] and "stats_reader.json" in policy["policy"]
    assert checks.find_resources(config, "aws_iam_role_policy_attachment") == {}
    trust = config.data[("aws_iam_policy_document", "stats_reader_trust")]
    [account] = trust["statement"]
    assert [checks.literal(i) for i in account["principals"][0]["identifiers"]] == ["arn:${local.partition}:iam::${local.account_id}:root"]
    [github] = checks.dynamic_blocks(trust)["statement"]
    assert "local.github_release_subjects" in str(trust["dynamic"])
    assert {checks.literal(c["variable"]) for c in github["condition"]} == {
        "token.actions.githubusercontent.com:aud", "token.actions.githubusercontent.com:sub"}
    assert "aws_iam_role.stats_reader.arn" in config.outputs["stats_role_arn"]["value"]


def test_cloudfront_never_serves_publish_bookkeeping(config):
    # The lock names the user and host of the run holding it; the state lists every object.
    statements = config.data[("aws_iam_policy_document", "site_bucket")]["statement"]
    [deny] = [s for s in statements if checks.literal(s.get("effect", "")) == "Deny"]
    denied = checks.literal(deny["resources"])
    assert denied.startswith("${[for key in [") and denied.endswith(' : "${aws_s3_bucket.site.arn}/${key}"]}'), denied
    listed = set(re.findall(r'"(\.publish-[a-z]+\.json)"', denied))
    assert listed == set(BOOKKEEPING_KEYS)
    assert [checks.literal(i) for i in deny["principals"][0]["identifiers"]] == ["cloudfront.amazonaws.com"]
