"""Segmented WebVTT for HLS: one ``.vtt`` file per video segment and their media playlist.

Players expect a subtitle playlist aligned with the video's: the same number of segments with the
same durations (every file exists, even one with no cue). Each file starts with ``WEBVTT`` and an
``X-TIMESTAMP-MAP`` that ties its local time 0 to the MPEG-TS timestamp of the video's first frame,
so cue times are times from the start of the video. A cue that spans a segment boundary is written,
with its times unchanged, in every segment it overlaps, as Apple's segmenter does; players merge
the copies. Cue text keeps line breaks and italic/bold/underline, escapes ``&``, ``<`` and ``>``,
and drops every other ASS override and vector drawing::

    subs_en.m3u8   subs_en_000.vtt   subs_en_001.vtt …
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel
from pysubs2 import SSAEvent, SSAFile, SSAStyle
from pysubs2.formats.substation import parse_tags

from hlsstudio.core.subtitles.reading import SubtitleError

PLAYLIST_PATTERN = "subs_{track}.m3u8"
SEGMENT_PATTERN = "subs_{track}_{index:03d}.vtt"
MPEGTS_CLOCK_HZ = 90_000
MPEGTS_WRAP = 1 << 33
_TRACK_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$")
_LINE_BREAK = re.compile(r"\\N|\\n|\n")
_TAGS = (("b", "bold"), ("i", "italic"), ("u", "underline"))


class WebVttTrack(BaseModel):
    """The files one subtitle track was written as, names relative to the package folder."""

    playlist: str
    segments: list[str]


def playlist_name(track: str) -> str:
    """The media playlist of subtitle track ``track``: ``subs_<track>.m3u8``."""
    return PLAYLIST_PATTERN.format(track=track)


def segment_name(track: str, index: int) -> str:
    """The ``index``-th WebVTT segment of subtitle track ``track``: ``subs_<track>_<NNN>.vtt``."""
    return SEGMENT_PATTERN.format(track=track, index=index)


def vtt_timestamp(ms: int) -> str:
    """A WebVTT timestamp, ``HH:MM:SS.mmm`` (more hour digits past 99 hours)."""
    ms = max(0, int(ms))
    seconds, millis = divmod(ms, 1000)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}"


def escape_text(text: str) -> str:
    """Text safe in a WebVTT cue: ``&``, ``<`` and ``>`` as character references."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def webvtt_cue_text(event: SSAEvent, subs: SSAFile) -> str:
    """A cue's text as WebVTT cue text: escaped, line breaks kept, italic/bold/underline as tags
    (from inline overrides and from the cue's ASS style), every other override and drawing dropped,
    no blank lines (a blank line would end the cue)."""
    style = subs.styles.get(event.style, SSAStyle.DEFAULT_STYLE)
    lines: list[list[str]] = [[]]
    for fragment, fragment_style in parse_tags(event.text, style, subs.styles):
        if fragment_style.drawing:
            continue
        for number, piece in enumerate(_LINE_BREAK.split(fragment.replace("\\h", " "))):
            if number:
                lines.append([])
            if not piece.strip():
                if piece:
                    lines[-1].append(" ")
                continue
            text = escape_text(piece)
            for tag, attribute in reversed(_TAGS):
                if getattr(fragment_style, attribute):
                    text = f"<{tag}>{text}</{tag}>"
            lines[-1].append(text)
    joined = (re.sub(r" {2,}", " ", "".join(pieces)).strip() for pieces in lines)
    return "\n".join(line for line in joined if line)


def _milliseconds(seconds: float) -> int:
    return round(seconds * 1000)


def _check_segments(segments: Sequence[tuple[float, float]], track: str) -> None:
    if not segments:
        raise SubtitleError(f"subtitle track {track}: the video has no segments")
    previous_end = 0
    for index, (start, duration) in enumerate(segments):
        begin = _milliseconds(start)
        if duration <= 0 or begin < 0 or begin < previous_end - 1:
            raise SubtitleError(
                f"subtitle track {track}: video segment {index} ({start:g} s, {duration:g} s) "
                "does not follow the one before it"
            )
        previous_end = begin + _milliseconds(duration)


