"""Small HLS packages built with one plain ffmpeg command, for the HLS package tests.

``build_package`` writes what the pipeline writes (``stream_<name>.m3u8``, ``stream_<name>_NNN.ts``,
ffmpeg's own ``master.m3u8``) from lavfi sources, with knobs to make broken packages: keyframe
placement, segment cutting, a timestamp offset, no audio.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FFMPEG_TIMEOUT = 120.0


@dataclass(frozen=True)
class Rendition:
    """One variant to encode: name, output size and video bit rate (kbps)."""

    name: str
    width: int
    height: int
    kbps: int


TWO_RENDITIONS = (Rendition("180p", 320, 180, 300), Rendition("360p", 640, 360, 800))


def _filter_graph(renditions: tuple[Rendition, ...]) -> str:
    labels = "".join(f"[s{i}]" for i in range(len(renditions)))
    scales = ";".join(f"[s{i}]scale={r.width}:{r.height}[v{i}]" for i, r in enumerate(renditions))
    return f"[0:v]split={len(renditions)}{labels};{scales}"


def _rate_args(renditions: tuple[Rendition, ...]) -> list[str]:
    args: list[str] = []
    for i, r in enumerate(renditions):
        args += [f"-b:v:{i}", f"{r.kbps}k", f"-maxrate:v:{i}", f"{r.kbps * 11 // 10}k"]
        args += [f"-bufsize:v:{i}", f"{r.kbps * 3 // 2}k"]
    return args


def build_package(
    out_dir: Path,
    *,
    renditions: tuple[Rendition, ...] = TWO_RENDITIONS,
    duration: float = 5.0,
    segment: float = 2.0,
    fps: int = 25,
    audio: bool = True,
    keyframe_every: float | None = None,
    gop: int | None = None,
    split_by_time: bool = False,
    ts_offset: float = 0.0,
    profile: str | None = None,
    preset: str = "ultrafast",
) -> Path:
    """Encode a package into ``out_dir`` (created) and return it.

    Keyframes are forced every ``keyframe_every`` seconds (default: ``segment``); ``gop`` instead
    leaves them to x264 with that GOP length and no forcing. ``split_by_time`` cuts segments at
    ``segment`` whether or not a keyframe is there. ``ts_offset`` shifts all timestamps. x264's
    ``profile`` is a ceiling: ``preset="ultrafast"`` always gives Constrained Baseline, so ask for
    a slower preset (which also brings B-frames) to get Main or High.
    Raises RuntimeError (with ffmpeg's stderr) when ffmpeg fails.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    count = len(renditions)
    args = ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y"]
    args += ["-f", "lavfi", "-i", f"testsrc2=s=640x360:r={fps}:d={duration}"]
    if audio:
        args += ["-f", "lavfi", "-i", f"sine=f=440:d={duration}"]
    args += ["-filter_complex", _filter_graph(renditions)]
    for i in range(count):
        args += ["-map", f"[v{i}]"]
    if audio:
        args += ["-map", "1:a"] * count
    args += ["-c:v", "libx264", "-preset", preset, "-pix_fmt", "yuv420p", "-sc_threshold", "0"]
    if profile:
        args += ["-profile:v", profile]
    args += _rate_args(renditions)
    if gop is not None:
        args += ["-g", str(gop), "-keyint_min", str(gop)]
    else:
        args += ["-force_key_frames", f"expr:gte(t,n_forced*{keyframe_every or segment})"]
    if audio:
        args += ["-c:a", "aac", "-b:a", "96k", "-ac", "2", "-ar", "48000"]
    if ts_offset:
        args += ["-output_ts_offset", str(ts_offset)]
    flags = "independent_segments+split_by_time" if split_by_time else "independent_segments"
    args += ["-f", "hls", "-hls_time", str(segment), "-hls_playlist_type", "vod", "-hls_flags", flags]
    args += ["-hls_segment_type", "mpegts", "-hls_segment_filename", str(out_dir / "stream_%v_%03d.ts")]
    stream_map = " ".join(
        f"v:{i},a:{i},name:{r.name}" if audio else f"v:{i},name:{r.name}" for i, r in enumerate(renditions)
    )
    args += ["-master_pl_name", "master.m3u8", "-var_stream_map", stream_map, str(out_dir / "stream_%v.m3u8")]
    done = subprocess.run(args, capture_output=True, timeout=FFMPEG_TIMEOUT, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"ffmpeg failed: {done.stderr.decode(errors='replace')[-2000:]}")
    return out_dir


def ffprobe_json(path: Path, *extra: str) -> dict[str, Any]:
    """ffprobe's JSON about ``path`` (streams, plus whatever ``extra`` asks for)."""
    args = ["ffprobe", "-v", "error", "-of", "json", "-show_streams", *extra, str(path)]
    done = subprocess.run(args, capture_output=True, timeout=FFMPEG_TIMEOUT, check=True)
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def segments_of(package: Path, name: str) -> list[Path]:
    """The TS segments of variant ``name`` in a package, in order."""
    return sorted(package.glob(f"stream_{name}_*.ts"))
