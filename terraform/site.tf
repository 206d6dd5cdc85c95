# The site bucket: private, reachable only through this distribution's origin access control.
resource "aws_s3_bucket" "site" {
  #checkov:skip=CKV_AWS_18:Server access logs are a paid extra; CloudFront access logs (enable_access_logs) record every viewer request instead.
  #checkov:skip=CKV_AWS_144:Cross-region replication doubles storage and transfer cost; versioning plus the Git repository and `make publish` rebuild the content.
  #checkov:skip=CKV_AWS_145:A customer-managed KMS key costs $1/month and OAC would need a key policy; SSE-S3 (AES256) encrypts every object at no cost.
  #checkov:skip=CKV2_AWS_62:Nothing consumes object events; publish drives invalidation and page registration directly.
  bucket = local.site_bucket_name
}

resource "aws_s3_bucket_public_access_block" "site" {
  bucket = aws_s3_bucket.site.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "site" {
  bucket = aws_s3_bucket.site.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "site" {
  bucket = aws_s3_bucket.site.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_versioning" "site" {
  bucket = aws_s3_bucket.site.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "site" {
  bucket = aws_s3_bucket.site.id

  rule {
    id     = "expire-old-versions"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_retention_days
    }

    expiration {
      expired_object_delete_marker = true
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }

  depends_on = [aws_s3_bucket_versioning.site]
}

# Every bucket of the stack refuses plain-HTTP access, whoever asks.
data "aws_iam_policy_document" "tls_only" {
  for_each = {
    site        = local.site_bucket_name
    access_logs = local.access_log_bucket_name
  }

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = ["arn:${local.partition}:s3:::${each.value}", "arn:${local.partition}:s3:::${each.value}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

data "aws_iam_policy_document" "site_bucket" {
  source_policy_documents = [data.aws_iam_policy_document.tls_only["site"].json]

  # No s3:ListBucket: a missing key answers 403, which cdn.tf maps to /404.html.
  statement {
    sid       = "CloudFrontReadsObjects"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.site.arn}/*"]

    principals {
      type        = "Service"
      identifiers = ["cloudfront.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "AWS:SourceArn"
      values   = [aws_cloudfront_distribution.site.arn]
    }
  }

  # Publish keeps its bookkeeping in the bucket (its state, its lock, which names who holds it,
  # and the history make rollback reads); readers get the 404 page for them.
  statement {
    sid       = "CloudFrontNeverReadsPublishState"
    effect    = "Deny"
    actions   = ["s3:GetObject"]
    resources = [for key in [".publish-state.json", ".publish-lock.json", ".publish-history.json"] : "${aws_s3_bucket.site.arn}/${key}"]

    principals {
      type        = "Service"
      identifiers = ["cloudfront.amazonaws.com"]
    }
  }
}

resource "aws_s3_bucket_policy" "site" {
  bucket = aws_s3_bucket.site.id
  policy = data.aws_iam_policy_document.site_bucket.json

  # S3 aborts concurrent configuration changes on one bucket; apply them one after another.
  depends_on = [aws_s3_bucket_public_access_block.site]
}
