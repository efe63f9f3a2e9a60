"""Publish a finished HLS package to a destination: every file in parallel, the master last.

Order and safety: segments, thumbnails and variant playlists are uploaded first (in parallel,
``upload_concurrency`` at a time); ``master.m3u8`` is written only after every one of them is
confirmed stored. When anything fails or is cancelled the master is not written, so players keep
seeing the previously published package (its master is untouched).

Resume: objects already stored with the same size and content hash are skipped, so publishing
again after a failure uploads only what is missing. After the new master is stored, objects under
the title's prefix that are not part of the new package are removed.

Progress callbacks (``on_progress``) are called from the worker threads, possibly several at
once; keep them short and thread-safe (a GUI must hand them to its main thread).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from hlsstudio.core.errors import CancelledError, StorageError
from hlsstudio.core.models import ContentType, PublishResult
from hlsstudio.core.settings import DestinationSettings, load_settings
from hlsstudio.core.storage.base import MASTER_NAME, Destination, ObjectInfo, content_prefix
from hlsstudio.core.storage.config import resolve_webhook
from hlsstudio.core.storage.content_types import cache_control_for, content_type_for
from hlsstudio.core.webhook import send_webhook

log = logging.getLogger(__name__)

MIB = 1024 * 1024
_DEFAULTS = DestinationSettings()


class UploadState(StrEnum):
    """Where one file of a publish is."""

    QUEUED = "queued"
    UPLOADING = "uploading"
    DONE = "done"
    SKIPPED = "skipped"
    FAILED = "failed"


@dataclass(frozen=True)
class UploadProgress:
    """One progress report: a file's state and bytes, plus the totals of the whole package."""

    file: str
    bytes_sent: int
    size: int
    state: UploadState
    overall_bytes_sent: int
    overall_bytes: int
    files_done: int
    files_total: int

    @property
    def fraction(self) -> float:
        """Overall fraction 0..1 (skipped files count as sent)."""
        return self.overall_bytes_sent / self.overall_bytes if self.overall_bytes else 1.0


ProgressCallback = Callable[[UploadProgress], None]


class PublishOptions(BaseModel):
    """How to upload. The webhook secret is a SecretStr: hidden from repr and JSON dumps."""

    model_config = ConfigDict(frozen=True)

    upload_concurrency: int = Field(default=8, ge=1, le=64)
    multipart_threshold: int = Field(default=8 * MIB, ge=1)
    multipart_chunksize: int = Field(default=8 * MIB, ge=5 * MIB)
    segment_cache_control: str = _DEFAULTS.segment_cache_control
    playlist_cache_control: str = _DEFAULTS.playlist_cache_control
    remove_stale: bool = True
    webhook_url: str = ""
    webhook_secret: SecretStr | None = None
    webhook_timeout: float = Field(default=10.0, gt=0)
    webhook_attempts: int = Field(default=3, ge=1, le=10)
    webhook_backoff: float = Field(default=0.5, ge=0)

    @classmethod
    def from_settings(
        cls, settings: DestinationSettings, *, environ: Mapping[str, str] | None = None
    ) -> PublishOptions:
        """Options from the destination settings; webhook URL and secret resolved as in
        ``storage.config.resolve_webhook`` (environment > .env > settings/keyring)."""
        webhook = resolve_webhook(settings, environ=environ)
        return cls(
            upload_concurrency=settings.upload_concurrency,
            segment_cache_control=settings.segment_cache_control,
            playlist_cache_control=settings.playlist_cache_control,
            webhook_url=webhook.url,
            webhook_secret=SecretStr(webhook.secret) if webhook.secret else None,
        )


@dataclass(frozen=True)
class PackageFile:
    """One file of a package: its name relative to the package folder (POSIX), path and size."""

    name: str
    path: Path
    size: int


def package_files(package_dir: Path) -> list[PackageFile]:
    """Every file of the package (hidden files left out), sorted, ``master.m3u8`` last.

    Raises StorageError when the folder does not exist or has no ``master.m3u8``.
    """
    if not package_dir.is_dir():
        raise StorageError(f"package folder {package_dir} does not exist")
    if not (package_dir / MASTER_NAME).is_file():
        raise StorageError(f"package folder {package_dir} has no {MASTER_NAME}")
    found: list[PackageFile] = []
    for path in sorted(package_dir.rglob("*")):
        rel = path.relative_to(package_dir)
        if not path.is_file() or any(part.startswith(".") for part in rel.parts):
            continue
        found.append(PackageFile(rel.as_posix(), path, path.stat().st_size))
    found.sort(key=lambda f: f.name == MASTER_NAME)
    return found


