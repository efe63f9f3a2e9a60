"""What a per-title analysis finds and decides, as JSON-serialisable models (they go into the job result).

* ``TrialPoint``: one trial encode of the sample: size, CRF, its bitrate and its measured quality.
* ``ChosenRung``: one rung of the per-title ladder: size, capped CRF (CRF, maxrate, bufsize), what it
  is expected to cost and look like, and why it was chosen.
* ``PerTitlePlan``: the whole answer: the rungs (lowest first), every trial, the hull, the excerpts
  the sample was cut from, what the analysis cost, its cache key and notes.
* ``PerTitleTargets``: the knobs of the choice (top quality, step between rungs, peak allowance).

They import nothing of the rest of the core but the quality metric's name, so a job's result can
carry a plan (``planned.to_planned_rungs`` turns one into the rungs the command builder reads).
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from hlsstudio.core.quality.metric import Metric

ANALYSIS_VERSION = 5
"""Bumped whenever the analysis would choose differently: older cached plans are then not reused."""


class TrialPoint(BaseModel):
    """One trial encode of the sample at ``width`` x ``height`` and ``crf``.

    ``kbps`` is its video bitrate (file size over the sample's duration); ``vmaf`` its quality against
    the sample at the top display size, in ``metric`` (the field holds the SSIM figure when the metric
    is SSIM); ``vmaf_phone`` the phone model's figure (VMAF only). ``maxrate_kbps`` is set for a capped
    trial (the cellular rung's, made with its fixed ``-maxrate``/``-bufsize``), None for plain CRF.
    """

    height: int
    width: int
    crf: float
    kbps: float
    vmaf: float
    vmaf_phone: float | None = None
    metric: Metric = "vmaf"
    maxrate_kbps: int | None = None


class ChosenRung(BaseModel):
    """One rung of the per-title ladder: encoded with ``-crf crf -maxrate maxrate -bufsize bufsize``.

    ``predicted_kbps`` and ``predicted_vmaf`` are what the trials say the rung averages and looks like
    on the sample (the sample leans to the title's hard parts, so the title's own average is usually
    lower). ``reason`` says in one sentence why the rung is where it is.
    """

    name: str
    width: int
    height: int
    crf: float
    maxrate_kbps: int
    bufsize_kbps: int
    predicted_kbps: int
    predicted_vmaf: float
    audio_kbps: int
    reason: str


TRANSPARENT: dict[Metric, float] = {"vmaf": 97.5, "ssim": 0.995}
"""The quality past which a top rung is not raised to follow the fixed top rung (VMAF 97.5: within
half a just-noticeable difference of a perfect score)."""


class PerTitleTargets(BaseModel):
    """How rungs are chosen.

    ``top_vmaf``: the quality the top rung is made to reach (VMAF; ``top_ssim`` when only SSIM can be
    measured). ``min_step``: each rung carries at least this many times the bits of the rung below.
    ``peak_factor``: a rung's ``-maxrate`` over its predicted average (capped CRF, see ``hull``).
    ``fixed_top_margin``: the top rung aims at least at the fixed top rung's predicted quality less
    this (VMAF points; a thousandth of it in SSIM), so the per-title ladder's best never looks clearly
    worse than the fixed ladder's best, though never above ``TRANSPARENT`` (past it the picture cannot
    be told from the source, and bits spent there are wasted); None: the top target alone.
    """

    top_vmaf: float = Field(default=94.0, ge=93.0, le=95.0)
    top_ssim: float = Field(default=0.985, ge=0.95, le=0.999)
    min_step: float = Field(default=1.6, ge=1.3, le=3.0)
    peak_factor: float = Field(default=1.4, ge=1.1, le=1.5)
    fixed_top_margin: float | None = Field(default=0.5, ge=0.0, le=3.0)

    def top_quality(self, metric: Metric) -> float:
        """The top rung's target in ``metric``."""
        return self.top_vmaf if metric == "vmaf" else self.top_ssim

    def top_goal(self, metric: Metric, fixed_top: float | None) -> float:
        """What the top rung aims at, given the fixed top rung's predicted quality (None: unknown)."""
        goal = self.top_quality(metric)
        if fixed_top is None or self.fixed_top_margin is None:
            return goal
        margin = self.fixed_top_margin if metric == "vmaf" else self.fixed_top_margin / 1000
        return max(goal, min(fixed_top - margin, TRANSPARENT[metric]))


class PerTitlePlan(BaseModel):
    """The result of a per-title analysis.

    ``rungs`` lowest first; ``points`` every trial; ``hull`` the trials on the upper convex hull of
    (log bitrate, quality) over all sizes; ``excerpts`` the (start, duration) stretches of the title
    the sample was cut from; ``analysis_cpu_seconds`` the CPU time of every process the analysis ran;
    ``key`` the cache key (``cache.cache_key``); ``schedule`` how many trials the CPU budget allowed;
    ``predicted_bd_rate`` the BD-rate (%) of the chosen rungs against the fixed ladder's rungs, both
    predicted from the trials (negative: fewer bits for the same quality).
    """

    version: int = ANALYSIS_VERSION
    metric: Metric
    rungs: list[ChosenRung]
    points: list[TrialPoint] = Field(default_factory=list)
    hull: list[TrialPoint] = Field(default_factory=list)
    excerpts: list[tuple[float, float]] = Field(default_factory=list)
    analysis_cpu_seconds: float = 0.0
    analysis_wall_seconds: float = 0.0
    key: str = ""
    schedule: str = ""
    predicted_bd_rate: float | None = None
    notes: list[str] = Field(default_factory=list)
    reused: bool = False
    """True when the plan was found in the cache (this job ran no analysis; the cost is the first's)."""
