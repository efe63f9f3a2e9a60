"""What the stages of one job share: the request, where it reports, and what each stage produced."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from hlsstudio.core.command import EncodePlan
from hlsstudio.core.conformance import ConformanceReport
from hlsstudio.core.livepublish import LivePublisher
from hlsstudio.core.models import (
    ContentType,
    EncodeSettings,
    JobResult,
    JobState,
    Ladder,
    MediaInfo,
    Progress,
    QualityReport,
    RenditionResult,
    ValidationReport,
    VariantResult,
)
from hlsstudio.core.ownership import new_token
from hlsstudio.core.pertitle.models import PerTitlePlan
from hlsstudio.core.toolchain import Toolchain
from hlsstudio.core.tracks.choices import JobTracks


def _ignore(_: Any) -> None:
    return None


@dataclass
class JobCallbacks:
    """Where a job reports. Called from the job's own thread (never the GUI thread)."""

    on_state: Callable[[JobState], None] = _ignore
    on_progress: Callable[[Progress], None] = _ignore
    on_upload: Callable[[Any], None] = _ignore


class JobRequest(BaseModel):
    """One source to turn into a package (and publish, when content type and id are given)."""

    source: Path
    out_dir: Path
    ladder: Ladder
    settings: EncodeSettings
    content_type: ContentType | None = None
    content_id: str | None = None
    publish_while_encoding: bool = True
    replace_live: bool = True
    """False: a title that is already live is not replaced (the publish ends "not published")."""
    tracks: JobTracks | None = None
    """The audio and subtitle tracks to carry (None: found from the probe and the side files)."""
    job: str = Field(default_factory=new_token)
    """Who made the package folder: written into its ownership marker (the app's job id)."""
    runs_on: str = "local"
    """Where the encode runs: ``local``, or ``farm`` (an executor that knows a farm sends it there)."""
    farm_job: str | None = None
    """A farm job this job sent before (the app closed meanwhile): followed again instead of a new one."""


@dataclass
class JobTrace:
    """What a job did so far, kept for the result even when it fails."""

    command: list[str] = field(default_factory=list)
    encoder: str | None = None
    warnings: list[str] = field(default_factory=list)
    info: MediaInfo | None = None


@dataclass
class JobContext:
    """The state one job's stages pass along: each stage reads what earlier ones left and adds its own.

    ``publisher`` is the publish stage started early (files stream to it while ffmpeg encodes);
    ``keep_local`` False removes the local package once it is published.
    """

    request: JobRequest
    toolchain: Toolchain
    callbacks: JobCallbacks = field(default_factory=JobCallbacks)
    cancel: threading.Event = field(default_factory=threading.Event)
    trace: JobTrace = field(default_factory=JobTrace)
    publisher: LivePublisher | None = None
    keep_local: bool = True
    started: float = field(default_factory=time.monotonic)
    info: MediaInfo | None = None
    work: Path | None = None
    plan: EncodePlan | None = None
    expected_duration: float = 0.0
    variants: list[VariantResult] = field(default_factory=list)
    report: ValidationReport | None = None
    conformance: ConformanceReport | None = None
    storyboard: str | None = None
    tracks: JobTracks | None = None  # the tracks encoded (complete, checked)
    encode_cpu_seconds: float = 0.0  # the encode's CPU time (its children's, measured around it)
    quality: QualityReport | None = None
    per_title: PerTitlePlan | None = None  # the per-title analysis (ladder mode per-title only)
    renditions: list[RenditionResult] = field(default_factory=list)
    result: JobResult | None = None
    finished_remotely: bool = False
    """The stages after the encode ran elsewhere (a render farm worker finished and published the
    package, and ``result`` is theirs): ``run_stages`` runs none of them here."""

    def state(self, state: JobState) -> None:
        """Report that the job entered ``state``."""
        self.callbacks.on_state(state)

    def need_info(self) -> MediaInfo:
        """The probe's answer (the probe stage runs first)."""
        assert self.info is not None, "the probe stage runs before this one"
        return self.info

    def need_plan(self) -> EncodePlan:
        """The encode plan (the plan stage runs before this one)."""
        assert self.plan is not None, "the plan stage runs before this one"
        return self.plan