def segment_cues(subs: SSAFile, segments: Sequence[tuple[float, float]]) -> list[list[SSAEvent]]:
    """For each video segment ``(start, duration)`` (seconds, in order), the cues that overlap it.

    A cue overlaps a segment when it starts before the segment ends and ends after it starts; cues
    keep their order. Cues after the last segment's end are in no segment.
    """
    starts = [_milliseconds(start) for start, _ in segments]
    ends = [_milliseconds(start + duration) for start, duration in segments]
    found: list[list[SSAEvent]] = [[] for _ in segments]
    for event in sorted(subs.events, key=lambda e: (e.start, e.end)):
        index = max(0, bisect.bisect_right(starts, event.start) - 1)
        while index < len(segments) and starts[index] < event.end:
            if ends[index] > event.start:
                found[index].append(event)
            index += 1
    return found


def render_segment(cues: Sequence[SSAEvent], subs: SSAFile, mpegts_start: int) -> str:
    """One WebVTT segment file: the header, the timestamp map to ``mpegts_start``, then ``cues``."""
    blocks = [f"WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:{mpegts_start},LOCAL:{vtt_timestamp(0)}\n"]
    for event in cues:
        text = webvtt_cue_text(event, subs)
        if text:
            blocks.append(f"{vtt_timestamp(event.start)} --> {vtt_timestamp(event.end)}\n{text}\n")
    return "\n".join(blocks)


def render_playlist(segment_names: Sequence[str], durations: Sequence[float], target_duration: int) -> str:
    """The VOD media playlist of a subtitle track: the video's target duration and segment durations."""
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:3",
        f"#EXT-X-TARGETDURATION:{target_duration}",
        "#EXT-X-MEDIA-SEQUENCE:0",
        "#EXT-X-PLAYLIST-TYPE:VOD",
    ]
    for name, duration in zip(segment_names, durations, strict=True):
        lines += [f"#EXTINF:{duration:.6f},", name]
    lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"


def write_webvtt_track(
    subs: SSAFile,
    out_dir: Path,
    track: str,
    segments: Sequence[tuple[float, float]],
    *,
    mpegts_start: int,
    target_duration: int | None = None,
) -> WebVttTrack:
    """Write subtitle track ``track`` into ``out_dir``: one WebVTT file per video segment, then its
    playlist (``subs_<track>.m3u8``, written last).

    ``segments`` are the video's ``(start, duration)`` in seconds, the first starting at 0 (see
    ``timeline.read_video_timeline``); ``mpegts_start`` is the 90 kHz MPEG-TS timestamp of the
    video's first frame; ``target_duration`` is the video playlist's (default: its durations
    rounded, as the VOD playlists are). ``track`` becomes part of file names: letters, digits,
    ``-`` and ``_`` ("en", "pt-BR", "2"). Raises SubtitleError for a bad track name or segment list
    and when a file cannot be written.
    """
    if not _TRACK_NAME.match(track):
        raise SubtitleError(f"subtitle track {track!r}: not a usable name for its files")
    if not 0 <= mpegts_start < MPEGTS_WRAP:
        raise SubtitleError(f"subtitle track {track}: MPEG-TS timestamp {mpegts_start} out of range")
    _check_segments(segments, track)
    durations = [duration for _, duration in segments]
    target = target_duration or max(1, *(int(duration + 0.5) for duration in durations))
    names = [segment_name(track, index) for index in range(len(segments))]
    playlist = playlist_name(track)
    try:
        for name, cues in zip(names, segment_cues(subs, segments), strict=True):
            (out_dir / name).write_text(
                render_segment(cues, subs, mpegts_start), encoding="utf-8", newline="\n"
            )
        (out_dir / playlist).write_text(
            render_playlist(names, durations, target), encoding="utf-8", newline="\n"
        )
    except OSError as exc:
        raise SubtitleError(
            f"subtitle track {track}: cannot write its files ({exc.strerror or exc})", str(exc)
        ) from exc
    return WebVttTrack(playlist=playlist, segments=names)
