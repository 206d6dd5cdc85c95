"""Offline stand-in for `terraform validate` plus the stack's own policy rules.

Reads every .tf file of a directory with python-hcl2 and reports, as plain messages:
- schema errors: unknown arguments or blocks, missing required ones, a block written as an
  attribute or the reverse, a single block repeated (against aws_provider_schema.json);
- reference errors: undeclared var./local./data./module./resource references, attributes a type
  does not export, a counted resource referenced without an instance key or the reverse;
- documentation errors: a variable without description or type, an output without description;
- policy errors: the security rules the stack promises (public bucket, OAC, IAM wildcards, ...).

The functions take a loaded `Config`, so the tests run them on the real stack and on broken
copies of it alike.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import hcl2

SCHEMA_PATH = Path(__file__).with_name("aws_provider_schema.json")
REPO = Path(__file__).resolve().parents[2]
TERRAFORM = REPO / "terraform"

BLOCK = "__is_block__"
META_ARGUMENTS = {"count", "for_each", "provider", "depends_on"}
LIFECYCLE_ARGUMENTS = {
    "create_before_destroy", "prevent_destroy", "ignore_changes", "replace_triggered_by",
    "precondition", "postcondition",
}

# Actions IAM only grants on "*" (no resource-level permissions), with why the stack needs them.
ACTIONS_WITHOUT_RESOURCE_SCOPE = {
    "route53:ListHostedZones": "look up the hosted zone by name",
    "route53:ListHostedZonesByName": "look up the hosted zone by name",
    "cloudfront:ListCachePolicies": "look up AWS's managed cache policies by name",
    "cloudfront:GetCachePolicy": "AWS's managed cache policies are not in the account's ARN space",
    "cloudfront:ListOriginRequestPolicies": "look up AWS's managed origin request policy by name",
    "cloudfront:GetOriginRequestPolicy": "AWS's managed origin request policies are not in the account's ARN space",
    "logs:DescribeLogGroups": "refresh log groups (the call lists by prefix)",
    "logs:DescribeResourcePolicies": "API Gateway access logging (vended log delivery)",
    "logs:GetLogDelivery": "API Gateway access logging (vended log delivery)",
    "logs:ListLogDeliveries": "API Gateway access logging (vended log delivery)",
    "logs:CreateLogDelivery": "API Gateway access logging (vended log delivery)",
    "logs:UpdateLogDelivery": "API Gateway access logging (vended log delivery)",
    "logs:DeleteLogDelivery": "API Gateway access logging (vended log delivery)",
    "logs:PutResourcePolicy": "API Gateway access logging (vended log delivery)",
}


# Role writes the apply role may make only on roles carrying the permissions boundary.
ROLE_WRITES_NEEDING_BOUNDARY = {
    "iam:CreateRole", "iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:AttachRolePolicy",
    "iam:DetachRolePolicy", "iam:PutRolePermissionsBoundary",
}
# Lifting a boundary, or rewriting a managed policy (the boundary is one), undoes the ceiling.
NEVER_GRANTED = {
    "iam:DeleteRolePermissionsBoundary", "iam:CreatePolicy", "iam:CreatePolicyVersion",
    "iam:DeletePolicy", "iam:DeletePolicyVersion", "iam:SetDefaultPolicyVersion",
}


@dataclass
class Config:
    directory: Path
    resources: dict[tuple[str, str], dict] = field(default_factory=dict)
    data: dict[tuple[str, str], dict] = field(default_factory=dict)
    variables: dict[str, dict] = field(default_factory=dict)
    outputs: dict[str, dict] = field(default_factory=dict)
    locals: dict[str, object] = field(default_factory=dict)
    modules: dict[str, dict] = field(default_factory=dict)
    providers: set[str] = field(default_factory=set)
    parse_errors: list[str] = field(default_factory=list)


def unquote(text: str) -> str:
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] == '"' else text


@functools.lru_cache(maxsize=64)
def parse(text: str) -> dict:
    """Parsed HCL of one file's text; cached, as broken copies share all but one file."""
    return hcl2.loads(text)


