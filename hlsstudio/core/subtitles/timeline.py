"""The timeline subtitle segments follow, read from a finished variant of the package.

Subtitle playlists must line up with the video's: the same segment durations and target duration.
WebVTT cue times are mapped to MPEG-TS time through the timestamp of the video's first frame,
read from the variant's first segment.
"""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel

from hlsstudio.core.errors import ValidationFailed
from hlsstudio.core.hls.tsinfo import read_segment_info
from hlsstudio.core.subtitles.reading import SubtitleError
from hlsstudio.core.subtitles.webvtt import MPEGTS_CLOCK_HZ, MPEGTS_WRAP

_TARGET = re.compile(r"^#EXT-X-TARGETDURATION:\s*(\d+)")
_EXTINF = re.compile(r"^#EXTINF:\s*([0-9.]+)")
MAX_PLAYLIST_BYTES = 8 * 1024 * 1024


class VideoTimeline(BaseModel):
    """A variant's segments as ``(start, duration)`` seconds, its target duration, and the 90 kHz
    MPEG-TS timestamp of its first video frame: what ``write_webvtt_track`` needs."""

    segments: list[tuple[float, float]]
    target_duration: int
    mpegts_start: int


def parse_media_playlist(text: str) -> tuple[int | None, list[tuple[float, str]]]:
    """(target duration or None, [(duration, uri)] in order) of a VOD media playlist's text."""
    target: int | None = None
    entries: list[tuple[float, str]] = []
    duration: float | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if match := _TARGET.match(line):
            target = int(match.group(1))
        elif match := _EXTINF.match(line):
            duration = float(match.group(1))
        elif line and not line.startswith("#") and duration is not None:
            entries.append((duration, line))
            duration = None
    return target, entries


def read_video_timeline(playlist: Path) -> VideoTimeline:
    """The timeline of the variant whose media playlist is ``playlist`` (its segments beside it).

    Raises SubtitleError, naming the playlist, when it cannot be read, lists no segments, or its
    first segment has no video timestamp.
    """
    try:
        with playlist.open("rb") as handle:
            text = handle.read(MAX_PLAYLIST_BYTES).decode("utf-8", "replace")
    except OSError as exc:
        raise SubtitleError(f"{playlist.name}: cannot read the playlist ({exc.strerror or exc})") from exc
    target, entries = parse_media_playlist(text)
    if not entries or target is None:
        raise SubtitleError(f"{playlist.name}: no segments or target duration to align subtitles with")
    try:
        pts = read_segment_info(playlist.parent / entries[0][1], audio=False).video_pts
    except ValidationFailed as exc:
        raise SubtitleError(exc.message, exc.detail) from exc
    if pts is None:
        raise SubtitleError(f"{entries[0][1]}: no video timestamp to align subtitles with")
    segments: list[tuple[float, float]] = []
    start = 0.0
    for duration, _ in entries:
        segments.append((round(start, 6), duration))
        start += duration
    return VideoTimeline(
        segments=segments,
        target_duration=target,
        mpegts_start=round(pts * MPEGTS_CLOCK_HZ) % MPEGTS_WRAP,
    )
