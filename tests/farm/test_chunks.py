"""Cutting a title into chunks on the one-process encode's segment grid (pure), checked against where
ffmpeg itself puts the keyframes of ``command.keyframe_times``."""

from __future__ import annotations

import itertools
import subprocess
from fractions import Fraction
from pathlib import Path

import pytest

from hlsstudio.core.command import EncodePlan, init_segments, keyframe_times
from hlsstudio.core.models import PlannedRung
from hlsstudio.farm.chunks import (
    boundary_time,
    frame_count,
    frame_time,
    has_poster,
    has_thumbnails,
    plan_chunks,
    poster_frame,
    segment_frames,
    thumbnails_before,
)
from tests.mediagen import ffmpeg_path, ffprobe_path

RUNG = PlannedRung(
    name="144p", width=256, height=144, video_kbps=100, audio_kbps=64, maxrate_kbps=110, bufsize_kbps=150
)


def make_plan(rate: Fraction, segment: float, first: float | None = None, **changes: object) -> EncodePlan:
    plan = EncodePlan(
        source=Path("in.mp4"),
        out_dir=Path("out"),
        rungs=[RUNG],
        frame_rate=rate,
        segment_duration=segment,
        init_segments=init_segments(segment, first),
    )
    return plan.model_copy(update=changes)


def ffmpeg_keyframes(plan: EncodePlan, frames: int) -> list[int]:
    """The frames ffmpeg makes keyframes with the one-process encode's -force_key_frames expression."""
    rate = f"{plan.frame_rate.numerator}/{plan.frame_rate.denominator}"
    encode = subprocess.run(
        [ffmpeg_path(), "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", f"color=s=64x36:r={rate}",
         "-frames:v", str(frames), "-c:v", "libx264", "-preset", "ultrafast", "-g", "100000",
         "-sc_threshold", "0", "-force_key_frames", keyframe_times(plan), "-f", "h264", "-"],
        capture_output=True, check=True, timeout=120,
    )  # fmt: skip
    probe = subprocess.run(
        [ffprobe_path(), "-v", "error", "-f", "h264", "-show_entries", "frame=key_frame",
         "-of", "csv=p=0", "-"],
        input=encode.stdout, capture_output=True, check=True, timeout=120,
    )  # fmt: skip
    flags = [line.strip(",") for line in probe.stdout.decode().split() if line.strip(",")]
    return [i for i, flag in enumerate(flags) if flag == "1"]


@pytest.mark.parametrize(
    ("rate", "segment", "first"),
    [
        (Fraction(25), 6.0, None),
        (Fraction(30000, 1001), 6.0, 2.0),
        (Fraction(24000, 1001), 4.0, 2.0),
        (Fraction(30), 6.0, None),
        (Fraction(60000, 1001), 5.0, 1.5),
        (Fraction(24), 7.0, 2.5),
    ],
)
def test_segment_starts_are_the_frames_ffmpeg_forces_keyframes_on(
    rate: Fraction, segment: float, first: float | None
) -> None:
    plan = make_plan(rate, segment, first)
    frames = frame_count(40.0, rate)
    assert segment_frames(plan, frames) == ffmpeg_keyframes(plan, frames)


def test_fast_start_boundaries_follow_the_muxers_grid() -> None:
    plan = make_plan(Fraction(25), 6.0, 2.0)
    assert [boundary_time(plan, n) for n in range(7)] == [0, 2, 4, 6, 10, 16, 22]
    assert segment_frames(plan, 25 * 17) == [0, 50, 100, 150, 250, 400]


def test_frame_time_is_index_times_the_time_base() -> None:
    assert frame_time(180, Fraction(30000, 1001)) == 180 * (1001 / 30000)
    assert frame_time(0, Fraction(25)) == 0.0


def test_a_short_title_is_one_chunk() -> None:
    plan = make_plan(Fraction(25), 6.0)
    chunks = plan_chunks(plan, 100.0, chunk_seconds=30, split_over=300)
    assert len(chunks) == 1
    assert chunks[0].starts == tuple(range(0, 2500, 150)) and chunks[0].end_frame is None


def test_a_long_title_is_cut_into_whole_segments_that_cover_it_once() -> None:
    plan = make_plan(Fraction(30000, 1001), 6.0, 2.0)
    duration = 600.0
    chunks = plan_chunks(plan, duration, chunk_seconds=60, split_over=300)
    everything = segment_frames(plan, frame_count(duration, plan.frame_rate))
    assert [s for c in chunks for s in c.starts] == everything
    assert [c.first_segment for c in chunks] == [
        sum(len(c.starts) for c in chunks[:i]) for i in range(len(chunks))
    ]
    for before, after in itertools.pairwise(chunks):
        assert before.end_frame == after.first_frame
    assert chunks[-1].end_frame is None
    assert all(len(c.starts) == 10 for c in chunks[:-1])


def test_a_short_tail_joins_the_chunk_before_it() -> None:
    plan = make_plan(Fraction(25), 6.0)
    chunks = plan_chunks(plan, 6 * 21 + 3, chunk_seconds=60, split_over=10)  # 22 segments, chunks of 10
    assert [len(c.starts) for c in chunks] == [10, 12]


def test_thumbnails_belong_to_the_chunk_holding_their_frame() -> None:
    plan = make_plan(Fraction(30000, 1001), 6.0, thumbnail_interval=10.0)
    # thumbnail N is the first frame at or after N * 10 s: frame 0, 300 (10.01 s), 600 (20.02 s) …
    assert thumbnails_before(plan, 0) == 0
    assert thumbnails_before(plan, 1) == 1
    assert thumbnails_before(plan, 300) == 1
    assert thumbnails_before(plan, 301) == 2
    chunks = plan_chunks(plan, 60.0, chunk_seconds=6, split_over=1)  # frames [0, 180), [180, 360) …
    assert [(c.first_frame, c.end_frame) for c in chunks[:4]] == [
        (0, 180),
        (180, 360),
        (360, 540),
        (540, 720),
    ]
    assert [has_thumbnails(plan, c) for c in chunks[:4]] == [True, True, False, True]


def test_the_poster_comes_from_exactly_one_chunk() -> None:
    plan = make_plan(Fraction(25), 4.0, poster_width=320, poster_at=3.3)
    assert poster_frame(plan) == 83  # 3.32 s: the first frame at or after 3.300 s
    chunks = plan_chunks(plan, 20.0, chunk_seconds=4, split_over=1)
    assert [has_poster(plan, c) for c in chunks].count(True) == 1
