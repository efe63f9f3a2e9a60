"""An S3-compatible destination through boto3: Cloudflare R2, MinIO, AWS S3, a test server.

R2 compatibility (measured, see the field notes): no ACL headers are ever sent; checksums only
when an operation requires them (R2 has rejected boto3's default aws-chunked trailing
checksums); path-style addressing; region ``auto`` for R2; multipart parts of one fixed size.

Errors are rebuilt from the error code and HTTP status only: botocore exception text can embed
request details, so it only ever reaches ``StorageError.detail`` after ``logs.redact``.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import boto3
from boto3.exceptions import S3TransferFailedError, S3UploadFailedError
from boto3.s3.transfer import TransferConfig, create_transfer_manager
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
)
from botocore.exceptions import SSLError as BotoSSLError
from s3transfer.exceptions import CancelledError as TransferCancelledError
from s3transfer.exceptions import RetriesExceededError
from s3transfer.subscribers import BaseSubscriber

from hlsstudio.core.errors import CancelledError, StorageError
from hlsstudio.core.logs import redact, register_secret
from hlsstudio.core.storage.base import BytesCallback, ObjectInfo, batched
from hlsstudio.core.storage.hashing import etag_matches

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

log = logging.getLogger(__name__)

R2_REGION = "auto"
MAX_SHARED_CLIENTS = 4
_CLIENTS: dict[tuple[str, str, str, ClientOptions], S3Client] = {}
_CLIENTS_LOCK = threading.Lock()
CANCEL_POLL_SECONDS = 0.05
THREADS_PER_FILE = 4

_TRANSFER_ERRORS = (
    ClientError,
    BotoCoreError,
    S3TransferFailedError,
    S3UploadFailedError,
    RetriesExceededError,
    OSError,
)
_CREDENTIAL_CODES = {"InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "Unauthorized"}


def r2_endpoint(account_id: str) -> str:
    """The S3 API endpoint of a Cloudflare account's R2."""
    return f"https://{account_id}.r2.cloudflarestorage.com"


def failure_reason(exc: BaseException) -> str:
    """A short, secret-free sentence for a boto/transfer/OS error (never the exception text)."""
    if isinstance(exc, S3UploadFailedError | S3TransferFailedError) and exc.__cause__ is not None:
        return failure_reason(exc.__cause__)
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code") or "unknown")
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", "?")
        if code in _CREDENTIAL_CODES or status in (401, 403):
            return f"access denied ({code}, HTTP {status}): check the access key id and secret access key"
        if code == "NoSuchBucket":
            return "the bucket does not exist"
        return f"the storage server answered {code} (HTTP {status})"
    if isinstance(exc, NoCredentialsError):
        return "no access key configured"
    if isinstance(exc, ConnectTimeoutError | ReadTimeoutError):
        return "the storage endpoint did not answer in time"
    if isinstance(exc, EndpointConnectionError):
        return "cannot connect to the storage endpoint"
    if isinstance(exc, ConnectionClosedError):
        return "the storage endpoint closed the connection"
    if isinstance(exc, BotoSSLError):
        return "TLS handshake with the storage endpoint failed"
    if isinstance(exc, RetriesExceededError):
        return "the transfer kept failing after retries"
    if isinstance(exc, OSError) and not isinstance(exc, BotoCoreError):
        return f"local file error: {exc.strerror or type(exc).__name__}"
    return f"storage request failed ({type(exc).__name__})"


def storage_error(action: str, exc: BaseException) -> StorageError:
    """A StorageError "``action`` failed: reason" whose detail is the redacted exception text."""
    return StorageError(f"{action} failed: {failure_reason(exc)}", redact(f"{type(exc).__name__}: {exc}"))


class _Relay(BaseSubscriber):
    """Forwards s3transfer progress to a bytes callback and signals completion."""

    def __init__(self, on_bytes: BytesCallback | None) -> None:
        self.on_bytes = on_bytes
        self.finished = threading.Event()

    def on_progress(self, future: Any, bytes_transferred: int, **kwargs: Any) -> None:
        if self.on_bytes is not None:
            self.on_bytes(bytes_transferred)

    def on_done(self, future: Any, **kwargs: Any) -> None:
        self.finished.set()


@dataclass(frozen=True)
class ClientOptions:
    """How a client talks to its endpoint (with the endpoint and credentials: what clients are shared by)."""

    region: str = R2_REGION
    max_attempts: int = 5
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    max_pool_connections: int = 64

    def config(self) -> Config:
        """The botocore configuration: no ACLs, checksums only when required, path-style, retries."""
        return Config(
            region_name=self.region,
            signature_version="s3v4",
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
            s3={"addressing_style": "path"},
            retries={"mode": "standard", "max_attempts": self.max_attempts},
            connect_timeout=self.connect_timeout,
            read_timeout=self.read_timeout,
            max_pool_connections=self.max_pool_connections,
        )


