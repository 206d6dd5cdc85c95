# GitHub Actions roles (OIDC, no stored keys): publish, Terraform apply and Terraform plan.
# Nothing here is created while github_repository is empty.
locals {
  github_enabled = var.github_repository != ""

  github_oidc_provider_arn = var.github_oidc_provider_arn != "" ? var.github_oidc_provider_arn : one(aws_iam_openid_connect_provider.github[*].arn)

  # Token subjects: jobs in the deployment environment, and pull requests. A job names the
  # environment to get its token's subject, so only jobs that passed the environment's rules
  # (required reviewers, branch policy) can release; a job on main without `environment:` has
  # the subject ref:refs/heads/main, which no role trusts.
  github_release_subjects = [
    "repo:${var.github_repository}:environment:${var.github_environment}",
  ]
  github_pull_request_subjects = ["repo:${var.github_repository}:pull_request"]

  # A filtered for-expression rather than a conditional: the roles differ in shape.
  github_roles = { for role, settings in {
    deploy = {
      name        = "${var.project_name}-github-deploy"
      description = "GitHub Actions publish: sync the site bucket, invalidate, register pages, rank popular posts"
      subjects    = local.github_release_subjects
      statements  = local.deploy_statements
      bounded     = true
    }
    terraform_apply = {
      name        = "${var.project_name}-terraform-apply"
      description = "GitHub Actions terraform apply of this stack"
      subjects    = local.github_release_subjects
      statements  = concat(local.stack_read_statements, local.stack_write_statements, local.bounded_role_statements, local.pass_role_statements, local.state_write_statements)
      # Made by an administrator and changed only by one: without the boundary on its own role,
      # bounded_role_statements never let it write its own policies (boundary.tf).
      bounded = false
    }
    terraform_plan = {
      name        = "${var.project_name}-terraform-plan"
      description = "GitHub Actions terraform plan on pull requests (read-only)"
      subjects    = local.github_pull_request_subjects
      statements  = concat(local.stack_read_statements, local.state_read_statements)
      bounded     = true
    }
  } : role => settings if local.github_enabled }

  site_bucket_arn  = "arn:${local.partition}:s3:::${local.site_bucket_name}"
  log_bucket_arn   = "arn:${local.partition}:s3:::${local.access_log_bucket_name}"
  state_bucket_arn = "arn:${local.partition}:s3:::${var.state_bucket_name}"
  state_object_arn = "${local.state_bucket_arn}/${var.state_key}"
  cloudfront_arn   = "arn:${local.partition}:cloudfront::${local.account_id}"
  lambda_arn       = "arn:${local.partition}:lambda:${var.aws_region}:${local.account_id}:function:${local.counter_function_name}"
  log_group_arn    = "arn:${local.partition}:logs:${var.aws_region}:${local.account_id}:log-group"
  apigateway_arn   = "arn:${local.partition}:apigateway:${var.aws_region}::"
  iam_arn          = "arn:${local.partition}:iam::${local.account_id}"
  budget_arn       = "arn:${local.partition}:budgets::${local.account_id}:budget/${var.project_name}-monthly"
  wafv2_global_arn = "arn:${local.partition}:wafv2:us-east-1:${local.account_id}:global"
  stack_log_groups = ["/aws/lambda/${local.counter_function_name}", "/aws/apigateway/${var.project_name}-counter"]
  stack_log_group_arns = flatten([
    for name in local.stack_log_groups : ["${local.log_group_arn}:${name}", "${local.log_group_arn}:${name}:*"]
  ])

  # Publish, exactly: docs/architecture.md "S3 and CloudFront actions" and "DynamoDB actions".
  # No state access: the deploy workflow hands publish the targets from the apply job's outputs.
  deploy_statements = [
    { sid = "ListSite", actions = ["s3:ListBucket"], resources = [local.site_bucket_arn], conditions = [] },
    { sid = "SyncSite", actions = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], resources = ["${local.site_bucket_arn}/*"], conditions = [] },
    # make rollback: read and copy back the earlier versions publish recorded (HeadObject, CopyObject with a VersionId).
    { sid = "RollBackSite", actions = ["s3:GetObjectVersion"], resources = ["${local.site_bucket_arn}/*"], conditions = [] },
    { sid = "Invalidate", actions = ["cloudfront:CreateInvalidation", "cloudfront:GetInvalidation"], resources = [aws_cloudfront_distribution.site.arn], conditions = [] },
    # DescribeTable: the table's creation time tells publish a rebuilt table from the one it registered pages in.
    { sid = "RegisterPages", actions = ["dynamodb:BatchGetItem", "dynamodb:BatchWriteItem", "dynamodb:DescribeTable"], resources = [aws_dynamodb_table.counter.arn], conditions = [] },
    # The build's "Most read this month" list (plugins/popular_posts): make stats' one read-only Scan.
    { sid = "RankPopularPosts", actions = ["dynamodb:Scan"], resources = [aws_dynamodb_table.counter.arn], conditions = [] },
  ]

  state_read_statements = [
    { sid = "ListStateBucket", actions = ["s3:ListBucket"], resources = [local.state_bucket_arn], conditions = [] },
    { sid = "ReadState", actions = ["s3:GetObject"], resources = [local.state_object_arn], conditions = [] },
    { sid = "LockState", actions = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], resources = ["${local.state_object_arn}.tflock"], conditions = [] },
  ]
  state_write_statements = [
    { sid = "ListStateBucket", actions = ["s3:ListBucket"], resources = [local.state_bucket_arn], conditions = [] },
    { sid = "ReadWriteState", actions = ["s3:GetObject", "s3:PutObject"], resources = [local.state_object_arn], conditions = [] },
    { sid = "LockState", actions = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], resources = ["${local.state_object_arn}.tflock"], conditions = [] },
  ]

  # What the Terraform roles may do, one row per kind of resource in this stack: where it lives,
  # what `terraform plan` reads there to refresh it, and what `terraform apply` changes on top of
  # the reads. Resources are this stack's names where the service's ARNs carry a name;
  # CloudFront, ACM and API Gateway ARNs carry random ids, so those are scoped to this account
  # (docs/deploy.md, "What the roles may do"). No dynamodb:DeleteTable: the counts outlive any
  # apply (with deletion protection and prevent_destroy).
  stack_access = {
    Buckets = {
      resources = [local.site_bucket_arn, local.log_bucket_arn]
      read      = ["s3:ListBucket", "s3:GetBucket*", "s3:GetAccelerateConfiguration", "s3:GetLifecycleConfiguration", "s3:GetReplicationConfiguration", "s3:GetEncryptionConfiguration"]
      write     = ["s3:CreateBucket", "s3:DeleteBucket", "s3:PutBucket*", "s3:DeleteBucketPolicy", "s3:PutEncryptionConfiguration", "s3:PutLifecycleConfiguration"]
    }
    Cdn = {
      resources = ["${local.cloudfront_arn}:distribution/*", "${local.cloudfront_arn}:origin-access-control/*", "${local.cloudfront_arn}:response-headers-policy/*", "${local.cloudfront_arn}:function/${var.project_name}-*"]
      read      = ["cloudfront:GetDistribution", "cloudfront:GetDistributionConfig", "cloudfront:ListTagsForResource", "cloudfront:GetOriginAccessControl", "cloudfront:GetResponseHeadersPolicy", "cloudfront:GetFunction", "cloudfront:DescribeFunction"]
      write = [
        "cloudfront:CreateDistribution", "cloudfront:CreateDistributionWithTags", "cloudfront:UpdateDistribution", "cloudfront:DeleteDistribution",
        "cloudfront:TagResource", "cloudfront:UntagResource",
        "cloudfront:CreateOriginAccessControl", "cloudfront:UpdateOriginAccessControl", "cloudfront:DeleteOriginAccessControl",
        "cloudfront:CreateResponseHeadersPolicy", "cloudfront:UpdateResponseHeadersPolicy", "cloudfront:DeleteResponseHeadersPolicy",
        "cloudfront:CreateFunction", "cloudfront:UpdateFunction", "cloudfront:PublishFunction", "cloudfront:DeleteFunction",
      ]
    }
    Certificate = {
      resources = ["arn:${local.partition}:acm:us-east-1:${local.account_id}:certificate/*"]
      read      = ["acm:DescribeCertificate", "acm:ListTagsForCertificate"]
      write     = ["acm:RequestCertificate", "acm:DeleteCertificate", "acm:AddTagsToCertificate", "acm:RemoveTagsFromCertificate", "acm:UpdateCertificateOptions"]
    }
    Zone = {
      resources = ["arn:${local.partition}:route53:::hostedzone/${data.aws_route53_zone.site.zone_id}"]
      read      = ["route53:GetHostedZone", "route53:ListResourceRecordSets", "route53:ListTagsForResource"]
      write     = ["route53:ChangeResourceRecordSets"]
    }
    DnsChanges = {
      resources = ["arn:${local.partition}:route53:::change/*"]
      read      = ["route53:GetChange"]
      write     = []
    }
    Table = {
      resources = [aws_dynamodb_table.counter.arn]
      read      = ["dynamodb:DescribeTable", "dynamodb:DescribeContinuousBackups", "dynamodb:DescribeTimeToLive", "dynamodb:ListTagsOfResource"]
      write     = ["dynamodb:CreateTable", "dynamodb:UpdateTable", "dynamodb:UpdateContinuousBackups", "dynamodb:UpdateTimeToLive", "dynamodb:TagResource", "dynamodb:UntagResource"]
    }
    Function = {
      resources = [local.lambda_arn]
      read      = ["lambda:GetFunction", "lambda:GetFunctionConfiguration", "lambda:GetFunctionCodeSigningConfig", "lambda:GetFunctionConcurrency", "lambda:GetPolicy", "lambda:GetRuntimeManagementConfig", "lambda:ListVersionsByFunction", "lambda:ListTags"]
      write = [
        "lambda:CreateFunction", "lambda:DeleteFunction", "lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration",
        "lambda:PutFunctionConcurrency", "lambda:DeleteFunctionConcurrency", "lambda:AddPermission", "lambda:RemovePermission",
        "lambda:TagResource", "lambda:UntagResource",
      ]
    }
    LogGroups = {
      resources = local.stack_log_group_arns
      read      = ["logs:ListTagsForResource", "logs:ListTagsLogGroup"]
      write     = ["logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:PutRetentionPolicy", "logs:DeleteRetentionPolicy", "logs:TagResource", "logs:UntagResource", "logs:TagLogGroup", "logs:UntagLogGroup"]
    }
    Api = {
      resources = ["${local.apigateway_arn}/apis", "${local.apigateway_arn}/apis/*", "${local.apigateway_arn}/tags/*"]
      read      = ["apigateway:GET"]
      write     = ["apigateway:POST", "apigateway:PATCH", "apigateway:PUT", "apigateway:DELETE"]
    }
    # Creating a role and writing its policies are in bounded_role_statements below: only with
    # the permissions boundary attached.
    Roles = {
      resources = ["${local.iam_arn}:role/${var.project_name}-*"]
      read      = ["iam:GetRole", "iam:GetRolePolicy", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies"]
      write = [
        "iam:DeleteRole", "iam:UpdateRole", "iam:UpdateRoleDescription", "iam:UpdateAssumeRolePolicy",
        "iam:TagRole", "iam:UntagRole", "iam:ListInstanceProfilesForRole",
      ]
    }
    # Read only: the boundary is the ceiling of what the apply role may create, so it may not
    # change it. An administrator applies a change to it (docs/deploy.md).
    PermissionsBoundary = {
      resources = [local.permissions_boundary_arn]
      read      = ["iam:GetPolicy", "iam:GetPolicyVersion", "iam:ListPolicyVersions"]
      write     = []
    }
    Budget = {
      resources = [local.budget_arn]
      read      = ["budgets:ViewBudget", "budgets:ListTagsForResource"]
      write     = ["budgets:ModifyBudget", "budgets:TagResource", "budgets:UntagResource"]
    }
    GitHubOidcProvider = {
      resources = ["${local.iam_arn}:oidc-provider/token.actions.githubusercontent.com"]
      read      = ["iam:GetOpenIDConnectProvider"]
      write = [
        "iam:CreateOpenIDConnectProvider", "iam:DeleteOpenIDConnectProvider", "iam:TagOpenIDConnectProvider", "iam:UntagOpenIDConnectProvider",
        "iam:UpdateOpenIDConnectProviderThumbprint", "iam:AddClientIDToOpenIDConnectProvider", "iam:RemoveClientIDFromOpenIDConnectProvider",
      ]
    }
    WebAcl = {
      resources = ["${local.wafv2_global_arn}/webacl/${var.project_name}-cdn/*"]
      read      = ["wafv2:GetWebACL", "wafv2:ListTagsForResource"]
      write     = ["wafv2:CreateWebACL", "wafv2:UpdateWebACL", "wafv2:DeleteWebACL", "wafv2:TagResource", "wafv2:UntagResource"]
      # The web ACL's rules are AWS's managed rule groups: writing it is authorised on them too.
      also_written = ["${local.wafv2_global_arn}/managedruleset/*/*"]
    }
    Unscoped = {
      # These calls have no resource-level permissions (IAM accepts only "*"). Reads: the
      # lookups of the hosted zone, AWS's managed CloudFront policies and log groups by name,
      # and the log-delivery reads API Gateway's access logging needs. Writes: that access
      # logging is set up through CloudWatch Logs' vended-log delivery (AWS: "Permissions for
      # CloudWatch logging", HTTP APIs).
      resources = ["*"]
      read = [
        "route53:ListHostedZones", "route53:ListHostedZonesByName",
        "cloudfront:ListCachePolicies", "cloudfront:GetCachePolicy", "cloudfront:ListOriginRequestPolicies", "cloudfront:GetOriginRequestPolicy",
        "logs:DescribeLogGroups", "logs:DescribeResourcePolicies", "logs:GetLogDelivery", "logs:ListLogDeliveries",
      ]
      write = ["logs:CreateLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery", "logs:PutResourcePolicy"]
    }
  }

  stack_read_statements = [
    for kind, access in local.stack_access : { sid = "Read${kind}", actions = access.read, resources = access.resources, conditions = [] }
    if length(access.read) > 0
  ]
  stack_write_statements = [
    for kind, access in local.stack_access : {
      sid        = "Manage${kind}"
      actions    = access.write
      resources  = concat(access.resources, lookup(access, "also_written", []))
      conditions = []
    } if length(access.write) > 0
  ]

  # A role of the stack may be created, and its inline policies written, only with the permissions
  # boundary on it: whatever an apply writes, no role can do more than the boundary allows.
  # Never granted: iam:DeleteRolePermissionsBoundary, iam:AttachRolePolicy (no managed policies).
  bounded_role_statements = [
    {
      sid        = "ManageRolesWithinBoundary"
      actions    = ["iam:CreateRole", "iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:PutRolePermissionsBoundary"]
      resources  = ["${local.iam_arn}:role/${var.project_name}-*"]
      conditions = [{ test = "StringEquals", variable = "iam:PermissionsBoundary", values = [local.permissions_boundary_arn] }]
    },
  ]

  # The Lambda's execution role, handed to that Lambda only.
  pass_role_statements = [
    {
      sid        = "PassCounterRole"
      actions    = ["iam:PassRole"]
      resources  = ["${local.iam_arn}:role/${var.project_name}-counter-lambda"]
      conditions = [{ test = "StringEquals", variable = "iam:PassedToService", values = ["lambda.amazonaws.com"] }]
    },
  ]
}

