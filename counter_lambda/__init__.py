"""The visitor-counter Lambda: ``handler`` (API Gateway) over ``counter`` (DynamoDB) and
``visitors``, on the shared floor's page keys and table layout (``shared.pagekey``,
``shared.counter_schema``). The Lambda's zip holds this package and ``shared``, whole
(terraform/counter.tf). Importing the package imports nothing else."""
