"""Publish a finished HLS package to a destination as a new build of its title, the master last.

Every publish writes the package's files under a new build prefix of the title
(``hls/movies/<id>/b-<build>/…``, see ``core.builds``), in parallel, ``upload_concurrency`` at a
time. The title's ``master.m3u8`` is rewritten to point into the new build only after every one of
them is confirmed stored. Until then players see the previous build, untouched; after it, new
viewers get the new build only, while viewers holding the old playlists keep the old bytes. When
anything fails or is cancelled the master is not written.

Resume: a package folder the app made remembers its unfinished build, so publishing it again after
a failure reuses that build and uploads only what is missing (objects already stored with the same
size and content hash are skipped). Old builds go after the grace period (``core.sweep``).
"""

from __future__ import annotations

import logging
import tempfile
import threading
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from hlsstudio.core.builds import (
    BUILD_RE,
    build_of_master,
    build_prefix,
    master_for_build,
    new_build_id,
    read_text,
    recorded_build,
    remember_build,
)
from hlsstudio.core.errors import CancelledError, StorageError
from hlsstudio.core.models import ContentType, PublishResult
from hlsstudio.core.settings import DestinationSettings
from hlsstudio.core.storage.base import MASTER_NAME, Destination, ObjectInfo, content_prefix
from hlsstudio.core.storage.config import resolve_webhook
from hlsstudio.core.storage.content_types import cache_control_for, content_type_for
from hlsstudio.core.storyboard import STORYBOARD
from hlsstudio.core.sweep import group_objects, read_index, sweep_title
from hlsstudio.core.tracks.renditions import renditions_in
from hlsstudio.core.uploads import (
    PackageFile,
    ProgressCallback,
    Tracker,
    UploadProgress,
    UploadState,
    package_files,
)
from hlsstudio.core.webhook import send_webhook, webhook_payload

__all__ = [
    "PackageFile",
    "ProgressCallback",
    "PublishOptions",
    "UploadContext",
    "UploadProgress",
    "UploadState",
    "complete_publish",
    "open_upload",
    "package_files",
    "publish_package",
    "upload_one",
]

log = logging.getLogger(__name__)

HOUR = 3600.0
MIB = 1024 * 1024
_DEFAULTS = DestinationSettings()


class PublishOptions(BaseModel):
    """How to upload. The webhook secret is a SecretStr: hidden from repr and JSON dumps."""

    model_config = ConfigDict(frozen=True)

    upload_concurrency: int = Field(default=8, ge=1, le=64)
    multipart_threshold: int = Field(default=8 * MIB, ge=1)
    multipart_chunksize: int = Field(default=8 * MIB, ge=5 * MIB)
    segment_cache_control: str = _DEFAULTS.segment_cache_control
    playlist_cache_control: str = _DEFAULTS.playlist_cache_control
    sweep_old_builds: bool = True
    build_grace_seconds: float = Field(default=_DEFAULTS.build_grace_hours * HOUR, ge=0)
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
            build_grace_seconds=settings.build_grace_hours * HOUR,
            webhook_url=webhook.url,
            webhook_secret=SecretStr(webhook.secret) if webhook.secret else None,
        )


@dataclass
class UploadContext:
    """What every upload of one publish shares: the title, the build its files go to, what is stored."""

    destination: Destination
    title_prefix: str
    build: str
    existing: dict[str, ObjectInfo]
    options: PublishOptions
    tracker: Tracker
    cancel: threading.Event

    @property
    def prefix(self) -> str:
        """Where this publish's files go: the build's prefix under the title."""
        return build_prefix(self.title_prefix, self.build)


def upload_one(ctx: UploadContext, item: PackageFile, key: str | None = None) -> bool:
    """Store one file (at its place in the build, or at ``key``) unless an identical object is
    already there. True when bytes were sent."""
    if ctx.cancel.is_set():
        raise CancelledError()
    ctx.tracker.add(item.name, item.size)
    key = key or ctx.prefix + item.name
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


def notify_webhook(
    result: PublishResult, options: PublishOptions, content_type: ContentType, content_id: str
) -> str | None:
    """POST the result (``webhook.webhook_payload``: its renditions with their URLs included) to the
    configured webhook; its outcome ("delivered"/"failed: …"), None if none."""
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
    files = package_files(Path(package_dir))
    ctx = open_upload(
        destination,
        content_type,
        content_id,
        options=options,
        on_progress=on_progress,
        cancel=cancel,
        package_dir=Path(package_dir),
    )
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
    package_dir: Path | None = None,
) -> UploadContext:
    """Validate the content id (before any request), list what is stored under the title, and pick
    the build to publish into: the unfinished build ``package_dir`` was being published into, when
    it never went live, else a new one (remembered in ``package_dir`` when the app made it).

    Raises ConfigError for an unsafe id and StorageError when the destination cannot be listed.
    """
    title = content_prefix(content_type, content_id)
    existing = {info.key: info for info in destination.list_objects(title)}
    files = package_files(package_dir) if package_dir is not None else []
    build = _resumable_build(destination, title, existing, package_dir, files) or new_build_id()
    if package_dir is not None:
        remember_build(package_dir, destination, title, build)
    return UploadContext(
        destination,
        title,
        build,
        existing,
        options or PublishOptions(),
        Tracker([], on_progress),
        cancel or threading.Event(),
    )


