"""The analysis's two reads of the source: the difficulty probe and the sample file.

* ``rank_candidates``: one FFmpeg decodes the middle of every candidate window (deblocking and
  non-reference frames skipped: the picture only has to rank, not to be seen), shrinks it to 320 px
  and encodes it with x264 ultrafast at CRF 28; the bitrate each one needs is its difficulty. Measured
  on a 30 s 1080p title: 0.98 rank correlation with a full-size x264 fast CRF 23 encode of the same
  windows (0.85-0.92 on a mix of cartoon, test pattern, sport, bars and noise), at a tenth of its CPU.
* ``cut_sample``: the chosen excerpts, prepared as the encode prepares the picture (the normalising
  chain: deinterlace, frame rate, tone-map, 8-bit 4:2:0) and scaled to the top rung's size, joined into
  one file which every trial and every quality measurement then reads, eight times or more. Raw
  frames when they fit in ``RAW_SAMPLE_MAX_BYTES`` (short titles, where the CPU budget is tightest:
  reading them costs nothing, while decoding a 6 s 1080p x264 sample costs 1.6 CPU s each time, 15 %
  of the analysis of a 30 s title), else near-lossless x264 (ultrafast CRF 12: quick to write and to
  decode).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

from hlsstudio.core.errors import TranscodeError
from hlsstudio.core.framerate import rate_text
from hlsstudio.core.models import MediaInfo
from hlsstudio.core.pertitle.runs import CpuMeter, run_child
from hlsstudio.core.pertitle.sampling import Window

PROBE_WIDTH = 320
PROBE_CRF = 28
SAMPLE_CRF = 12
RAW_SAMPLE_MAX_BYTES = 640 * 1024 * 1024
"""The largest sample kept as raw 4:2:0 frames (1080p: about 11 s at 25 fps)."""
RUN_TIMEOUT = 3600.0
DEFAULT_DEINTERLACER = "yadif"


def default_chain(info: MediaInfo, rate: Fraction) -> str:
    """The normalising filters when the caller has none: deinterlace (yadif) when the source is
    interlaced, the output frame rate, 8-bit 4:2:0 (no tone-mapping: pass the encode's own chain,
    ``command.normalise_chain``, for HDR sources)."""
    steps: list[str] = []
    if info.interlaced:
        steps.append(f"{DEFAULT_DEINTERLACER}=mode=send_frame:parity=auto:deint=interlaced")
    steps += [f"fps={rate_text(rate)}", "format=yuv420p"]
    return ",".join(steps)


def _quiet(ffmpeg: str) -> list[str]:
    return [ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error", "-y"]


def probe_command(ffmpeg: str, source: Path, slices: Sequence[Window], outputs: Sequence[Path]) -> list[str]:
    """FFmpeg encoding each slice of ``source`` small and fast into its own file in ``outputs``."""
    inputs: list[str] = []
    for window in slices:
        inputs += ["-skip_loop_filter", "all", "-skip_frame", "noref", "-ss", f"{window.start:.3f}",
                   "-t", f"{window.duration:.3f}", "-i", str(source)]  # fmt: skip
    graph = ";".join(
        f"[{i}:v:0]scale={PROBE_WIDTH}:-2:flags=fast_bilinear,format=yuv420p[p{i}]"
        for i in range(len(slices))
    )
    encode: list[str] = []
    for i, out in enumerate(outputs):
        encode += ["-map", f"[p{i}]", "-an", "-sn", "-c:v", "libx264", "-preset", "ultrafast",
                   "-crf", str(PROBE_CRF), str(out)]  # fmt: skip
    return [*_quiet(ffmpeg), *inputs, "-filter_complex", graph, *encode]


def raw_sample_fits(size: tuple[int, int], frames: int) -> bool:
    """Whether ``frames`` raw 4:2:0 frames of ``size`` fit in ``RAW_SAMPLE_MAX_BYTES``."""
    return size[0] * size[1] * 3 // 2 * frames <= RAW_SAMPLE_MAX_BYTES


def sample_command(
    ffmpeg: str,
    source: Path,
    excerpts: Sequence[Window],
    *,
    chain: str,
    size: tuple[int, int],
    out: Path,
    raw: bool = False,
) -> list[str]:
    """FFmpeg joining ``excerpts`` of ``source``, normalised by ``chain`` and scaled to ``size``, into
    ``out``: the sample every trial reads (``raw``: raw frames in NUT, else near-lossless x264)."""
    width, height = size
    inputs: list[str] = []
    for window in excerpts:
        inputs += ["-ss", f"{window.start:.3f}", "-t", f"{window.duration:.3f}", "-i", str(source)]
    prepare = f"{chain}," if chain else ""
    parts = [
        f"[{i}:v:0]{prepare}scale={width}:{height}:flags=bicubic,setsar=1[e{i}]" for i in range(len(excerpts))
    ]
    joined = "".join(f"[e{i}]" for i in range(len(excerpts)))
    parts.append(f"{joined}concat=n={len(excerpts)}:v=1:a=0,format=yuv420p[sample]")
    codec = (
        ["-c:v", "rawvideo", "-f", "nut"]
        if raw
        else ["-c:v", "libx264", "-preset", "ultrafast", "-crf", str(SAMPLE_CRF)]
    )
    return [
        *_quiet(ffmpeg), *inputs,
        "-filter_complex", ";".join(parts),
        "-map", "[sample]", "-an", "-sn", "-dn", *codec, str(out),
    ]  # fmt: skip


def rank_candidates(
    ffmpeg: str,
    source: Path,
    slices: Sequence[Window],
    folder: Path,
    *,
    cancel: threading.Event,
    meter: CpuMeter,
) -> list[float]:
    """The difficulty of each slice (kb/s its small fast encode needs; higher is harder).

    Raises TranscodeError when FFmpeg fails, CancelledError when ``cancel`` is set.
    """
    outputs = [folder / f"probe_{i:02d}.mkv" for i in range(len(slices))]
    done = run_child(
        probe_command(ffmpeg, source, slices, outputs),
        cancel=cancel, timeout=RUN_TIMEOUT, stderr_path=folder / "probe.log", meter=meter,
    )  # fmt: skip
    if done.returncode != 0:
        raise TranscodeError(
            f"per-title analysis: the difficulty probe failed ({done.last_line()})", done.stderr
        )
    scores: list[float] = []
    for out, window in zip(outputs, slices, strict=True):
        try:
            size = out.stat().st_size
        except OSError:
            size = 0
        scores.append(size * 8 / 1000 / max(window.duration, 1e-3))
    return scores


def cut_sample(
    ffmpeg: str,
    source: Path,
    excerpts: Sequence[Window],
    folder: Path,
    *,
    chain: str,
    size: tuple[int, int],
    fps: float,
    cancel: threading.Event,
    meter: CpuMeter,
) -> Path:
    """Write the sample file into ``folder`` and return its path (raw frames when they fit).

    Raises TranscodeError when FFmpeg fails or writes nothing, CancelledError when ``cancel`` is set.
    """
    frames = round(sum(w.duration for w in excerpts) * fps) + len(excerpts)
    raw = raw_sample_fits(size, frames)
    out = folder / ("sample.nut" if raw else "sample.mkv")
    done = run_child(
        sample_command(ffmpeg, source, excerpts, chain=chain, size=size, out=out, raw=raw),
        cancel=cancel, timeout=RUN_TIMEOUT, stderr_path=folder / "sample.log", meter=meter,
    )  # fmt: skip
    if done.returncode != 0 or not out.is_file() or out.stat().st_size == 0:
        raise TranscodeError(
            f"per-title analysis: the sample could not be cut ({done.last_line()})", done.stderr
        )
    return out
