"""``analyse_title``: a title in, its per-title plan out.

1. The cache: the same file analysed with the same settings returns the stored plan, running nothing.
2. The budget (``budget``): how many trials the analysis can afford within half the encode's CPU.
3. The sample (``sampling``, ``sample``): excerpts leaning to the hard parts, cut once into one file
   at the top rung's size, prepared as the encode prepares the picture.
4. Round one (``trials``): the top size at two to four CRFs; where it reaches the top target tells
   where the other sizes are worth trying.
5. Round two: the other sizes around that CRF, the cellular rung at its fixed limits (and the top
   size once more when its target lay outside its first trials).
6. The choice (``hull``): rungs on the best-size-per-bitrate frontier, under the fixed ladder's caps.

Everything temporary lives in one folder that is removed however the analysis ends, and every child
is stopped before an error or a cancellation is raised.
"""

from __future__ import annotations

import logging
import math
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from hlsstudio.core.errors import CancelledError, TranscodeError
from hlsstudio.core.framerate import output_rate
from hlsstudio.core.ladder import plan_ladder
from hlsstudio.core.models import EncodeSettings, Ladder, MediaInfo, PlannedRung
from hlsstudio.core.pertitle.budget import Schedule, Workload, choose_schedule
from hlsstudio.core.pertitle.cache import cache_key, load_plan, store_plan
from hlsstudio.core.pertitle.curves import CRF_MAX, CRF_MIN, Curve, crf_for_kbps_at_size, crf_reaching
from hlsstudio.core.pertitle.hull import choose_rungs, is_cellular, predicted_bd_rate, upper_hull
from hlsstudio.core.pertitle.models import PerTitlePlan, PerTitleTargets, TrialPoint
from hlsstudio.core.pertitle.runs import CpuMeter
from hlsstudio.core.pertitle.sample import cut_sample, default_chain, rank_candidates, raw_sample_fits
from hlsstudio.core.pertitle.sampling import (
    Window,
    candidate_windows,
    choose_windows,
    excerpt_layout,
    keyframe_times,
    probe_slices,
    sample_seconds,
    worth_probing,
)
from hlsstudio.core.pertitle.trials import (
    COMPARED_MAX,
    COMPARED_PER_SECOND,
    EncodeRules,
    SampleFile,
    TrialSpec,
    crfs_around,
    run_round,
    top_crfs,
)
from hlsstudio.core.quality.metric import QualityTool

log = logging.getLogger(__name__)

REFINE_BEYOND_CRF = 2.0
"""A top target this far outside the first trials gets a trial of its own in round two (unless it
would cost more than the top rung's cap)."""
ANCHOR_CRF_RANGE = (8.0, 6.0)
"""How far below and above the top goal's CRF a size's trial at its fixed rung's rate may go."""
STAGES = {"probe": 0.05, "sample": 0.10, "first": 0.40, "second": 0.45}
"""Each stage's share of the progress bar."""


def _ignore(_: float) -> None:
    return None


class _Progress:
    """Stage-weighted progress, never going back."""

    def __init__(self, report: Callable[[float], None], stages: dict[str, float]) -> None:
        self._report, self._shown = report, 0.0
        total = sum(stages.values()) or 1.0
        self._spans: dict[str, tuple[float, float]] = {}
        start = 0.0
        for name, weight in stages.items():
            self._spans[name] = (start, weight / total)
            start += weight / total

    def at(self, stage: str, fraction: float) -> None:
        start, span = self._spans.get(stage, (self._shown, 0.0))
        value = min(1.0, start + span * min(max(fraction, 0.0), 1.0))
        if value > self._shown:
            self._shown = value
            self._report(value)

    def stage(self, stage: str) -> Callable[[float], None]:
        return lambda fraction: self.at(stage, fraction)


@dataclass
class _Job:
    """What one analysis works with."""

    source: Path
    info: MediaInfo
    caps: list[PlannedRung]
    settings: EncodeSettings
    ffmpeg: str
    tool: QualityTool
    chain: str
    fps: float
    cancel: threading.Event
    meter: CpuMeter
    progress: _Progress

    @property
    def regular(self) -> list[PlannedRung]:
        """The non-cellular rungs, largest first (the trial sizes)."""
        return sorted((c for c in self.caps if not is_cellular(c)), key=lambda c: -c.width * c.height)


def _spec(cap: PlannedRung, crf: float, capped: bool = False) -> TrialSpec:
    return TrialSpec(
        width=cap.width, height=cap.height, crf=crf, profile=cap.profile, level=cap.level,
        maxrate_kbps=cap.maxrate_kbps if capped else None, bufsize_kbps=cap.bufsize_kbps if capped else None,
    )  # fmt: skip


