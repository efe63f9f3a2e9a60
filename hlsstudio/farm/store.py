"""Where desktops and workers exchange a farm job's files: the bucket, or a shared folder.

Keys (``sources/`` and ``farm/`` beside the ``hls/`` tree that players read, never inside it)::

    sources/<fingerprint>/<file name>             a desktop's source, uploaded once (size + time)
    farm/<job>/chunks/<NNNN>/<attempt>/…          one run of one chunk: segments, thumbnails, done.json
    farm/<job>/audio/<attempt>/…                  the title's sound: every audio rendition
    farm/<job>/stitched/…                         the joined variant playlists and manifest.json
    farm/<job>/subtitles/<track>/<file>           the job's subtitle tracks (a worker finishes it)
    farm/<job>/finished/…                         result.json and the files a worker's finish wrote

The bucket is the app's destination (the ``R2_*`` settings); ``HLSSTUDIO_FARM_FOLDER`` names a folder
every machine sees instead. Workers read a source straight from the bucket through a signed URL
(ffmpeg seeks with range requests), so no worker copies a whole film to encode one chunk.
"""

from __future__ import annotations

import hashlib
import json
import re
import tempfile
import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from hlsstudio.core.errors import ConfigError
from hlsstudio.core.settings import DestinationSettings
from hlsstudio.core.storage.base import Destination
from hlsstudio.core.storage.config import destination_from_settings, resolve_r2_config
from hlsstudio.core.storage.content_types import content_type_for
from hlsstudio.core.storage.local import LocalDestination
from hlsstudio.core.storage.s3 import S3Destination
from hlsstudio.farm.config import FarmConfig

SOURCES_PREFIX = "sources/"
WORK_PREFIX = "farm/"
MANIFEST = "manifest.json"
MIB = 1024 * 1024
PART_SIZE = 16 * MIB
CACHE_CONTROL = "no-store"
TRANSFER_THREADS = 8
URL_LIFETIME = 24 * 3600
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def farm_store(
    config: FarmConfig,
    settings: DestinationSettings | None = None,
    *,
    environ: Mapping[str, str] | None = None,
) -> Destination:
    """The farm's store: the shared folder when one is set, else the bucket of ``settings`` and the
    ``R2_*`` variables. Raises ConfigError when neither is configured (or the bucket is incomplete)."""
    if config.folder:
        return LocalDestination(Path(config.folder))
    settings = settings or DestinationSettings()
    if resolve_r2_config(settings, environ=environ) is None:
        raise ConfigError(
            "the farm needs the bucket: set R2_BUCKET_NAME and its keys (or HLSSTUDIO_FARM_FOLDER)",
            "workers and desktops exchange sources and chunks through it",
        )
    return destination_from_settings(settings, environ=environ)


def readable_location(store: Destination, key: str, lifetime: int = URL_LIFETIME) -> str:
    """What ffmpeg opens to read ``key``: a signed GET URL of the bucket, or the shared file's path."""
    if isinstance(store, S3Destination):
        url: str = store.client.generate_presigned_url(
            "get_object", Params={"Bucket": store.bucket, "Key": key}, ExpiresIn=lifetime
        )
        return url
    if isinstance(store, LocalDestination):
        return str(store.path_for(key))
    raise ConfigError(f"the farm cannot read sources from {store.description}")


def source_key(path: Path) -> str:
    """The key a local source is uploaded under: its name, size and modification time decide it, so
    the same file is uploaded once (a retry or a second job of it reuses the copy)."""
    stat = path.stat()
    fingerprint = hashlib.sha256(f"{path.name}\0{stat.st_size}\0{stat.st_mtime_ns}".encode()).hexdigest()
    name = _UNSAFE.sub("_", path.name).strip("._") or "source"
    return f"{SOURCES_PREFIX}{fingerprint[:24]}/{name}"


def upload(store: Destination, path: Path, key: str, cancel: threading.Event | None = None) -> None:
    """Store ``path`` at ``key``. Raises StorageError, CancelledError."""
    store.upload_file(
        path,
        key,
        content_type=content_type_for(path.name),
        cache_control=CACHE_CONTROL,
        multipart_threshold=PART_SIZE,
        part_size=PART_SIZE,
        cancel=cancel,
    )


