"""Bookkeeping of one publish: the files of a package, each file's upload state, and progress reports.

Progress callbacks are called from the upload threads, possibly several at once; keep them short and
thread-safe (a GUI must hand them to its main thread).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from hlsstudio.core.errors import StorageError
from hlsstudio.core.storage.base import MASTER_NAME

log = logging.getLogger(__name__)


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
