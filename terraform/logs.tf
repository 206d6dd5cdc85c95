# Optional CloudFront standard access logs (enable_access_logs). The legacy S3 delivery is used
# because it costs only the storage; AWS requires ACLs on its target bucket, so this bucket (and
# only this one) keeps BucketOwnerPreferred ownership.
resource "aws_s3_bucket" "access_logs" {
  #checkov:skip=CKV_AWS_18:This bucket is the log target; logging it to itself would loop.
  #checkov:skip=CKV_AWS_144:Cross-region replication of disposable access logs is not worth doubling their cost.
  #checkov:skip=CKV_AWS_145:CloudFront standard logging cannot write to SSE-KMS buckets without a customer key ($1/month); SSE-S3 encrypts the logs.
  #checkov:skip=CKV2_AWS_62:Nothing consumes log-object events.
  #checkov:skip=CKV_AWS_21:Log objects are written once and expire; versioning would only keep expired copies.
  count = var.enable_access_logs ? 1 : 0

  bucket = local.access_log_bucket_name
}

resource "aws_s3_bucket_public_access_block" "access_logs" {
  count = var.enable_access_logs ? 1 : 0

  bucket = aws_s3_bucket.access_logs[0].id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "access_logs" {
  #checkov:skip=CKV2_AWS_65:CloudFront standard logging delivers through a bucket ACL grant (AWS requirement); the public access block still rejects public ACLs.
  count = var.enable_access_logs ? 1 : 0

  bucket = aws_s3_bucket.access_logs[0].id

  rule {
    object_ownership = "BucketOwnerPreferred"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "access_logs" {
  count = var.enable_access_logs ? 1 : 0

  bucket = aws_s3_bucket.access_logs[0].id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "access_logs" {
  count = var.enable_access_logs ? 1 : 0

  bucket = aws_s3_bucket.access_logs[0].id

  rule {
    id     = "expire-logs"
    status = "Enabled"

    filter {}

    expiration {
      days = var.access_log_retention_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }
}

resource "aws_s3_bucket_policy" "access_logs" {
  count = var.enable_access_logs ? 1 : 0

  bucket = aws_s3_bucket.access_logs[0].id
  policy = data.aws_iam_policy_document.tls_only["access_logs"].json

  depends_on = [aws_s3_bucket_public_access_block.access_logs]
}
