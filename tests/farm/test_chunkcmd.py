"""The farm's ffmpeg commands: a chunk's (frame-exact window, own keyframes and cuts, timestamps moved
like the one-process encode's), the timestamp calibration (real ffmpeg), the sound's."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from hlsstudio.core.command import EncodePlan, init_segments
from hlsstudio.core.models import PlannedRung
from hlsstudio.core.proc import run_bounded
from hlsstudio.core.tracks.audio import AudioRendition
from hlsstudio.farm.chunkcmd import (
    audio_command,
    calibration_command,
    calibration_file,
    chunk_command,
    input_args,
    keyframe_list,
    offset_seconds,
    parse_calibration,
    shared_delay,
)
from hlsstudio.farm.chunks import plan_chunks
from tests.mediagen import ffmpeg_path

RUNGS = [
    PlannedRung(name=n, width=w, height=h, video_kbps=100, audio_kbps=64, maxrate_kbps=110, bufsize_kbps=150)
    for n, w, h in (("180p", 320, 180), ("144p", 256, 144))
]
AUDIO = AudioRendition(
    rendition="a0-64k", group="audio-64k", input=0, stream=0, kbps=64, channels=2, name="x"
)


def make_plan(out: Path, preset: str = "fast", first: float | None = 2.0, **changes: object) -> EncodePlan:
    plan = EncodePlan(
        source=Path("in.mp4"),
        out_dir=out,
        rungs=RUNGS,
        frame_rate=Fraction(25),
        preset=preset,
        segment_duration=4.0,
        init_segments=init_segments(4.0, first),
        audio=[AUDIO],
        audio_duration=20.0,
        poster_width=320,
        poster_at=2.0,
    )
    return plan.model_copy(update=changes)


def value_after(args: list[str], flag: str, nth: int = 0) -> str:
    positions = [i for i, a in enumerate(args) if a == flag]
    return args[positions[nth] + 1]


def test_a_later_chunk_decodes_from_before_it_and_keeps_exactly_its_frames(tmp_path: Path) -> None:
    plan = make_plan(tmp_path)
    chunks = plan_chunks(plan, 20.0, chunk_seconds=6, split_over=5)
    second = chunks[1]  # segments 2 and 3: frames 100 (4 s) and 150 (6 s), up to 250
    args = chunk_command(plan, second, "/media/in.mp4", {"180p": 7200, "144p": 0})
    at = args.index("-i")
    assert args[at - 4 : at + 5] == ["-ss", "3.500000", "-guess_layout_max", "8", "-i", "/media/in.mp4",
                                     "-copyts", "-start_at_zero", "-filter_complex"]  # fmt: skip
    assert value_after(args, "-ss") == "3.500000"  # half a second before its first frame
    assert "-copyts" in args and "-start_at_zero" in args
    graph = value_after(args, "-filter_complex")
    assert "[0:v:0]fps=25,format=yuv420p,trim=start_pts=100:end_pts=250[s0]" in graph  # no thumbnail here
    assert "aresample" not in graph  # the sound is encoded once, elsewhere
    assert value_after(args, "-force_key_frames:v") == "3.990000,5.990000"  # a quarter frame early
    assert value_after(args, "-segment_frames") == "50"
    assert value_after(args, "-segment_start_number") == "2"
    assert value_after(args, "-output_ts_offset", 0) == "0.080000"
    assert value_after(args, "-output_ts_offset", 1) == "0.000000"
    assert str(tmp_path / "stream_144p_%03d.ts") in args
    assert str(tmp_path / "poster.jpg") not in args  # the poster frame (2 s) is the first chunk's


def test_the_first_chunk_is_not_seeked_and_makes_the_poster(tmp_path: Path) -> None:
    plan = make_plan(tmp_path)
    first = plan_chunks(plan, 20.0, chunk_seconds=6, split_over=5)[0]
    args = chunk_command(plan, first, "/media/in.mp4", {})
    assert "-ss" not in args
    assert str(tmp_path / "poster.jpg") in args
    graph = value_after(args, "-filter_complex")
    assert "select='gte(t\\,selected_n*10)'" in graph
    # a picture starting after the sound has its first frame repeated at 0, as the one-process encode does
    assert "[0:v:0]fps=25:start_time=0,format=yuv420p,trim=start_pts=0:end_pts=" in graph


def test_a_bucket_url_is_read_with_reconnects() -> None:
    args = input_args("https://bucket.example/sources/x.mp4?X-Amz-Signature=abc", seek=12.5)
    assert args[:2] == ["-reconnect", "1"] and "-reconnect_on_network_error" in args
    assert args[-2:] == ["-i", "https://bucket.example/sources/x.mp4?X-Amz-Signature=abc"]
    assert "-reconnect" not in input_args("/local/file.mp4")


@pytest.mark.parametrize("ticks", [0, 3600, 6006, 7200, 7508, 3754])
def test_offsets_round_back_to_the_same_ticks(ticks: int) -> None:
    assert round(float(offset_seconds(ticks)) * 90_000) == ticks


def test_keyframe_times_sit_a_quarter_frame_before_each_start() -> None:
    rate = Fraction(30000, 1001)
    times = [float(t) for t in keyframe_list([0, 180, 360], rate).split(",")]
    assert times[0] == 0.0
    assert all(abs(t - (f - 0.25) * 1001 / 30000) < 1e-6 for t, f in zip(times[1:], [180, 360], strict=True))


@pytest.mark.parametrize(("preset", "expected"), [("ultrafast", 0), ("fast", 7200)])
def test_calibration_finds_the_encoders_decode_delay(tmp_path: Path, preset: str, expected: int) -> None:
    plan = make_plan(tmp_path, preset=preset)
    done = run_bounded(calibration_command(plan, tmp_path, ffmpeg_path()), 120)
    assert done.returncode == 0, done.stderr.decode()
    delays = {r.name: parse_calibration(calibration_file(tmp_path, r.name).read_text()) for r in RUNGS}
    assert delays == {"180p": expected, "144p": expected}  # B-frames: two frames (x264 fast)


def test_one_shared_muxer_moves_every_rung_by_the_largest_delay(tmp_path: Path) -> None:
    delays = {"180p": 7200, "144p": 0}
    assert shared_delay(make_plan(tmp_path, first=None), delays) == {"180p": 7200, "144p": 7200}
    assert shared_delay(make_plan(tmp_path, first=2.0), delays) == delays


def test_parse_calibration_reads_the_first_decode_time() -> None:
    text = "#tb 0: 1001/24000\n#media_type 0: video\n0,         -2,          0,        1,      852, 0x1\n"
    assert parse_calibration(text) == 7508  # 2 frames of 23.976 fps, rounded up from 7507.5
    with pytest.raises(ValueError):
        parse_calibration("#tb 0: 1/25\n")


def test_the_sound_alone_uses_the_one_process_audio_outputs(tmp_path: Path) -> None:
    plan = make_plan(tmp_path)
    args = audio_command(plan, ["https://b.example/src.mp4", "/x/dub.wav"])
    assert args.count("-i") == 2
    graph = value_after(args, "-filter_complex")
    assert graph.startswith("[0:a:0]aresample=48000") and "[0:v" not in graph
    assert str(tmp_path / "audio_a0-64k.m3u8") == args[-1]
    assert value_after(args, "-hls_init_time") == "2"
