"""Joining chunk reports into variant playlists (pure): exact fits pass, gaps and moved timelines fail."""

from __future__ import annotations

import copy
from fractions import Fraction
from pathlib import Path
from typing import Any

import m3u8
import pytest

from hlsstudio.core.command import EncodePlan
from hlsstudio.core.models import PlannedRung
from hlsstudio.core.tracks.audio import AudioRendition
from hlsstudio.farm.chunks import plan_chunks
from hlsstudio.farm.spec import FarmJob
from hlsstudio.farm.stitch import PTS_CLOCK, StitchError, join, ticks

RATE = Fraction(25)
BASE = 1.48  # where a fast x264 encode's first frame lands in MPEG-TS (1.4 s muxer delay + 2 frames)
RUNGS = ["180p", "144p"]


def spec(duration: float = 20.0) -> FarmJob:
    plan = EncodePlan(
        source=Path("in.mp4"),
        out_dir=Path("out"),
        rungs=[
            PlannedRung(
                name=n, width=w, height=h, video_kbps=100, audio_kbps=64, maxrate_kbps=110, bufsize_kbps=150
            )
            for n, w, h in (("180p", 320, 180), ("144p", 256, 144))
        ],
        frame_rate=RATE,
        segment_duration=4.0,
        init_segments=2,
        audio=[
            AudioRendition(
                rendition="a0-64k", group="audio-64k", input=0, stream=0, kbps=64, channels=2, name="x"
            )
        ],
    )
    chunks = plan_chunks(plan, duration, chunk_seconds=6, split_over=5)
    return FarmJob.of(
        "job1", plan, chunks, source="sources/x/in.mp4", audio_inputs=[], duration=duration, queue="cpu"
    )


def reports(job: FarmJob, frames_last: int = 50) -> list[dict[str, Any]]:
    """What the workers report for a clean run (every segment where the timeline puts it)."""
    out = []
    for index, chunk in enumerate(job.chunks):
        starts = list(chunk.starts)
        rungs: dict[str, dict[str, list[Any]]] = {
            rung: {
                "segments": [f"stream_{rung}_{chunk.first_segment + i:03d}.ts" for i in range(len(starts))],
                "pts": [BASE + s / float(RATE) for s in starts],
            }
            for rung in RUNGS
        }
        frames = (chunk.end_frame or 0) - starts[0] if chunk.end_frame else frames_last
        files = [n for r in rungs.values() for n in r["segments"]] + (
            [f"thumb_{index:03d}.jpg"] if index < 2 else []
        )
        out.append({"prefix": f"farm/job1/chunks/{chunk.part}/a{index}/", "rungs": rungs, "frames": frames,
                    "files": files})  # fmt: skip
    return out


AUDIO = {"prefix": "farm/job1/audio/x/", "files": ["audio_a0-64k.m3u8", "audio_a0-64k_000.ts"]}


def test_clean_chunks_join_into_vod_playlists_and_a_manifest() -> None:
    job = spec()
    assert len(job.chunks) == 4
    stitched = join(job, reports(job), AUDIO, "farm/job1/stitched/")
    playlist = m3u8.loads(stitched.playlists["stream_180p.m3u8"])
    assert [s.uri for s in playlist.segments] == [f"stream_180p_{i:03d}.ts" for i in range(7)]
    assert [s.duration for s in playlist.segments] == [2, 2, 2, 4, 4, 4, 2]
    assert playlist.is_endlist and playlist.playlist_type == "vod"
    files = stitched.files
    assert files["stream_180p_003.ts"] == "farm/job1/chunks/c0001/a1/stream_180p_003.ts"
    assert files["stream_144p.m3u8"] == "farm/job1/stitched/stream_144p.m3u8"
    assert files["thumb_001.jpg"] == "farm/job1/chunks/c0001/a1/thumb_001.jpg"
    assert files["audio_a0-64k_000.ts"] == "farm/job1/audio/x/audio_a0-64k_000.ts"


def test_a_chunk_off_the_timeline_fails_with_its_place() -> None:
    job = spec()
    moved = reports(job)
    moved[2]["rungs"]["144p"]["pts"] = [p + 0.08 for p in moved[2]["rungs"]["144p"]["pts"]]
    with pytest.raises(
        StitchError, match=r"stream_144p_004\.ts starts at 11\.560000 s, 11\.480000 s expected: chunk 3"
    ):
        join(job, moved, AUDIO, "p/")


def test_a_missing_segment_fails() -> None:
    job = spec()
    short = reports(job)
    short[1]["rungs"]["180p"] = {k: v[:-1] for k, v in short[1]["rungs"]["180p"].items()}
    with pytest.raises(StitchError, match="chunk 2 made 1 180p segments where 2 were planned"):
        join(job, short, AUDIO, "p/")


def test_a_misnamed_segment_fails() -> None:
    job = spec()
    wrong = copy.deepcopy(reports(job))
    wrong[1]["rungs"]["180p"]["segments"][0] = "stream_180p_001.ts"
    with pytest.raises(StitchError, match=r"wrote stream_180p_001\.ts where stream_180p_002\.ts belongs"):
        join(job, wrong, AUDIO, "p/")


def test_a_chunk_short_of_frames_fails() -> None:
    job = spec()
    short = reports(job)
    short[1]["frames"] -= 1
    with pytest.raises(StitchError, match="chunk 2 encoded 149 frames where 150 were planned"):
        join(job, short, AUDIO, "p/")


def test_missing_chunks_or_sound_fail() -> None:
    job = spec()
    with pytest.raises(StitchError, match="3 of 4 chunks"):
        join(job, reports(job)[:3], AUDIO, "p/")
    with pytest.raises(StitchError, match="sound"):
        join(job, reports(job), None, "p/")


def test_the_last_segment_lasts_its_frames() -> None:
    job = spec(duration=19.0)  # the last segment is 1 s: 25 frames
    stitched = join(job, reports(job, frames_last=25), AUDIO, "p/")
    assert m3u8.loads(stitched.playlists["stream_144p.m3u8"]).segments[-1].duration == 1.0


def test_ticks_round_like_ffmpeg() -> None:
    assert ticks(1, Fraction(24000, 1001)) == 3754  # 3753.75
    assert ticks(2, Fraction(24000, 1001)) == 7508  # 7507.5: halves away from zero
    assert ticks(180, Fraction(30000, 1001)) == 180 * 3003
    assert PTS_CLOCK == 90_000
