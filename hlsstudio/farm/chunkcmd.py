"""The ffmpeg commands of a farm job: one chunk's rungs, the timestamp calibration, the sound (pure).

A chunk decodes from a little before its first frame (``-ss`` before the input is fast but lands on a
source keyframe; ``-copyts -start_at_zero`` keeps the title's own timeline), normalises the picture
as the one-process encode does and keeps exactly its frames with ``trim`` on the constant-rate grid
(frame-exact, whatever the source's keyframes). Every rung is scaled from that one decode (the same
cascade, ``command.build_filter_graph``) and encoded with the same options, except that keyframes
are forced at the chunk's own segment starts (a list of times a quarter frame early, so rounding
cannot move them) and the segment muxer cuts at those frames.

Timestamps: a one-process encode whose first frame has B-frames after it starts its decode times
below zero, and the muxer moves the whole title later by that delay. A chunk starting later has no
negative times, so it is moved by the same delay itself (``-output_ts_offset``): the delay is learnt
from a few frames encoded with the rung's options (``calibration_command``), and the first chunk,
given the same offset, needs no move from its muxer either. The sound is encoded once, for the
whole title, by the one-process encode's own audio outputs (``audio_command``).
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

from hlsstudio.core import layout
from hlsstudio.core.command import (
    GUESS_LAYOUT_MAX,
    EncodePlan,
    audio_chains,
    audio_output,
    build_filter_graph,
    encoder_args,
    poster_output,
    rung_video_args,
    thumbnail_output,
)
from hlsstudio.core.framerate import rate_text
from hlsstudio.farm.chunks import Chunk, frame_time, has_poster, has_thumbnails, thumbnails_before

PREROLL_SECONDS = 0.5
"""How far before a chunk's first frame its frames start (the decode itself starts at the source's
keyframe before that): filters that look at neighbouring frames, deinterlacing and the frame-rate
conversion, then see the same frames as in a one-process encode."""
CALIBRATION_FRAMES = 8
PTS_CLOCK = 90_000
HTTP_INPUT = ["-reconnect", "1", "-reconnect_on_network_error", "1", "-reconnect_delay_max", "30"]
CALIBRATION_SUFFIX = ".framecrc"


def input_args(location: str, seek: float = 0.0) -> list[str]:
    """``-i location`` with the options a bucket URL needs (reconnects) and a fast seek to ``seek`` s."""
    remote = HTTP_INPUT if location.startswith(("http://", "https://")) else []
    seeking = ["-ss", f"{seek:.6f}"] if seek > 0 else []
    return [*remote, *seeking, "-guess_layout_max", str(GUESS_LAYOUT_MAX), "-i", location]


def keyframe_list(starts: list[int], rate: Fraction) -> str:
    """``-force_key_frames`` times a quarter frame before each of ``starts`` (exact after rounding)."""
    return ",".join(f"{max(frame_time(frame, rate) - 0.25 / float(rate), 0.0):.6f}" for frame in starts)


def _with_keyframes(args: list[str], keyframes: str) -> list[str]:
    """``encoder_args`` with the keyframe expression replaced by ``keyframes``."""
    out = list(args)
    out[out.index("-force_key_frames:v") + 1] = keyframes
    return out


def offset_seconds(ticks: int) -> str:
    """A 90 kHz delay as ``-output_ts_offset`` seconds that round back to exactly ``ticks``."""
    return f"{round(ticks * 1_000_000 / PTS_CLOCK) / 1_000_000:.6f}"


def _segment_muxer(starts: list[int], first_segment: int) -> list[str]:
    relative = [str(frame - starts[0]) for frame in starts[1:]]
    cuts = ["-segment_frames", ",".join(relative)] if relative else ["-segment_time", "86400"]
    return ["-f", "segment", "-segment_format", "mpegts", *cuts, "-segment_start_number", str(first_segment)]


def chunk_command(
    plan: EncodePlan,
    chunk: Chunk,
    source: str,
    offsets: dict[str, int],
    *,
    starts: list[int] | None = None,
    ffmpeg: str = "ffmpeg",
) -> list[str]:
    """The ffmpeg arguments that encode ``chunk`` of ``plan`` into ``plan.out_dir``.

    ``source`` is a path or URL of the source; ``offsets`` maps each rung name to its 90 kHz delay
    (``calibration_delays``); ``starts`` are the segment starts to cut at (default: the chunk's; the
    last chunk passes a few more, past the expected end). Segments are named as in the package
    (``stream_<rung>_<N>.ts``, N counting from the chunk's first segment); the thumbnails and the
    poster frame that fall in the chunk are written too.
    """
    starts = list(starts or chunk.starts)
    thumbs = has_thumbnails(plan, chunk)
    own = plan.model_copy(
        update={
            "thumbnail_interval": plan.thumbnail_interval if thumbs else None,
            "poster_width": plan.poster_width if has_poster(plan, chunk) else None,
            "audio": [],  # the sound is encoded once, for the whole title
        }
    )
    first_thumb = thumbnails_before(plan, chunk.first_frame)
    graph = build_filter_graph(own, frames=(chunk.first_frame, chunk.end_frame), first_thumbnail=first_thumb)
    if chunk.first_frame == 0:
        graph = from_zero(graph, plan.frame_rate)
    keyframes = keyframe_list(starts, plan.frame_rate)
    seek = max(frame_time(chunk.first_frame, plan.frame_rate) - PREROLL_SECONDS, 0.0)
    outputs: list[str] = []
    for i, rung in enumerate(plan.rungs):
        pattern = layout.SEGMENT_PATTERN.replace(layout.VARIANT_TOKEN, rung.name)
        outputs += [
            "-map", f"[v{i}]", *rung_video_args(plan, 0, rung),
            *_with_keyframes(encoder_args(plan), keyframes),
            "-map_metadata", "-1", "-map_chapters", "-1", "-max_muxing_queue_size", "4096",
            "-output_ts_offset", offset_seconds(offsets.get(rung.name, 0)),
            *_segment_muxer(starts, chunk.first_segment),
            str(plan.out_dir / pattern),
        ]  # fmt: skip
    return [
        ffmpeg, "-hide_banner", "-loglevel", "warning", "-y",
        *input_args(source, seek), "-copyts", "-start_at_zero",
        "-filter_complex", graph,
        *outputs,
        *thumbnail_output(own, first_thumb),
        *poster_output(own),
    ]  # fmt: skip


def from_zero(graph: str, rate: Fraction) -> str:
    """The first chunk's graph with its frames starting at 0, as a one-process encode's do: when the
    picture starts a little after the sound (B-frames in Matroska: 23 ms), that encode repeats the
    first picture at 0 (its constant-rate output fills the gap), which ``fps`` does with ``start_time``."""
    step = f"fps={rate_text(rate)}"
    return graph.replace(step, f"{step}:start_time=0", 1)


def calibration_file(folder: Path, rung: str) -> Path:
    """Where the calibration of ``rung`` writes its packet list."""
    return folder / f"calibrate_{rung}{CALIBRATION_SUFFIX}"


def calibration_command(plan: EncodePlan, folder: Path, ffmpeg: str = "ffmpeg") -> list[str]:
    """A few black frames encoded with every rung's options; each rung's packets (decode and
    presentation times) go to ``calibration_file(folder, rung)``."""
    rate = rate_text(plan.frame_rate)
    outputs: list[str] = []
    for rung in plan.rungs:
        outputs += [
            "-map", "0:v:0", "-vf", f"scale={rung.width}:{rung.height},setsar=1,format=yuv420p",
            "-frames:v", str(CALIBRATION_FRAMES), *rung_video_args(plan, 0, rung), *encoder_args(plan),
            "-f", "framecrc", str(calibration_file(folder, rung.name)),
        ]  # fmt: skip
    top = max(plan.rungs, key=lambda r: r.width * r.height)
    source = f"color=c=black:s={top.width}x{top.height}:r={rate}"
    return [ffmpeg, "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", source, *outputs]


def parse_calibration(text: str) -> int:
    """The 90 kHz delay of a framecrc packet list: how far below zero its first decode time is."""
    time_base: Fraction | None = None
    for line in text.splitlines():
        if line.startswith("#tb 0:"):
            time_base = Fraction(line.split(":", 1)[1].strip())
        elif line and not line.startswith("#") and time_base is not None:
            dts = int(line.split(",")[1])
            ticks = -dts * time_base * PTS_CLOCK
            return max(0, int(ticks + Fraction(1, 2)))  # round half up, as the muxer's rescale does
    raise ValueError("the calibration wrote no packet")


def shared_delay(plan: EncodePlan, delays: dict[str, int]) -> dict[str, int]:
    """Each rung's delay as the one-process encode applies it: one HLS muxer for every rung (no fast
    start) moves them all by the largest delay; with fast start each rung has its own muxer."""
    if plan.first_segment_duration is not None or not delays:
        return dict(delays)
    largest = max(delays.values())
    return {name: largest for name in delays}


def audio_command(plan: EncodePlan, inputs: list[str], ffmpeg: str = "ffmpeg") -> list[str]:
    """The one-process encode's sound alone: ``inputs`` (the source, then the audio files beside it,
    as paths or URLs) decoded once, every audio rendition into ``plan.out_dir``."""
    args = [arg for location in inputs for arg in input_args(location)]
    outputs = [arg for i, rendition in enumerate(plan.audio) for arg in audio_output(plan, i, rendition)]
    return [
        ffmpeg, "-hide_banner", "-loglevel", "warning", "-y",
        *args,
        "-filter_complex", ";".join(audio_chains(plan)),
        *outputs,
    ]  # fmt: skip