def _workload(job: _Job, total: float, probe_seconds: float) -> Workload:
    megapixels = [c.width * c.height / 1e6 for c in job.regular]
    top = job.regular[0]
    return Workload(
        trial_sizes=megapixels,
        ladder_sizes=[c.width * c.height / 1e6 for c in job.caps],
        source_size=job.info.width * job.info.height / 1e6,
        title_frames=job.info.duration * job.fps,
        sample_frames=total * job.fps,
        probe_frames=probe_seconds * job.fps,
        compared_frames=min(COMPARED_MAX, total * COMPARED_PER_SECOND),
        preset=job.settings.preset,
        capped_trials=len(job.caps) - len(job.regular),
        raw_sample=raw_sample_fits((top.width, top.height), round(total * job.fps)),
    )


def _excerpts(job: _Job, folder: Path, notes: list[str]) -> tuple[list[Window], Schedule]:
    """Choose the excerpts (probing the candidates when it pays) and the trial schedule."""
    duration = job.info.duration
    total = sample_seconds(duration)
    if total <= 0:
        raise TranscodeError("per-title analysis: the title is too short to sample")
    count, each = excerpt_layout(total)
    candidates = candidate_windows(duration, count, each)
    probing = worth_probing(duration, candidates, count)
    slices = probe_slices(candidates, total) if probing else []
    schedule, estimate, encode = choose_schedule(_workload(job, total, sum(w.duration for w in slices)))
    notes.append(
        f"{schedule.name} trial schedule: analysis estimated at {estimate:.0f} CPU s, "
        f"{estimate / max(encode, 1e-9):.0%} of the encode's estimated {encode:.0f} CPU s"
    )
    if not probing:
        notes.append(f"{count} excerpts of {each:.1f} s spread evenly (a short title is not probed)")
        job.progress.at("probe", 1.0)
        return choose_windows(candidates, None, count), schedule
    scores = rank_candidates(job.ffmpeg, job.source, slices, folder, cancel=job.cancel, meter=job.meter)
    job.progress.at("probe", 1.0)
    notes.append(f"{count} excerpts of {each:.1f} s: about half the hardest of {len(candidates)} candidates")
    return choose_windows(candidates, scores, count), schedule


def _size_crfs(job: _Job, index: int, count: int, target: float, top: Curve) -> list[float]:
    """The round-two CRFs of the regular size at ``index`` (1: the second largest).

    Around the CRF where the top size reaches the top rung's goal, with one CRF moved to where this
    size is predicted to need its fixed rung's rate: the quality the fixed ladder gets at that size is
    then measured, not guessed, and a source with less detail than its frame (upscaled, soft), where
    a smaller size at a low CRF beats a larger one, is seen to be one.
    """
    cap = job.regular[index]
    crfs = crfs_around(target, count, second=index == 1)
    anchor = crf_for_kbps_at_size(top, cap.video_kbps, cap.width, cap.height)
    anchor = min(max(anchor, target - ANCHOR_CRF_RANGE[0]), target + ANCHOR_CRF_RANGE[1])
    anchor = min(max(round(anchor * 2) / 2, CRF_MIN), CRF_MAX)
    nearest = min(range(len(crfs)), key=lambda i: abs(crfs[i] - anchor))
    crfs[nearest] = anchor
    return sorted(set(crfs))


def _round(
    job: _Job, sample: SampleFile, specs: list[TrialSpec], folder: Path, stage: str
) -> list[TrialPoint]:
    segment = job.settings.segment_duration
    rules = EncodeRules(
        preset=job.settings.preset,
        gop=math.ceil(segment * job.fps) + 1,
        keyframes=tuple(keyframe_times(sample.seconds, segment)),
    )
    return run_round(
        job.ffmpeg, job.tool, sample, specs, folder, rules=rules,
        cancel=job.cancel, meter=job.meter, on_progress=job.progress.stage(stage), tag=stage[0],
    )  # fmt: skip


def _rounds(
    job: _Job, sample: SampleFile, schedule: Schedule, folder: Path, targets: PerTitleTargets
) -> tuple[list[TrialPoint], float]:
    """Both rounds of trials: (every point, the CRF where the top size reaches the top rung's goal,
    which round one tells: the target, or near the fixed top rung's quality when that is higher)."""
    regular = job.regular
    points = _round(job, sample, [_spec(regular[0], crf) for crf in top_crfs(schedule.top)], folder, "first")
    top = Curve(points, job.tool.metric)
    fixed_top = top.quality_at(top.crf_for_kbps(regular[0].video_kbps))  # the fixed top rung, predicted
    target = crf_reaching(top, targets.top_goal(job.tool.metric, fixed_top))
    low, high = top.measured
    second: list[TrialSpec] = []
    outside = target < low - REFINE_BEYOND_CRF or target > high + REFINE_BEYOND_CRF
    if outside and top.kbps_at(target) <= regular[0].video_kbps:  # a target the cap forbids is moot
        second.append(_spec(regular[0], round(target * 2) / 2))
    for index, cap in enumerate(regular[1:], start=1):
        second += [_spec(cap, crf) for crf in _size_crfs(job, index, schedule.count(index), target, top)]
    second += [_spec(c, float(round(target)), capped=True) for c in job.caps if is_cellular(c)]
    points += _round(job, sample, second, folder, "second")
    return points, target


