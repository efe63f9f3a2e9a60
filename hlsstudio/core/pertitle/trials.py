"""Trial encodes of the sample and their measured quality.

A round is one FFmpeg process: the sample is decoded once, scaled once per size (bicubic, as the
encode scales) and encoded at every CRF of the round with libx264 and the job's preset, with the
encode's keyframe rules (an IDR every segment length, no scene-cut keyframes, closed GOPs) and the
profile and level the rung would get. Each trial's bitrate is its size over the sample's duration;
its quality is measured against the sample at the top rung's size (both VMAF models in one pass,
every N-th frame), through ``quality.metric``'s command and parsers.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from hlsstudio.core.errors import TranscodeError
from hlsstudio.core.pertitle.curves import CRF_MAX, CRF_MIN
from hlsstudio.core.pertitle.models import TrialPoint
from hlsstudio.core.pertitle.runs import CpuMeter, run_child
from hlsstudio.core.quality.metric import (
    QualityError,
    QualityTool,
    Score,
    parse_ssim_output,
    parse_vmaf_log,
    quality_command,
)

RUN_TIMEOUT = 3600.0
MEASURE_TIMEOUT = 1800.0
COMPARED_PER_SECOND = 2.0
"""Frames compared per second of sample (libvmaf ``n_subsample``): 1 in 12 at 25 fps (the mean of a
1080p trial moved by 0.3 VMAF from every frame to 1 in 10)."""
COMPARED_MAX = 60
TOP_CRFS = {1: (23.0,), 2: (22.0, 28.0), 3: (19.0, 24.0, 29.0), 4: (18.0, 22.0, 27.0, 33.0)}
"""The top size's CRFs by how many trials the budget allows: around where VMAF 93-95 usually lies."""
SECOND_OFFSETS = {1: (-2.5,), 2: (-3.0, 3.0), 3: (-3.0, 1.0, 6.0), 4: (-3.0, 1.0, 5.0, 9.0)}
"""The second size's CRFs, relative to the CRF where the top size reaches the target: it competes for
the top rung, which it reaches about 2.5 steps lower (1080p/720p, x264 fast: measured, where
extrapolating would guess high), and serves the middle ones."""
OTHER_OFFSETS = {1: (2.0,), 2: (-4.0, 3.0), 3: (-4.0, 1.0, 6.0), 4: (-5.0, -1.0, 3.0, 7.0)}
"""The smaller sizes' CRFs: they join the best-per-bitrate frontier at about the top rung's CRF and
above it, and, for a source with less detail than its frame (upscaled, soft), well below it too."""


@dataclass(frozen=True)
class SampleFile:
    """The sample: its file, its size (the top rung's), its excerpts' lengths (s) and frame rate."""

    path: Path
    size: tuple[int, int]
    excerpts: tuple[float, ...]
    fps: float

    @property
    def seconds(self) -> float:
        return sum(self.excerpts)

    @property
    def frames(self) -> int:
        return max(1, round(self.seconds * self.fps))


@dataclass(frozen=True)
class EncodeRules:
    """What every trial shares with the real encode: the x264 preset, the GOP cap (frames) and the
    forced keyframe times (s into the sample)."""

    preset: str
    gop: int
    keyframes: tuple[float, ...]


@dataclass(frozen=True)
class TrialSpec:
    """One trial: size, CRF, profile and level, and for a capped trial its maxrate and bufsize."""

    width: int
    height: int
    crf: float
    profile: str
    level: str
    maxrate_kbps: int | None = None
    bufsize_kbps: int | None = None


def crfs_around(centre: float, count: int, *, second: bool = False) -> list[float]:
    """``count`` CRFs for a size below the top (``second``: the next one down), around ``centre``, the
    CRF where the top size reaches its target (halves, within the CRF range)."""
    offsets = (SECOND_OFFSETS if second else OTHER_OFFSETS)[max(1, min(count, 4))]
    return sorted({min(max(round((centre + d) * 2) / 2, CRF_MIN), CRF_MAX) for d in offsets})


def top_crfs(count: int) -> list[float]:
    """The top size's first CRFs (``count`` 1..4)."""
    return list(TOP_CRFS[max(1, min(count, 4))])


def subsample_for(sample: SampleFile) -> int:
    """Compare every N-th frame: about 2 a second, at most 60 frames in all."""
    by_rate = round(sample.fps / COMPARED_PER_SECOND)
    by_count = math.ceil(sample.frames / COMPARED_MAX)
    return max(1, by_rate, by_count)


def _video_options(spec: TrialSpec, rules: EncodeRules) -> list[str]:
    capped: list[str] = []
    if spec.maxrate_kbps is not None:
        capped = [
            "-maxrate",
            f"{spec.maxrate_kbps}k",
            "-bufsize",
            f"{spec.bufsize_kbps or spec.maxrate_kbps}k",
        ]
    times = ",".join(f"{t:.3f}" for t in rules.keyframes) or "0"
    return [
        "-c:v", "libx264", "-preset", rules.preset, "-crf", f"{spec.crf:g}", *capped,
        "-profile:v", spec.profile, "-level:v", spec.level,
        "-g", str(rules.gop), "-keyint_min", str(rules.gop), "-sc_threshold", "0",
        "-force_key_frames", times, "-x264-params", "open-gop=0",
    ]  # fmt: skip


