"""Managing published content: delete a title, list titles, convert a source video already in the bucket.

Confirmation before deleting is the caller's job (the CLI asks, the GUI shows a dialog): these
functions only list and act.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from hlsstudio.core.errors import ConfigError, StorageError
from hlsstudio.core.models import ContentType, JobResult
from hlsstudio.core.ownership import make_owned_temp, remove_owned
from hlsstudio.core.storage.base import HLS_ROOT, MASTER_NAME, Destination, ObjectInfo, content_prefix
from hlsstudio.core.sweep import scan_title

log = logging.getLogger(__name__)

SOURCE_PREFIX = "videos/"
VIDEO_EXTENSIONS = frozenset(
    {
        ".mp4",
        ".mov",
        ".mkv",
        ".m4v",
        ".avi",
        ".webm",
        ".mxf",
        ".ts",
        ".mts",
        ".m2ts",
        ".mpg",
        ".mpeg",
        ".wmv",
        ".flv",
    }
)
_MASTER_RE = re.compile(rf"^{HLS_ROOT}/(movies|episodes)/([A-Za-z0-9_-]{{1,128}})/{re.escape(MASTER_NAME)}$")


@dataclass(frozen=True)
class DeletePlan:
    """What deleting a title would remove: every object under its prefix."""

    prefix: str
    objects: list[ObjectInfo] = field(default_factory=list)

    @property
    def count(self) -> int:
        """Number of objects."""
        return len(self.objects)

    @property
    def total_bytes(self) -> int:
        """Their total size in bytes."""
        return sum(o.size for o in self.objects)


@dataclass(frozen=True)
class DeleteReport:
    """What a delete did (``deleted`` False for a dry run)."""

    prefix: str
    count: int
    total_bytes: int
    deleted: bool
    keys: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PublishedContent:
    """One published title: its type, id, master key, the URL players use, the build the master
    points into, and how many replaced builds still wait for their grace period to end."""

    content_type: ContentType
    content_id: str
    master_key: str
    hls_url: str
    live_build: str | None = None
    old_builds: int = 0


@dataclass(frozen=True)
class DownloadProgress:
    """Download progress of a source video: bytes received of size."""

    key: str
    bytes_received: int
    size: int


def plan_delete(destination: Destination, content_type: ContentType, content_id: str) -> DeletePlan:
    """List everything under the title's prefix. Raises ConfigError (unsafe id, before any request),
    StorageError."""
    prefix = content_prefix(content_type, content_id)
    return DeletePlan(prefix, destination.list_objects(prefix))


def execute_delete(destination: Destination, plan: DeletePlan) -> DeleteReport:
    """Delete the planned objects (in batches of at most 1000 keys). Raises StorageError."""
    keys = [o.key for o in plan.objects]
    # The master goes first so a half-deleted title is never playable with missing segments.
    keys.sort(key=lambda k: k != plan.prefix + MASTER_NAME)
    deleted = destination.delete_keys(keys) if keys else 0
    log.info("deleted %d objects under %s from %s", deleted, plan.prefix, destination.description)
    return DeleteReport(plan.prefix, deleted, plan.total_bytes, True, keys)


def delete_content(
    destination: Destination, content_type: ContentType, content_id: str, *, dry_run: bool = False
) -> DeleteReport:
    """Delete a published title (or, with ``dry_run``, only report what would go).

    Returns a DeleteReport with count and total size. Raises ConfigError, StorageError.
    """
    plan = plan_delete(destination, content_type, content_id)
    if dry_run:
        return DeleteReport(plan.prefix, plan.count, plan.total_bytes, False, [o.key for o in plan.objects])
    return execute_delete(destination, plan)


def list_published(destination: Destination) -> list[PublishedContent]:
    """Every title with a master playlist (movies, then episodes; by id), with its live build and the
    number of old builds kept. Reads each title's master once. Raises StorageError."""
    titles: list[PublishedContent] = []
    for content_type in (ContentType.MOVIE, ContentType.EPISODE):
        by_title: dict[str, list[ObjectInfo]] = {}
        for info in destination.list_objects(f"{HLS_ROOT}/{content_type.prefix}/"):
            parts = info.key.split("/")
            if len(parts) >= 4:
                by_title.setdefault("/".join(parts[:3]) + "/", []).append(info)
        for prefix, objects in by_title.items():
            match = _MASTER_RE.match(prefix + MASTER_NAME)
            if match is None or not any(o.key == prefix + MASTER_NAME for o in objects):
                continue
            title = scan_title(destination, prefix, objects=objects)
            key = prefix + MASTER_NAME
            titles.append(
                PublishedContent(
                    content_type,
                    match.group(2),
                    key,
                    destination.public_url(key),
                    live_build=title.live,
                    old_builds=len(title.old),
                )
            )
    return sorted(titles, key=lambda t: (t.content_type != ContentType.MOVIE, t.content_id))


def is_video_key(key: str) -> bool:
    """True when ``key`` names a file with a video extension."""
    return PurePosixPath(key).suffix.lower() in VIDEO_EXTENSIONS


def list_source_videos(destination: Destination, prefix: str = SOURCE_PREFIX) -> list[ObjectInfo]:
    """Source videos stored under ``prefix`` (video extensions only), by key. Raises StorageError."""
    return sorted((o for o in destination.list_objects(prefix) if is_video_key(o.key)), key=lambda o: o.key)


def _check_source_key(key: str) -> str:
    name = PurePosixPath(key).name
    if not key or key.endswith("/") or ".." in PurePosixPath(key).parts or not name:
        raise ConfigError(f"invalid source key {key!r}")
    if not is_video_key(key):
        raise ConfigError(f"{key} is not a video file (extensions: {', '.join(sorted(VIDEO_EXTENSIONS))})")
    return name


def convert_existing(
    key: str,
    destination: Destination,
    *,
    work_dir: Path,
    run: Callable[[Path], JobResult],
    on_download: Callable[[DownloadProgress], None] | None = None,
    cancel: threading.Event | None = None,
) -> JobResult:
    """Download the source video at ``key`` into a temporary folder under ``work_dir`` and return
    ``run(path)`` (transcode and publish). The temporary copy is removed afterwards, also on
    failure or cancel.

    Raises ConfigError for a key that is not a video, StorageError when it is missing or cannot
    be downloaded, CancelledError when ``cancel`` is set during the download.
    """
    name = _check_source_key(key)
    info = destination.head(key)
    if info is None:
        raise StorageError(f"no source video {key} in {destination.description}")
    work_dir.mkdir(parents=True, exist_ok=True)
    temp_dir = make_owned_temp(work_dir, "convert-")
    try:
        local = temp_dir / name
        received = 0
        lock = threading.Lock()

        def relay(delta: int) -> None:
            nonlocal received
            with lock:
                received = max(0, received + delta)
                report = DownloadProgress(key, received, info.size)
            if on_download is not None:
                on_download(report)

        destination.download_file(key, local, on_bytes=relay, cancel=cancel)
        log.info("downloaded %s (%d bytes) for conversion", key, info.size)
        return run(local)
    finally:
        remove_owned(temp_dir)
