"""Which subtitle tracks a job carries, and writing them into its package as WebVTT renditions.

A job carries every text subtitle track of its source (SubRip, ASS/SSA, mov_text, WebVTT) and every
subtitle file beside it named after it (``film.fr.srt``, ``film.pt-BR.forced.srt``); image
subtitles (PGS, DVB, VobSub) are named in the job's warnings and skipped. ``EncodeSettings.subtitles``
"none" carries none. A track that cannot be read fails alone: its reason joins the job's warnings,
the others and the video go on.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from hlsstudio.core.models import MediaInfo
from hlsstudio.core.subtitles.embedded import IMAGE_SUBTITLES_MESSAGE, extract_embedded, is_text_codec
from hlsstudio.core.subtitles.languages import TrackLabel, normalize_language
from hlsstudio.core.subtitles.reading import SubtitleError, read_subtitle_file
from hlsstudio.core.subtitles.renditions import SubtitleRendition, media_lines
from hlsstudio.core.subtitles.sidefiles import find_side_subtitles
from hlsstudio.core.subtitles.timeline import read_video_timeline
from hlsstudio.core.subtitles.webvtt import write_webvtt_track

log = logging.getLogger(__name__)

EXTRACT_TIMEOUT = 300.0


class SubtitleSource(TrackLabel):
    """One subtitle track a job carries: a file beside the source, or the source's N-th subtitle
    stream (``0:s:N``); ``track`` names its files in the package (``subs_<track>_NNN.vtt``)."""

    track: str
    kind: Literal["side", "embedded"]
    path: Path | None = None
    index: int | None = None
    shift: float = 0.0
    """Seconds to move the cues by: an embedded track is extracted on the file's timeline, and the
    package's timeline starts at the video's first frame."""

    def describe(self) -> str:
        """How the track is named in messages: its file, or "subtitle track 2 (fr)"."""
        if self.kind == "side" and self.path is not None:
            return self.path.name
        language = f" ({self.language})" if self.language else ""
        return f"subtitle track {(self.index or 0) + 1}{language}"


class SubtitleOutput(BaseModel):
    """What writing the tracks gave: the master's EXT-X-MEDIA lines and why any track was left out."""

    media: list[str]
    warnings: list[str]


def plan_subtitles(info: MediaInfo, carry: bool = True) -> tuple[list[SubtitleSource], list[str]]:
    """The tracks a job carries from ``info`` (embedded text streams, then side files) and warnings
    for the image tracks left out. ``carry=False``: none, and no warning."""
    if not carry:
        return [], []
    sources: list[SubtitleSource] = []
    warnings: list[str] = []
    for index, stream in enumerate(info.subtitle_streams):
        language = normalize_language(stream.language or "")
        if not is_text_codec(stream.codec):
            label = f"subtitle track {index + 1} ({stream.codec})"
            warnings.append(f"{label}: {IMAGE_SUBTITLES_MESSAGE}: skipped")
            continue
        track = f"s{len(sources)}"
        sources.append(
            SubtitleSource(
                track=track, kind="embedded", index=index, language=language, shift=-info.video_delay
            )
        )
    for side in find_side_subtitles(Path(info.path)):
        track = f"s{len(sources)}"
        sources.append(
            SubtitleSource(
                track=track,
                kind="side",
                path=side.path,
                language=side.language,
                forced=side.forced,
                sdh=side.sdh,
            )
        )
    return sources, warnings


def write_subtitles(
    sources: list[SubtitleSource], package_dir: Path, video_playlist: Path, ffmpeg: str, source: Path
) -> SubtitleOutput:
    """Write every track as segmented WebVTT aligned with ``video_playlist``'s segments; the master's
    lines for those written. A track that fails is left out with one line in the warnings."""
    if not sources:
        return SubtitleOutput(media=[], warnings=[])
    warnings: list[str] = []
    try:
        timeline = read_video_timeline(video_playlist)
    except SubtitleError as exc:
        return SubtitleOutput(media=[], warnings=[f"no subtitles: {exc.message}"])
    renditions: list[SubtitleRendition] = []
    for item in sources:
        try:
            if item.kind == "side" and item.path is not None:
                subs = read_subtitle_file(item.path)
            else:
                subs = extract_embedded(ffmpeg, source, item.index or 0, EXTRACT_TIMEOUT)
                if item.shift:
                    subs.shift(ms=round(item.shift * 1000))
            written = write_webvtt_track(
                subs,
                package_dir,
                item.track,
                timeline.segments,
                mpegts_start=timeline.mpegts_start,
                target_duration=timeline.target_duration,
            )
        except SubtitleError as exc:
            warnings.append(f"{item.describe()} left out: {exc.message}")
            continue
        except OSError as exc:
            warnings.append(f"{item.describe()} left out: cannot write it ({exc.strerror or exc})")
            continue
        label = item.model_dump(include={"language", "forced", "sdh"})
        renditions.append(SubtitleRendition(uri=written.playlist, default=False, **label))
    return SubtitleOutput(media=media_lines(renditions), warnings=warnings)
