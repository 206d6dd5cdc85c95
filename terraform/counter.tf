# The visitor counter: DynamoDB table, Lambda, and the HTTP API CloudFront forwards /api/* to.
resource "aws_dynamodb_table" "counter" {
  #checkov:skip=CKV_AWS_119:A customer-managed KMS key costs $1/month; the table is encrypted with the AWS-managed key (aws/dynamodb).
  name                        = local.counter_table_name
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "pk"
  deletion_protection_enabled = true

  attribute {
    name = "pk"
    type = "S"
  }

  # Daily unique-visitor markers expire on their own.
  ttl {
    attribute_name = "expires_at"
    enabled        = true
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled = true
  }

  lifecycle {
    prevent_destroy = true
  }
}

# Sent by CloudFront to the API origin and checked by the handler. It lives in the Terraform
# state (which is why the state bucket is private and encrypted); docs/deploy.md explains rotation.
resource "random_password" "origin_verify" {
  length  = 48
  special = false
}

# Key of the daily visitor salt (HMAC of the UTC day). Separate from the origin secret, so
# rotating that one does not change today's visitor hashes; it never leaves the Lambda.
resource "random_password" "visitor_hash" {
  length  = 48
  special = false
}

# The zip holds two packages whole, their Python files at their paths from the project root
# (so `counter_lambda.handler` imports): counter_lambda (what a hit runs) and the shared floor
# it stands on (page keys, the table's layout); nothing is left out by name, only __pycache__.
# Source blocks get a fixed timestamp and mode, so the hash changes only when the code does.
data "archive_file" "counter_lambda" {
  type        = "zip"
  output_path = "${path.module}/.build/counter_lambda.zip"

  dynamic "source" {
    for_each = [
      for file in fileset("${path.module}/..", "{counter_lambda,shared}/**/*.py") : file
      if !can(regex("(^|/)__pycache__/", file))
    ]

    content {
      content  = file("${path.module}/../${source.value}")
      filename = source.value
    }
  }
}

resource "aws_cloudwatch_log_group" "counter_lambda" {
  #checkov:skip=CKV_AWS_158:A customer-managed KMS key costs $1/month; CloudWatch Logs encrypts log data at rest with its own key.
  #checkov:skip=CKV_AWS_338:A year of retention is not worth paying for on a blog's counter logs; log_retention_days (default 30) bounds storage.
  name              = "/aws/lambda/${local.counter_function_name}"
  retention_in_days = var.log_retention_days
}

data "aws_iam_policy_document" "lambda_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "counter_lambda" {
  name               = "${var.project_name}-counter-lambda"
  description        = "Runs the visitor counter Lambda"
  assume_role_policy = data.aws_iam_policy_document.lambda_assume.json

  permissions_boundary = aws_iam_policy.permissions_boundary.arn
}

data "aws_iam_policy_document" "counter_lambda" {
  statement {
    sid       = "CountHits"
    actions   = ["dynamodb:BatchGetItem", "dynamodb:UpdateItem"]
    resources = [aws_dynamodb_table.counter.arn]
  }

  # A hit on an unknown page undoes the reader's day marker it created: a delete, of markers only.
  statement {
    sid       = "UndoOwnMarkers"
    actions   = ["dynamodb:DeleteItem"]
    resources = [aws_dynamodb_table.counter.arn]

    condition {
      test     = "ForAllValues:StringLike"
      variable = "dynamodb:LeadingKeys"
      values   = ["visitor#*"]
    }
  }

  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.counter_lambda.arn}:*"]
  }
}

resource "aws_iam_role_policy" "counter_lambda" {
  name   = "counter-table-and-logs"
  role   = aws_iam_role.counter_lambda.id
  policy = data.aws_iam_policy_document.counter_lambda.json
}

