"""The AWS side of publish and rollback: clients, listing, reading and writing the publish
state, uploads, deletions, restoring earlier versions and invalidation. Every call is one the
deploy role may make (docs/architecture.md: s3 List/Get/GetObjectVersion/Put/Delete,
cloudfront Create/GetInvalidation, dynamodb BatchGet/BatchWrite).
"""

from __future__ import annotations

import base64
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Iterable, TypedDict

import botocore.loaders
import botocore.session
from botocore.client import BaseClient
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from shared.aws import error_code, local_credentials
from shared.targets import DEFAULT_REGION

from .headers import Headers, headers_for
from .history import HistoryEntry, history_from_json
from .objects import BOOKKEEPING_KEYS, HISTORY_KEY, STATE_KEY, LocalFile, RemoteObject, md5_of_etag, unquoted_etag
from .state import PublishState

DEFAULT_WORKERS = 32  # requests in flight: at 30 ms RTT, 16 left the first publish short of the server's pace
MULTIPART_THRESHOLD = 8 * 1024 * 1024  # boto3's own default
# A hung request must not hold a publish for minutes (botocore's defaults, 60 s to connect and
# 60 s per read, times 5 attempts, would): S3, CloudFront and DynamoDB answer in well under a
# second, and an 8 MiB part is answered as soon as it is sent. Worst case for one request:
# MAX_ATTEMPTS x (CONNECT + READ) plus standard-mode backoff (at most 20 s in all).
CONNECT_TIMEOUT_SECONDS = 5
READ_TIMEOUT_SECONDS = 20
MAX_ATTEMPTS = 5
SHA256_METADATA = "sha256"
AWS_ERRORS = (ClientError, BotoCoreError)


class PublishError(RuntimeError):
    """Publish stopped; the message is one line for the user."""


# The service models (S3's alone is ~1 MB of JSON) parsed once per process, not once per
# session: `make serve` publishes after every save, and each publish makes a session. A
# loader only reads the files shipped with botocore and caches what it read.
_SERVICE_MODELS = botocore.loaders.create_loader()


def aws_session(
    aws_access_key_id: str | None = None,
    aws_secret_access_key: str | None = None,
    region_name: str | None = None,
) -> botocore.session.Session:
    """A new botocore session (its own credentials and region) over the shared service models.
    botocore alone: boto3 and s3transfer (~0.1 s to import) are loaded only for a multipart
    upload."""
    session = botocore.session.Session()
    session.register_component("data_loader", _SERVICE_MODELS)
    if aws_access_key_id and aws_secret_access_key:
        session.set_credentials(aws_access_key_id, aws_secret_access_key)
    if region_name:
        session.set_config_variable("region", region_name)
    return session


def _no_continue_wait(params: dict[str, dict[str, str]], **_: object) -> None:
    """A single PutObject sends its body at once, without ``Expect: 100-continue`` (botocore
    asks for it on every PutObject, and waiting for the answer costs a round trip per upload;
    the bodies publish sends in one request are at most the multipart threshold)."""
    params.get("headers", {}).pop("Expect", None)


