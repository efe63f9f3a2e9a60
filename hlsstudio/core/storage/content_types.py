"""Content-Type and Cache-Control of published files, from an explicit map.

Never ask the ``mimetypes`` module: on Debian ``/etc/mime.types`` maps ``.ts`` to a Qt Linguist
type, and players refuse segments served with it.
"""

from __future__ import annotations

from pathlib import PurePosixPath

CONTENT_TYPES: dict[str, str] = {
    ".m3u8": "application/vnd.apple.mpegurl",
    ".ts": "video/mp2t",
    ".m4s": "video/iso.segment",
    ".mp4": "video/mp4",
    ".vtt": "text/vtt",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".json": "application/json",
}
DEFAULT_CONTENT_TYPE = "application/octet-stream"

# Playlists and metadata change when a title is republished; everything else (segments, images)
# is written once per package and can be cached for a long time.
SHORT_LIVED_SUFFIXES = frozenset({".m3u8", ".json"})


def content_type_for(name: str) -> str:
    """The Content-Type of file ``name`` (by extension, case-insensitive); octet-stream if unknown."""
    return CONTENT_TYPES.get(PurePosixPath(name).suffix.lower(), DEFAULT_CONTENT_TYPE)


def is_short_lived(name: str) -> bool:
    """True for playlists and metadata (short cache), False for segments and images (long cache)."""
    return PurePosixPath(name).suffix.lower() in SHORT_LIVED_SUFFIXES


def cache_control_for(name: str, *, segment_cache_control: str, playlist_cache_control: str) -> str:
    """The Cache-Control header for file ``name``: ``playlist_cache_control`` for playlists and
    metadata, ``segment_cache_control`` for everything else."""
    return playlist_cache_control if is_short_lived(name) else segment_cache_control
