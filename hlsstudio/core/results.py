"""What a job produces: progress, the validator's verdict, the variants, the publish, the result.

Field names are public JSON schema (``hlsstudio-cli ... --json``, the webhook): rename nothing
without a schema change. ``models`` re-exports every name here.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from hlsstudio.core.conformance import ConformanceReport
from hlsstudio.core.pertitle.models import PerTitlePlan


class Progress(BaseModel):
    """Encode progress of one job: fraction 0..1, frames per second, speed (x realtime), ETA (s)."""

    fraction: float = 0.0
    out_time: float = 0.0
    fps: float | None = None
    speed: float | None = None
    eta: float | None = None
    frame: int | None = None
    done: bool = False
    detail: str = ""  # what the share counts, in words (a farm job: "3 of 6 chunks")


class ValidationCheck(BaseModel):
    """One validator finding: which check, whether it passed, and a sentence about it."""

    name: str
    ok: bool
    message: str = ""


class ValidationReport(BaseModel):
    """The validator's verdict on a package folder."""

    ok: bool
    checks: list[ValidationCheck] = Field(default_factory=list)

    @property
    def errors(self) -> list[str]:
        return [f"{c.name}: {c.message}" for c in self.checks if not c.ok]


class RenditionResult(BaseModel):
    """One EXT-X-MEDIA rendition of a finished package (the result JSON and the webhook list them)."""

    type: Literal["audio", "subtitles"]
    group: str
    name: str
    language: str
    default: bool = False
    forced: bool = False
    sdh: bool = False
    channels: int | None = None
    bitrate: int | None = None  # audio: measured peak bits per second
    playlist: str  # relative to the package folder
    url: str | None = None  # once published


class RungQuality(BaseModel):
    """One rung's measured quality: the metric's mean and 5th percentile (VMAF: default and phone
    models), and ``shown``: the figure to show for it (the phone model up to 480p)."""

    rung: str
    width: int
    height: int
    metric: Literal["vmaf", "ssim"]
    mean: float
    p5: float
    phone_mean: float | None = None
    phone_p5: float | None = None
    shown: float


class QualityReport(BaseModel):
    """What measuring a package found, how, and what it cost."""

    metric: Literal["vmaf", "ssim"]
    note: str  # which FFmpeg measured it, or why SSIM stands in for VMAF
    compared_at: str  # the display size both pictures were scaled to ("1920x1080")
    excerpts: list[tuple[float, float]] = Field(default_factory=list)  # (start, duration) in seconds
    rungs: list[RungQuality] = Field(default_factory=list)
    cpu_seconds: float = 0.0
    wall_seconds: float = 0.0
    share_of_encode: float | None = None  # cpu_seconds over the encode's CPU time, when known
    problems: list[str] = Field(default_factory=list)  # rungs that could not be measured, and why


class VariantResult(BaseModel):
    """One variant as published in the master playlist."""

    quality: str
    resolution: str
    bandwidth: int
    average_bandwidth: int
    codecs: str = ""
    frame_rate: float | None = None
    playlist: str = ""
    audio: str | None = None  # the audio group it plays with (its bandwidth includes that sound)


class PublishResult(BaseModel):
    """What a publish did: where the master is and what was transferred."""

    hls_url: str
    master_key: str
    destination: str
    files_uploaded: int = 0
    bytes_uploaded: int = 0
    files_skipped: int = 0
    files_removed: int = 0
    publish_time_seconds: float = 0.0
    webhook: str | None = None
    build: str | None = None
    """The build the master now points into (``b-…``; its files are under ``<title>/<build>/``)."""
    old_builds_waiting: int = 0
    """Replaced builds kept for viewers still playing them, until their grace period ends."""
    storyboard_url: str | None = None  # the scrub-thumbnail storyboard (thumbnails.vtt), if any
    renditions: list[RenditionResult] = Field(default_factory=list)  # audio and subtitles, with URLs


class JobResult(BaseModel):
    """The outcome of one job, in the spirit of the deployment guide's "completed" response."""

    status: Literal["completed", "failed", "cancelled"]
    source: str = ""
    output_dir: str | None = None
    duration: float | None = None
    variants: list[VariantResult] = Field(default_factory=list)
    files: list[str] = Field(default_factory=list)
    total_size_bytes: int = 0
    processing_time_seconds: float = 0.0
    encoder: str | None = None
    warnings: list[str] = Field(default_factory=list)
    validation: ValidationReport | None = None
    error: str | None = None
    error_detail: str | None = None
    command: list[str] = Field(default_factory=list)
    hls_url: str | None = None
    publish: PublishResult | None = None
    conformance: ConformanceReport | None = None
    storyboard: str | None = None  # the storyboard file (``thumbnails.vtt``), its URL once published
    renditions: list[RenditionResult] = Field(default_factory=list)
    """The audio and subtitle renditions the master lists (with their URLs once published)."""
    quality: QualityReport | None = None  # each rung's measured quality (None: not measured)
    per_title: PerTitlePlan | None = None  # the per-title analysis the rungs came from (None: fixed ladder)
