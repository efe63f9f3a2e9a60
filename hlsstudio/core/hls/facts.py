"""Gather what the validator looks at in a package folder, once: playlists, segment sizes, TS starts.

Nothing here judges; problems met while reading are recorded as text on the fact they concern, so
the checks can report them and gathering never raises for a bad package.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from hlsstudio.core import layout
from hlsstudio.core.errors import HlsStudioError
from hlsstudio.core.hls.master import MASTER_NAME, measure_rates, playlist_name_for
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
class SoundFacts:
    """An audio group as the variants naming it are measured with it: its renditions' largest peak
    and average rates (bit/s) and their codecs; ``problem`` when a rendition cannot be read."""

    group: str
    peak: int = 0
    average: int = 0
    codecs: str | None = None
    problem: str | None = None


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
    sound: SoundFacts | None = None  # the audio group it names (sound is demuxed)

    def rates(self) -> tuple[int, int] | None:
        """(measured peak, average) bit/s of the variant with its audio group's, or None when a
        segment (of the variant or of its sound) is missing."""
        if not self.segments or any(s.size is None for s in self.segments):
            return None
        if self.sound is not None and self.sound.problem is not None:
            return None
        peak, average = measure_rates([(s.size or 0, s.duration) for s in self.segments])
        extra = (self.sound.peak, self.sound.average) if self.sound is not None else (0, 0)
        return peak + extra[0], average + extra[1]

    def all_codecs(self) -> str | None:
        """The codecs of its first segment and of its audio group's (None when unreadable)."""
        if self.codecs is None:
            return None
        if self.sound is None:
            return self.codecs
        return f"{self.codecs},{self.sound.codecs}" if self.sound.codecs else None


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


def _sound_of(package_dir: Path, uri: str | None) -> tuple[int, int, str] | str:
    """(peak, average, codec) of one audio rendition's playlist, or why it cannot be measured."""
    if not uri or not is_local_uri(uri):
        return f"audio rendition URI {uri!r} is not in the package"
    try:
        playlist = read_media_playlist(package_dir / uri)
        sized = [((package_dir / s.uri).stat().st_size, s.duration) for s in playlist.segments]
        info = read_segment_info(package_dir / playlist.segments[0].uri) if playlist.segments else None
    except Exception as exc:  # a missing or corrupt file is a finding
        return f"{uri}: {_describe(exc)}"
    if info is None or info.audio_codec is None:
        return f"{uri}: no audio whose codec can be read"
    peak, average = measure_rates(sized)
    return peak, average, info.audio_codec


def gather_sound(package_dir: Path, master: MasterPlaylist) -> dict[str, SoundFacts]:
    """Each audio group of ``master``, measured from its renditions' segments (never raises)."""
    groups: dict[str, SoundFacts] = {}
    for media in master.media:
        if media.type != "AUDIO":
            continue
        sound = groups.setdefault(media.group_id, SoundFacts(media.group_id))
        measured = _sound_of(package_dir, media.uri)
        if isinstance(measured, str):
            sound.problem = sound.problem or measured
            continue
        peak, average, codec = measured
        sound.peak, sound.average = max(sound.peak, peak), max(sound.average, average)
        known = sound.codecs.split(",") if sound.codecs else []
        sound.codecs = ",".join(dict.fromkeys([*known, codec]))
    return groups


def _fallback_uris(package_dir: Path, master_name: str, expected: list[str] | None) -> list[str]:
    if expected:
        return [playlist_name_for(name) for name in expected]
    if not package_dir.is_dir():
        return []
    return sorted(
        p.name
        for p in package_dir.glob("*.m3u8")
        if p.name != master_name and layout.variant_of_playlist(p.name) is not None
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
        sounds = gather_sound(package_dir, facts.master)
        for rendition in facts.renditions:
            group = rendition.entry.audio if rendition.entry else None
            if group:
                rendition.sound = sounds.get(
                    group, SoundFacts(group, problem=f"audio group {group!r} is not listed")
                )
    else:
        uris = _fallback_uris(package_dir, master_name, expected_variants)
        facts.renditions = [gather_rendition(package_dir, uri, None) for uri in uris]
    return facts