def trial_command(
    ffmpeg: str,
    sample: SampleFile,
    specs: Sequence[TrialSpec],
    outputs: Sequence[Path],
    *,
    rules: EncodeRules,
    progress: Path,
) -> list[str]:
    """One FFmpeg encoding ``sample`` once per spec into ``outputs`` (same order), decoding it once."""
    sizes: list[tuple[int, int]] = []
    for spec in specs:
        if (spec.width, spec.height) not in sizes:
            sizes.append((spec.width, spec.height))
    labels = {size: [f"o{i}" for i, s in enumerate(specs) if (s.width, s.height) == size] for size in sizes}
    parts = [f"[0:v]split={len(sizes)}" + "".join(f"[g{i}]" for i in range(len(sizes)))]
    for i, size in enumerate(sizes):
        step = "setsar=1" if size == sample.size else f"scale={size[0]}:{size[1]}:flags=bicubic,setsar=1"
        outs = labels[size]
        fan = f",split={len(outs)}" + "".join(f"[{o}]" for o in outs) if len(outs) > 1 else f"[{outs[0]}]"
        parts.append(f"[g{i}]{step}{fan}")
    encodes: list[str] = []
    for i, (spec, out) in enumerate(zip(specs, outputs, strict=True)):
        encodes += ["-map", f"[o{i}]", "-an", "-sn", *_video_options(spec, rules), str(out)]
    return [
        ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
        "-progress", str(progress), "-nostats", "-i", str(sample.path),
        "-filter_complex", ";".join(parts), *encodes,
    ]  # fmt: skip


def measure_trial(
    tool: QualityTool,
    trial: Path,
    sample: SampleFile,
    folder: Path,
    *,
    cancel: threading.Event,
    meter: CpuMeter,
) -> Score:
    """``trial``'s quality against the sample at the sample's size. Raises QualityError (one line)
    when it cannot be measured, CancelledError when ``cancel`` is set."""
    log = folder / f"{trial.stem}.vmaf.json"
    command = quality_command(tool, trial, sample.path, sample.size, log, subsample=subsample_for(sample))
    done = run_child(
        command, cancel=cancel, timeout=MEASURE_TIMEOUT, stderr_path=folder / f"{trial.stem}.quality.log",
        meter=meter,
    )  # fmt: skip
    if done.returncode != 0:
        raise QualityError(f"per-title analysis: quality not measured ({done.last_line()})", done.stderr)
    if tool.metric == "ssim":
        return parse_ssim_output(done.stderr)
    try:
        doc = json.loads(log.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise QualityError("per-title analysis: the VMAF log cannot be read", str(exc)) from exc
    return parse_vmaf_log(doc if isinstance(doc, dict) else {})


def run_round(
    ffmpeg: str,
    tool: QualityTool,
    sample: SampleFile,
    specs: Sequence[TrialSpec],
    folder: Path,
    *,
    rules: EncodeRules,
    cancel: threading.Event,
    meter: CpuMeter,
    on_progress: Callable[[float], None],
    encode_share: float = 0.5,
    tag: str = "r",
) -> list[TrialPoint]:
    """Encode every spec, measure each trial, and return one TrialPoint per spec (same order).

    ``on_progress`` gets the round's own fraction (0..1): the encode counts for ``encode_share``.
    Trial files are removed once measured. Raises TranscodeError when the encode fails, QualityError
    when a measurement does, CancelledError as soon as ``cancel`` is set.
    """
    if not specs:
        return []
    outputs = [folder / f"trial_{tag}{i:02d}.mkv" for i in range(len(specs))]
    progress = folder / f"trial_{tag}.progress"
    done = run_child(
        trial_command(ffmpeg, sample, specs, outputs, rules=rules, progress=progress),
        cancel=cancel, timeout=RUN_TIMEOUT, stderr_path=folder / f"trial_{tag}.log", meter=meter,
        progress_path=progress,
        on_position=lambda s: on_progress(encode_share * min(1.0, s / max(sample.seconds, 1e-3))),
    )  # fmt: skip
    if done.returncode != 0:
        raise TranscodeError(f"per-title analysis: a trial encode failed ({done.last_line()})", done.stderr)
    on_progress(encode_share)
    points: list[TrialPoint] = []
    for i, (spec, out) in enumerate(zip(specs, outputs, strict=True)):
        try:
            kbps = out.stat().st_size * 8 / 1000 / max(sample.seconds, 1e-3)
        except OSError as exc:
            raise TranscodeError("per-title analysis: a trial encode wrote nothing", str(exc)) from exc
        score = measure_trial(tool, out, sample, folder, cancel=cancel, meter=meter)
        out.unlink(missing_ok=True)
        points.append(
            TrialPoint(
                height=spec.height,
                width=spec.width,
                crf=spec.crf,
                kbps=round(kbps, 1),
                vmaf=round(score.mean, 4 if score.metric == "vmaf" else 6),
                vmaf_phone=None if score.phone_mean is None else round(score.phone_mean, 4),
                metric=score.metric,
                maxrate_kbps=spec.maxrate_kbps,
            )
        )
        on_progress(encode_share + (1.0 - encode_share) * (i + 1) / len(specs))
    return points
