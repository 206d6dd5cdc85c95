"""The visitor-counter Lambda: ``handler`` (API Gateway) over ``counter`` (DynamoDB) and
``pagekey`` (the shared page-key normaliser). Importing the package imports nothing else, so
the Pelican plugin can use ``shared.pagekey`` without boto3."""