def load(directory: Path) -> Config:
    config = Config(directory)
    for path in sorted(directory.glob("*.tf")):
        try:
            parsed = parse(path.read_text(encoding="utf-8"))
        except Exception as error:  # python-hcl2 raises lark errors of several kinds
            config.parse_errors.append(f"{path.name}: {error}")
            continue
        for kind, target in (("resource", config.resources), ("data", config.data)):
            for entry in parsed.get(kind, []):
                for type_name, named in entry.items():
                    for name, body in named.items():
                        target[(unquote(type_name), unquote(name))] = body
        for kind, target in (("variable", config.variables), ("output", config.outputs), ("module", config.modules)):
            for entry in parsed.get(kind, []):
                for name, body in entry.items():
                    target[unquote(name)] = body
        for entry in parsed.get("locals", []):
            config.locals.update({k: v for k, v in entry.items() if k != BLOCK})
        for terraform in parsed.get("terraform", []):
            for required in terraform.get("required_providers", []):
                config.providers.update(k for k in required if k != BLOCK)
    return config


def load_schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def blocks(value) -> list[dict] | None:
    """The block bodies of a value written as block(s), or None if it is an attribute."""
    if isinstance(value, list) and value and all(isinstance(v, dict) and v.get(BLOCK) for v in value):
        return value
    return None


def dynamic_blocks(body: dict) -> dict[str, list[dict]]:
    """`dynamic "label" { content { ... } }` bodies by label."""
    found: dict[str, list[dict]] = {}
    for entry in body.get("dynamic", []):
        for label, dynamic in entry.items():
            found.setdefault(unquote(label), []).extend(dynamic.get("content", []))
    return found


# ---------------------------------------------------------------------------------------------
# Schema


def check_body(where: str, body: dict, schema: dict, top_level: bool) -> list[str]:
    errors = []
    attributes, nested = schema["attributes"], schema["blocks"]
    dynamics = dynamic_blocks(body)
    for key, value in body.items():
        if key.startswith("__") or key == "dynamic":  # parser markers and comments
            continue
        if top_level and key in META_ARGUMENTS:
            continue
        if top_level and key == "lifecycle":
            for lifecycle in blocks(value) or []:
                errors += [f"{where}.lifecycle: unknown argument {k!r}" for k in lifecycle if k not in LIFECYCLE_ARGUMENTS | {BLOCK}]
            continue
        if key in attributes:
            if blocks(value) is not None:
                errors.append(f"{where}: {key!r} is an argument, write `{key} = ...`, not a block")
        elif key in nested:
            written = blocks(value)
            if written is None:
                errors.append(f"{where}: {key!r} is a block, write `{key} {{ ... }}`, not `{key} = ...`")
                continue
            block_schema = nested[key]
            if block_schema["nesting"] == "opaque":
                continue
            if block_schema["max_items"] == 1 and len(written) > 1:
                errors.append(f"{where}: block {key!r} may appear only once, found {len(written)}")
            for index, block in enumerate(written):
                errors += check_body(f"{where}.{key}[{index}]", block, block_schema, top_level=False)
        else:
            errors.append(f"{where}: unsupported argument or block {key!r}")
    for label, contents in dynamics.items():
        if label not in nested:
            errors.append(f"{where}: dynamic block {label!r} is not a block of this type")
            continue
        for content in contents:
            errors += check_body(f"{where}.dynamic.{label}", content, nested[label], top_level=False)
    for key, spec in attributes.items():
        if spec["required"] and key not in body:
            errors.append(f"{where}: missing required argument {key!r}")
    for key, spec in nested.items():
        if spec["required"] and key not in body and key not in dynamics:
            errors.append(f"{where}: missing required block {key!r}")
    return errors


def schema_errors(config: Config, schema: dict) -> list[str]:
    errors = []
    for kind, declared in (("resource", config.resources), ("data", config.data)):
        for (type_name, name), body in declared.items():
            where = f"{'data.' if kind == 'data' else ''}{type_name}.{name}"
            type_schema = schema[kind].get(type_name)
            if type_schema is None:
                errors.append(f"{where}: {kind} type {type_name!r} is not in {SCHEMA_PATH.name} "
                              "(run scripts/terraform_schema/generate.js)")
                continue
            errors += check_body(where, body, type_schema, top_level=True)
    return errors


