# `make stats` with read-only rights: a role that may read the counter table and nothing else.
# People of this account assume it through a profile (docs/deploy.md, "Reading the stats");
# when github_repository is set, workflows on main or in the deployment environment may too.
data "aws_iam_policy_document" "stats_reader_trust" {
  # The account's own principals, each still needing sts:AssumeRole on this role in its policy.
  statement {
    sid     = "AccountPrincipals"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  dynamic "statement" {
    for_each = local.github_enabled ? [local.github_release_subjects] : []

    content {
      sid     = "GitHubRelease"
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
        values   = statement.value
      }
    }
  }
}

resource "aws_iam_role" "stats_reader" {
  name                 = "${var.project_name}-stats-reader"
  description          = "make stats: read the counter table, nothing else"
  assume_role_policy   = data.aws_iam_policy_document.stats_reader_trust.json
  max_session_duration = 3600

  permissions_boundary = aws_iam_policy.permissions_boundary.arn
}

# The one call `make stats` makes: a paginated Scan of the counter table (tests/stats checks
# this list against the calls the code really sends). No write, no other table, no index.
data "aws_iam_policy_document" "stats_reader" {
  statement {
    sid       = "ReadCounts"
    actions   = ["dynamodb:Scan"]
    resources = [aws_dynamodb_table.counter.arn]
  }
}

resource "aws_iam_role_policy" "stats_reader" {
  name   = "read-counter-table"
  role   = aws_iam_role.stats_reader.id
  policy = data.aws_iam_policy_document.stats_reader.json
}
