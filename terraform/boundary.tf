# The permissions boundary of every role the apply role may create or change: the union of what
# the stack's roles are granted (the counter Lambda, stats reader, deploy and plan roles), so each
# role's own policy is the tighter limit and the boundary the ceiling. The apply role may create
# roles and write their policies only with this boundary attached (ci.tf,
# bounded_role_statements) and may not change it, so nothing an apply writes can do more than
# the stack needs. The apply role itself carries no boundary (it manages the stack, which is more
# than any role it creates may do): an administrator creates it and applies any change to it or
# to this policy (docs/deploy.md, "What the roles may do").
locals {
  permissions_boundary_name = "${var.project_name}-permissions-boundary"
  # Spelled out, not the resource's arn: the apply role's policy names it in a condition.
  permissions_boundary_arn = "${local.iam_arn}:policy/${local.permissions_boundary_name}"

  # The bounded GitHub roles' statements, grouped by resources and conditions: IAM allows a
  # managed policy 6,144 characters, and the reads of every resource kind come close.
  bounded_role_grants = flatten([for role in values(local.github_roles) : role.statements if role.bounded])
  boundary_grants = {
    for grant in local.bounded_role_grants : jsonencode([sort(grant.resources), grant.conditions]) => grant.actions...
  }
}

data "aws_iam_policy_document" "permissions_boundary" {
  source_policy_documents = [
    data.aws_iam_policy_document.counter_lambda.json,
    data.aws_iam_policy_document.stats_reader.json,
  ]

  dynamic "statement" {
    for_each = local.boundary_grants

    content {
      actions   = sort(distinct(flatten(statement.value)))
      resources = jsondecode(statement.key)[0]

      dynamic "condition" {
        for_each = jsondecode(statement.key)[1]

        content {
          test     = condition.value.test
          variable = condition.value.variable
          values   = condition.value.values
        }
      }
    }
  }
}

resource "aws_iam_policy" "permissions_boundary" {
  name        = local.permissions_boundary_name
  description = "Ceiling of every role the ${var.project_name} stack's apply role creates"
  policy      = data.aws_iam_policy_document.permissions_boundary.json
}
