"""Gather what the validator looks at in a package folder, once: playlists, segment sizes, TS starts.

Nothing here judges; problems met while reading are recorded as text on the fact they concern, so
the checks can report them and gathering never raises for a bad package.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from hlsstudio.core import layout
from hlsstudio.core.errors import HlsStudioError
from hlsstudio.core.hls.master import MASTER_NAME, playlist_name_for
from hlsstudio.core.hls.playlists import (
    MasterPlaylist,
    MediaPlaylist,
    VariantEntry,
    is_local_uri,
    read_master_playlist,
    read_media_playlist,
    resolve_uri,
)
from hlsstudio.core.hls.tsinfo import SegmentInfo, read_segment_info


@dataclass
class SegmentFacts:
    """One segment as listed (URI, EXTINF) and as found on disk."""

    uri: str
    duration: float
    size: int | None = None
    file_problem: str | None = None
    info: SegmentInfo | None = None
    read_problem: str | None = None


@dataclass
class RenditionFacts:
    """One variant: its master entry (if a master was read), its playlist and segments."""

    uri: str
    entry: VariantEntry | None = None
    playlist: MediaPlaylist | None = None
    playlist_problem: str | None = None
    segments: list[SegmentFacts] = field(default_factory=list)
    codecs: str | None = None
    codecs_problem: str | None = None


@dataclass
class PackageFacts:
    """Everything read from a package folder."""

    package_dir: Path
    master_name: str
    master: MasterPlaylist | None = None
    master_problem: str | None = None
    renditions: list[RenditionFacts] = field(default_factory=list)


def _describe(exc: Exception) -> str:
    return exc.message if isinstance(exc, HlsStudioError) else f"{type(exc).__name__}: {exc}"


def _segment_facts(playlist: MediaPlaylist, uri: str, duration: float, *, audio: bool) -> SegmentFacts:
    facts = SegmentFacts(uri=uri, duration=duration)
    if not is_local_uri(uri):
        facts.file_problem = "is outside the package"
        return facts
    path = resolve_uri(playlist.path, uri)
    try:
        facts.size = path.stat().st_size
    except OSError:
        facts.file_problem = "is missing"
        return facts
    if facts.size == 0:
        facts.file_problem = "is empty"
        return facts
    try:
        facts.info = read_segment_info(path, audio=audio)
    except Exception as exc:  # a corrupt file must become a finding, not a crash
        facts.read_problem = _describe(exc)
    return facts


def _first_segment_codecs(rendition: RenditionFacts) -> None:
    first = rendition.segments[0] if rendition.segments else None
    if first is None or first.info is None:
        rendition.codecs_problem = "its first segment cannot be read"
        return
    if first.info.video_codec is None:
        rendition.codecs_problem = "no H.264 video with a sequence parameter set in its first segment"
        return
    if first.info.audio_pid is not None and first.info.audio_codec is None:
        rendition.codecs_problem = "the audio codec of its first segment cannot be read"
        return
    rendition.codecs = first.info.codecs


def gather_rendition(package_dir: Path, uri: str, entry: VariantEntry | None) -> RenditionFacts:
    """Read one variant playlist and the start of each of its segments (never raises)."""
    rendition = RenditionFacts(uri=uri, entry=entry)
    if not is_local_uri(uri):
        rendition.playlist_problem = f"{uri} is outside the package"
        return rendition
    try:
        playlist = read_media_playlist(package_dir / uri)
    except Exception as exc:
        rendition.playlist_problem = _describe(exc)
        return rendition
    rendition.playlist = playlist
    for index, segment in enumerate(playlist.segments):
        # Only the first segment's audio is needed (for CODECS); skipping it elsewhere keeps
        # reading to the first video slice header.
        rendition.segments.append(_segment_facts(playlist, segment.uri, segment.duration, audio=index == 0))
    _first_segment_codecs(rendition)
    return rendition


def _fallback_uris(package_dir: Path, master_name: str, expected: list[str] | None) -> list[str]:
    if expected:
        return [playlist_name_for(name) for name in expected]
    if not package_dir.is_dir():
        return []
    return sorted(
        p.name
        for p in package_dir.glob("*.m3u8")
        if p.name != master_name and layout.variant_of_iframe_playlist(p.name) is None
    )


def gather_package(
    package_dir: Path, *, master_name: str = MASTER_NAME, expected_variants: list[str] | None = None
) -> PackageFacts:
    """Read a package folder: the master, then every variant it lists (never raises).

    Without a readable master, the variants are the expected ones (``stream_<name>.m3u8``) or,
    lacking those, every other ``*.m3u8`` in the folder but the I-frame playlists, so their own
    checks still run.
    """
    facts = PackageFacts(package_dir=package_dir, master_name=master_name)
    try:
        facts.master = read_master_playlist(package_dir / master_name)
    except Exception as exc:
        facts.master_problem = _describe(exc)
    if facts.master is not None:
        listed = [(entry.uri, entry) for entry in facts.master.variants]
        facts.renditions = [gather_rendition(package_dir, uri, entry) for uri, entry in listed]
    else:
        uris = _fallback_uris(package_dir, master_name, expected_variants)
        facts.renditions = [gather_rendition(package_dir, uri, None) for uri in uris]
    return facts
