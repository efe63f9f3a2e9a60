"""What every destination offers: the ``Destination`` protocol, ``ObjectInfo`` and the key rules.

A destination stores objects under keys shaped ``hls/{movies|episodes}/{content_id}/<file>``.
Content ids are checked *before* any request is made, so an id such as ``../x`` can never
reach a bucket or escape the local publishing folder.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from hlsstudio.core import layout
from hlsstudio.core.errors import ConfigError
from hlsstudio.core.models import ContentType

CONTENT_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
HLS_ROOT = "hls"
MASTER_NAME = layout.MASTER
MAX_DELETE_BATCH = 1000

BytesCallback = Callable[[int], None]
"""Called with the number of bytes moved since the previous call (may come from any thread)."""


@dataclass(frozen=True)
class ObjectInfo:
    """One stored object: its key, size in bytes and ETag (without quotes; empty when unknown)."""

    key: str
    size: int
    etag: str = ""


@runtime_checkable
class Destination(Protocol):
    """A place packages are published to. Implementations are safe to call from several threads."""

    kind: str
    """``"s3"`` or ``"local"``."""

    @property
    def description(self) -> str:
        """Where this is, for people and ``PublishResult.destination`` (never a credential)."""
        ...

    def public_url(self, key: str) -> str:
        """The URL a player fetches ``key`` from."""
        ...

    def list_objects(self, prefix: str) -> list[ObjectInfo]:
        """Every object whose key starts with ``prefix``. Raises StorageError."""
        ...

    def head(self, key: str) -> ObjectInfo | None:
        """The object stored at ``key``, or None. Raises StorageError."""
        ...

    def same_content(self, info: ObjectInfo, path: Path, part_size: int) -> bool:
        """True when the stored object ``info`` holds exactly the bytes of local file ``path``.

        ``part_size`` is the multipart part size uploads use (needed to check multipart ETags).
        """
        ...

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
        """Store local file ``path`` at ``key``; a half-stored object never becomes visible.

        Raises StorageError on failure and CancelledError when ``cancel`` is set meanwhile.
        """
        ...

    def download_file(
        self,
        key: str,
        path: Path,
        *,
        on_bytes: BytesCallback | None = None,
        cancel: threading.Event | None = None,
    ) -> None:
        """Copy the object at ``key`` to local file ``path``. Raises StorageError, CancelledError."""
        ...

    def delete_keys(self, keys: Sequence[str]) -> int:
        """Delete ``keys`` (in batches of at most ``MAX_DELETE_BATCH``); return how many were deleted.

        Raises StorageError naming the first key that could not be deleted.
        """
        ...

    def check_access(self) -> str:
        """Check that the destination is reachable and usable; a sentence saying so.

        Raises StorageError with the reason (missing bucket, refused credentials, no connection).
        """
        ...


def validate_content_id(content_id: str) -> str:
    """Return ``content_id`` when it is 1-128 letters, digits, ``-`` or ``_``.

    Raises ConfigError otherwise (empty, spaces, slashes, dots such as ``../x``).
    """
    if not isinstance(content_id, str) or not CONTENT_ID_RE.fullmatch(content_id):
        shown = repr(content_id) if len(str(content_id)) <= 60 else repr(str(content_id)[:60] + "…")
        raise ConfigError(
            f"invalid content id {shown}: use 1-128 letters, digits, '-' or '_'",
            "content ids become part of object keys and must match ^[A-Za-z0-9_-]{1,128}$",
        )
    return content_id


def content_prefix(content_type: ContentType, content_id: str) -> str:
    """The key prefix of one title, with a trailing slash: ``hls/movies/<id>/``.

    Raises ConfigError for an unsafe content id.
    """
    validate_content_id(content_id)
    return f"{HLS_ROOT}/{ContentType(content_type).prefix}/{content_id}/"


def master_key(content_type: ContentType, content_id: str) -> str:
    """The key of a title's master playlist. Raises ConfigError for an unsafe content id."""
    return content_prefix(content_type, content_id) + MASTER_NAME


def batched(keys: Sequence[str], size: int = MAX_DELETE_BATCH) -> list[Sequence[str]]:
    """``keys`` cut into consecutive batches of at most ``size``."""
    return [keys[i : i + size] for i in range(0, len(keys), size)]
