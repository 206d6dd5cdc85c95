"""Publish the blog to AWS, resolve its targets, and run the same topology locally."""