# ---------------------------------------------------------------------------------------------
# References


def strings(value):
    """Every string inside a parsed value (expressions come back as strings)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            if not key.startswith("__"):
                yield from strings(key)
                yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def expressions(text: str):
    """The `${ ... }` parts of a string, braces balanced, so literal text is never a reference."""
    start = text.find("${")
    while start != -1:
        depth, index = 0, start + 1
        while index < len(text):
            if text[index] == "{":
                depth += 1
            elif text[index] == "}":
                depth -= 1
                if depth == 0:
                    break
            index += 1
        yield text[start + 2:index]
        start = text.find("${", index)


NAMED_REFERENCE = re.compile(r"(?<![\w.])(var|local|module)\.([A-Za-z_][\w-]*)")
RESOURCE_REFERENCE = re.compile(
    r"(?<![\w.\"])(data\.)?([a-z][a-z0-9]*)_([a-z0-9_]+)\.([A-Za-z_][\w-]*)((?:\[[^\]]*\])*)(?:\.([A-Za-z_]\w*))?"
)


def reference_errors(config: Config, schema: dict) -> list[str]:
    errors = []
    declared = {
        "var": config.variables, "local": config.locals, "module": config.modules,
    }
    sources = [(f"resource {t}.{n}", b) for (t, n), b in config.resources.items()]
    sources += [(f"data.{t}.{n}", b) for (t, n), b in config.data.items()]
    sources += [(f"output {n}", b) for n, b in config.outputs.items()]
    sources += [(f"local.{n}", b) for n, b in config.locals.items()]
    sources += [(f"module {n}", b) for n, b in config.modules.items()]
    for where, body in sources:
        for text in strings(body):
            for expression in expressions(text):
                for kind, name in NAMED_REFERENCE.findall(expression):
                    if name not in declared[kind]:
                        errors.append(f"{where}: reference to undeclared {kind}.{name}")
                for match in RESOURCE_REFERENCE.finditer(expression):
                    errors += resource_reference_errors(config, schema, where, match)
    return errors


def resource_reference_errors(config: Config, schema: dict, where: str, match: re.Match) -> list[str]:
    is_data, provider, rest, name, index, attribute = match.groups()
    if provider not in config.providers:
        return []
    type_name = f"{provider}_{rest}"
    kind, declared = ("data", config.data) if is_data else ("resource", config.resources)
    label = f"{'data.' if is_data else ''}{type_name}.{name}"
    body = declared.get((type_name, name))
    if body is None:
        return [f"{where}: reference to undeclared {label}"]
    errors = []
    counted = "count" in body or "for_each" in body
    if counted and not index and not where.startswith("resource depends_on"):
        if attribute:
            errors.append(f"{where}: {label} has count/for_each; reference an instance ({label}[...])")
    if not counted and index:
        errors.append(f"{where}: {label} has no count/for_each; {label}{index} is not an instance")
    type_schema = schema[kind].get(type_name)
    if type_schema is None:
        return errors  # reported by schema_errors
    readable = {*type_schema["readable"], *type_schema["attributes"], *type_schema["blocks"]}
    if attribute and attribute not in readable:
        errors.append(f"{where}: {type_name} exports no attribute {attribute!r}")
    return errors


# ---------------------------------------------------------------------------------------------
# Documentation


def documentation_errors(config: Config) -> list[str]:
    errors = []
    for name, body in config.variables.items():
        errors += [f"variable {name}: no {key}" for key in ("description", "type") if not body.get(key)]
    errors += [f"output {name}: no description" for name, body in config.outputs.items() if not body.get("description")]
    return errors


# ---------------------------------------------------------------------------------------------
# Policy rules


def literal(value) -> str:
    return unquote(value) if isinstance(value, str) else str(value)


def iam_statements(config: Config):
    """(where, effect, actions, resources, principals, conditions) of every statement the stack
    writes, conditions as (test, variable, values):
    policy-document blocks, the statement objects in locals that dynamic blocks expand, and the
    rows of an access table (ci.tf's stack_access), whose `read` and `write` actions become one
    statement each on the row's resources (`write` also on its `also_written` ones)."""
    for (type_name, name), body in config.data.items():
        if type_name != "aws_iam_policy_document":
            continue
        for index, statement in enumerate(blocks(body.get("statement", [])) or []):
            principals = [
                (literal(p.get("type")), [literal(i) for i in p.get("identifiers", [])])
                for p in blocks(statement.get("principals", [])) or []
            ]
            yield (
                f"data.aws_iam_policy_document.{name}.statement[{index}]",
                literal(statement.get("effect", '"Allow"')),
                [literal(a) for a in statement.get("actions", [])],
                [literal(r) for r in statement.get("resources", [])],
                principals,
                _conditions(blocks(statement.get("condition", [])) or []),
            )
    for local_name, value in config.locals.items():
        if isinstance(value, dict) and value and all(isinstance(row, dict) and "resources" in row for row in value.values()):
            for row_name, row in value.items():
                for kind, extra in (("read", []), ("write", row.get("also_written", []))):
                    yield (
                        f"local.{local_name}.{row_name}.{kind}",
                        "Allow",
                        [literal(a) for a in row.get(kind, [])],
                        [literal(r) for r in [*row["resources"], *extra]],
                        [],
                        [],
                    )
        if isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, dict) and "actions" in item and "resources" in item:
                    resources = item["resources"]
                    yield (
                        f"local.{local_name}[{index}]",
                        "Allow",
                        [literal(a) for a in item["actions"]],
                        [literal(r) for r in resources] if isinstance(resources, list) else [literal(resources)],
                        [],
                        _conditions(item.get("conditions", [])),
                    )


