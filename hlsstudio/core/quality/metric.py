"""Measuring an encode against its source with FFmpeg: VMAF where a VMAF-capable FFmpeg is found,
else SSIM from the main FFmpeg (said wherever the figure is shown).

VMAF comes from the static FFmpeg the ``imageio-ffmpeg`` wheel ships (built with libvmaf; it has no
ffprobe, and the app keeps its own FFmpeg for everything else). Both pictures are scaled to the
display size before comparing (the distorted rung up, as a player would show it). Two models are
run in one pass: the default model and the phone model (``enable_transform``), reported as
``vmaf`` and ``phone``: the phone figure is the one that matters for rungs up to 480p.
"""

from __future__ import annotations

import functools
import json
import math
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from hlsstudio.core.errors import HlsStudioError
from hlsstudio.core.proc import TimedOut, run_bounded

Metric = Literal["vmaf", "ssim"]
PHONE_MAX_HEIGHT = 480
"""Rungs up to this height are judged with the phone model."""
FILTER_CHECK_TIMEOUT = 20.0
MEASURE_TIMEOUT = 1800.0
REFERENCE_PREROLL = 3.0
"""Seconds the reference is decoded before an excerpt (seeking lands on a keyframe before it)."""
# two levels of escaping: the filtergraph's, then the option string's ("\\\\:" reaches libvmaf as ":")
VMAF_MODELS = "version=vmaf_v0.6.1\\\\:name=vmaf|version=vmaf_v0.6.1\\\\:name=phone\\\\:enable_transform=true"
_SSIM_ALL = re.compile(r"SSIM .*All:([0-9.]+)")


class QualityError(HlsStudioError):
    """A quality measurement that could not be made (the job goes on without the figure)."""


class QualityTool(BaseModel):
    """Which FFmpeg measures quality, with which metric, and a sentence saying so."""

    ffmpeg: str
    metric: Metric
    note: str


class Score(BaseModel):
    """One measurement: the metric, its mean and 5th percentile over the frames compared, the phone
    model's mean (VMAF only), and how many frames were compared."""

    metric: Metric
    mean: float
    p5: float
    phone_mean: float | None = None
    phone_p5: float | None = None
    frames: int

    def shown(self, height: int) -> float:
        """The figure to show for a rung ``height`` lines tall (VMAF: the phone model up to 480p)."""
        if self.metric == "vmaf" and height <= PHONE_MAX_HEIGHT and self.phone_mean is not None:
            return self.phone_mean
        return self.mean


@functools.cache
def has_filter(ffmpeg: str, name: str) -> bool:
    """Whether ``ffmpeg`` lists the filter ``name`` (False when it cannot be run)."""
    try:
        done = run_bounded([ffmpeg, "-hide_banner", "-filters"], FILTER_CHECK_TIMEOUT)
    except (OSError, TimedOut):
        return False
    return any(line.split()[1:2] == [name] for line in done.stdout.decode("utf-8", "replace").splitlines())


def bundled_ffmpeg() -> str | None:
    """The FFmpeg of the ``imageio-ffmpeg`` wheel, or None when the wheel (or its binary) is absent."""
    try:
        import imageio_ffmpeg  # optional at run time: the SSIM fallback needs no import
    except ImportError:
        return None
    try:
        path = imageio_ffmpeg.get_ffmpeg_exe()
    except RuntimeError:
        return None
    return str(path) if path and Path(path).is_file() else None


def find_quality_tool(main_ffmpeg: str) -> QualityTool:
    """VMAF from a libvmaf FFmpeg (the wheel's, else the main one if it has libvmaf), else SSIM."""
    for candidate in (bundled_ffmpeg(), main_ffmpeg):
        if candidate and has_filter(candidate, "libvmaf"):
            return QualityTool(ffmpeg=candidate, metric="vmaf", note=f"VMAF (libvmaf in {candidate})")
    return QualityTool(
        ffmpeg=main_ffmpeg,
        metric="ssim",
        note="SSIM: no FFmpeg with libvmaf was found (install the imageio-ffmpeg package for VMAF)",
    )


@dataclass(frozen=True)
class Excerpt:
    """A stretch of a file to compare: ``start`` s from its beginning, ``duration`` s long."""

    start: float = 0.0
    duration: float | None = None

    def input_args(self, path: Path | str) -> list[str]:
        """The input options reading this stretch of ``path`` (an input ``-ss`` when it starts later)."""
        seek = ["-ss", f"{self.start:.3f}"] if self.start > 0 else []
        length = ["-t", f"{self.duration:.3f}"] if self.duration else []
        return [*seek, *length, "-i", str(path)]


def _reference_input(reference: Path | str, at: Excerpt, chain: str) -> tuple[list[str], str]:
    """The reference's input options and its filters: seeking a little before the excerpt, then the
    encode's own filters on the file's timeline (``-copyts -start_at_zero``: the timestamps the
    encode saw) and a trim to the excerpt, so its frames are the very frames the encode was given."""
    seek = max(0.0, at.start - REFERENCE_PREROLL)
    args = (["-ss", f"{seek:.3f}"] if seek > 0 else []) + ["-i", str(reference)]
    length = f":duration={at.duration:.3f}" if at.duration else ""
    steps = [step for step in (chain, f"trim=start={at.start:.3f}{length}") if step]
    return args, ",".join(steps)