def _resumable_build(
    destination: Destination,
    title: str,
    existing: dict[str, ObjectInfo],
    package_dir: Path | None,
    files: list[PackageFile],
) -> str | None:
    """The build a failed publish of this package left unfinished, if it may be written again: the
    one the package folder remembers, else the unfinished build whose files all match the package's
    names and sizes. A build that was ever live is never chosen (its keys are never rewritten)."""
    remembered = recorded_build(package_dir, destination, title) if package_dir is not None else None
    builds, _ = group_objects(title, list(existing.values()))
    candidates = [b for b in builds if BUILD_RE.match(b)]
    if remembered is None and not candidates:
        return None
    live = build_of_master(read_text(destination, title + MASTER_NAME) or "")
    index = read_index(destination, title)
    if remembered is not None:
        return None if remembered == live or index.ever_live(remembered) else remembered
    sizes = {f.name: f.size for f in files}
    best, matched = None, 0
    for build in candidates:
        if build == live or index.ever_live(build):
            continue
        names = {o.key.removeprefix(build_prefix(title, build)): o.size for o in builds[build]}
        if all(sizes.get(name) == size for name, size in names.items()) and len(names) > matched:
            best, matched = build, len(names)
    return best


def _upload_master(ctx: UploadContext, master: PackageFile) -> bool:
    """Store the title's master, pointing into this publish's build. True when bytes were sent."""
    text = master_for_build(master.path.read_text(encoding="utf-8"), ctx.build)
    with tempfile.TemporaryDirectory(prefix="hlsstudio-master-") as tmp:
        path = Path(tmp) / MASTER_NAME
        path.write_text(text, encoding="utf-8")
        item = PackageFile(master.name, path, path.stat().st_size)
        try:
            return upload_one(ctx, item, ctx.title_prefix + MASTER_NAME)
        except OSError as exc:
            raise StorageError(f"cannot read {master.name}: {exc.strerror or exc}") from None


def _sweep(ctx: UploadContext) -> tuple[int, int]:
    """Remove the title's builds whose grace period is over; (objects removed, builds waiting)."""
    if not ctx.options.sweep_old_builds:
        return 0, 0
    try:
        report = sweep_title(
            ctx.destination, ctx.title_prefix, grace_seconds=ctx.options.build_grace_seconds, live=ctx.build
        )
    except StorageError as exc:  # the new build is live; old ones wait for the next sweep
        log.warning("could not sweep old builds of %s: %s", ctx.title_prefix, exc.message)
        return 0, 0
    return report.keys_removed, len(report.waiting)


def complete_publish(
    ctx: UploadContext,
    files: list[PackageFile],
    uploaded: list[PackageFile],
    *,
    started: float,
    content: tuple[ContentType, str],
) -> PublishResult:
    """Write the master (``files[-1]``) now that every other file is stored, sweep old builds,
    report, and notify the webhook. ``uploaded`` are the files this publish has sent so far."""
    if ctx.cancel.is_set():
        raise CancelledError("publishing cancelled; the master playlist was not written")
    master_sent = _upload_master(ctx, files[-1])
    uploaded = [*uploaded, files[-1]] if master_sent else uploaded
    removed, waiting = _sweep(ctx)
    master_key = ctx.title_prefix + MASTER_NAME

    def url_of(name: str) -> str:
        return ctx.destination.public_url(ctx.prefix + name)

    result = PublishResult(
        hls_url=ctx.destination.public_url(master_key),
        master_key=master_key,
        destination=ctx.destination.description,
        files_uploaded=len(uploaded),
        bytes_uploaded=sum(f.size for f in uploaded),
        files_skipped=len(files) - len(uploaded),
        files_removed=removed,
        publish_time_seconds=round(time.monotonic() - started, 3),
        build=ctx.build,
        old_builds_waiting=waiting,
        storyboard_url=next((url_of(f.name) for f in files if f.name == STORYBOARD), None),
        renditions=renditions_in(files[-1].path, url_of),
    )
    log.info(
        "published %s (%s) to %s: %d uploaded, %d skipped, %d old objects removed, %d old builds waiting",
        ctx.title_prefix,
        ctx.build,
        ctx.destination.description,
        result.files_uploaded,
        result.files_skipped,
        result.files_removed,
        waiting,
    )
    result.webhook = notify_webhook(result, ctx.options, *content)
    return result