resource "aws_iam_openid_connect_provider" "github" {
  count = local.github_enabled && var.github_oidc_provider_arn == "" ? 1 : 0

  url            = "https://token.actions.githubusercontent.com"
  client_id_list = ["sts.amazonaws.com"]
}

data "aws_iam_policy_document" "github_trust" {
  for_each = local.github_roles

  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [local.github_oidc_provider_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:aud"
      values   = ["sts.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:sub"
      values   = each.value.subjects
    }
  }
}

resource "aws_iam_role" "github" {
  for_each = local.github_roles

  name                 = each.value.name
  description          = each.value.description
  assume_role_policy   = data.aws_iam_policy_document.github_trust[each.key].json
  max_session_duration = 3600

  permissions_boundary = each.value.bounded ? aws_iam_policy.permissions_boundary.arn : null
}

data "aws_iam_policy_document" "github" {
  for_each = local.github_roles

  dynamic "statement" {
    for_each = each.value.statements

    content {
      sid       = statement.value.sid
      actions   = statement.value.actions
      resources = statement.value.resources

      dynamic "condition" {
        for_each = statement.value.conditions

        content {
          test     = condition.value.test
          variable = condition.value.variable
          values   = condition.value.values
        }
      }
    }
  }
}

resource "aws_iam_role_policy" "github" {
  for_each = local.github_roles

  name   = each.key
  role   = aws_iam_role.github[each.key].id
  policy = data.aws_iam_policy_document.github[each.key].json
}
