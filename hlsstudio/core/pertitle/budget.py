"""How many trials the analysis can afford: a CPU cost model of the analysis and of the final encode.

The analysis must cost at most half the CPU of the encode it plans. Its cost grows with the sample
(6..40 s) and the number of trials, the encode's with the title, so a short title affords few trials
and a long one many. The model counts work in megapixel-frames; the constants were measured on a
2-core x86-64 machine (FFmpeg 5.1's libx264, libvmaf of the imageio-ffmpeg build) and mostly their
ratios matter, since the choice compares two estimates made with the same constants.

``choose_schedule`` takes the richest schedule whose estimate stays within ``TARGET_SHARE`` of the
estimated encode (the estimate leaves out the encode's sound, thumbnails and scaling, so the real share
comes out lower), else the leanest one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

ENCODE_CPU = 0.06
"""CPU s per megapixel-frame of libx264 at preset fast (1080p: 0.12 s a frame, CRF 20-30)."""
PRESET_COST = {
    "ultrafast": 0.22, "superfast": 0.35, "veryfast": 0.5, "faster": 0.75, "fast": 1.0,
    "medium": 1.3, "slow": 2.0, "slower": 4.0, "veryslow": 8.0,
}  # fmt: skip
"""x264 CPU per frame relative to preset fast."""
DECODE_CPU = 0.006
"""CPU s per megapixel-frame decoding an H.264 source."""
SEEK_FACTOR = 2.0
"""Decoding an excerpt costs about twice its length: seeking decodes from the keyframe before it."""
SAMPLE_ENCODE_CPU = {True: 0.001, False: 0.011}
SAMPLE_DECODE_CPU = {True: 0.0004, False: 0.0055}
"""The sample (raw frames, else x264 ultrafast CRF 12): writing it, reading it back (once per round
and once per quality measurement)."""
MEASURE_PASS_CPU = 0.0035
"""A quality measurement, per megapixel-frame of the sample: decoding the trial and the upscale."""
MEASURE_FRAME_CPU = 0.05
"""libvmaf (both models) per megapixel of each frame compared."""
PROCESS_CPU = 0.4
"""Starting a process (FFmpeg, x264, libvmaf's models): counted once per process the analysis runs."""
PROBE_CPU = 0.012
"""The difficulty probe, per megapixel-frame decoded (skipping deblocking and non-reference frames)."""
TARGET_SHARE = 0.3
"""The analysis's share of the *fixed* ladder's encode estimate: the per-title encode it plans costs
less (fewer rungs at lower rates: measured 0.6 to 0.7 of the fixed encode), and the analysis must stay
within half of that."""


@dataclass(frozen=True)
class Schedule:
    """How many CRFs each size gets: the top size, the next one, every smaller one."""

    name: str
    top: int
    second: int
    others: int

    def count(self, index: int) -> int:
        """How many CRFs the size at ``index`` (0: the top, by area) gets."""
        return self.top if index == 0 else self.second if index == 1 else self.others


SCHEDULES = (
    Schedule("full", 4, 4, 3),
    Schedule("normal", 3, 3, 3),
    Schedule("reduced", 3, 2, 2),
    Schedule("lean", 2, 2, 2),
)
"""Every size gets at least two CRFs: the smaller sizes' trials cost a fraction of the top size's, and
with one point a size's curve is a guess, which decides badly exactly where a smaller size wins (a
source with less detail than its frame size, e.g. one upscaled from SD)."""


@dataclass(frozen=True)
class Workload:
    """What the costs depend on: sizes in megapixels (trial sizes largest first, the fixed ladder's
    rungs, the source), frame counts (title, sample, probe), the preset and frames compared."""

    trial_sizes: Sequence[float]
    ladder_sizes: Sequence[float]
    source_size: float
    title_frames: float
    sample_frames: float
    probe_frames: float
    compared_frames: float
    preset: str
    capped_trials: int = 0
    raw_sample: bool = False

    @property
    def top_size(self) -> float:
        return self.trial_sizes[0] if self.trial_sizes else self.source_size


def encode_estimate(work: Workload) -> float:
    """CPU seconds of the final encode: decoding the title once, x264 for every rung of the ladder."""
    per_frame = work.source_size * DECODE_CPU + sum(work.ladder_sizes) * ENCODE_CPU * PRESET_COST[work.preset]
    return work.title_frames * per_frame


def analysis_estimate(work: Workload, schedule: Schedule) -> float:
    """CPU seconds of an analysis with ``schedule``: probe, sample, two rounds of trials, measurements."""
    trials = [schedule.count(i) for i in range(len(work.trial_sizes))]
    trial_work = sum(n * size for n, size in zip(trials, work.trial_sizes, strict=True))
    measured = sum(trials) + work.capped_trials
    top, frames = work.top_size, work.sample_frames
    processes = 3 + measured + (1 if work.probe_frames else 0)  # the sample, two rounds, measurements
    cost = processes * PROCESS_CPU + work.probe_frames * work.source_size * PROBE_CPU
    read = SAMPLE_DECODE_CPU[work.raw_sample]
    cost += frames * (work.source_size * DECODE_CPU * SEEK_FACTOR + top * SAMPLE_ENCODE_CPU[work.raw_sample])
    cost += 2 * frames * top * read
    cost += frames * trial_work * ENCODE_CPU * PRESET_COST[work.preset]
    cost += measured * (
        frames * top * (MEASURE_PASS_CPU + read) + work.compared_frames * top * MEASURE_FRAME_CPU
    )
    return cost


def choose_schedule(work: Workload, share: float = TARGET_SHARE) -> tuple[Schedule, float, float]:
    """(the richest schedule within ``share`` of the encode's estimate, else the leanest; its estimate;
    the encode's estimate)."""
    final = encode_estimate(work)
    for schedule in SCHEDULES:
        cost = analysis_estimate(work, schedule)
        if cost <= share * final:
            return schedule, cost, final
    return SCHEDULES[-1], analysis_estimate(work, SCHEDULES[-1]), final
