variable "domain_name" {
  description = "Apex domain the site answers on, e.g. example.com; www.<domain> redirects to it."
  type        = string

  validation {
    condition     = can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.domain_name)) && !startswith(var.domain_name, "www.")
    error_message = "domain_name must be a lower-case DNS name without a scheme, trailing dot or leading www., e.g. example.com."
  }
}

variable "hosted_zone_name" {
  description = "Existing Route 53 public hosted zone that holds domain_name; empty means the zone is domain_name itself."
  type        = string
  default     = ""

  validation {
    condition     = var.hosted_zone_name == "" || can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.hosted_zone_name))
    error_message = "hosted_zone_name must be empty or a lower-case DNS name without a trailing dot."
  }
}

variable "aws_region" {
  description = "Region for the bucket, table, Lambda and API (CloudFront, ACM and WAF are global / us-east-1)."
  type        = string
  default     = "us-east-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.aws_region))
    error_message = "aws_region must look like us-east-1 or eu-west-3."
  }
}

variable "project_name" {
  description = "Prefix of every resource name (bucket, table, function, roles); IAM scopes the CI roles by it."
  type        = string
  default     = "blog"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,19}$", var.project_name))
    error_message = "project_name must be 2-20 characters: lower-case letters, digits and hyphens, starting with a letter."
  }
}

variable "price_class" {
  description = "CloudFront price class: PriceClass_100 (North America, Europe; cheapest), PriceClass_200 or PriceClass_All."
  type        = string
  default     = "PriceClass_100"

  validation {
    condition     = contains(["PriceClass_100", "PriceClass_200", "PriceClass_All"], var.price_class)
    error_message = "price_class must be PriceClass_100, PriceClass_200 or PriceClass_All."
  }
}

variable "log_retention_days" {
  description = "Days CloudWatch keeps the Lambda and API access logs."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

# The stage throttle is shared by readers (through CloudFront) and anyone calling the public
# execute-api URL directly: the limits must admit a real spike, and the budget below bounds what
# a flood can cost. docs/deploy.md, "Throttling and cost", gives the reasoning and the figures.
variable "api_throttle_rate_limit" {
  description = "Steady-state requests per second the counter API accepts (all routes together); above it callers get 429 and the widget shows a dash."
  type        = number
  default     = 200

  validation {
    condition     = var.api_throttle_rate_limit >= 1 && var.api_throttle_rate_limit <= 10000
    error_message = "api_throttle_rate_limit must be between 1 and 10000 requests per second."
  }
}

variable "api_throttle_burst_limit" {
  description = "Requests the counter API accepts at once above the rate limit (the token bucket's size)."
  type        = number
  default     = 400

  validation {
    condition     = var.api_throttle_burst_limit >= 1 && var.api_throttle_burst_limit <= 5000 && floor(var.api_throttle_burst_limit) == var.api_throttle_burst_limit
    error_message = "api_throttle_burst_limit must be a whole number between 1 and 5000."
  }
}

variable "lambda_reserved_concurrency" {
  description = "Concurrent executions reserved for (and capping) the counter Lambda; null leaves it unreserved, which new accounts with a concurrency quota of 10 need."
  type        = number
  default     = null

  validation {
    condition     = var.lambda_reserved_concurrency == null || try(var.lambda_reserved_concurrency >= 1 && floor(var.lambda_reserved_concurrency) == var.lambda_reserved_concurrency, false)
    error_message = "lambda_reserved_concurrency must be null or a whole number of at least 1."
  }
}

variable "noncurrent_version_retention_days" {
  description = "Days the site bucket keeps an overwritten or deleted object version, so a bad publish can be rolled back."
  type        = number
  default     = 30

  validation {
    condition     = var.noncurrent_version_retention_days >= 1 && floor(var.noncurrent_version_retention_days) == var.noncurrent_version_retention_days
    error_message = "noncurrent_version_retention_days must be a whole number of at least 1."
  }
}

variable "enable_access_logs" {
  description = "Write CloudFront standard access logs to a dedicated private bucket (paid extra: S3 storage and requests)."
  type        = bool
  default     = false
}

variable "access_log_retention_days" {
  description = "Days the access-log bucket keeps CloudFront logs when enable_access_logs is true."
  type        = number
  default     = 90

  validation {
    condition     = var.access_log_retention_days >= 1 && floor(var.access_log_retention_days) == var.access_log_retention_days
    error_message = "access_log_retention_days must be a whole number of at least 1."
  }
}

variable "enable_waf" {
  description = "Attach an AWS WAF web ACL (AWS managed common and known-bad-inputs rules plus a rate limit) to the distribution (paid extra: about $8 a month plus $0.60 per million requests)."
  type        = bool
  default     = false
}

variable "waf_rate_limit" {
  description = "Requests per 5 minutes one IP may send before the WAF blocks it, when enable_waf is true."
  type        = number
  default     = 1000

  validation {
    condition     = var.waf_rate_limit >= 10 && var.waf_rate_limit <= 2000000000
    error_message = "waf_rate_limit must be between 10 and 2000000000."
  }
}

variable "github_repository" {
  description = "GitHub repository (owner/name) whose workflows may assume the deploy and Terraform roles; empty creates no GitHub roles."
  type        = string
  default     = ""

  validation {
    condition     = var.github_repository == "" || can(regex("^[A-Za-z0-9-]+/[A-Za-z0-9._-]+$", var.github_repository))
    error_message = "github_repository must be empty or owner/name, e.g. octocat/blog."
  }
}

variable "github_environment" {
  description = "GitHub deployment environment whose jobs may assume the deploy and Terraform apply roles."
  type        = string
  default     = "production"

  validation {
    condition     = can(regex("^[A-Za-z0-9._-]+$", var.github_environment))
    error_message = "github_environment must be a plain environment name such as production."
  }
}

variable "github_oidc_provider_arn" {
  description = "ARN of an existing token.actions.githubusercontent.com OIDC provider to reuse; empty creates one (an account holds only one per URL)."
  type        = string
  default     = ""

  validation {
    condition     = var.github_oidc_provider_arn == "" || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:oidc-provider/token\\.actions\\.githubusercontent\\.com$", var.github_oidc_provider_arn))
    error_message = "github_oidc_provider_arn must be empty or the ARN of the token.actions.githubusercontent.com provider."
  }
}

variable "state_bucket_name" {
  description = "S3 bucket holding this stack's Terraform state (created by hand, see docs/deploy.md); the GitHub roles may read and write it."
  type        = string
  default     = ""

  validation {
    condition     = var.state_bucket_name == "" || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.state_bucket_name))
    error_message = "state_bucket_name must be empty or a valid S3 bucket name."
  }

  validation {
    condition     = var.github_repository == "" || var.state_bucket_name != ""
    error_message = "state_bucket_name is required when github_repository is set: the Terraform roles need the state."
  }
}