def _conditions(written) -> list[tuple[str, str, list[str]]]:
    if not isinstance(written, list):
        return []
    return [(literal(c.get("test")), literal(c.get("variable")), [literal(v) for v in c.get("values", [])])
            for c in written if isinstance(c, dict)]


def find_resources(config: Config, type_name: str) -> dict[str, dict]:
    return {name: body for (t, name), body in config.resources.items() if t == type_name}


_LOCAL_REFERENCE = re.compile(r"^\$\{local\.([A-Za-z0-9_]+)((?:\.[A-Za-z0-9_]+)*)\}$")
_DECODED_FILE = re.compile(r'^\$\{jsondecode\(file\("\$\{path\.module\}/([^"]+)"\)\)\}$')


def local_value(config: Config, written):
    """The value of an attribute written as a literal, or as ``local.NAME.path`` where the
    local is ``jsondecode(file("${path.module}/..."))`` or another such reference: read from the
    file Terraform would read. Anything else raises ValueError (only terraform evaluates it)."""
    if not isinstance(written, str) or "${" not in written:
        return literal(written) if isinstance(written, str) else written
    reference = _LOCAL_REFERENCE.match(written)
    if reference is None:
        raise ValueError(f"{written}: not a reference this reader evaluates")
    name, path = reference.groups()
    source = config.locals[name]
    decoded = _DECODED_FILE.match(source) if isinstance(source, str) else None
    value = json.loads((config.directory / decoded.group(1)).read_text(encoding="utf-8")) if decoded else local_value(config, source)
    for key in filter(None, path.split(".")):
        value = value[key]
    return value