class Tracker:
    """Thread-safe progress bookkeeping that reports through the caller's callback."""

    def __init__(self, files: list[PackageFile], callback: ProgressCallback | None) -> None:
        self._lock = threading.Lock()
        self._callback = callback
        self._sent = {f.name: 0 for f in files}
        self._sizes = {f.name: f.size for f in files}
        self._overall_bytes = sum(self._sizes.values())
        self._overall_sent = 0
        self._done = 0
        self._total = len(files)

    def add(self, name: str, size: int) -> None:
        """Track one more file (a package that is still being written grows while it uploads)."""
        with self._lock:
            if name in self._sizes:
                return
            self._sent[name] = 0
            self._sizes[name] = size
            self._overall_bytes += size
            self._total += 1

    def update(self, name: str, state: UploadState, delta: int = 0) -> None:
        with self._lock:
            if state is UploadState.SKIPPED:
                delta = self._sizes[name] - self._sent[name]
            sent = min(max(0, self._sent[name] + delta), self._sizes[name])
            self._overall_sent += sent - self._sent[name]
            self._sent[name] = sent
            if state in (UploadState.DONE, UploadState.SKIPPED):
                self._done += 1
            report = UploadProgress(
                name,
                sent,
                self._sizes[name],
                state,
                self._overall_sent,
                self._overall_bytes,
                self._done,
                self._total,
            )
        if self._callback is not None:
            try:
                self._callback(report)
            except Exception:  # a broken display must not break the upload
                log.exception("progress callback failed")


@dataclass
class UploadContext:
    """What every upload of one publish shares."""

    destination: Destination
    prefix: str
    existing: dict[str, ObjectInfo]
    options: PublishOptions
    tracker: Tracker
    cancel: threading.Event


def upload_one(ctx: UploadContext, item: PackageFile) -> bool:
    """Store one file unless an identical object is already there. True when bytes were sent."""
    if ctx.cancel.is_set():
        raise CancelledError()
    ctx.tracker.add(item.name, item.size)
    key = ctx.prefix + item.name
    stored = ctx.existing.get(key)
    if stored is not None and ctx.destination.same_content(
        stored, item.path, ctx.options.multipart_chunksize
    ):
        ctx.tracker.update(item.name, UploadState.SKIPPED)
        return False
    ctx.tracker.update(item.name, UploadState.UPLOADING)
    try:
        ctx.destination.upload_file(
            item.path,
            key,
            content_type=content_type_for(item.name),
            cache_control=cache_control_for(
                item.name,
                segment_cache_control=ctx.options.segment_cache_control,
                playlist_cache_control=ctx.options.playlist_cache_control,
            ),
            multipart_threshold=ctx.options.multipart_threshold,
            part_size=ctx.options.multipart_chunksize,
            on_bytes=lambda n: ctx.tracker.update(item.name, UploadState.UPLOADING, n),
            cancel=ctx.cancel,
        )
    except BaseException:
        ctx.tracker.update(item.name, UploadState.FAILED)
        raise
    ctx.tracker.update(item.name, UploadState.DONE, item.size)
    return True


def upload_all(ctx: UploadContext, items: list[PackageFile]) -> tuple[list[PackageFile], list[StorageError]]:
    """Upload ``items`` in parallel. Returns (uploaded files, failures); raises CancelledError."""
    uploaded: list[PackageFile] = []
    failures: list[StorageError] = []
    cancelled = False
    with ThreadPoolExecutor(ctx.options.upload_concurrency, thread_name_prefix="publish") as pool:
        futures = {pool.submit(upload_one, ctx, item): item for item in items}
        for future in as_completed(futures):
            item = futures[future]
            try:
                if future.result():
                    uploaded.append(item)
            except CancelledError:
                cancelled = True
            except StorageError as exc:
                failures.append(exc)
            except OSError as exc:
                failures.append(StorageError(f"cannot read {item.name}: {exc.strerror or exc}"))
    if cancelled or ctx.cancel.is_set():
        raise CancelledError("publishing cancelled; the master playlist was not written")
    return uploaded, failures


def raise_failures(failures: list[StorageError]) -> None:
    if not failures:
        return
    first = failures[0]
    more = f" (and {len(failures) - 1} more files)" if len(failures) > 1 else ""
    raise StorageError(
        f"publishing stopped, master playlist not written: {first.message}{more}",
        "\n".join(f"{f.message}{': ' + f.detail if f.detail else ''}" for f in failures),
    )