variable "state_key" {
  description = "Object key of the state file in state_bucket_name (the backend's `key`)."
  type        = string
  default     = "blog/terraform.tfstate"

  validation {
    condition     = can(regex("^[A-Za-z0-9!_.*'()/-]+$", var.state_key)) && !startswith(var.state_key, "/")
    error_message = "state_key must be a relative S3 object key such as blog/terraform.tfstate."
  }
}

variable "enable_cost_budget" {
  description = "Create a monthly AWS Budgets cost budget for the account that emails budget_alert_email (budgets with alerts only are free)."
  type        = bool
  default     = true
}

variable "monthly_budget_usd" {
  description = "Monthly cost in US dollars the budget alerts on (the whole account's spend)."
  type        = number
  default     = 10

  validation {
    condition     = var.monthly_budget_usd >= 1 && var.monthly_budget_usd <= 100000
    error_message = "monthly_budget_usd must be between 1 and 100000 US dollars."
  }
}

variable "budget_alert_threshold_percent" {
  description = "Percentage of monthly_budget_usd actually spent at which the budget emails; a second email goes when the month's forecast passes 100%."
  type        = number
  default     = 80

  validation {
    condition     = var.budget_alert_threshold_percent >= 1 && var.budget_alert_threshold_percent <= 1000 && floor(var.budget_alert_threshold_percent) == var.budget_alert_threshold_percent
    error_message = "budget_alert_threshold_percent must be a whole number between 1 and 1000."
  }
}

variable "budget_alert_email" {
  description = "Address the cost budget emails when spend or forecast passes its thresholds; required while enable_cost_budget is true."
  type        = string
  default     = ""

  validation {
    condition     = var.budget_alert_email == "" || can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.budget_alert_email))
    error_message = "budget_alert_email must be an email address such as you@example.com."
  }

  validation {
    condition     = !var.enable_cost_budget || var.budget_alert_email != ""
    error_message = "budget_alert_email is required while enable_cost_budget is true (the default): set it, or set enable_cost_budget = false to go without the cost alert."
  }
}

variable "tags" {
  description = "Extra tags on every resource, merged over Project and ManagedBy."
  type        = map(string)
  default     = {}
}