resource "aws_lambda_function" "counter" {
  #checkov:skip=CKV_AWS_50:X-Ray tracing adds cost and a dependency for a single small function; JSON logs carry the request id.
  #checkov:skip=CKV_AWS_115:Reserved concurrency is optional (lambda_reserved_concurrency): new accounts have a quota of 10 that cannot all be reserved; API Gateway throttling caps the rate.
  #checkov:skip=CKV_AWS_116:API Gateway invokes the function synchronously; a dead-letter queue only applies to asynchronous invocations.
  #checkov:skip=CKV_AWS_117:The function only calls DynamoDB's public endpoint; a VPC would need NAT or endpoints (paid) and buy nothing.
  #checkov:skip=CKV_AWS_173:A customer-managed KMS key costs $1/month; Lambda encrypts environment variables at rest with an AWS-managed key.
  #checkov:skip=CKV_AWS_272:Code signing needs AWS Signer profiles; the zip is built by Terraform from the reviewed repository.
  function_name    = local.counter_function_name
  description      = "Visitor counter behind /api/hits"
  role             = aws_iam_role.counter_lambda.arn
  runtime          = "python3.13"
  architectures    = ["arm64"]
  handler          = "counter_lambda.handler.handler"
  memory_size      = 128
  timeout          = 9 # the handler's time budget (7.75 s, counter_lambda/handler.py) + 1 s
  filename         = data.archive_file.counter_lambda.output_path
  source_code_hash = data.archive_file.counter_lambda.output_base64sha256

  reserved_concurrent_executions = var.lambda_reserved_concurrency

  environment {
    variables = {
      TABLE_NAME           = aws_dynamodb_table.counter.name
      SITE_NAME            = var.domain_name
      ORIGIN_VERIFY_SECRET = random_password.origin_verify.result
      VISITOR_HASH_SECRET  = random_password.visitor_hash.result
    }
  }

  logging_config {
    log_format            = "JSON"
    log_group             = aws_cloudwatch_log_group.counter_lambda.name
    application_log_level = "INFO"
    system_log_level      = "WARN"
  }

  depends_on = [aws_iam_role_policy.counter_lambda]
}

# The execute-api endpoint stays on: it is CloudFront's origin. Disabling it would cut CloudFront
# off too, unless a custom domain took its place, and that name would be just as public (DNS,
# certificate logs). HTTP APIs take no resource policy, so a direct call is refused by the
# handler's x-origin-verify check, and the stage throttle and the cost budget bound what such
# calls cost (docs/deploy.md, "Throttling and cost").
resource "aws_apigatewayv2_api" "counter" {
  name                         = "${var.project_name}-counter"
  description                  = "Visitor counter; reached through CloudFront at /api/*"
  protocol_type                = "HTTP"
  disable_execute_api_endpoint = false
}

resource "aws_apigatewayv2_integration" "counter" {
  api_id                 = aws_apigatewayv2_api.counter.id
  integration_type       = "AWS_PROXY"
  integration_method     = "POST"
  integration_uri        = aws_lambda_function.counter.invoke_arn
  payload_format_version = "2.0"
  timeout_milliseconds   = 10000 # past the Lambda timeout: the handler's own 503 reaches the visitor
}

# CloudFront forwards /api/* with the path unchanged, so the route carries the /api prefix.
# ANY, not GET + POST: the handler answers other methods with the contract's JSON 405 and an
# Allow header, where API Gateway would answer an undeclared method with its own bare 404.
resource "aws_apigatewayv2_route" "hits" {
  #checkov:skip=CKV_AWS_309:The counter is a public API for anonymous readers; the origin-verify header, per-route throttling and page registration (unknown keys get 404) protect it.
  for_each = toset(["ANY /api/hits"])

  api_id             = aws_apigatewayv2_api.counter.id
  route_key          = each.value
  authorization_type = "NONE"
  target             = "integrations/${aws_apigatewayv2_integration.counter.id}"
}

resource "aws_cloudwatch_log_group" "api_access" {
  #checkov:skip=CKV_AWS_158:A customer-managed KMS key costs $1/month; CloudWatch Logs encrypts log data at rest with its own key.
  #checkov:skip=CKV_AWS_338:A year of retention is not worth paying for on a blog's API access logs; log_retention_days (default 30) bounds storage.
  name              = "/aws/apigateway/${var.project_name}-counter"
  retention_in_days = var.log_retention_days
}

resource "aws_apigatewayv2_stage" "default" {
  api_id      = aws_apigatewayv2_api.counter.id
  name        = "$default"
  auto_deploy = true

  default_route_settings {
    throttling_rate_limit    = var.api_throttle_rate_limit
    throttling_burst_limit   = var.api_throttle_burst_limit
    detailed_metrics_enabled = false
  }

  # No source IP or user agent: the counter promises not to store them. The request id joins
  # a line to the Lambda's logs; route, status, sizes and latencies are what operations need.
  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.api_access.arn
    format = jsonencode({
      requestId          = "$context.requestId"
      requestTime        = "$context.requestTimeEpoch"
      routeKey           = "$context.routeKey"
      status             = "$context.status"
      responseLength     = "$context.responseLength"
      responseLatency    = "$context.responseLatency"
      integrationStatus  = "$context.integrationStatus"
      integrationLatency = "$context.integrationLatency"
      integrationError   = "$context.integrationErrorMessage"
    })
  }
}

resource "aws_lambda_permission" "api_gateway" {
  statement_id  = "AllowCounterApiInvoke"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.counter.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.counter.execution_arn}/*/*/api/hits"
}
