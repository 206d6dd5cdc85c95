"""One publish (or rollback) at a time: a lock object in the bucket, taken with an S3
conditional write (``PutObject`` with ``If-None-Match: *`` succeeds for one writer only).

The lock names who holds it and for how long (``ttl_seconds``); past that it is stale and
the next run takes it over (``PutObject`` with ``If-Match`` on the stale lock's ETag, so two
runs cannot both take it over). A run refreshes its lock between stages, so a long publish
keeps it; a crashed run blocks others for at most ``ttl_seconds``, or until someone passes
``--break-lock``. Times come from S3 (the object's Last-Modified, the response's Date), so a
wrong clock on one machine cannot make a live lock look stale.
"""

from __future__ import annotations

import getpass
import json
import os
import socket
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

from botocore.client import BaseClient
from botocore.exceptions import ClientError

from shared.aws import error_code

from .objects import LOCK_KEY, unquoted_etag
from .remote import PublishError

DEFAULT_LOCK_TTL_SECONDS = 15 * 60
# A lock read from the bucket is trusted for at most a day, whatever it claims: a damaged or
# hostile ttl (1e20 seconds) would otherwise hold publish forever, or overflow the clock maths.
MAX_LOCK_TTL_SECONDS = 24 * 3600
_CONFLICT_CODES = {"PreconditionFailed", "ConditionalRequestConflict", "412", "409"}


class LockHeld(PublishError):
    """Another run holds the lock; nothing was changed."""


def operator_name() -> str:
    """Who is publishing, as a user reads it: the CI actor, or user@host."""
    actor = os.environ.get("GITHUB_ACTOR")
    if actor:
        return f"{actor} (GitHub Actions run {os.environ.get('GITHUB_RUN_ID', '?')})"
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()} (pid {os.getpid()})"


def _conflict(error: ClientError) -> bool:
    return error_code(error) in _CONFLICT_CODES


def _server_time(response: dict[str, object]) -> datetime:
    header = response.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("date")
    try:
        return parsedate_to_datetime(header) if header else datetime.now(timezone.utc)
    except (TypeError, ValueError):
        return datetime.now(timezone.utc)


@dataclass(frozen=True)
class LockHolder:
    holder: str
    operation: str
    since: datetime
    expires: datetime
    stale: bool  # past its expiry by S3's own clock
    etag: str

    def describe(self) -> str:
        return f"{self.holder} ({self.operation}) since {self.since:%Y-%m-%d %H:%M:%S} UTC"


class PublishLock:
    """The bucket's publish lock, as one run holds it."""

    def __init__(
        self, s3: BaseClient, bucket: str, operation: str, ttl_seconds: int = DEFAULT_LOCK_TTL_SECONDS
    ) -> None:
        self.s3, self.bucket, self.operation, self.ttl = s3, bucket, operation, ttl_seconds
        self.token = uuid.uuid4().hex
        self.etag: str | None = None
        self._taken_at = 0.0

    def _body(self) -> bytes:
        return json.dumps(
            {
                "holder": operator_name(),
                "operation": self.operation,
                "token": self.token,
                "ttl_seconds": self.ttl,
            }
        ).encode()

    def _put(self, **condition: str) -> None:
        result = self.s3.put_object(
            Bucket=self.bucket,
            Key=LOCK_KEY,
            Body=self._body(),
            ContentType="application/json",
            CacheControl="no-store",
            **condition,
        )
        self.etag = unquoted_etag(result["ETag"])
        self._taken_at = time.monotonic()

    def holder(self) -> LockHolder | None:
        """Who holds the lock now, or None."""
        try:
            response = self.s3.get_object(Bucket=self.bucket, Key=LOCK_KEY)
        except ClientError as error:
            if error_code(error) in {"NoSuchKey", "404"}:
                return None
            raise
        body = response["Body"].read()
        try:
            document = json.loads(body)
            holder, operation = str(document["holder"]), str(document["operation"])
            ttl = min(max(int(document["ttl_seconds"]), 0), MAX_LOCK_TTL_SECONDS)
        except (ValueError, KeyError, TypeError, OverflowError, RecursionError):
            holder, operation, ttl = "an unreadable lock", "unknown", self.ttl
        since = response["LastModified"]
        expires = since + timedelta(seconds=ttl)
        stale = _server_time(response) >= expires
        return LockHolder(holder, operation, since, expires, stale, unquoted_etag(response["ETag"]))

    def acquire(self) -> None:
        """Take the lock, or take over a stale one; raise LockHeld naming who holds it."""
        try:
            self._put(IfNoneMatch="*")
            return
        except ClientError as error:
            if not _conflict(error):
                raise
        current = self.holder()
        if current is None:  # released between the two requests
            self._put(IfNoneMatch="*")
            return
        if not current.stale:
            raise LockHeld(
                f"publish is locked by {current.describe()}; wait for it to finish, or if that "
                f"run is gone pass --break-lock (the lock expires at "
                f"{current.expires:%H:%M:%S} UTC)"
            )
        try:
            self._put(IfMatch=f'"{current.etag}"')
        except ClientError as error:
            if _conflict(error):
                raise LockHeld("another run took over the stale publish lock just now") from error
            raise

    def refresh(self) -> None:
        """Keep the lock past its TTL during a long run; called between stages."""
        if self.etag is None or time.monotonic() - self._taken_at < self.ttl / 3:
            return
        try:
            self._put(IfMatch=f'"{self.etag}"')
        except ClientError as error:
            if _conflict(error):
                raise PublishError(
                    "the publish lock was broken or taken over by another run; stopped here "
                    "(re-run to finish)"
                ) from error
            raise

    def release(self) -> None:
        """Remove the lock if it is still this run's (If-Match: a lock taken over is left)."""
        if self.etag is None:
            return
        try:
            self.s3.delete_object(Bucket=self.bucket, Key=LOCK_KEY, IfMatch=f'"{self.etag}"')
        except ClientError as error:
            if not _conflict(error):
                raise
        finally:
            self.etag = None

    def break_stale(self) -> LockHolder | None:
        """`--break-lock`: remove whatever lock is there; return who held it."""
        current = self.holder()
        if current is not None:
            self.s3.delete_object(Bucket=self.bucket, Key=LOCK_KEY)
        return current
