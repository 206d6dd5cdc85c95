"""What every package that talks to AWS says the same way: an error's code, one line an author
can act on for an error, and the credentials a local endpoint gets when none are configured."""

from __future__ import annotations

import os

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    ProfileNotFound,
)

from shared.counter_schema import StoreUnavailable

# moto and LocalStack accept any credentials: these keep real ones out of local traffic.
LOCAL_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local", "AWS_SESSION_TOKEN": "local"}
NO_CREDENTIALS = "no AWS credentials found: set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"
CREDENTIALS_REJECTED = frozenset({
    "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidClientTokenId",
    "UnrecognizedClientException", "InvalidToken", "InvalidSignatureException",
})
ACCESS_DENIED = frozenset({"AccessDenied", "AccessDeniedException", "403"})


def error_code(error: BaseException, default: str = "") -> str:
    """The AWS error code of a ClientError (``NoSuchKey``, ``404``, ...); ``default`` otherwise."""
    if isinstance(error, ClientError):
        return error.response.get("Error", {}).get("Code") or default
    return default


def error_message(error: ClientError) -> str:
    return error.response.get("Error", {}).get("Message", "") or error_code(error)


def local_credentials(endpoint_url: str | None) -> dict[str, str]:
    """boto3 client arguments for ``endpoint_url``: dummy credentials when it is a custom
    endpoint (moto, LocalStack) and none are configured, else nothing (the usual chain)."""
    if not endpoint_url or os.environ.get("AWS_ACCESS_KEY_ID") or os.environ.get("AWS_PROFILE"):
        return {}
    return {
        "aws_access_key_id": LOCAL_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": LOCAL_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    }


def describe_error(error: BaseException, bucket: str | None = None) -> str:
    """One line a user can act on, for the AWS errors publish, the local stack and stats meet."""
    if isinstance(error, NoCredentialsError):
        return NO_CREDENTIALS
    if isinstance(error, ClientError):
        code = error_code(error)
        operation = error.operation_name
        if code == "NoSuchBucket" or (code == "404" and operation == "HeadBucket"):
            return f"bucket {bucket} does not exist ({code})"
        if code in CREDENTIALS_REJECTED:
            return f"AWS rejected the credentials ({code}: {error_message(error)})"
        if code in ACCESS_DENIED:
            return f"access denied for {operation} (check the deploy role's permissions)"
        return f"{operation} failed: {code}: {error_message(error)}"
    if isinstance(error, ProfileNotFound):
        return f"{error}: AWS_PROFILE must name a profile in ~/.aws/config (aws configure list-profiles)"
    if isinstance(error, EndpointConnectionError):
        return (
            f"{error}: check that the endpoint is up and its URL (AWS_ENDPOINT_URL or "
            "--endpoint-url; unset for AWS), and the network"
        )
    if isinstance(error, BotoCoreError):
        return str(error)
    if isinstance(error, StoreUnavailable):
        return f"DynamoDB unavailable ({error})"
    return f"{type(error).__name__}: {error}"