def shared_client(
    endpoint_url: str, access_key_id: str, secret_access_key: str, options: ClientOptions
) -> S3Client:
    """A boto3 S3 client for these credentials and options, made once and then reused.

    A publish per job builds a destination per job; a new client pays for its set-up and opens new
    TLS connections each time, a reused one keeps its pool alive (a small publish measured 32%
    faster), and all come from one session, which reads the S3 service description once. Clients
    are thread-safe; making them is not, hence the lock. The key holds a digest of
    the secret, never the secret itself. At most ``MAX_SHARED_CLIENTS`` are kept (oldest dropped).
    """
    digest = hashlib.sha256(secret_access_key.encode()).hexdigest()
    key = (endpoint_url, access_key_id, digest, options)
    with _CLIENTS_LOCK:
        client = _CLIENTS.pop(key, None)
        if client is None:
            client = _session().client(
                "s3",
                endpoint_url=endpoint_url,
                aws_access_key_id=access_key_id,
                aws_secret_access_key=secret_access_key,
                config=options.config(),
            )
        _CLIENTS[key] = client  # most recently used last
        while len(_CLIENTS) > MAX_SHARED_CLIENTS:
            _CLIENTS.pop(next(iter(_CLIENTS)))
        return client


@functools.cache
def _session() -> boto3.session.Session:
    """One boto3 session for every client: it loads the S3 service description once (call with
    ``_CLIENTS_LOCK`` held: sessions are not thread-safe)."""
    return boto3.session.Session()


def forget_shared_clients() -> None:
    """Drop every kept client (the next destination starts cold, with new connections)."""
    with _CLIENTS_LOCK:
        _CLIENTS.clear()


