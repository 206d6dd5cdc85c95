"""Publish the blog to AWS: build, diff against the bucket, upload, delete, invalidate, register pages; resolve its targets."""
