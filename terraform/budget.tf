# Cost guard: a monthly budget for the whole account, on by default, that emails before a month
# runs away (a flood of API calls at the throttle limit, a forgotten paid extra). It alerts; it
# does not stop anything. Budgets with alerts only and no actions cost nothing.
resource "aws_budgets_budget" "monthly" {
  count = var.enable_cost_budget ? 1 : 0

  name         = "${var.project_name}-monthly"
  budget_type  = "COST"
  limit_amount = format("%.2f", var.monthly_budget_usd)
  limit_unit   = "USD"
  time_unit    = "MONTHLY"

  # Spend already incurred: the early warning.
  notification {
    comparison_operator        = "GREATER_THAN"
    threshold                  = var.budget_alert_threshold_percent
    threshold_type             = "PERCENTAGE"
    notification_type          = "ACTUAL"
    subscriber_email_addresses = [var.budget_alert_email]
  }

  # The month's forecast: a flood shows here days before the actual spend crosses the limit.
  notification {
    comparison_operator        = "GREATER_THAN"
    threshold                  = 100
    threshold_type             = "PERCENTAGE"
    notification_type          = "FORECASTED"
    subscriber_email_addresses = [var.budget_alert_email]
  }
}
