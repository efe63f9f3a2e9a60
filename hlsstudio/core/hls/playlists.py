"""Reading HLS playlists into small typed records (the ``m3u8`` parser behind a typed door).

Only the facts HLS Studio checks and writes are kept: segment URIs and durations, target
duration, playlist type, ENDLIST, version, INDEPENDENT-SEGMENTS, and the master's STREAM-INF
attributes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import m3u8

from hlsstudio.core.errors import ValidationFailed

EXTM3U = "#EXTM3U"


class PlaylistError(ValidationFailed):
    """A playlist file is missing, unreadable, not an M3U8 playlist, or of the wrong kind."""


@dataclass(frozen=True)
class Segment:
    """One media segment of a media playlist: its URI as written and its EXTINF duration (s)."""

    uri: str
    duration: float


@dataclass(frozen=True)
class MediaPlaylist:
    """A media (variant) playlist."""

    path: Path
    version: int | None
    target_duration: int | None
    playlist_type: str | None
    endlist: bool
    independent_segments: bool
    segments: tuple[Segment, ...]
    media_sequence: int = 0

    @property
    def duration(self) -> float:
        """Sum of the EXTINF durations, in seconds."""
        return sum(s.duration for s in self.segments)


@dataclass(frozen=True)
class VariantEntry:
    """One EXT-X-STREAM-INF of a master playlist; attributes missing from the tag are None."""

    uri: str
    bandwidth: int | None
    average_bandwidth: int | None
    codecs: str | None
    resolution: tuple[int, int] | None
    frame_rate: float | None
    audio: str | None = None  # the AUDIO group it names
    subtitles: str | None = None  # the SUBTITLES group it names


@dataclass(frozen=True)
class MediaEntry:
    """One EXT-X-MEDIA of a master playlist (an audio or subtitle rendition)."""

    type: str
    group_id: str
    name: str
    language: str | None
    default: bool
    autoselect: bool
    uri: str | None
    channels: str | None = None
    forced: bool = False
    characteristics: str | None = None


@dataclass(frozen=True)
class MasterPlaylist:
    """A master (multivariant) playlist."""

    path: Path
    version: int | None
    independent_segments: bool
    variants: tuple[VariantEntry, ...]
    media: tuple[MediaEntry, ...] = ()


def is_local_uri(uri: str) -> bool:
    """True for a relative URI that stays inside the playlist's folder (no scheme, no '..', no '/')."""
    if not uri or "://" in uri or uri.startswith(("/", "\\")) or ":" in uri:
        return False
    return ".." not in PurePosixPath(uri.replace("\\", "/")).parts


def resolve_uri(playlist_path: Path, uri: str) -> Path:
    """The file a relative URI of a playlist refers to."""
    return playlist_path.parent / uri


def _load(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise PlaylistError(f"{path.name} does not exist") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise PlaylistError(f"{path.name} cannot be read", str(exc)) from exc
    if not text.lstrip("\ufeff").startswith(EXTM3U):
        raise PlaylistError(f"{path.name} is not an M3U8 playlist (no {EXTM3U} header)")
    try:
        return m3u8.loads(text)
    except Exception as exc:  # the parser raises bare ValueError/IndexError/... on bad tags
        raise PlaylistError(f"{path.name} cannot be parsed: {exc}", repr(exc)) from exc


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)


def read_media_playlist(path: Path) -> MediaPlaylist:
    """Parse the media playlist at ``path``.

    Returns a MediaPlaylist. Raises PlaylistError when the file is missing, unreadable, not an
    M3U8 playlist, unparseable, or a master playlist.
    """
    parsed = _load(path)
    if parsed.is_variant:
        raise PlaylistError(f"{path.name} is a master playlist, not a media playlist")
    segments = tuple(Segment(uri=str(s.uri), duration=float(s.duration or 0.0)) for s in parsed.segments)
    playlist_type = parsed.playlist_type
    return MediaPlaylist(
        path=path,
        version=_optional_int(parsed.version),
        target_duration=_optional_int(parsed.target_duration),
        playlist_type=str(playlist_type).upper() if playlist_type else None,
        endlist=bool(parsed.is_endlist),
        independent_segments=bool(parsed.is_independent_segments),
        segments=segments,
        media_sequence=int(parsed.media_sequence or 0),
    )


def _variant_entry(playlist: Any) -> VariantEntry:
    info = playlist.stream_info
    resolution = info.resolution
    frame_rate = info.frame_rate
    return VariantEntry(
        uri=str(playlist.uri),
        bandwidth=_optional_int(info.bandwidth),
        average_bandwidth=_optional_int(info.average_bandwidth),
        codecs=str(info.codecs) if info.codecs else None,
        resolution=(int(resolution[0]), int(resolution[1])) if resolution else None,
        frame_rate=float(frame_rate) if frame_rate else None,
        audio=str(info.audio) if info.audio else None,
        subtitles=str(info.subtitles) if info.subtitles else None,
    )


def _media_entry(media: Any) -> MediaEntry:
    return MediaEntry(
        type=str(media.type or ""),
        group_id=str(media.group_id or ""),
        name=str(media.name or ""),
        language=str(media.language) if media.language else None,
        default=str(media.default or "").upper() == "YES",
        autoselect=str(media.autoselect or "").upper() == "YES",
        uri=str(media.uri) if media.uri else None,
        channels=str(media.channels) if media.channels else None,
        forced=str(media.forced or "").upper() == "YES",
        characteristics=str(media.characteristics) if media.characteristics else None,
    )


def read_master_playlist(path: Path) -> MasterPlaylist:
    """Parse the master playlist at ``path``.

    Returns a MasterPlaylist. Raises PlaylistError when the file is missing, unreadable, not an
    M3U8 playlist, unparseable, or lists no variant streams.
    """
    parsed = _load(path)
    if not parsed.is_variant or not parsed.playlists:
        raise PlaylistError(f"{path.name} lists no variant streams (EXT-X-STREAM-INF)")
    return MasterPlaylist(
        path=path,
        version=_optional_int(parsed.version),
        independent_segments=bool(parsed.is_independent_segments),
        variants=tuple(_variant_entry(p) for p in parsed.playlists),
        media=tuple(_media_entry(m) for m in parsed.media),
    )
