"""Test media made by the real ffmpeg from lavfi sources (``testsrc2``/``smptebars`` + ``sine``).

``make_video`` is the general generator: it takes the output path first and keyword options after,
writes the file (the container follows the extension) and returns the path, raising
``MediaGenError`` with ffmpeg's stderr when ffmpeg fails. The ffprobe helpers here
(``ffprobe_json``, ``first_video_stream``, ``video_packet_times``, ``display_rotation_of``) read
generated files back independently of the code under test; ``save_probe_document`` stores what
ffprobe says about a file as a document for the pure parser tests (``tests/data/probe``).

The named sources the probe, ladder and transcode tests talk about (rotated by metadata, HDR10,
interlaced, two audio tracks, variable frame rate, the broken files ...) and the ``media``
fixture's ``MediaSet`` live in ``tests.mediasamples``; ``MediaSet`` and the sample tables are also
importable from here.

Keep files tiny: 320x180 and a couple of seconds unless a test needs the real dimensions.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

GENERATE_TIMEOUT = 180.0
SOURCES = ("testsrc2", "testsrc", "smptebars", "marker")
MP4_LIKE = ("mp4", "mov", "m4v", "m4a")


class MediaGenError(RuntimeError):
    """ffmpeg could not make a test file, or made something other than what was asked for."""


@cache
def ffmpeg_path() -> str:
    """The ffmpeg on PATH; raises MediaGenError when there is none."""
    found = shutil.which("ffmpeg")
    if not found:
        raise MediaGenError("ffmpeg is not on PATH (install FFmpeg to run the tests)")
    return found


@cache
def ffprobe_path() -> str:
    """The ffprobe on PATH; raises MediaGenError when there is none."""
    found = shutil.which("ffprobe")
    if not found:
        raise MediaGenError("ffprobe is not on PATH (install FFmpeg to run the tests)")
    return found


@cache
def ffmpeg_major() -> int:
    """Major version of the ffmpeg on PATH (5 for Debian 12's 5.1); 99 for git builds."""
    out = subprocess.run([ffmpeg_path(), "-version"], capture_output=True, text=True, check=True).stdout
    match = re.search(r"version n?(\d+)\.", out)
    return int(match.group(1)) if match else 99


def run_ffmpeg(args: Sequence[str], timeout: float = GENERATE_TIMEOUT) -> None:
    """Run ffmpeg quietly with ``args`` (overwriting outputs); raise MediaGenError with its stderr."""
    cmd = [ffmpeg_path(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *args]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0:
        raise MediaGenError(f"ffmpeg failed ({done.returncode}): {' '.join(cmd)}\n{done.stderr}")


def ffprobe_json(path: Path, *args: str) -> dict[str, Any]:
    """Raw ffprobe JSON of ``path`` (``-show_format -show_streams`` unless ``args`` say otherwise).

    Used to check generated media independently of the code under test.
    """
    wanted = list(args) or ["-show_format", "-show_streams"]
    cmd = [ffprobe_path(), "-v", "error", "-of", "json", *wanted, str(path)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=True)
    doc: dict[str, Any] = json.loads(done.stdout or "{}")
    return doc


def video_packet_times(path: Path, count: int = 300) -> list[float]:
    """Sorted presentation times of the first ``count`` packets of the first video stream."""
    doc = ffprobe_json(
        path, "-select_streams", "v:0", "-read_intervals", f"%+#{count}", "-show_entries", "packet=pts_time"
    )
    return sorted(
        float(p["pts_time"]) for p in doc.get("packets", []) if p.get("pts_time") not in (None, "N/A")
    )


def first_video_stream(path: Path) -> dict[str, Any]:
    """ffprobe's description of the first video stream of ``path``."""
    streams = ffprobe_json(path, "-show_streams", "-select_streams", "v:0").get("streams", [])
    if not streams:
        raise MediaGenError(f"{path.name} has no video stream")
    stream: dict[str, Any] = streams[0]
    return stream


def lavfi_video(source: str, width: int, height: int, fps: str, duration: float) -> tuple[str, str | None]:
    """A lavfi video source description and the filter that crops it to an odd size (or None).

    ``testsrc2`` and ``color`` round odd sizes down, so odd sizes are drawn one pixel larger and
    cropped. ``marker`` is a black frame with a white block in the top-left corner: it shows where
    "up" and "left" went after a rotation.
    """
    if source not in SOURCES:
        raise ValueError(f"unknown video source {source!r}; one of {', '.join(SOURCES)}")
    even_w, even_h = width + width % 2, height + height % 2
    size = f"{even_w}x{even_h}"
    if source == "marker":
        box = f"drawbox=x=0:y=0:w={max(2, width // 4)}:h={max(2, height // 4)}:color=white:t=fill"
        text = f"color=c=black:s={size}:r={fps}:d={duration},{box}"
    else:
        text = f"{source}=s={size}:r={fps}:d={duration}"
    # cropping 4:2:0 frames rounds to even sizes: go to 4:4:4 first (the encoder's format follows)
    crop = f"format=yuv444p,crop={width}:{height}:0:0" if (even_w, even_h) != (width, height) else None
    return text, crop


def _audio_args(
    tracks: int,
    codec: str,
    bitrate: str | None,
    channels: int,
    *,
    languages: Sequence[str],
    default: int | None,
) -> list[str]:
    args = ["-c:a", codec, "-ac", str(channels)]
    if bitrate:
        args += ["-b:a", bitrate]
    for track, language in enumerate(languages):
        args += [f"-metadata:s:a:{track}", f"language={language}"]
    if default is not None:
        for track in range(tracks):
            args += [f"-disposition:a:{track}", "default" if track == default else "0"]
    return args


def _video_codec_args(vcodec: str, preset: str, container: str) -> list[str]:
    if vcodec == "libx264":
        return ["-preset", preset]
    if vcodec == "libx265":
        args = ["-preset", preset, "-x265-params", "log-level=error"]
        return args + (["-tag:v", "hvc1"] if container in MP4_LIKE else [])
    return []


def _subtitle_input(path: Path, duration: float) -> Path:
    srt = path.with_name(f".{path.stem}.srt")
    end_ms = int(max(0.5, min(duration, 2.0)) * 1000)
    srt.write_text(f"1\n00:00:00,000 --> 00:00:{end_ms // 1000:02d},{end_ms % 1000:03d}\nHello\n\n", "utf-8")
    return srt


def _subtitle_codec(container: str) -> str:
    return {"mkv": "srt", "webm": "webvtt"}.get(container, "mov_text")


def make_video(
    path: Path,
    *,
    width: int = 320,
    height: int = 180,
    fps: float | str = 25,
    duration: float = 2.0,
    source: str = "testsrc2",
    vcodec: str = "libx264",
    pix_fmt: str = "yuv420p",
    preset: str = "ultrafast",
    video_bitrate: str | None = None,
    gop: int | None = None,
    vfilter: str | None = None,
    video_args: Sequence[str] = (),
    audio: bool = True,
    audio_tracks: int = 1,
    audio_codec: str = "aac",
    audio_bitrate: str | None = "64k",
    audio_channels: int = 2,
    sample_rate: int = 48000,
    audio_languages: Sequence[str] = (),
    default_audio: int | None = None,
    subtitle_language: str | None = None,
    container_args: Sequence[str] = (),
    extra_args: Sequence[str] = (),
) -> Path:
    """Write a test video to ``path`` and return ``path``.

    Video: ``source`` pattern at ``width``x``height`` and ``fps`` (a number or "30000/1001") for
    ``duration`` seconds, encoded with ``vcodec``/``pix_fmt`` (x264/x265 at ``preset``), optional
    ``vfilter`` chain and raw ``video_args``. Audio (when ``audio``): ``audio_tracks`` sine tracks
    of distinct pitch, ``audio_languages`` tags them in order, ``default_audio`` is the index that
    gets the default disposition (the others lose it). ``subtitle_language`` adds one subtitle
    track. ``container_args`` (e.g. ``-movflags +faststart``) and ``extra_args`` go just before
    the output path. The container follows the extension. Raises MediaGenError when ffmpeg fails.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    container = path.suffix.lower().lstrip(".")
    tracks = audio_tracks if audio else 0
    source_text, crop = lavfi_video(source, width, height, str(fps), duration)
    args: list[str] = ["-f", "lavfi", "-i", source_text]
    for track in range(tracks):
        freq = 440 + 220 * track
        args += ["-f", "lavfi", "-i", f"sine=frequency={freq}:sample_rate={sample_rate}:duration={duration}"]
    srt = _subtitle_input(path, duration) if subtitle_language else None
    if srt:
        args += ["-i", str(srt)]
    args += ["-map", "0:v", *[a for t in range(tracks) for a in ("-map", f"{t + 1}:a")]]
    if srt:
        args += ["-map", f"{tracks + 1}:s", "-c:s", _subtitle_codec(container)]
        args += ["-metadata:s:s:0", f"language={subtitle_language}"]
    filters = [f for f in (crop, vfilter) if f]
    if filters:
        args += ["-vf", ",".join(filters)]
    args += ["-c:v", vcodec, "-pix_fmt", pix_fmt, *_video_codec_args(vcodec, preset, container)]
    if video_bitrate:
        args += ["-b:v", video_bitrate]
    if gop:
        args += ["-g", str(gop)]
    args += list(video_args)
    if tracks:
        args += _audio_args(
            tracks,
            audio_codec,
            audio_bitrate,
            audio_channels,
            languages=audio_languages,
            default=default_audio,
        )
    args += ["-t", f"{duration}", *container_args, *extra_args, str(path)]
    try:
        run_ffmpeg(args)
    finally:
        if srt:
            srt.unlink(missing_ok=True)
    return path


def display_rotation_of(path: Path) -> int:
    """Clockwise display rotation (0/90/180/270) stored in the first video stream's display matrix."""
    for side in first_video_stream(path).get("side_data_list", []) or []:
        if "rotation" in side:
            # ffprobe reports the matrix angle counter-clockwise; players turn the picture clockwise
            return round(-float(side["rotation"])) % 360
    return 0


def save_probe_document(source: Path, dest: Path, about: str) -> dict[str, Any]:
    """Store what ffprobe says about ``source`` as a test document for the pure parser tests.

    The document holds ``about`` (one line), the file ``size``, ``probe``: the output of
    ``ffprobe -v error -of json -show_format -show_streams`` exactly as ``core.probe`` asks for it
    (``format.filename`` reduced to the file name) and ``packet_times``: the sorted pts of the first
    300 video packets (what ``core.probe`` reads for VFR detection). Returns the document.
    """
    probe = ffprobe_json(source)
    probe.get("format", {})["filename"] = source.name
    times = (
        video_packet_times(source) if any(s.get("codec_type") == "video" for s in probe["streams"]) else []
    )
    record = {"about": about, "size": source.stat().st_size, "probe": probe, "packet_times": times}
    dest.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    return record


# The catalogue of named samples builds on this module, so it is imported on first use only.
CATALOGUE_NAMES = ("BAD_SAMPLES", "GOOD_SAMPLES", "SAMPLES", "MediaSet", "Sample")


def __getattr__(name: str) -> Any:
    if name in CATALOGUE_NAMES:
        from tests import mediasamples

        return getattr(mediasamples, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
