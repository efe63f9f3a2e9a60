"""Pydantic models shared by every stage: media facts, ladders, settings, progress, results.

Field names of ``MediaInfo`` and ``JobResult`` are public JSON schema (``hlsstudio-cli ... --json``):
rename nothing without a schema change.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from hlsstudio.core.results import (
    JobResult,
    Progress,
    PublishResult,
    QualityReport,
    RenditionResult,
    RungQuality,
    ValidationCheck,
    ValidationReport,
    VariantResult,
)

__all__ = [
    "RUNG_NAME_RE",
    "X264_PRESETS",
    "AudioStream",
    "ContentType",
    "EncodeSettings",
    "EncoderChoice",
    "JobResult",
    "JobState",
    "Ladder",
    "MediaInfo",
    "PlannedRung",
    "Progress",
    "PublishResult",
    "QualityReport",
    "RenditionResult",
    "Rung",
    "RungQuality",
    "SubtitleStream",
    "ValidationCheck",
    "ValidationReport",
    "VariantResult",
    "ladder_problems",
    "rung_field_problems",
]

RUNG_NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
X264_PRESETS = (
    "ultrafast",
    "superfast",
    "veryfast",
    "faster",
    "fast",
    "medium",
    "slow",
    "slower",
    "veryslow",
)


class AudioStream(BaseModel):
    """One audio track of a source, in stream order (``0:a:N`` is the N-th of the list)."""

    codec: str
    channels: int = 0
    channel_layout: str | None = None
    sample_rate: int | None = None
    language: str | None = None
    default: bool = False


class SubtitleStream(BaseModel):
    """One subtitle track of a source."""

    codec: str
    language: str | None = None
    text: bool = False  # text (carried as WebVTT), not pictures (PGS, DVB, VobSub: left out)


class MediaInfo(BaseModel):
    """What ffprobe says about a source, normalised: sizes are display sizes after rotation and SAR."""

    path: str
    container: str
    duration: float
    size: int
    bit_rate: int | None = None
    video_codec: str
    profile: str | None = None
    coded_width: int
    coded_height: int
    width: int
    height: int
    rotation: int = 0
    fps: float
    vfr: bool = False
    pix_fmt: str | None = None
    bit_depth: int = 8
    color_transfer: str | None = None
    color_primaries: str | None = None
    hdr: bool = False
    interlaced: bool = False
    video_delay: float = 0.0  # how long after the file's earliest stream the video starts (s)
    audio_streams: list[AudioStream] = Field(default_factory=list)
    subtitle_streams: list[SubtitleStream] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)

    @property
    def has_audio(self) -> bool:
        return bool(self.audio_streams)

    @property
    def default_audio_index(self) -> int | None:
        """Index (among audio streams) of the default track, else the first; None without audio."""
        if not self.audio_streams:
            return None
        for i, stream in enumerate(self.audio_streams):
            if stream.default:
                return i
        return 0

    @property
    def portrait(self) -> bool:
        return self.height > self.width


class Rung(BaseModel):
    """One rung of a ladder template: a target height (the short side for portrait) and bitrates."""

    model_config = ConfigDict(validate_assignment=True)

    name: str
    height: int = Field(ge=16, le=4320)
    video_kbps: int = Field(gt=0, le=200_000)
    audio_kbps: int = Field(gt=0, le=1024)
    enabled: bool = True

    @field_validator("name")
    @classmethod
    def _name_is_safe(cls, value: str) -> str:
        if not RUNG_NAME_RE.match(value):
            raise ValueError("name must be 1-32 letters, digits, '-' or '_'")
        return value


_FIELD_WORDS = {"video_kbps": "a video bitrate", "audio_kbps": "an audio bitrate"}
_HEIGHT_BOUNDS = {"ge": "at least", "gt": "more than", "le": "at most", "lt": "less than"}
_RATE_BOUNDS = {"ge": "of at least", "gt": "above", "le": "of at most", "lt": "below"}


def _rung_label(row: Mapping[str, Any]) -> str:
    """How a sentence names a rung: by its name, else by its height."""
    name, height = row.get("name"), row.get("height")
    if isinstance(name, str) and name.strip():
        return f"rung {name if len(name) <= 32 else name[:32] + '…'!r}"
    return f"the unnamed rung at {height} px" if isinstance(height, int) else "an unnamed rung"


def _field_sentence(row: Mapping[str, Any], field: str, ctx: Mapping[str, Any]) -> str:
    """One plain sentence for a field of a raw rung that ``Rung`` refuses."""
    who, value = _rung_label(row), row.get(field)
    if field == "name":
        if not isinstance(value, str) or not value.strip():
            return f"{who} needs a name"
        if len(value) > 32:
            return f"{who} has a name longer than 32 characters"
        return f"{who} has a name with characters other than letters, digits, '-' and '_'"
    if field == "enabled":
        return f"{who} must be either on or off"
    if value is None:
        return f"{who} needs {_FIELD_WORDS.get(field, 'a ' + field.replace('_', ' '))}"
    if field == "height":
        bound = next((f"{_HEIGHT_BOUNDS[k]} {ctx[k]}" for k in _HEIGHT_BOUNDS if k in ctx), "")
        return f"{who} must be {bound} px tall" if bound else f"{who} needs its height in whole pixels"
    words = _FIELD_WORDS.get(field, f"a valid {field.replace('_', ' ')}")
    bound = next((f"{_RATE_BOUNDS[k]} {ctx[k]:,} kbps" for k in _RATE_BOUNDS if k in ctx), "")
    return f"{who} must have {words} {bound}" if bound else f"{who} needs {words} in whole kbps"


def rung_field_problems(row: Rung | Mapping[str, Any]) -> dict[str, str]:
    """Field name -> a plain sentence naming the rung, for every field ``Rung`` refuses (empty: valid)."""
    if isinstance(row, Rung):
        return {}
    try:
        Rung.model_validate(row)
    except ValidationError as exc:
        found: dict[str, str] = {}
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else "name"
            found.setdefault(field, _field_sentence(row, field, error.get("ctx") or {}))
        return found
    return {}


def ladder_problems(rungs: Sequence[Rung | Mapping[str, Any]]) -> list[str]:
    """Plain sentences for everything wrong with a rung list, naming rungs by name (empty: it is valid).

    Rows may be raw mappings (what an editor holds): fields ``Rung`` refuses come first, and the
    ladder-wide rules are checked only once every row makes a valid ``Rung``.
    """
    if not rungs:
        return ["add at least one rung"]
    field_problems = [p for row in rungs for p in rung_field_problems(row).values()]
    if field_problems:
        return field_problems
    valid = [r if isinstance(r, Rung) else Rung.model_validate(r) for r in rungs]
    problems: list[str] = []
    if not any(r.enabled for r in valid):
        problems.append("enable at least one rung")
    by_height: dict[int, str] = {}
    seen_names: set[str] = set()
    for rung in valid:
        if rung.height in by_height:
            problems.append(
                f"two rungs have height {rung.height}: {by_height[rung.height]!r} and {rung.name!r}"
            )
        if rung.name in seen_names:
            problems.append(f"two rungs are named {rung.name!r}")
        by_height.setdefault(rung.height, rung.name)
        seen_names.add(rung.name)
    for lower, higher in itertools.pairwise(sorted(valid, key=lambda r: r.height)):
        if higher.video_kbps <= lower.video_kbps:
            problems.append(
                f"rung {higher.name!r} must have a higher video bitrate than rung {lower.name!r} below it "
                f"({higher.video_kbps:,} kbps is not above {lower.video_kbps:,} kbps)"
            )
    return problems


class Ladder(BaseModel):
    """An ordered, validated list of rungs (lowest first)."""

    rungs: list[Rung]

    @model_validator(mode="after")
    def _check(self) -> Ladder:
        problems = ladder_problems(self.rungs)
        if problems:
            raise ValueError("; ".join(problems))
        self.rungs.sort(key=lambda r: r.height)
        return self

    @property
    def enabled_rungs(self) -> list[Rung]:
        return [r for r in self.rungs if r.enabled]


class PlannedRung(BaseModel):
    """A rung this source really gets: exact output size, rate control and H.264 profile/level."""

    name: str
    width: int
    height: int
    video_kbps: int
    audio_kbps: int
    maxrate_kbps: int
    bufsize_kbps: int
    profile: str = "high"
    level: str = "4.0"
    crf: float | None = None
    """Per-title: capped CRF (this quality, at most ``maxrate_kbps``) instead of the average bitrate."""


EncoderChoice = Literal["auto", "libx264", "nvenc"]


class EncodeSettings(BaseModel):
    """How to encode: everything a job needs besides the source and the ladder."""

    segment_duration: float = Field(default=6.0, ge=2.0, le=10.0)
    preset: str = "fast"
    encoder: EncoderChoice = "auto"
    thumbnail_interval: float = Field(default=10.0, ge=1.0, le=600.0)
    thumbnail_width: int = Field(default=320, ge=64, le=1920)
    poster_width: int = Field(default=1280, ge=160, le=3840)
    stall_timeout: float = Field(default=120.0, ge=5.0)
    accept_truncated: bool = False
    first_segment_duration: float | None = Field(default=2.0, ge=1.0, le=10.0)
    """Fast start: the first segments last this long (``-hls_init_time``); None: all are equal."""
    storyboard: bool = True  # sprite sheets + a WebVTT storyboard beside the loose thumbnails
    subtitles: bool = True  # carry the text subtitle tracks (embedded, and files beside the source)
    publish_nonconformant: bool = False  # publish despite a failed MUST rule (the report records it)
    audio_tracks: str = "all"
    """Which audio tracks a new job carries: ``all``, ``first`` (the source's default) or languages
    (``en,fr``); the Tracks tab changes a job's choice."""
    subtitle_tracks: str = "all"  # which subtitle tracks a new job carries: all, none or languages
    default_audio_language: str | None = None  # the audio a player starts with (None: the source's)
    default_subtitle_language: str | None = None  # subtitles shown from the start (None: off)
    measure_quality: bool = True  # VMAF (or SSIM) of every rung on a sample of the title
    ladder_mode: Literal["fixed", "per-title"] = "fixed"
    """per-title: the rungs (under the ladder's caps) chosen for each title from measured trials."""

    @field_validator("preset")
    @classmethod
    def _known_preset(cls, value: str) -> str:
        if value not in X264_PRESETS:
            raise ValueError(f"unknown x264 preset {value!r}; one of {', '.join(X264_PRESETS)}")
        return value


class ContentType(StrEnum):
    """What a package is published as; decides the key prefix ``hls/{movies|episodes}/``."""

    MOVIE = "movie"
    EPISODE = "episode"

    @property
    def prefix(self) -> str:
        return "movies" if self is ContentType.MOVIE else "episodes"


class JobState(StrEnum):
    """Where a job is in its life. Terminal: DONE, PUBLISH_FAILED, FAILED, CANCELLED; INTERRUPTED after
    a crash.

    DONE means encoded and validated (published too when the job's ``hls_url`` is set);
    PUBLISH_FAILED means encoded and validated but its publish failed: the package is kept and only
    publishing is retried. FAILED and CANCELLED are about the encode.
    """

    QUEUED = "queued"
    PROBING = "probing"
    ANALYSING = "analysing"  # the per-title analysis: trial encodes of excerpts, measured
    READY = "ready"
    TRANSCODING = "transcoding"
    VALIDATING = "validating"
    PUBLISHING = "publishing"
    DONE = "done"
    PUBLISH_FAILED = "publish_failed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"

    @property
    def is_active(self) -> bool:
        return self in (
            JobState.PROBING,
            JobState.ANALYSING,
            JobState.TRANSCODING,
            JobState.VALIDATING,
            JobState.PUBLISHING,
        )

    @property
    def is_terminal(self) -> bool:
        return self in (
            JobState.DONE,
            JobState.PUBLISH_FAILED,
            JobState.FAILED,
            JobState.CANCELLED,
            JobState.INTERRUPTED,
        )

    @property
    def is_encoded(self) -> bool:
        """True when the job's package is encoded and validated (published or not)."""
        return self in (JobState.DONE, JobState.PUBLISH_FAILED)