def quality_command(
    tool: QualityTool,
    distorted: Path | str,
    reference: Path | str,
    size: tuple[int, int],
    log: Path,
    *,
    distorted_at: Excerpt = Excerpt(),
    reference_at: Excerpt = Excerpt(),
    subsample: int = 1,
    threads: int = 2,
    reference_chain: str = "",
) -> list[str]:
    """FFmpeg comparing ``distorted`` with ``reference``, both scaled to ``size`` (the display size).

    ``distorted_at`` is read from ``distorted`` as it is (an encode's segments); ``reference_at`` is
    the same stretch on the reference's timeline, which ``reference_chain`` (the encode's normalising
    filters: deinterlace, frame rate …) prepares as the encode did. VMAF writes its JSON log to
    ``log``; SSIM prints its summary on stderr. ``subsample`` compares every N-th frame (VMAF only).
    """
    width, height = size
    scale = f"scale={width}:{height}:flags=bicubic,format=yuv420p"
    # the distorted stretch starts at its first frame; the reference at the stretch's start on the
    # title's timeline, not at its own first frame: a source whose picture starts a little after 0
    # gets its first frame repeated at 0 by the encode, and libvmaf then pairs frames by time
    reference_args, prepare = _reference_input(reference, reference_at, reference_chain)
    distorted_side = f"{scale},setpts=PTS-STARTPTS"
    reference_side = f"{prepare},{scale},setpts=PTS-{reference_at.start:.3f}/TB"
    if tool.metric == "vmaf":
        log_path = str(log).replace("\\", "/").replace(":", "\\\\:")
        compare = (
            f"libvmaf=log_fmt=json:log_path={log_path}:n_threads={threads}:n_subsample={subsample}"
            f":model={VMAF_MODELS}"
        )
    else:
        compare = "ssim"
    return [
        tool.ffmpeg, "-hide_banner", "-nostdin", "-copyts", "-start_at_zero",
        *distorted_at.input_args(distorted), *reference_args,
        "-lavfi", f"[0:v]{distorted_side}[d];[1:v]{reference_side}[r];[d][r]{compare}",
        "-f", "null", "-",
    ]  # fmt: skip


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return math.nan
    return ordered[min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))]


def parse_vmaf_log(doc: dict[str, object]) -> Score:
    """A Score from libvmaf's JSON log (``frames`` with per-frame ``vmaf`` and ``phone``).

    Raises QualityError when the log holds no frame.
    """
    frames = doc.get("frames")
    rows = [f.get("metrics", {}) for f in frames if isinstance(f, dict)] if isinstance(frames, list) else []
    default = [float(m["vmaf"]) for m in rows if isinstance(m, dict) and "vmaf" in m]
    phone = [float(m["phone"]) for m in rows if isinstance(m, dict) and "phone" in m]
    if not default:
        raise QualityError("the VMAF log lists no frame")
    return Score(
        metric="vmaf",
        mean=sum(default) / len(default),
        p5=_percentile(default, 0.05),
        phone_mean=sum(phone) / len(phone) if phone else None,
        phone_p5=_percentile(phone, 0.05) if phone else None,
        frames=len(default),
    )


def parse_ssim_output(stderr: str) -> Score:
    """A Score from the ssim filter's summary line (mean only: p5 is the mean). Raises QualityError."""
    found = _SSIM_ALL.findall(stderr)
    if not found:
        raise QualityError("FFmpeg printed no SSIM summary")
    value = float(found[-1])
    return Score(metric="ssim", mean=value, p5=value, frames=0)


def measure(
    tool: QualityTool,
    distorted: Path | str,
    reference: Path | str,
    size: tuple[int, int],
    *,
    distorted_at: Excerpt = Excerpt(),
    reference_at: Excerpt = Excerpt(),
    subsample: int = 1,
    reference_chain: str = "",
    timeout: float = MEASURE_TIMEOUT,
) -> Score:
    """Compare ``distorted`` with ``reference`` at ``size``. Raises QualityError with the reason."""
    with tempfile.TemporaryDirectory(prefix="hlsstudio-quality-") as folder:
        log = Path(folder) / "vmaf.json"
        cmd = quality_command(
            tool, distorted, reference, size, log,
            distorted_at=distorted_at, reference_at=reference_at, subsample=subsample,
            reference_chain=reference_chain,
        )  # fmt: skip
        try:
            done = run_bounded(cmd, timeout, background=True)
        except (OSError, TimedOut) as exc:
            raise QualityError(f"quality not measured: {exc}") from exc
        stderr = done.stderr.decode("utf-8", "replace")
        if done.returncode != 0:
            last = next((ln for ln in reversed(stderr.splitlines()) if ln.strip()), "no message")
            raise QualityError(f"quality not measured: FFmpeg failed ({last.strip()})", stderr[-4000:])
        if tool.metric == "ssim":
            return parse_ssim_output(stderr)
        try:
            doc = json.loads(log.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise QualityError("quality not measured: the VMAF log cannot be read", str(exc)) from exc
        return parse_vmaf_log(doc if isinstance(doc, dict) else {})
