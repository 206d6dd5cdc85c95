# Names and lookups shared by every file; the concrete names are pinned in docs/architecture.md.
data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition

  site_bucket_name       = "${var.project_name}-site-${local.account_id}"
  access_log_bucket_name = "${var.project_name}-logs-${local.account_id}"
  counter_table_name     = "${var.project_name}-counter"
  counter_function_name  = "${var.project_name}-counter"
  www_domain_name        = "www.${var.domain_name}"
  site_url               = "https://${var.domain_name}"
  hosted_zone_name       = var.hosted_zone_name == "" ? var.domain_name : var.hosted_zone_name

  tags = merge({ Project = var.project_name, ManagedBy = "terraform" }, var.tags)
}
