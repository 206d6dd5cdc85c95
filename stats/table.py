"""Reading the counter table for the report: one filtered ``Scan`` (visitor markers left out;
pages publish retired kept, their counts readable), the only DynamoDB call ``make stats``
makes."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

from shared.aws import local_credentials
from shared.counter_schema import HASH_KEY, PAGE_PREFIX, SITE_PK
from shared.counter_table import RETIRED_PREFIX

# Fail within seconds when the table cannot be reached: one retry, short connect timeout.
CLIENT_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 2}, connect_timeout=3, read_timeout=20
)


def dynamodb_client(endpoint_url: str | None, region: str) -> Any:
    """A DynamoDB client; a custom endpoint (the local stack's moto, LocalStack) with no
    credentials configured gets dummy ones, as publish does: those servers accept any."""
    return boto3.client(
        "dynamodb", region_name=region, endpoint_url=endpoint_url, config=CLIENT_CONFIG,
        **local_credentials(endpoint_url),
    )


def counter_items(client: Any, table: str) -> list[dict]:
    """The site item and every page item, retired ones too (DynamoDB JSON), eventually
    consistent."""
    items: list[dict] = []
    pages = client.get_paginator("scan").paginate(
        TableName=table,
        FilterExpression="#pk = :site OR begins_with(#pk, :page) OR begins_with(#pk, :retired)",
        ExpressionAttributeNames={"#pk": HASH_KEY},
        ExpressionAttributeValues={":site": {"S": SITE_PK}, ":page": {"S": PAGE_PREFIX},
            ":retired": {"S": RETIRED_PREFIX},
        },
    )
    for page in pages:
        items.extend(page["Items"])
    return items
