"""Which subtitle tracks a job carries, and writing them into its package as WebVTT renditions.

A job carries the text subtitle tracks its track list (``core.tracks``) says: tracks of its source
(SubRip, ASS/SSA, mov_text, WebVTT), files beside it named after it (``film.fr.srt``,
``film.pt-BR.forced.srt``) and files the user attached; image subtitles (PGS, DVB, VobSub) are named
in the job's warnings and skipped. A track that cannot be read fails alone: its reason joins the
job's warnings, the others and the video go on.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from hlsstudio.core.models import MediaInfo
from hlsstudio.core.results import RenditionResult
from hlsstudio.core.subtitles.embedded import IMAGE_SUBTITLES_MESSAGE, extract_embedded
from hlsstudio.core.subtitles.languages import UNDETERMINED, TrackLabel
from hlsstudio.core.subtitles.reading import SubtitleError, read_subtitle_file
from hlsstudio.core.subtitles.renditions import GROUP_ID, SubtitleRendition, labelled, media_lines
from hlsstudio.core.subtitles.timeline import read_video_timeline
from hlsstudio.core.subtitles.webvtt import write_webvtt_track
from hlsstudio.core.tracks.choices import TrackChoice

log = logging.getLogger(__name__)

EXTRACT_TIMEOUT = 300.0


class SubtitleSource(TrackLabel):
    """One subtitle track a job carries: a file beside the source, or the source's N-th subtitle
    stream (``0:s:N``); ``track`` names its files in the package (``subs_<track>_NNN.vtt``)."""

    track: str
    kind: Literal["side", "embedded"]
    path: Path | None = None
    index: int | None = None
    name: str | None = None  # the menu name the user gave (None: from the label)
    default: bool = False
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
    renditions: list[RenditionResult] = []


def plan_subtitles(info: MediaInfo, tracks: list[TrackChoice]) -> tuple[list[SubtitleSource], list[str]]:
    """The subtitle sources for the job's subtitle ``tracks`` (carried ones; ``info`` is the source's
    probe) and one warning for each image track that cannot be carried."""
    sources: list[SubtitleSource] = []
    warnings: list[str] = []
    for choice in tracks:
        if not choice.usable and choice.origin == "embedded":
            label = f"subtitle track {(choice.index or 0) + 1} ({choice.codec})"
            warnings.append(f"{label}: {IMAGE_SUBTITLES_MESSAGE}: skipped")
            continue
        if not choice.carried:
            continue
        fields = choice.model_dump(include={"language", "forced", "sdh", "name", "default"})
        track = f"s{len(sources)}"
        if choice.origin == "embedded":
            sources.append(
                SubtitleSource(
                    track=track, kind="embedded", index=choice.index, shift=-info.video_delay, **fields
                )
            )
        else:
            sources.append(SubtitleSource(track=track, kind="side", path=Path(choice.path or ""), **fields))
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
        label = item.model_dump(include={"language", "forced", "sdh", "name", "default"})
        renditions.append(SubtitleRendition(uri=written.playlist, **label))
    return SubtitleOutput(media=media_lines(renditions), warnings=warnings, renditions=_results(renditions))


def _results(renditions: list[SubtitleRendition]) -> list[RenditionResult]:
    """The renditions as the result lists them (names and the default as the master has them)."""
    return [
        RenditionResult(
            type="subtitles",
            group=GROUP_ID,
            name=name,
            language=r.language or UNDETERMINED,
            default=r.default,
            forced=r.forced,
            sdh=r.sdh,
            playlist=r.uri,
        )
        for r, name in labelled(renditions)
    ]