class RequestCounter:
    """HTTP requests sent per operation (retries included), for the summary and benchmarks."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.counts: Counter[str] = Counter()

    def __call__(self, event_name: str = "", **_: object) -> None:
        operation = event_name.rsplit(".", 1)[-1]
        with self._lock:
            self.counts[operation] += 1

    def attach(self, client: BaseClient) -> None:
        # First, so a stub answering the request (moto in-process) cannot hide it.
        client.meta.events.register_first("before-send", self)

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(sorted(self.counts.items()))


class Clients:
    """The S3, CloudFront and DynamoDB clients publish uses, each made on first use (a run
    that invalidates nothing never pays for a CloudFront client) and each counted."""

    def __init__(self, make: Callable[[str], BaseClient]) -> None:
        self.requests = RequestCounter()
        self._make = make
        self._clients: dict[str, BaseClient] = {}
        self._making = threading.Lock()

    def _get(self, service: str) -> BaseClient:
        made = self._clients.get(service)
        if made is not None:
            return made
        with self._making:  # one client per service, whichever thread asks first
            if service not in self._clients:
                client = self._make(service)
                self.requests.attach(client)
                self._clients[service] = client
            return self._clients[service]

    def make_soon(self, service: str) -> None:
        """Make the client of ``service`` in the background (~35 ms of CPU for CloudFront's),
        while this run waits on the network, rather than when it is first needed."""

        def make() -> None:
            try:
                self._get(service)
            except Exception:  # noqa: BLE001 - asked for again when needed, and reported then
                pass

        threading.Thread(target=make, daemon=True).start()

    @property
    def s3(self) -> BaseClient:
        return self._get("s3")

    @property
    def cloudfront(self) -> BaseClient:
        return self._get("cloudfront")

    @property
    def dynamodb(self) -> BaseClient:
        return self._get("dynamodb")

    @classmethod
    def create(
        cls,
        endpoint_url: str | None = None,
        region: str | None = None,
        workers: int = DEFAULT_WORKERS,
        read_timeout: float = READ_TIMEOUT_SECONDS,
    ) -> "Clients":
        """Clients with standard retries (exponential backoff with jitter) and a connection
        pool as wide as the worker pool. A custom endpoint (moto, LocalStack) with no
        credentials configured gets dummy ones: those servers accept any."""
        region = region or DEFAULT_REGION
        session = aws_session(region_name=region, **local_credentials(endpoint_url))
        config = Config(
            retries={"mode": "standard", "max_attempts": MAX_ATTEMPTS},
            connect_timeout=CONNECT_TIMEOUT_SECONDS,
            read_timeout=read_timeout,
            max_pool_connections=max(10, workers),
            # Uploads carry their Content-MD5 (S3 checks every body against it), so no CRC32
            # of every body on top (botocore computes one per PutObject unless told not to),
            # nor of every object read back; and the parameters are publish's own.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
            parameter_validation=False,
        )

        def make(service: str) -> BaseClient:
            client = session.create_client(
                service, region_name=region, endpoint_url=endpoint_url, config=config
            )
            if service == "s3":
                client.meta.events.register_last("before-call.s3.PutObject", _no_continue_wait)
            return client

        return cls(make)


# -- listing and the publish state ------------------------------------------------------


LISTING_PAGE = 1000  # keys per ListObjectsV2 answer, S3's most
# Known keys per listed range: a page has room for this many keys the state does not know
# (publish's own objects, files another tool added) before the range needs a second page.
KNOWN_KEYS_PER_RANGE = 900


class ListedObject(TypedDict):
    """What publish reads of each object a listing names."""

    Key: str
    ETag: str
    Size: int


def listing_ranges(known_keys: Iterable[str], per_range: int = KNOWN_KEYS_PER_RANGE) -> list[tuple[str | None, str | None]]:
    """Ranges of the key space, (after, up to and including), each holding at most
    ``per_range`` of the keys known to be in the bucket, so they can be listed all at once;
    None: open."""
    keys = sorted(known_keys)
    bounds = keys[per_range - 1 : -1 : per_range]
    starts: list[str | None] = [None, *bounds]
    ends: list[str | None] = [*bounds, None]
    return list(zip(starts, ends))


def _list_range(
    s3: BaseClient, bucket: str, after: str | None, up_to: str | None, page_size: int = LISTING_PAGE
) -> list[ListedObject]:
    extra = {"StartAfter": after} if after is not None else {}
    items: list[ListedObject] = []
    pages = s3.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, PaginationConfig={"PageSize": page_size}, **extra
    )
    for page in pages:
        contents = page.get("Contents", [])
        items.extend(item for item in contents if up_to is None or item["Key"] <= up_to)
        if up_to is not None and contents and contents[-1]["Key"] >= up_to:
            break  # the next range lists the rest
    return items


def list_remote(
    s3: BaseClient,
    bucket: str,
    known_keys: Iterable[str] = (),
    workers: int = DEFAULT_WORKERS,
    page_size: int = LISTING_PAGE,
) -> dict[str, RemoteObject]:
    """Every object of the bucket but publish's own. ``known_keys`` (the keys the state
    recorded) split the listing into ranges of about a page each, listed at once: one round
    trip for any size of site, where pages one after another cost one each."""
    ranges = listing_ranges(known_keys, max(1, page_size * KNOWN_KEYS_PER_RANGE // LISTING_PAGE))
    with ThreadPoolExecutor(max_workers=min(workers, len(ranges))) as pool:
        listed = list(pool.map(lambda bounds: _list_range(s3, bucket, *bounds, page_size), ranges))
    remote: dict[str, RemoteObject] = {}
    for items in listed:
        for item in items:
            if item["Key"] in BOOKKEEPING_KEYS:
                continue
            etag = unquoted_etag(item["ETag"])
            remote[item["Key"]] = RemoteObject(item["Key"], etag, item["Size"], md5=md5_of_etag(etag))
    return remote


def _missing(error: ClientError) -> bool:
    return error_code(error) in {"NoSuchKey", "NoSuchVersion", "404"}


def read_object(s3: BaseClient, bucket: str, key: str, version_id: str | None = None) -> bytes | None:
    """The bytes of ``key`` (of one version of it), or None where there is none."""
    extra = {"VersionId": version_id} if version_id else {}
    try:
        return s3.get_object(Bucket=bucket, Key=key, **extra)["Body"].read()
    except ClientError as error:
        if _missing(error):
            return None
        raise


def read_state(s3: BaseClient, bucket: str) -> tuple[PublishState, str | None]:
    """The publish state and the ETag it was read at (None: there is none yet). Its history is
    never None: a state written before the history moved into it gets the history from the
    document of its own that such buckets still hold."""
    try:
        response = s3.get_object(Bucket=bucket, Key=STATE_KEY)
    except ClientError as error:
        if not _missing(error):
            raise
        state, etag = PublishState(), None
    else:
        state, etag = PublishState.from_json(response["Body"].read()), unquoted_etag(response["ETag"])
    if state.history is None:
        body = read_object(s3, bucket, HISTORY_KEY)
        state.history = [] if body is None else history_from_json(body)
    return state, etag


def write_state(
    s3: BaseClient, bucket: str, state: PublishState, read_at: str | None | bool = False, body: bytes | None = None
) -> str:
    """Write the state (``body``: its JSON, when already made); return its new ETag.
    ``read_at``: the ETag the state was read at (None: there was none), to write only if it is
    still the one in the bucket (ConditionalWrite raised otherwise); False: write whatever is
    there."""
    condition: dict[str, str] = {}
    if read_at is None:
        condition = {"IfNoneMatch": "*"}
    elif read_at is not False:
        condition = {"IfMatch": f'"{read_at}"'}
    body = state.to_json() if body is None else body
    try:
        result = s3.put_object(
            Bucket=bucket,
            Key=STATE_KEY,
            Body=body,
            ContentType=headers_for(STATE_KEY).content_type,
            CacheControl="no-store",
            **condition,
        )
    except ClientError as error:
        if condition and error_code(error) in CONFLICT_CODES:
            raise ConditionalWrite(STATE_KEY) from error
        raise
    return unquoted_etag(result["ETag"])


CONFLICT_CODES = frozenset({"PreconditionFailed", "ConditionalRequestConflict", "412", "409"})


class ConditionalWrite(RuntimeError):
    """A conditional write found the object changed since it was read."""


def state_etag(s3: BaseClient, bucket: str) -> str | None:
    """The ETag of the publish state now (None: there is none): every run that changes the
    bucket rewrites the state, so a moved ETag means another run changed it meanwhile."""
    try:
        return unquoted_etag(s3.head_object(Bucket=bucket, Key=STATE_KEY)["ETag"])
    except ClientError as error:
        if _missing(error):
            return None
        raise


def read_history(s3: BaseClient, bucket: str) -> list[HistoryEntry]:
    history = read_state(s3, bucket)[0].history
    return history if history is not None else []


# -- per-object calls (run in the worker pool) -----------------------------------------


def inspect_object(s3: BaseClient, bucket: str, obj: RemoteObject) -> RemoteObject:
    """Fill in the stored headers and SHA-256 of one object with a HEAD request."""
    head = s3.head_object(Bucket=bucket, Key=obj.key)
    etag = unquoted_etag(head["ETag"])
    return RemoteObject(
        obj.key,
        etag,
        head["ContentLength"],
        md5=obj.md5 if etag == obj.etag else md5_of_etag(etag),
        sha256=head.get("Metadata", {}).get(SHA256_METADATA),
        headers=Headers(head.get("ContentType", ""), head.get("CacheControl", "")),
        version_id=head.get("VersionId", ""),
    )


def current_version(s3: BaseClient, bucket: str, obj: RemoteObject) -> RemoteObject:
    """``obj`` with the version id S3 holds for it now ("" where the bucket keeps none)."""
    head = s3.head_object(Bucket=bucket, Key=obj.key)
    obj.version_id = head.get("VersionId", "")
    return obj


def stored_version(s3: BaseClient, bucket: str, key: str, version_id: str) -> RemoteObject | None:
    """What one earlier version of ``key`` holds, or None if it is gone (lifecycle expiry)."""
    try:
        head = s3.head_object(Bucket=bucket, Key=key, VersionId=version_id)
    except ClientError as error:
        if _missing(error) or error_code(error) == "400":
            return None
        raise
    if head.get("DeleteMarker"):
        return None
    etag = unquoted_etag(head["ETag"])
    return RemoteObject(
        key,
        etag,
        head["ContentLength"],
        md5=md5_of_etag(etag),
        sha256=head.get("Metadata", {}).get(SHA256_METADATA),
        headers=Headers(head.get("ContentType", ""), head.get("CacheControl", "")),
        version_id=version_id,
    )


def restore_version(s3: BaseClient, bucket: str, earlier: RemoteObject) -> RemoteObject:
    """Make an earlier version of a key its current one again: CopyObject of that version onto
    the key, bytes, headers and metadata as they were."""
    result = s3.copy_object(
        Bucket=bucket,
        Key=earlier.key,
        CopySource={"Bucket": bucket, "Key": earlier.key, "VersionId": earlier.version_id},
        MetadataDirective="COPY",
    )
    etag = unquoted_etag(result["CopyObjectResult"]["ETag"])
    return RemoteObject(
        earlier.key,
        etag,
        earlier.size,
        md5=md5_of_etag(etag) or earlier.md5,
        sha256=earlier.sha256,
        headers=earlier.headers,
        version_id=result.get("VersionId", ""),
    )


def _object_args(local: LocalFile) -> dict[str, str | dict[str, str]]:
    return {
        "ContentType": local.headers.content_type,
        "CacheControl": local.headers.cache_control,
        "Metadata": {SHA256_METADATA: local.sha256},
    }


def content_md5(md5_hex: str) -> str:
    """The Content-MD5 header of a body whose MD5 is ``md5_hex``: S3 refuses a body that does
    not match it, so an upload damaged on the way fails instead of being stored."""
    return base64.b64encode(bytes.fromhex(md5_hex)).decode()


def _upload_in_parts(s3: BaseClient, bucket: str, local: LocalFile, multipart_threshold: int) -> None:
    from boto3.s3.transfer import S3Transfer, TransferConfig

    config = TransferConfig(
        multipart_threshold=multipart_threshold,
        multipart_chunksize=max(multipart_threshold, 5 * 1024 * 1024),
        use_threads=False,  # the publish worker pool is the concurrency
    )
    S3Transfer(s3, config).upload_file(str(local.path), bucket, local.key, extra_args=_object_args(local))


def upload_object(
    s3: BaseClient, bucket: str, local: LocalFile, multipart_threshold: int = MULTIPART_THRESHOLD
) -> RemoteObject:
    if local.size >= multipart_threshold:
        _upload_in_parts(s3, bucket, local, multipart_threshold)
        result = s3.head_object(Bucket=bucket, Key=local.key)
    else:
        result = s3.put_object(
            Bucket=bucket,
            Key=local.key,
            Body=local.path.read_bytes(),
            ContentMD5=content_md5(local.md5),
            **_object_args(local),
        )
    return RemoteObject(
        local.key,
        unquoted_etag(result["ETag"]),
        local.size,
        local.md5,
        local.sha256,
        local.headers,
        result.get("VersionId", ""),
    )


def copy_object_in_place(s3: BaseClient, bucket: str, local: LocalFile) -> RemoteObject:
    """Rewrite only the headers: CopyObject onto itself with the metadata replaced."""
    result = s3.copy_object(
        Bucket=bucket,
        Key=local.key,
        CopySource={"Bucket": bucket, "Key": local.key},
        MetadataDirective="REPLACE",
        **_object_args(local),
    )
    etag = unquoted_etag(result["CopyObjectResult"]["ETag"])
    return RemoteObject(
        local.key, etag, local.size, local.md5, local.sha256, local.headers, result.get("VersionId", "")
    )


def delete_objects(s3: BaseClient, bucket: str, keys: list[str]) -> list[str]:
    """Delete in batches of 1,000 (one DeleteObjects each); return the keys deleted."""
    deleted: list[str] = []
    for start in range(0, len(keys), 1000):
        batch = keys[start : start + 1000]
        result = s3.delete_objects(
            Bucket=bucket, Delete={"Objects": [{"Key": k} for k in batch], "Quiet": True}
        )
        errors = result.get("Errors", [])
        if errors:
            first = errors[0]
            raise PublishError(
                f"could not delete {len(errors)} objects, e.g. {first['Key']}: "
                f"{first.get('Code')}: {first.get('Message')}"
            )
        deleted.extend(batch)
    return deleted


# -- CloudFront ---------------------------------------------------------------------------


def create_invalidation(
    cloudfront: BaseClient,
    distribution_id: str,
    paths: list[str],
    wait: bool,
    *,
    poll_seconds: float = 15,
    timeout_seconds: float = 1800,
) -> str:
    invalidation = cloudfront.create_invalidation(
        DistributionId=distribution_id,
        InvalidationBatch={
            "Paths": {"Quantity": len(paths), "Items": paths},
            "CallerReference": f"publish-{time.time_ns()}",
        },
    )["Invalidation"]
    deadline = time.monotonic() + timeout_seconds
    # Polled by hand: moto spells the status COMPLETED, CloudFront Completed.
    while wait and invalidation["Status"].lower() != "completed":
        if time.monotonic() > deadline:
            raise PublishError(f"invalidation {invalidation['Id']} still in progress after waiting")
        time.sleep(poll_seconds)
        invalidation = cloudfront.get_invalidation(
            DistributionId=distribution_id, Id=invalidation["Id"]
        )["Invalidation"]
    return invalidation["Id"]
