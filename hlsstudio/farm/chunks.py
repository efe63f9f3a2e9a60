"""A title cut into chunks of whole segments, on the segment grid of the one-process encode (pure).

The one-process encode forces a keyframe at the first frame whose time reaches each segment boundary
(``command.keyframe_times``: ffmpeg evaluates ``gte(t, …)`` in doubles, ``t`` being the frame's index
times the encoder's time base ``1/rate``) and the HLS muxer cuts there. ``segment_frames`` repeats that
arithmetic, so a chunk knows the exact frame of every segment start it owns: chunks start on segment
starts, their own keyframes and cuts fall on the same frames, and the stitched title has the same
segment boundaries as a one-process encode of the same settings. Thumbnails and the poster are taken
by the same rules (the first frame at or after N intervals; the first frame at or after the poster
time) and each is made by the chunk holding its frame.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from hlsstudio.core.command import EncodePlan

MIN_LAST_SHARE = 0.5
"""A last chunk shorter than this share of a chunk is joined to the one before it."""


@dataclass(frozen=True)
class Chunk:
    """One chunk: its segments' first frames (global frame indices) and the frame after it."""

    index: int
    first_segment: int
    starts: tuple[int, ...]
    end_frame: int | None  # None: to the end of the title

    @property
    def first_frame(self) -> int:
        """The chunk's first frame (the first frame of its first segment)."""
        return self.starts[0]

    @property
    def segments(self) -> int:
        """How many segments the chunk makes (the last chunk: at least this many)."""
        return len(self.starts)


def frame_time(index: int, rate: Fraction) -> float:
    """The time ffmpeg gives frame ``index`` of a ``rate`` picture: ``index * av_q2d(1/rate)``."""
    return index * (rate.denominator / rate.numerator)


def _g(value: float) -> float:
    """``value`` as the keyframe expression spells it (``%g``: six significant digits)."""
    return float(f"{value:g}")


def boundary_time(plan: EncodePlan, number: int) -> float:
    """The time segment ``number`` starts at, computed as the keyframe expression computes it."""
    first = plan.first_segment_duration
    if first is None:
        return number * _g(plan.segment_duration)
    k = plan.init_segments
    if number <= k:
        return number * _g(first)
    return _g((k - 1) * first) + (number - k) * _g(plan.segment_duration)


def first_frame_at(time: float, rate: Fraction) -> int:
    """The first frame whose time (as ffmpeg computes it) is at or after ``time``."""
    index = max(0, math.floor(time * rate) - 2)
    while frame_time(index, rate) < time:
        index += 1
    return index


def segment_frames(plan: EncodePlan, frame_count: int) -> list[int]:
    """The first frame of every segment of a title of ``frame_count`` frames, in order."""
    starts: list[int] = []
    number = 0
    while True:
        frame = first_frame_at(boundary_time(plan, number), plan.frame_rate)
        if frame >= frame_count:
            return starts
        starts.append(frame)
        number += 1


def frame_count(duration: float, rate: Fraction) -> int:
    """How many frames a ``duration`` s title has at ``rate`` (the constant-rate picture)."""
    return max(1, math.floor(duration * rate + 0.5))


def segments_per_chunk(plan: EncodePlan, chunk_seconds: float) -> int:
    """How many regular segments make a chunk of about ``chunk_seconds``."""
    return max(1, round(chunk_seconds / plan.segment_duration))


def plan_chunks(plan: EncodePlan, duration: float, *, chunk_seconds: float, split_over: float) -> list[Chunk]:
    """The chunks of a ``duration`` s title: one when it lasts at most ``split_over`` s, else chunks of
    about ``chunk_seconds`` (whole segments each; a short tail joins the chunk before it)."""
    starts = segment_frames(plan, frame_count(duration, plan.frame_rate))
    if duration <= split_over or len(starts) < 2:
        return [Chunk(0, 0, tuple(starts or [0]), None)]
    size = segments_per_chunk(plan, chunk_seconds)
    groups = [starts[i : i + size] for i in range(0, len(starts), size)]
    if len(groups) > 1 and len(groups[-1]) < size * MIN_LAST_SHARE:
        groups[-2:] = [groups[-2] + groups[-1]]
    chunks: list[Chunk] = []
    first = 0
    for index, group in enumerate(groups):
        end = groups[index + 1][0] if index + 1 < len(groups) else None
        chunks.append(Chunk(index, first, tuple(group), end))
        first += len(group)
    return chunks


def thumbnails_before(plan: EncodePlan, frame: int) -> int:
    """How many thumbnails come from frames before ``frame`` (thumbnail N is the first frame at or
    after N intervals)."""
    if not plan.thumbnail_interval or frame <= 0:
        return 0
    last = frame_time(frame - 1, plan.frame_rate)
    interval = _g(plan.thumbnail_interval)
    count = math.floor(last / interval) + 1
    while count > 0 and (count - 1) * interval > last:
        count -= 1
    while count * interval <= last:
        count += 1
    return count


def has_thumbnails(plan: EncodePlan, chunk: Chunk) -> bool:
    """Whether any thumbnail comes from the chunk's frames."""
    if not plan.thumbnail_interval:
        return False
    if chunk.end_frame is None:
        return True
    return thumbnails_before(plan, chunk.end_frame) > thumbnails_before(plan, chunk.first_frame)


def poster_frame(plan: EncodePlan) -> int:
    """The frame the poster is taken from: the first at or after ``poster_at`` (three decimals)."""
    return first_frame_at(float(f"{plan.poster_at:.3f}"), plan.frame_rate)


def has_poster(plan: EncodePlan, chunk: Chunk) -> bool:
    """Whether the poster frame is one of the chunk's frames."""
    if not plan.poster_width:
        return False
    frame = poster_frame(plan)
    return frame >= chunk.first_frame and (chunk.end_frame is None or frame < chunk.end_frame)
