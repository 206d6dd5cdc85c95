# CloudFront: the site from S3 through OAC, /api/* to the counter API, security headers on both.
# The rules' values (URL rewriting, redirects, headers, CSP) come from edge_rules.tf.
data "aws_cloudfront_cache_policy" "caching_optimized" {
  name = "Managed-CachingOptimized"
}

data "aws_cloudfront_cache_policy" "caching_disabled" {
  name = "Managed-CachingDisabled"
}

# What the counter API receives: the query string (GET ?path=), the headers the handler reads,
# and CloudFront-Viewer-Address, the reader's "IP:port", which CloudFront adds only when a
# policy names it. API Gateway's sourceIp is a CloudFront edge, shared by every reader near it;
# the handler's per-reader daily limits and unique visitors need the reader's own address.
# Host is not forwarded: API Gateway routes on its own host name.
resource "aws_cloudfront_origin_request_policy" "counter_api" {
  name    = "${var.project_name}-counter-api"
  comment = "The counter API: query string, user agent, content type and the viewer's address"

  headers_config {
    header_behavior = "whitelist"

    headers {
      items = ["CloudFront-Viewer-Address", "Content-Type", "User-Agent"]
    }
  }

  cookies_config {
    cookie_behavior = "none"
  }

  query_strings_config {
    query_string_behavior = "all"
  }
}

locals {
  site_origin_id = "site-bucket"
  api_origin_id  = "counter-api"
}

resource "aws_cloudfront_origin_access_control" "site" {
  name                              = "${var.project_name}-site"
  description                       = "CloudFront reads ${local.site_bucket_name} with SigV4"
  origin_access_control_origin_type = "s3"
  signing_behavior                  = "always"
  signing_protocol                  = "sigv4"
}

resource "aws_cloudfront_function" "viewer_request" {
  name    = "${var.project_name}-viewer-request"
  runtime = "cloudfront-js-2.0"
  comment = "Directory URLs to index.html; www to the apex; the redirects table"
  publish = true
  code    = local.viewer_request_code

  lifecycle {
    precondition {
      condition     = length(local.viewer_request_code) <= 10240
      error_message = "The viewer-request function is over CloudFront's 10 KB code limit: redirects.json holds too many entries. make check names the size; docs/migrating.md says what to keep."
    }
  }
}

resource "aws_cloudfront_response_headers_policy" "security" {
  #checkov:skip=CKV_AWS_259:Only the preload flag is missing: preloading is a one-way commitment for the whole domain, made by its owner on the browsers' list; HSTS is sent for two years with includeSubDomains.
  name    = "${var.project_name}-security-headers"
  comment = "HSTS, CSP, nosniff, referrer policy, no framing"

  security_headers_config {
    strict_transport_security {
      access_control_max_age_sec = local.edge_headers.strict_transport_security.max_age_seconds
      include_subdomains         = local.edge_headers.strict_transport_security.include_subdomains
      preload                    = local.edge_headers.strict_transport_security.preload
      override                   = true
    }

    content_security_policy {
      content_security_policy = local.content_security_policy
      override                = true
    }

    content_type_options {
      override = true
    }

    frame_options {
      frame_option = local.edge_headers.frame_options
      override     = true
    }

    referrer_policy {
      referrer_policy = local.edge_headers.referrer_policy
      override        = true
    }
  }

  custom_headers_config {
    dynamic "items" {
      for_each = local.edge_headers.custom_headers

      content {
        header   = items.key
        value    = items.value
        override = true
      }
    }
  }
}

resource "aws_cloudfront_distribution" "site" {
  #checkov:skip=CKV_AWS_68:AWS WAF costs about $8/month; it is optional (enable_waf) and API Gateway throttling bounds what a flood can cost.
  #checkov:skip=CKV2_AWS_47:Same as CKV_AWS_68: the optional web ACL (enable_waf) includes the known-bad-inputs (Log4j) rule group.
  #checkov:skip=CKV_AWS_86:Access logs are a paid extra, optional (enable_access_logs); the dynamic logging_config below turns them on.
  #checkov:skip=CKV_AWS_310:Origin failover needs a second bucket and replication (double cost); versioned S3 is the single origin.
  #checkov:skip=CKV_AWS_374:Geo restriction would block readers of a public blog; nothing is region-limited.
  enabled             = true
  comment             = "${var.project_name}: ${var.domain_name}"
  aliases             = [var.domain_name, local.www_domain_name]
  default_root_object = local.edge_rules.viewer_request.index_document
  http_version        = "http2and3"
  is_ipv6_enabled     = true
  price_class         = var.price_class
  web_acl_id          = var.enable_waf ? aws_wafv2_web_acl.cdn[0].arn : null

  origin {
    origin_id                = local.site_origin_id
    domain_name              = aws_s3_bucket.site.bucket_regional_domain_name
    origin_access_control_id = aws_cloudfront_origin_access_control.site.id
  }

  origin {
    origin_id   = local.api_origin_id
    domain_name = replace(aws_apigatewayv2_api.counter.api_endpoint, "https://", "")

    custom_origin_config {
      http_port              = 80
      https_port             = 443
      origin_protocol_policy = "https-only"
      origin_ssl_protocols   = ["TLSv1.2"]
    }

    # The handler refuses requests without it: calls straight to the execute-api URL skip
    # CloudFront's TLS policy, security headers and the optional WAF.
    custom_header {
      name  = "x-origin-verify"
      value = random_password.origin_verify.result
    }
  }

  default_cache_behavior {
    target_origin_id           = local.site_origin_id
    viewer_protocol_policy     = "redirect-to-https"
    allowed_methods            = ["GET", "HEAD"]
    cached_methods             = ["GET", "HEAD"]
    compress                   = true
    cache_policy_id            = data.aws_cloudfront_cache_policy.caching_optimized.id
    response_headers_policy_id = aws_cloudfront_response_headers_policy.security.id

    function_association {
      event_type   = "viewer-request"
      function_arn = aws_cloudfront_function.viewer_request.arn
    }
  }

  # CloudFront accepts POST only together with every other method; API Gateway answers the
  # methods it has no route for.
  ordered_cache_behavior {
    path_pattern               = "/api/*"
    target_origin_id           = local.api_origin_id
    viewer_protocol_policy     = "https-only"
    allowed_methods            = ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"]
    cached_methods             = ["GET", "HEAD"]
    compress                   = true
    cache_policy_id            = data.aws_cloudfront_cache_policy.caching_disabled.id
    origin_request_policy_id   = aws_cloudfront_origin_request_policy.counter_api.id
    response_headers_policy_id = aws_cloudfront_response_headers_policy.security.id
  }

  # The site bucket does not let CloudFront list it, so a missing page is S3's 403; it becomes
  # the 404 page. Error pages apply to every behaviour: mapping 404 itself would replace the
  # counter API's JSON 404 ("unknown page") with HTML.
  custom_error_response {
    error_code            = 403
    response_code         = 404
    response_page_path    = local.edge_rules.not_found_page
    error_caching_min_ttl = 60
  }

  dynamic "logging_config" {
    for_each = var.enable_access_logs ? [1] : []

    content {
      bucket          = aws_s3_bucket.access_logs[0].bucket_domain_name
      prefix          = "cloudfront/"
      include_cookies = false
    }
  }

  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }

  viewer_certificate {
    acm_certificate_arn      = aws_acm_certificate_validation.site.certificate_arn
    ssl_support_method       = "sni-only"
    minimum_protocol_version = "TLSv1.2_2021"
  }

  depends_on = [aws_s3_bucket_ownership_controls.access_logs]
}