def remove_stale(ctx: UploadContext, keep: set[str]) -> int:
    stale = sorted(key for key in ctx.existing if key not in keep)
    if not stale or not ctx.options.remove_stale:
        return 0
    try:
        return ctx.destination.delete_keys(stale)
    except StorageError as exc:  # the new package is live; leftovers are unreferenced
        log.warning("could not remove %d stale objects under %s: %s", len(stale), ctx.prefix, exc.message)
        return 0


def webhook_payload(result: PublishResult, content_type: ContentType, content_id: str) -> dict[str, Any]:
    """The JSON document the completion webhook receives."""
    doc: dict[str, Any] = {
        "event": "hls.published",
        "content_type": str(content_type),
        "content_id": content_id,
    }
    doc.update(result.model_dump(mode="json", exclude={"webhook"}))
    return doc


def notify_webhook(
    result: PublishResult, options: PublishOptions, content_type: ContentType, content_id: str
) -> str | None:
    """POST the result to the configured webhook; its outcome ("delivered"/"failed: …"), None if none."""
    if not options.webhook_url:
        return None
    secret = options.webhook_secret.get_secret_value() if options.webhook_secret else None
    return send_webhook(
        options.webhook_url,
        webhook_payload(result, content_type, content_id),
        secret=secret,
        timeout=options.webhook_timeout,
        attempts=options.webhook_attempts,
        backoff=options.webhook_backoff,
    )


def publish_package(
    package_dir: Path,
    destination: Destination,
    content_type: ContentType,
    content_id: str,
    *,
    options: PublishOptions | None = None,
    on_progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
) -> PublishResult:
    """Upload the package in ``package_dir`` as ``hls/{movies|episodes}/{content_id}/``.

    ``options`` defaults to ``PublishOptions.from_settings`` of the saved destination settings
    (concurrency, cache headers, webhook). ``on_progress`` receives ``UploadProgress`` reports
    from worker threads. Returns a
    PublishResult (``webhook`` holds the webhook outcome when one is configured). Raises
    ConfigError for an unsafe content id (before any request), StorageError naming the failed
    file (master not written), CancelledError when ``cancel`` is set (master not written).
    """
    started = time.monotonic()
    ctx = open_upload(
        destination, content_type, content_id, options=options, on_progress=on_progress, cancel=cancel
    )
    files = package_files(Path(package_dir))
    for item in files:
        ctx.tracker.add(item.name, item.size)
        ctx.tracker.update(item.name, UploadState.QUEUED)
    uploaded, failures = upload_all(ctx, files[:-1])
    raise_failures(failures)
    return complete_publish(ctx, files, uploaded, started=started, content=(content_type, content_id))


def open_upload(
    destination: Destination,
    content_type: ContentType,
    content_id: str,
    *,
    options: PublishOptions | None = None,
    on_progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
) -> UploadContext:
    """Validate the content id (before any request), list what is stored under its prefix.

    Raises ConfigError for an unsafe id and StorageError when the destination cannot be listed.
    """
    prefix = content_prefix(content_type, content_id)
    return UploadContext(
        destination,
        prefix,
        {info.key: info for info in destination.list_objects(prefix)},
        options or PublishOptions.from_settings(load_settings().destination),
        Tracker([], on_progress),
        cancel or threading.Event(),
    )


def complete_publish(
    ctx: UploadContext,
    files: list[PackageFile],
    uploaded: list[PackageFile],
    *,
    started: float,
    content: tuple[ContentType, str],
) -> PublishResult:
    """Write the master (``files[-1]``) now that every other file is stored, drop stale objects,
    report, and notify the webhook. ``uploaded`` are the files this publish has sent so far."""
    master_uploaded, failures = upload_all(ctx, files[-1:])
    raise_failures(failures)
    uploaded = [*uploaded, *master_uploaded]
    removed = remove_stale(ctx, {ctx.prefix + f.name for f in files})
    result = PublishResult(
        hls_url=ctx.destination.public_url(ctx.prefix + MASTER_NAME),
        master_key=ctx.prefix + MASTER_NAME,
        destination=ctx.destination.description,
        files_uploaded=len(uploaded),
        bytes_uploaded=sum(f.size for f in uploaded),
        files_skipped=len(files) - len(uploaded),
        files_removed=removed,
        publish_time_seconds=round(time.monotonic() - started, 3),
    )
    log.info(
        "published %s to %s: %d uploaded, %d skipped, %d removed",
        ctx.prefix,
        ctx.destination.description,
        result.files_uploaded,
        result.files_skipped,
        result.files_removed,
    )
    result.webhook = notify_webhook(result, ctx.options, *content)
    return result