def terraform_console(module: Path, expression: str) -> object:
    """``expression`` as ``terraform console`` evaluates it in ``module`` (a folder holding
    only locals: no providers, no init), decoded from the JSON Terraform encodes it to."""
    binary = shutil.which("terraform")
    if binary is None:
        raise FileNotFoundError("terraform is not on PATH")
    environment = {"TF_CLI_CONFIG_FILE": "/dev/null", "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(module)}
    done = subprocess.run([binary, "console"], input=f"jsonencode({expression})\n", cwd=module, env=environment,
                          capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"terraform console failed: {done.stderr.strip()}")
    return json.loads(json.loads(done.stdout))


def first_block(body: dict, key: str) -> dict:
    return (blocks(body.get(key, [])) or [{}])[0]


def _hsts(config: Config, block: dict) -> str:
    return "; ".join([f"max-age={local_value(config, block['access_control_max_age_sec'])}"]
                     + ["includeSubDomains"] * bool(local_value(config, block.get("include_subdomains", False)))
                     + ["preload"] * bool(local_value(config, block.get("preload", False))))


# security_headers_config's blocks the stack writes: the header each adds and its value.
SECURITY_HEADER_BLOCKS = {
    "content_security_policy": ("Content-Security-Policy", lambda config, block: local_value(config, block["content_security_policy"])),
    "strict_transport_security": ("Strict-Transport-Security", _hsts),
    "content_type_options": ("X-Content-Type-Options", lambda _config, _block: "nosniff"),
    "frame_options": ("X-Frame-Options", lambda config, block: local_value(config, block["frame_option"])),
    "referrer_policy": ("Referrer-Policy", lambda config, block: local_value(config, block["referrer_policy"])),
}


def response_headers(config: Config, policy: str = "security", csp: str | None = None) -> dict[str, str]:
    """Every header the named response-headers policy adds, with the value a viewer receives:
    the security headers, then the custom ones (items, or a ``dynamic "items"`` over a map
    local). The CSP, when written as an expression only terraform evaluates, is ``csp``. A block
    this reader cannot translate raises."""
    body = find_resources(config, "aws_cloudfront_response_headers_policy")[policy]
    headers = {}
    for key, value in first_block(body, "security_headers_config").items():
        if key.startswith("__"):
            continue
        if key not in SECURITY_HEADER_BLOCKS:
            raise ValueError(f"security_headers_config.{key}: no header mapping in terraform_checks")
        name, render = SECURITY_HEADER_BLOCKS[key]
        if key == "content_security_policy" and csp is not None:
            headers[name] = csp
        else:
            headers[name] = render(config, blocks(value)[0])
    custom = first_block(body, "custom_headers_config")
    for item in blocks(custom.get("items", [])) or []:
        headers[literal(item["header"])] = literal(item["value"])
    for entry in custom.get("dynamic", []):
        for label, dynamic in entry.items():
            (content,) = dynamic["content"]
            if unquote(label) != "items" or literal(content["header"]) != "${items.key}" or literal(content["value"]) != "${items.value}":
                raise ValueError(f"custom_headers_config: dynamic {label} is not a map of header -> value")
            headers.update(local_value(config, dynamic["for_each"]))
    return headers


def policy_errors(config: Config) -> list[str]:
    errors = []

    # Buckets are never public: every bucket has a full public access block, no ACL grants,
    # and no bucket-policy statement allows anyone.
    blocked = {}
    for name, body in find_resources(config, "aws_s3_bucket_public_access_block").items():
        flags = ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")
        bucket = re.search(r"aws_s3_bucket\.(\w+)", literal(body.get("bucket", "")))
        if bucket:
            blocked[bucket.group(1)] = [flag for flag in flags if body.get(flag) is not True]
    for name, body in find_resources(config, "aws_s3_bucket").items():
        if name not in blocked:
            errors.append(f"aws_s3_bucket.{name}: no aws_s3_bucket_public_access_block")
        elif blocked[name]:
            errors.append(f"aws_s3_bucket.{name}: public access block leaves off {', '.join(blocked[name])}")
        if "acl" in body or "grant" in body:
            errors.append(f"aws_s3_bucket.{name}: sets an ACL")
    errors += [f"aws_s3_bucket_acl.{name}: ACLs are not used" for name in find_resources(config, "aws_s3_bucket_acl")]
    for name, body in find_resources(config, "aws_s3_bucket_ownership_controls").items():
        ownership = literal(first_block(body, "rule").get("object_ownership", ""))
        if name == "site" and ownership != "BucketOwnerEnforced":
            errors.append(f"aws_s3_bucket_ownership_controls.{name}: ACLs not disabled ({ownership})")
    for where, effect, actions, resources, principals, _ in iam_statements(config):
        for principal_type, identifiers in principals:
            if effect == "Allow" and (principal_type in ("*", "AWS") and "*" in identifiers):
                errors.append(f"{where}: allows any principal")

    # The site bucket is read only by this distribution (OAC) and refuses plain HTTP.
    site_policy = config.data.get(("aws_iam_policy_document", "site_bucket"), {})
    oac_statements = [
        statement for statement in blocks(site_policy.get("statement", [])) or []
        if any(
            literal(c.get("variable")) == "AWS:SourceArn"
            and any("aws_cloudfront_distribution.site.arn" in literal(v) for v in c.get("values", []))
            for c in blocks(statement.get("condition", [])) or []
        )
    ]
    if not oac_statements:
        errors.append("site bucket policy: no statement conditioned on AWS:SourceArn = this distribution")
    if not any("tls_only" in literal(d) for d in site_policy.get("source_policy_documents", [])):
        errors.append("site bucket policy: does not include the deny-insecure-transport statement")
    tls_only = config.data.get(("aws_iam_policy_document", "tls_only"), {})
    tls_conditions = [
        (literal(c.get("variable")), [literal(v) for v in c.get("values", [])])
        for s in blocks(tls_only.get("statement", [])) or [] if literal(s.get("effect")) == "Deny"
        for c in blocks(s.get("condition", [])) or []
    ]
    if ("aws:SecureTransport", ["false"]) not in tls_conditions:
        errors.append("data.aws_iam_policy_document.tls_only: does not deny aws:SecureTransport = false")
    for name, body in find_resources(config, "aws_cloudfront_origin_access_control").items():
        if literal(body.get("signing_behavior")) != "always" or literal(body.get("signing_protocol")) != "sigv4":
            errors.append(f"aws_cloudfront_origin_access_control.{name}: must sign always with sigv4")
    for name, body in find_resources(config, "aws_cloudfront_distribution").items():
        s3_origins = [o for o in blocks(body.get("origin", [])) or [] if "aws_s3_bucket" in literal(o.get("domain_name"))]
        errors += [f"aws_cloudfront_distribution.{name}: S3 origin without origin_access_control_id"
                   for o in s3_origins if "origin_access_control_id" not in o]

    # No "*" or "service:*" actions; "*" resources only for actions IAM cannot scope.
    for where, effect, actions, resources, _, conditions in iam_statements(config):
        if effect != "Allow":
            continue
        # Roles are created and their policies written only with the permissions boundary on
        # them; nothing removes a boundary or writes a managed policy (the boundary is one).
        unbounded = [a for a in actions if a in ROLE_WRITES_NEEDING_BOUNDARY]
        if unbounded and not any(variable == "iam:PermissionsBoundary" for _, variable, _ in conditions):
            errors += [f"{where}: {a!r} without an iam:PermissionsBoundary condition" for a in unbounded]
        errors += [f"{where}: {a!r} is never granted" for a in actions if a in NEVER_GRANTED]
        errors += [f"{where}: wildcard action {a!r}" for a in actions if a == "*" or a.endswith(":*")]
        if "*" in resources:
            errors += [f"{where}: {a!r} on resource '*'" for a in actions if a not in ACTIONS_WITHOUT_RESOURCE_SCOPE]

    for name, body in find_resources(config, "aws_iam_role").items():
        if "aws_iam_policy.permissions_boundary.arn" not in literal(body.get("permissions_boundary", "")):
            errors.append(f"aws_iam_role.{name}: no permissions_boundary")

    # CloudFront reaches the API through its execute-api endpoint: disabling it cuts readers off.
    api_origins = {
        match.group(1)
        for body in find_resources(config, "aws_cloudfront_distribution").values()
        for origin in blocks(body.get("origin", [])) or []
        for match in [re.search(r"aws_apigatewayv2_api\.(\w+)\.api_endpoint", literal(origin.get("domain_name", "")))]
        if match
    }
    for name, body in find_resources(config, "aws_apigatewayv2_api").items():
        if name in api_origins and body.get("disable_execute_api_endpoint") is True:
            errors.append(f"aws_apigatewayv2_api.{name}: execute-api endpoint disabled, but CloudFront's origin is that endpoint")

    # The counter API is throttled; the table survives any apply.
    for name, body in find_resources(config, "aws_apigatewayv2_stage").items():
        settings = first_block(body, "default_route_settings")
        errors += [f"aws_apigatewayv2_stage.{name}: {key} not set" for key in ("throttling_rate_limit", "throttling_burst_limit") if key not in settings]
    for name, body in find_resources(config, "aws_dynamodb_table").items():
        if body.get("deletion_protection_enabled") is not True:
            errors.append(f"aws_dynamodb_table.{name}: deletion protection off")
        if first_block(body, "lifecycle").get("prevent_destroy") is not True:
            errors.append(f"aws_dynamodb_table.{name}: lifecycle.prevent_destroy not set")
    return errors


def all_errors(directory: Path) -> list[str]:
    config = load(directory)
    schema = load_schema()
    return (config.parse_errors + schema_errors(config, schema) + reference_errors(config, schema)
            + documentation_errors(config) + policy_errors(config))


# ---------------------------------------------------------------------------------------------
# checkov (its own virtualenv: it pins an older boto3 than the project)

CHECKOV = REPO / ".venv-checkov" / "bin" / "checkov"
INLINE_SKIP = re.compile(r"#\s*checkov:skip=([A-Z0-9_]+)(?::(.*))?")


def run_checkov(directory: Path, checks: list[str] | None = None) -> dict:
    """checkov's JSON report for a directory; raises FileNotFoundError if checkov is missing."""
    if not CHECKOV.exists():
        raise FileNotFoundError(f"{CHECKOV} is missing: run `make tools`")
    command = [str(CHECKOV), "--directory", str(directory), "--framework", "terraform",
               "--skip-download", "--output", "json"]
    if checks:
        command += ["--check", ",".join(checks)]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=240, check=False)
    if not completed.stdout.strip():
        raise RuntimeError(f"checkov produced no report (exit {completed.returncode}): {completed.stderr[-2000:]}")
    return json.loads(completed.stdout)