class S3Destination:
    """A bucket on an S3-compatible endpoint. Thread-safe (one boto3 client shared by all threads)."""

    kind = "s3"

    def __init__(
        self,
        *,
        bucket: str,
        endpoint_url: str,
        access_key_id: str,
        secret_access_key: str,
        region: str = R2_REGION,
        public_url: str = "",
        max_attempts: int = 5,
        connect_timeout: float = 10.0,
        read_timeout: float = 60.0,
        max_pool_connections: int = 64,
    ) -> None:
        register_secret(secret_access_key)
        self.bucket = bucket
        self.endpoint_url = endpoint_url.rstrip("/")
        self.region = region
        self.public_base = public_url.rstrip("/")
        options = ClientOptions(region, max_attempts, connect_timeout, read_timeout, max_pool_connections)
        self._client = shared_client(self.endpoint_url, access_key_id, secret_access_key, options)

    def __repr__(self) -> str:
        return f"S3Destination(bucket={self.bucket!r}, endpoint_url={self.endpoint_url!r})"

    @property
    def description(self) -> str:
        """``r2://bucket`` for Cloudflare R2, else ``s3://bucket (endpoint)``."""
        if self.endpoint_url.endswith(".r2.cloudflarestorage.com"):
            return f"r2://{self.bucket}"
        return f"s3://{self.bucket} ({self.endpoint_url})"

    @property
    def client(self) -> S3Client:
        """The underlying boto3 client (for tests and advanced callers)."""
        return self._client

    def public_url(self, key: str) -> str:
        """Public base URL + key; without a public URL, the path-style endpoint URL of the object."""
        base = self.public_base or f"{self.endpoint_url}/{quote(self.bucket)}"
        return f"{base}/{quote(key, safe='/')}"

    def check_access(self) -> str:
        """Head the bucket. Raises StorageError("connection failed: …") with the reason."""
        try:
            self._client.head_bucket(Bucket=self.bucket)
        except ClientError as exc:
            # HEAD answers carry no body: a missing bucket is a bare 404
            if exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 404:
                raise StorageError(f"connection failed: bucket {self.bucket} does not exist") from None
            raise storage_error("connection", exc) from None
        except _TRANSFER_ERRORS as exc:
            raise storage_error("connection", exc) from None
        return f"bucket {self.bucket} is reachable at {self.endpoint_url}"

    def list_objects(self, prefix: str) -> list[ObjectInfo]:
        """Every object under ``prefix`` (all pages). Raises StorageError."""
        found: list[ObjectInfo] = []
        try:
            paginator = self._client.get_paginator("list_objects_v2")
            for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
                for item in page.get("Contents", []):
                    found.append(
                        ObjectInfo(
                            key=item["Key"],
                            size=int(item.get("Size", 0)),
                            etag=str(item.get("ETag", "")).strip('"'),
                        )
                    )
        except _TRANSFER_ERRORS as exc:
            raise storage_error(f"listing {prefix} in {self.description}", exc) from None
        return found

    def head(self, key: str) -> ObjectInfo | None:
        """The object at ``key`` or None when there is none. Raises StorageError."""
        try:
            response = self._client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in ("404", "NoSuchKey", "NotFound"):
                return None
            raise storage_error(f"reading {key}", exc) from None
        except _TRANSFER_ERRORS as exc:
            raise storage_error(f"reading {key}", exc) from None
        return ObjectInfo(
            key=key, size=int(response.get("ContentLength", 0)), etag=str(response.get("ETag", "")).strip('"')
        )

    def same_content(self, info: ObjectInfo, path: Path, part_size: int) -> bool:
        """Same size and an ETag equal to the local MD5 (or local multipart ETag)."""
        size = path.stat().st_size
        return info.size == size and etag_matches(info.etag, path, size, part_size)

    def _transfer_config(self, multipart_threshold: int, part_size: int) -> TransferConfig:
        return TransferConfig(
            multipart_threshold=multipart_threshold,
            multipart_chunksize=part_size,
            max_concurrency=THREADS_PER_FILE,
            use_threads=True,
            preferred_transfer_client="classic",
        )

    @staticmethod
    def _wait(future: Any, relay: _Relay, cancel: threading.Event | None) -> None:
        while not relay.finished.wait(CANCEL_POLL_SECONDS):
            if cancel is not None and cancel.is_set():
                future.cancel()
                break
        try:
            future.result()
        except TransferCancelledError:
            raise CancelledError() from None

    def upload_file(
        self,
        path: Path,
        key: str,
        *,
        content_type: str,
        cache_control: str,
        multipart_threshold: int,
        part_size: int,
        on_bytes: BytesCallback | None = None,
        cancel: threading.Event | None = None,
    ) -> None:
        """Upload with PutObject, or multipart with equal parts of ``part_size`` above the threshold.

        Raises StorageError naming ``key``; CancelledError when ``cancel`` is set (an unfinished
        multipart upload is aborted, so nothing becomes visible).
        """
        if cancel is not None and cancel.is_set():
            raise CancelledError()
        relay = _Relay(on_bytes)
        extra = {"ContentType": content_type, "CacheControl": cache_control}
        try:
            with create_transfer_manager(
                self._client, self._transfer_config(multipart_threshold, part_size)
            ) as mgr:
                future = mgr.upload(str(path), self.bucket, key, extra_args=extra, subscribers=[relay])
                self._wait(future, relay, cancel)
        except _TRANSFER_ERRORS as exc:
            raise storage_error(f"upload of {key}", exc) from None

    def download_file(
        self,
        key: str,
        path: Path,
        *,
        on_bytes: BytesCallback | None = None,
        cancel: threading.Event | None = None,
    ) -> None:
        """Download ``key`` to ``path`` (written under a temporary name, then renamed).

        Raises StorageError, CancelledError.
        """
        if cancel is not None and cancel.is_set():
            raise CancelledError()
        relay = _Relay(on_bytes)
        try:
            with create_transfer_manager(
                self._client, self._transfer_config(8 * 1024 * 1024, 8 * 1024 * 1024)
            ) as mgr:
                future = mgr.download(self.bucket, key, str(path), subscribers=[relay])
                self._wait(future, relay, cancel)
        except _TRANSFER_ERRORS as exc:
            raise storage_error(f"download of {key}", exc) from None

    def delete_keys(self, keys: Sequence[str]) -> int:
        """DeleteObjects in batches of at most 1000 keys. Raises StorageError naming a failed key."""
        deleted = 0
        for batch in batched(list(keys)):
            try:
                response = self._client.delete_objects(
                    Bucket=self.bucket, Delete={"Objects": [{"Key": k} for k in batch], "Quiet": True}
                )
            except _TRANSFER_ERRORS as exc:
                raise storage_error(f"deleting {len(batch)} objects from {self.description}", exc) from None
            errors = response.get("Errors", [])
            if errors:
                first = errors[0]
                raise StorageError(
                    f"deleting {first.get('Key', '?')} failed: {first.get('Code', 'unknown error')}",
                    redact(
                        "; ".join(f"{e.get('Key')}: {e.get('Code')} {e.get('Message', '')}" for e in errors)
                    ),
                )
            deleted += len(batch)
        log.info("deleted %d objects from %s", deleted, self.description)
        return deleted
