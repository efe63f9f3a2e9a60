"""The timeline subtitle segments follow, read from a finished variant of the package.

Subtitle playlists must line up with the video's: the same segment durations and target duration.
WebVTT cue times are mapped to MPEG-TS time through the timestamp of the video's first frame,
read from the variant's first segment.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from hlsstudio.core.errors import ValidationFailed
from hlsstudio.core.hls.playlists import read_media_playlist
from hlsstudio.core.hls.tsinfo import read_segment_info
from hlsstudio.core.subtitles.reading import SubtitleError
from hlsstudio.core.subtitles.webvtt import MPEGTS_CLOCK_HZ, MPEGTS_WRAP


class VideoTimeline(BaseModel):
    """A variant's segments as ``(start, duration)`` seconds, its target duration, and the 90 kHz
    MPEG-TS timestamp of its first video frame: what ``write_webvtt_track`` needs."""

    segments: list[tuple[float, float]]
    target_duration: int
    mpegts_start: int


def read_video_timeline(playlist: Path) -> VideoTimeline:
    """The timeline of the variant whose media playlist is ``playlist`` (its segments beside it).

    Raises SubtitleError, naming the playlist, when it cannot be read, lists no segments, or its
    first segment has no video timestamp.
    """
    try:
        video = read_media_playlist(playlist)
    except ValidationFailed as exc:
        raise SubtitleError(f"{playlist.name}: cannot read the playlist ({exc.message})", exc.detail) from exc
    target, entries = video.target_duration, [(seg.duration, seg.uri) for seg in video.segments]
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