def inline_skips(directory: Path) -> list[tuple[str, str, str]]:
    """(file:line, check id, reason) of every `#checkov:skip=` comment."""
    found = []
    for path in sorted(directory.glob("*.tf")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            match = INLINE_SKIP.search(line)
            if match:
                found.append((f"{path.name}:{number}", match.group(1), (match.group(2) or "").strip()))
    return found


# ---------------------------------------------------------------------------------------------
# `terraform fmt -check` (CI runs it). Where the terraform binary is on PATH it is the check;
# fmt needs no providers and no network. Where it is absent, `fmt_problems` stands in: the
# indentation and `=` alignment rules of hclwrite's formatter, applied line by line. A line is
# an aligned assignment when it has a top-level `=` whose right-hand side closes every bracket
# it opens; consecutive such lines align their `=` one space after the longest left-hand side;
# any other line ends the run.


def fmt_check(directory: Path) -> tuple[str, list[str]]:
    """(which check ran, its problems) for the .tf files of a directory."""
    terraform = shutil.which("terraform")
    if terraform is None:
        problems = [problem for path in sorted(directory.glob("*.tf"))
                    for problem in fmt_problems(path.read_text(encoding="utf-8"), path.name)]
        return "the offline stand-in for terraform fmt (no terraform on PATH)", problems
    completed = subprocess.run(
        [terraform, "fmt", "-check", "-recursive", "-diff", "-no-color"], cwd=directory,
        env={**os.environ, "CHECKPOINT_DISABLE": "1"}, capture_output=True, text=True, timeout=60, check=False,
    )
    problems = [] if completed.returncode == 0 else [completed.stdout + completed.stderr]
    return f"{terraform} fmt -check -recursive -diff", problems

OPENERS, CLOSERS = "{[(", "}])"


def _code_and_strings(line: str) -> tuple[str, str]:
    """The line with string contents blanked (interpolations kept) and any trailing comment cut."""
    out, index, in_string, depth = [], 0, False, 0
    while index < len(line):
        char = line[index]
        if in_string:
            if char == "\\":
                out.append("  ")
                index += 2
                continue
            if line.startswith("${", index):
                depth += 1
                out.append("${")
                index += 2
                in_string = False
                continue
            if char == '"':
                in_string = False
                out.append('"')
            else:
                out.append(" ")
            index += 1
            continue
        if char == '"':
            in_string = True
        elif char == "}" and depth:
            depth -= 1
            out.append("}")
            in_string = True
            index += 1
            continue
        elif char == "#" or line.startswith("//", index):
            break
        out.append(char)
        index += 1
    return "".join(out).rstrip(), line


def fmt_problems(text: str, filename: str) -> list[str]:
    problems, depth_stack = [], []
    chain: list[tuple[int, int, int]] = []  # (line number, lhs width, `=` column)

    def close_chain():
        if chain:
            want = max(width for _, width, _ in chain) + 1
            problems.extend(f"{filename}:{number}: `=` at column {column}, terraform fmt puts it at {want}"
                            for number, width, column in chain if column != want)
            chain.clear()

    for number, raw in enumerate(text.splitlines(), start=1):
        if raw != raw.rstrip():
            problems.append(f"{filename}:{number}: trailing whitespace")
        code, _ = _code_and_strings(raw)
        stripped = code.strip()
        if not stripped:
            close_chain()
            continue
        net = sum(c in OPENERS for c in code) - sum(c in CLOSERS for c in code)
        indent = len(raw) - len(raw.lstrip(" "))
        leading_close = len(stripped) - len(stripped.lstrip("}])"))
        expected = 2 * max(len(depth_stack) - (1 if net < 0 or leading_close else 0), 0)
        if indent != expected and not raw.lstrip().startswith(("#", "//")):
            problems.append(f"{filename}:{number}: indented {indent}, terraform fmt indents {expected}")
        if net > 0:
            depth_stack.append(net)
        elif net < 0:
            closed = -net
            while closed and depth_stack:
                if closed >= depth_stack[-1]:
                    closed -= depth_stack.pop()
                else:
                    depth_stack[-1] -= closed
                    closed = 0
        match = re.search(r"(?<![=!<>])=(?![=>])", code)
        if match and match.start() > indent:
            rhs = code[match.start():]
            if sum(c in OPENERS for c in rhs) == sum(c in CLOSERS for c in rhs):
                chain.append((number, len(code[:match.start()].rstrip()), match.start()))
                continue
        close_chain()
    close_chain()
    return problems


# ---------------------------------------------------------------------------------------------
# Variable validation, evaluated by terraform itself: variables.tf alone in a scratch folder
# needs no provider, so `terraform plan` runs offline and applies every validation rule.


def variable_errors(directory: Path, scratch: Path, values: dict[str, str]) -> str | None:
    """What terraform says against these -var values, whitespace collapsed ("" when it accepts
    them), or None where terraform is not on PATH."""
    terraform = shutil.which("terraform")
    if terraform is None:
        return None
    scratch.mkdir(parents=True, exist_ok=True)
    shutil.copy(directory / "variables.tf", scratch / "variables.tf")
    environ = {**os.environ, "CHECKPOINT_DISABLE": "1", "TF_IN_AUTOMATION": "1"}
    if not (scratch / ".terraform").exists():
        subprocess.run([terraform, "init", "-input=false", "-no-color", "-backend=false"], cwd=scratch,
                       env=environ, capture_output=True, text=True, timeout=60, check=True)
    arguments = [argument for name, value in values.items() for argument in ("-var", f"{name}={value}")]
    completed = subprocess.run([terraform, "plan", "-input=false", "-no-color", "-refresh=false", *arguments],
                               cwd=scratch, env=environ, capture_output=True, text=True, timeout=60, check=False)
    if completed.returncode == 0:
        return ""
    return " ".join((completed.stdout + completed.stderr).replace("│", " ").split())