def upload_source(store: Destination, path: Path, cancel: threading.Event | None = None) -> str:
    """Upload a source once (skipped when the same size is stored under its key); returns the key."""
    key = source_key(path)
    stored = store.head(key)
    if stored is None or stored.size != path.stat().st_size:
        upload(store, path, key, cancel)
    return key


def job_prefix(job: str) -> str:
    """Every file of farm job ``job`` lives under this prefix."""
    return f"{WORK_PREFIX}{job}/"


def part_folder(job: str, part: str) -> str:
    """Where the runs of one part (``c0003`` or ``audio``) of a job keep their files."""
    if part == "audio":
        return f"{job_prefix(job)}audio/"
    return f"{job_prefix(job)}chunks/{part}/"


def part_prefix(job: str, part: str, attempt: str) -> str:
    """The files of one run (``attempt``) of one part of a job."""
    return f"{part_folder(job, part)}{attempt}/"


def stitched_prefix(job: str) -> str:
    """Where the stitch writes the joined playlists and the manifest."""
    return f"{job_prefix(job)}stitched/"


def finished_prefix(job: str) -> str:
    """Where a worker that finished and published the title keeps its result and the files it wrote."""
    return f"{job_prefix(job)}finished/"


def subtitles_prefix(job: str) -> str:
    """Where the desktop stores the job's subtitle tracks for the worker that finishes it."""
    return f"{job_prefix(job)}subtitles/"


def upload_folder(
    store: Destination, folder: Path, prefix: str, cancel: threading.Event | None = None
) -> dict[str, str]:
    """Upload every file directly in ``folder`` under ``prefix``, in parallel; returns name -> key."""
    files = sorted(p for p in folder.iterdir() if p.is_file())
    upload_files(store, {p: prefix + p.name for p in files}, cancel)
    return {p.name: prefix + p.name for p in files}


def upload_files(
    store: Destination, files: Mapping[Path, str], cancel: threading.Event | None = None
) -> None:
    """Store each file of ``files`` (path -> key), in parallel. Raises StorageError, CancelledError."""
    with ThreadPoolExecutor(TRANSFER_THREADS) as pool:
        for done in [pool.submit(upload, store, path, key, cancel) for path, key in files.items()]:
            done.result()


def download_files(
    store: Destination, files: Mapping[str, str], folder: Path, cancel: threading.Event | None = None
) -> int:
    """Download each key of ``files`` (name -> key) into ``folder`` under its name, in parallel;
    returns the bytes fetched. Raises StorageError, CancelledError."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in files:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(TRANSFER_THREADS) as pool:
        jobs = [
            pool.submit(store.download_file, key, folder / name, cancel=cancel) for name, key in files.items()
        ]
        for done in jobs:
            done.result()
    return sum((folder / name).stat().st_size for name in files)


def put_json(store: Destination, key: str, document: Mapping[str, Any]) -> None:
    """Store ``document`` as JSON at ``key``. Raises StorageError."""
    with tempfile.TemporaryDirectory(prefix="hlsstudio-farm-") as tmp:
        path = Path(tmp) / "document.json"
        path.write_text(json.dumps(document, indent=1, sort_keys=True), encoding="utf-8")
        upload(store, path, key)


def get_json(store: Destination, key: str) -> dict[str, Any] | None:
    """The JSON document at ``key``, or None when there is none. Raises StorageError."""
    if store.head(key) is None:
        return None
    with tempfile.TemporaryDirectory(prefix="hlsstudio-farm-") as tmp:
        path = Path(tmp) / "document.json"
        store.download_file(key, path)
        loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return loaded


def remove_prefix(store: Destination, prefix: str) -> int:
    """Delete everything under ``prefix`` (a job's work files); returns how many. Raises StorageError."""
    keys = [info.key for info in store.list_objects(prefix)]
    return store.delete_keys(keys) if keys else 0
