# Names publish reads with `terraform output -json` (docs/architecture.md).
output "site_bucket_name" {
  description = "S3 bucket publish syncs the built site into."
  value       = aws_s3_bucket.site.bucket
}

output "distribution_id" {
  description = "CloudFront distribution publish invalidates."
  value       = aws_cloudfront_distribution.site.id
}

output "distribution_domain_name" {
  description = "CloudFront host name (the DNS aliases point at it)."
  value       = aws_cloudfront_distribution.site.domain_name
}

output "site_url" {
  description = "Public URL of the site (Pelican's SITEURL in production)."
  value       = local.site_url
}

output "api_endpoint" {
  description = "Counter API as readers reach it: through CloudFront on the site's own origin."
  value       = "${local.site_url}/api/hits"
}

output "counter_table_name" {
  description = "DynamoDB table publish registers page keys in."
  value       = aws_dynamodb_table.counter.name
}

output "aws_region" {
  description = "Region of the bucket, table, Lambda and API."
  value       = var.aws_region
}

output "deploy_role_arn" {
  description = "Role GitHub Actions assumes to publish (repository variable AWS_DEPLOY_ROLE_ARN); null without github_repository."
  value       = try(aws_iam_role.github["deploy"].arn, null)
}

output "terraform_apply_role_arn" {
  description = "Role GitHub Actions assumes for terraform apply on main (AWS_TERRAFORM_APPLY_ROLE_ARN); null without github_repository."
  value       = try(aws_iam_role.github["terraform_apply"].arn, null)
}

output "terraform_plan_role_arn" {
  description = "Role GitHub Actions assumes for terraform plan on pull requests (AWS_TERRAFORM_PLAN_ROLE_ARN); null without github_repository."
  value       = try(aws_iam_role.github["terraform_plan"].arn, null)
}

output "github_oidc_provider_arn" {
  description = "GitHub OIDC provider the roles trust (created here or reused); null without github_repository."
  value       = local.github_enabled ? local.github_oidc_provider_arn : null
}

output "stats_role_arn" {
  description = "Read-only role for `make stats`: DynamoDB reads on the counter table, nothing else (docs/deploy.md, \"Reading the stats\")."
  value       = aws_iam_role.stats_reader.arn
}
