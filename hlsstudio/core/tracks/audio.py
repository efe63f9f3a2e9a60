"""The audio renditions an encode makes: every carried audio track at every audio rate of the ladder.

Audio is demuxed: the video variants carry picture only, and each audio track becomes an
``EXT-X-MEDIA TYPE=AUDIO`` rendition. A rung's ``audio_kbps`` picks its audio group
(``audio-128k``); every group holds every carried track, so a viewer keeps their language whatever
rung the player chooses, and the cellular rung's low-rate group keeps its total peak within its
limit. Each (track, rate) pair is encoded once, whatever the number of rungs sharing it.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from hlsstudio.core.models import PlannedRung
from hlsstudio.core.subtitles.renditions import unique_names
from hlsstudio.core.tracks.choices import TrackChoice

MONO_AUDIO_KBPS = 64
"""Audio at this rate or below is mono: AAC-LC stereo at such rates sounds worse than mono."""


class AudioRendition(BaseModel):
    """One audio rendition: which stream it encodes, at what rate, and how the master lists it."""

    rendition: str
    """Its file token (``a0-128k``: ``audio_a0-128k.m3u8``)."""
    group: str  # GROUP-ID (``audio-128k``)
    input: int  # ffmpeg input: 0 is the source, 1.. the audio files beside it
    stream: int  # the N in ``<input>:a:N``
    kbps: int
    channels: int  # 1 or 2
    language: str | None = None
    name: str
    default: bool = False
    track: int = 0  # its position among the carried audio tracks


def audio_group(kbps: int) -> str:
    """The GROUP-ID of the renditions at ``kbps``: ``audio-128k``."""
    return f"audio-{kbps}k"


def channels_for(kbps: int) -> int:
    """Mono at ``MONO_AUDIO_KBPS`` or below, stereo above."""
    return 1 if kbps <= MONO_AUDIO_KBPS else 2


def plan_audio(
    tracks: list[TrackChoice], rungs: list[PlannedRung]
) -> tuple[list[AudioRendition], list[Path]]:
    """The renditions for the carried ``tracks`` at each audio rate of ``rungs`` (grouped by rate,
    each group in track order), and the audio files to open as extra inputs (input 1, 2 …)."""
    rates = sorted({rung.audio_kbps for rung in rungs})
    names = unique_names([track.display_name() for track in tracks])
    inputs: list[Path] = []
    renditions: list[AudioRendition] = []
    placed: list[tuple[int, int]] = []
    for track in tracks:
        if track.origin == "embedded":
            placed.append((0, track.index or 0))
        else:
            inputs.append(Path(track.path or ""))
            placed.append((len(inputs), 0))
    for kbps in rates:
        for number, (track, name, (source, stream)) in enumerate(zip(tracks, names, placed, strict=True)):
            renditions.append(
                AudioRendition(
                    rendition=f"a{number}-{kbps}k",
                    group=audio_group(kbps),
                    input=source,
                    stream=stream,
                    kbps=kbps,
                    channels=channels_for(kbps),
                    language=track.language,
                    name=name,
                    default=track.default,
                    track=number,
                )
            )
    return renditions, inputs
