"""The local-folder destination: the embedded default when no bucket is configured.

Objects live at ``<root>/<key>`` with the same layout as in a bucket. Every write goes to a
hidden temporary file in the target folder and is renamed into place, so a half-copied file is
never seen as stored (temporary files are also left out of listings).
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path, PurePosixPath
from urllib.parse import quote

from hlsstudio.core.errors import CancelledError, StorageError
from hlsstudio.core.storage.base import BytesCallback, ObjectInfo
from hlsstudio.core.storage.hashing import md5_file

log = logging.getLogger(__name__)

COPY_BLOCK = 1024 * 1024
TEMP_PREFIX = ".hlsstudio-part-"


def _copy(source: Path, target: Path, on_bytes: BytesCallback | None, cancel: threading.Event | None) -> None:
    """Copy ``source`` to ``target`` atomically, reporting bytes and honouring ``cancel``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out, source.open("rb") as src:
            while block := src.read(COPY_BLOCK):
                if cancel is not None and cancel.is_set():
                    raise CancelledError()
                out.write(block)
                if on_bytes is not None:
                    on_bytes(len(block))
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


class LocalDestination:
    """A folder on this computer laid out like a bucket."""

    kind = "local"

    def __init__(self, root: Path, base_url: str = "") -> None:
        self.root = Path(root).expanduser().resolve()
        self.base_url = base_url.rstrip("/")

    def __repr__(self) -> str:
        return f"LocalDestination(root={str(self.root)!r})"

    @property
    def description(self) -> str:
        """``local folder <root>``."""
        return f"local folder {self.root}"

    def path_for(self, key: str) -> Path:
        """The file that holds ``key``. Raises StorageError for keys that would leave the root."""
        parts = PurePosixPath(key).parts
        if not parts or key.startswith("/") or any(p in ("..", ".", "") for p in parts) or "\\" in key:
            raise StorageError(f"unsafe object key {key!r}")
        return self.root.joinpath(*parts)

    def public_url(self, key: str) -> str:
        """``local_base_url`` + key when configured, else the file's ``file://`` URL."""
        if self.base_url:
            return f"{self.base_url}/{quote(key, safe='/')}"
        return self.path_for(key).as_uri()

    def list_objects(self, prefix: str) -> list[ObjectInfo]:
        """Every stored file whose key starts with ``prefix`` (temporary files excluded)."""
        folder_key = prefix.rpartition("/")[0]
        start = self.path_for(folder_key) if folder_key else self.root
        found: list[ObjectInfo] = []
        if not start.is_dir():
            return found
        try:
            for dirpath, _dirs, files in os.walk(start):
                for name in files:
                    if name.startswith(TEMP_PREFIX):
                        continue
                    path = Path(dirpath) / name
                    key = path.relative_to(self.root).as_posix()
                    if key.startswith(prefix):
                        found.append(ObjectInfo(key=key, size=path.stat().st_size))
        except OSError as exc:
            raise StorageError(f"cannot list {start}: {exc.strerror or exc}") from None
        return sorted(found, key=lambda info: info.key)

    def head(self, key: str) -> ObjectInfo | None:
        """The stored file for ``key`` or None."""
        path = self.path_for(key)
        return ObjectInfo(key=key, size=path.stat().st_size) if path.is_file() else None

    def same_content(self, info: ObjectInfo, path: Path, part_size: int) -> bool:
        """Same size and same MD5 (both files read in full)."""
        stored = self.path_for(info.key)
        return info.size == path.stat().st_size and md5_file(stored) == md5_file(path)

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
        """Copy ``path`` to the key's file atomically (content type and cache headers do not apply).

        Raises StorageError naming ``key`` on a file-system error, CancelledError on cancel.
        """
        target = self.path_for(key)
        try:
            _copy(path, target, on_bytes, cancel)
        except OSError as exc:
            raise StorageError(f"writing {key} to {self.root} failed: {exc.strerror or exc}") from None

    def download_file(
        self,
        key: str,
        path: Path,
        *,
        on_bytes: BytesCallback | None = None,
        cancel: threading.Event | None = None,
    ) -> None:
        """Copy the stored file of ``key`` to ``path``. Raises StorageError, CancelledError."""
        source = self.path_for(key)
        if not source.is_file():
            raise StorageError(f"no object {key} in {self.description}")
        try:
            _copy(source, path, on_bytes, cancel)
        except OSError as exc:
            raise StorageError(f"copying {key} failed: {exc.strerror or exc}") from None

    def delete_keys(self, keys: Sequence[str]) -> int:
        """Remove the files of ``keys`` (missing ones count as deleted) and prune empty folders."""
        folders: set[Path] = set()
        for key in keys:
            path = self.path_for(key)
            try:
                path.unlink(missing_ok=True)
            except OSError as exc:
                raise StorageError(f"deleting {key} failed: {exc.strerror or exc}") from None
            folders.add(path.parent)
        for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
            self._prune(folder)
        log.info("deleted %d files from %s", len(keys), self.description)
        return len(keys)

    def check_access(self) -> str:
        """Create the folder if needed and prove it is writable. Raises StorageError."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=self.root, prefix=".write-check-"):
                pass
        except OSError as exc:
            raise StorageError(f"cannot write to {self.root}: {exc.strerror or exc}") from None
        return f"local folder {self.root} is writable"

    def _prune(self, folder: Path) -> None:
        while folder != self.root and self.root in folder.parents:
            try:
                folder.rmdir()
            except OSError:
                return  # not empty (or gone): stop climbing
            folder = folder.parent
