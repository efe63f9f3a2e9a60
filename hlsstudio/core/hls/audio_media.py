"""The master playlist's audio renditions: measured, and listed as ``EXT-X-MEDIA TYPE=AUDIO``.

Sound is demuxed: each audio track at each audio rate is its own media playlist of audio-only TS
segments. Renditions of one rate form a group (``audio-128k``); a variant names its group
(``AUDIO="audio-128k"``), and its BANDWIDTH / AVERAGE-BANDWIDTH include the group's largest measured
rates and its CODECS the group's audio codec (HLS Authoring Spec 8.x: a variant's bandwidth covers
every rendition it may be played with).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from hlsstudio.core.errors import ValidationFailed
from hlsstudio.core.hls.tsinfo import read_segment_info
from hlsstudio.core.subtitles.languages import UNDETERMINED
from hlsstudio.core.subtitles.renditions import quoted


@dataclass(frozen=True)
class AudioMediaSpec:
    """One audio rendition as the master lists it."""

    group: str
    name: str
    language: str | None
    default: bool
    channels: int
    playlist: str  # relative to the package folder


@dataclass(frozen=True)
class AudioGroupRates:
    """What a group adds to each variant that names it: its largest measured rates and its codec."""

    peak: int
    average: int
    codecs: str


@dataclass(frozen=True)
class MeasuredAudio:
    """One measured audio rendition."""

    spec: AudioMediaSpec
    peak: int
    average: int
    codecs: str


def audio_codec(segment: Path) -> str:
    """The RFC 6381 codec of an audio-only TS segment (``mp4a.40.2``).

    Raises SegmentReadError for an unreadable segment, ValidationFailed when it holds no audio
    whose codec can be told.
    """
    info = read_segment_info(segment)
    if info.audio_codec is None:
        raise ValidationFailed(f"{segment.name}: no audio whose codec can be read")
    return info.audio_codec


def group_rates(measured: Sequence[MeasuredAudio]) -> dict[str, AudioGroupRates]:
    """Each group's largest peak and average rate and its codec(s)."""
    groups: dict[str, AudioGroupRates] = {}
    for item in measured:
        old = groups.get(item.spec.group)
        codecs = (
            item.codecs
            if old is None or item.codecs in old.codecs.split(",")
            else f"{old.codecs},{item.codecs}"
        )
        groups[item.spec.group] = AudioGroupRates(
            peak=max(item.peak, old.peak if old else 0),
            average=max(item.average, old.average if old else 0),
            codecs=codecs,
        )
    return groups


def group_defaults(specs: Sequence[AudioMediaSpec]) -> list[bool]:
    """Whether each rendition is its group's default: exactly one per group (the first marked,
    else the group's first)."""
    chosen: dict[str, int] = {}
    for index, spec in enumerate(specs):
        if spec.group not in chosen or (spec.default and not specs[chosen[spec.group]].default):
            chosen[spec.group] = index
    return [chosen[spec.group] == index for index, spec in enumerate(specs)]


def audio_media_lines(specs: Sequence[AudioMediaSpec]) -> list[str]:
    """The ``#EXT-X-MEDIA:TYPE=AUDIO`` lines, group by group, one default per group (``group_defaults``)."""
    groups = list(dict.fromkeys(spec.group for spec in specs))
    listed = sorted(
        zip(specs, group_defaults(specs), strict=True), key=lambda pair: groups.index(pair[0].group)
    )
    return [
        "#EXT-X-MEDIA:TYPE=AUDIO,"
        f'GROUP-ID="{quoted(spec.group)}",NAME="{quoted(spec.name)}",'
        f'LANGUAGE="{quoted(spec.language or UNDETERMINED)}",DEFAULT={"YES" if default else "NO"},'
        f'AUTOSELECT=YES,CHANNELS="{spec.channels}",URI="{quoted(spec.playlist)}"'
        for spec, default in listed
    ]
