"""Where a previewed package is read from: its local folder, or its published URL (no Qt).

Both are addressed the same way: a master playlist, and URIs relative to the playlist that names
them. Reading blocks (disk or network), so only the preview's workers call ``read``.
"""

from __future__ import annotations

import posixpath
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from hlsstudio.core.errors import HlsStudioError

FETCH_TIMEOUT = 10.0  # seconds for one file of a published package
MAX_FILE_BYTES = 16 * 1024 * 1024  # playlists, WebVTT segments and sprite sheets are far smaller


@dataclass(frozen=True)
class Location:
    """A package's master playlist: a local file path or an ``http(s)`` URL."""

    master: str

    @classmethod
    def folder(cls, package: Path) -> Location:
        """The master playlist of the local package folder ``package``."""
        return cls(str(package / "master.m3u8"))

    @property
    def remote(self) -> bool:
        """True for a published package read over HTTP."""
        return urlsplit(self.master).scheme in ("http", "https")

    @property
    def where(self) -> str:
        """The package's folder or URL, as the window names it."""
        return self.master if self.remote else str(Path(self.master).parent)

    def resolve(self, uri: str, playlist: str | None = None) -> str:
        """``uri`` as written in ``playlist`` (default: the master) made absolute: a path or a URL."""
        base = playlist or self.master
        if self.remote or urlsplit(uri).scheme in ("http", "https"):
            return urljoin(base, uri)
        return posixpath.normpath(posixpath.join(posixpath.dirname(base), uri))

    def read(self, where: str, limit: int = MAX_FILE_BYTES) -> bytes:
        """The bytes of the file at ``where`` (from ``resolve``).

        Raises HlsStudioError naming the file when it cannot be read, or is over ``limit`` bytes.
        """
        name = posixpath.basename(urlsplit(where).path) or where
        try:
            data = self._fetch(where, limit) if "://" in where else self._load(where, limit)
        except (OSError, urllib.error.URLError, ValueError) as exc:
            raise HlsStudioError(f"Cannot read {name}", f"{where}: {exc}") from exc
        if len(data) > limit:
            raise HlsStudioError(f"{name} is too large to preview", f"{where}: over {limit} bytes")
        return data

    @staticmethod
    def _load(path: str, limit: int) -> bytes:
        with open(path, "rb") as handle:
            return handle.read(limit + 1)

    @staticmethod
    def _fetch(url: str, limit: int) -> bytes:
        request = urllib.request.Request(url, headers={"User-Agent": "HLS Studio preview"})
        with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT) as response:
            data: bytes = response.read(limit + 1)
            return data