def _analyse(job: _Job, targets: PerTitleTargets, work_dir: Path | None) -> PerTitlePlan:
    notes: list[str] = []
    if job.tool.metric != "vmaf":
        notes.append(f"quality measured as {job.tool.note}")
    if job.info.hdr and "tonemap" not in job.chain:
        notes.append("HDR source analysed without tone-mapping (no picture chain was given)")
    top = job.regular[0]
    with tempfile.TemporaryDirectory(prefix="hlsstudio-pertitle-", dir=work_dir) as name:
        folder = Path(name)
        excerpts, schedule = _excerpts(job, folder, notes)
        size = (top.width, top.height)
        path = cut_sample(job.ffmpeg, job.source, excerpts, folder, chain=job.chain, size=size, fps=job.fps,
                          cancel=job.cancel, meter=job.meter)  # fmt: skip
        job.progress.at("sample", 1.0)
        sample = SampleFile(path, size, tuple(w.duration for w in excerpts), job.fps)
        points, target = _rounds(job, sample, schedule, folder, targets)
    try:
        rungs = choose_rungs(points, job.caps, targets, cellular_crf=float(round(target)))
    except ValueError as exc:
        raise TranscodeError(f"per-title analysis: no rungs could be chosen ({exc})") from exc
    return PerTitlePlan(
        metric=job.tool.metric,
        rungs=rungs,
        points=points,
        hull=upper_hull(points),
        excerpts=[(w.start, w.duration) for w in excerpts],
        schedule=schedule.name,
        predicted_bd_rate=predicted_bd_rate(points, job.caps, rungs),
        notes=notes,
    )


def _fixed_only(job: _Job) -> PerTitlePlan:
    """The plan of a source whose ladder has only cellular rungs: nothing to choose, nothing run."""
    rungs = choose_rungs([], job.caps)
    note = "only cellular rungs fit this source: kept at their fixed limits, nothing analysed"
    return PerTitlePlan(metric=job.tool.metric, rungs=rungs, notes=[note])


def analyse_title(  # noqa: PLR0917  (the six inputs every caller has, in the order of a job)
    source: Path,
    info: MediaInfo,
    ladder: Ladder,
    settings: EncodeSettings,
    ffmpeg: str,
    tool: QualityTool,
    *,
    cancel: threading.Event,
    on_progress: Callable[[float], None] = _ignore,
    use_cache: bool = True,
    targets: PerTitleTargets | None = None,
    picture_chain: str | None = None,
    work_dir: Path | None = None,
) -> PerTitlePlan:
    """Analyse ``source`` and choose its per-title rungs.

    Input: the source and its probe, the user's ladder and encode settings, the main FFmpeg (trial
    encodes, the sample) and the quality tool (``quality.metric.find_quality_tool``). ``picture_chain``
    is the encode's normalising filters (``command.normalise_chain(plan)``; None: frame rate,
    deinterlace and 4:2:0 from the probe). ``on_progress`` gets 0..1 as the work goes; ``use_cache``
    False neither reads nor writes the cache; temporary files go in a folder under ``work_dir`` (the
    system's temporary folder by default), removed however this ends.

    Output: the plan (rungs lowest first, every trial, cost, cache key). Raises CancelledError when
    ``cancel`` is set (its processes stopped first), LadderError for a ladder without enabled rungs,
    TranscodeError when FFmpeg fails or the source cannot be read, QualityError when a trial cannot be
    measured: all with one-line messages.
    """
    targets = targets or PerTitleTargets()
    rate = output_rate(info.fps, info.vfr)
    caps = plan_ladder(info, ladder, float(rate))
    chain = picture_chain if picture_chain is not None else default_chain(info, rate)
    try:
        key = cache_key(source, ladder, settings, metric=tool.metric, targets=targets, picture_chain=chain)
    except OSError as exc:
        raise TranscodeError(f"per-title analysis: cannot read {source.name}", str(exc)) from exc
    if use_cache:
        cached = load_plan(key)
        if cached is not None:
            on_progress(1.0)
            return cached.model_copy(update={"reused": True})
    if cancel.is_set():
        raise CancelledError()
    started = time.monotonic()
    job = _Job(
        source=source, info=info, caps=caps, settings=settings, ffmpeg=ffmpeg, tool=tool, chain=chain,
        fps=float(rate), cancel=cancel, meter=CpuMeter(), progress=_Progress(on_progress, STAGES),
    )  # fmt: skip
    plan = _analyse(job, targets, work_dir) if job.regular else _fixed_only(job)
    plan = plan.model_copy(
        update={
            "key": key,
            "analysis_cpu_seconds": round(job.meter.seconds, 2),
            "analysis_wall_seconds": round(time.monotonic() - started, 2),
        }
    )
    if use_cache:
        try:
            store_plan(plan)
        except OSError as exc:  # the plan stands; only the next analysis will not be spared
            log.warning("per-title plan not cached: %s", exc)
    on_progress(1.0)
    return plan
