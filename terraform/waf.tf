# Optional web ACL for the distribution (enable_waf). Off by default: the API's throttling and
# page registration already bound what abuse can cost; this adds managed rules for attacks on
# the edge itself.
locals {
  # AWS managed rule groups, each billed as one rule; KnownBadInputs covers Log4j-style payloads.
  waf_managed_rule_groups = {
    "aws-common-rules"     = { priority = 10, name = "AWSManagedRulesCommonRuleSet" }
    "aws-known-bad-inputs" = { priority = 20, name = "AWSManagedRulesKnownBadInputsRuleSet" }
  }
}

resource "aws_wafv2_web_acl" "cdn" {
  #checkov:skip=CKV2_AWS_31:WAF logging to Firehose or CloudWatch is another paid extra; sampled requests and metrics are kept.
  count    = var.enable_waf ? 1 : 0
  provider = aws.us_east_1

  name        = "${var.project_name}-cdn"
  description = "Managed rules and a per-IP rate limit in front of ${var.domain_name}"
  scope       = "CLOUDFRONT"

  default_action {
    allow {}
  }

  dynamic "rule" {
    for_each = local.waf_managed_rule_groups

    content {
      name     = rule.key
      priority = rule.value.priority

      override_action {
        none {}
      }

      statement {
        managed_rule_group_statement {
          vendor_name = "AWS"
          name        = rule.value.name
        }
      }

      visibility_config {
        cloudwatch_metrics_enabled = true
        metric_name                = rule.key
        sampled_requests_enabled   = true
      }
    }
  }

  rule {
    name     = "per-ip-rate-limit"
    priority = 30

    action {
      block {}
    }

    statement {
      rate_based_statement {
        limit              = var.waf_rate_limit
        aggregate_key_type = "IP"
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "per-ip-rate-limit"
      sampled_requests_enabled   = true
    }
  }

  visibility_config {
    cloudwatch_metrics_enabled = true
    metric_name                = "${var.project_name}-cdn"
    sampled_requests_enabled   = true
  }
}
