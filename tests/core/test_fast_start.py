"""Fast start: the first segments are shorter (2 s by default) and together last one regular segment.

``init_segments`` decides how many; the HLS muxer writes them in a window (``-hls_init_time`` with
``-hls_list_size`` one less), then one segment of the regular length less a short one, then regular
ones: the keyframe expression puts an IDR at each of those starts, so audio-only outputs (which
follow the muxer's grid, having no keyframes) cut where the video does. ``complete_playlist`` turns
the window into the whole VOD playlist. The
last part runs the app's command with the real ffmpeg on a 20 s clip (about two seconds).
"""

from __future__ import annotations

import shutil
import subprocess
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from hlsstudio.core.command import EncodePlan, build_hls_command, init_segments, keyframe_times
from hlsstudio.core.errors import ValidationFailed
from hlsstudio.core.hls.tsinfo import read_segment_info
from hlsstudio.core.hls.vod_playlists import complete_playlist, render_vod_playlist
from hlsstudio.core.ladder import default_ladder
from hlsstudio.core.models import EncodeSettings, MediaInfo, PlannedRung
from hlsstudio.core.outputs import complete_playlists
from hlsstudio.core.planning import build_plan
from hlsstudio.core.probe import probe_file
from hlsstudio.core.toolchain import Capabilities
from tests.mediagen import ffprobe_json

CAPS = Capabilities(version="5.1", encoders={"libx264": True}, filters={})
RUNG = PlannedRung(
    name="r", width=320, height=180, video_kbps=80, audio_kbps=40, maxrate_kbps=84, bufsize_kbps=84,
    profile="main", level="3.0",
)  # fmt: skip


def plan(segment: float = 6.0, count: int = 3, **fields: Any) -> EncodePlan:
    return EncodePlan(
        source=Path("/in/a.mp4"), out_dir=Path("/out"), rungs=[RUNG], frame_rate=Fraction(25),
        segment_duration=segment, init_segments=count, **fields,
    )  # fmt: skip


def forced_keyframes(expression: str, fps: int, duration: float) -> list[float]:
    """The frame times ffmpeg's ``-force_key_frames expr:`` forces: each frame whose expression is
    true (``n_forced`` counts the frames forced so far)."""
    body = expression.removeprefix("expr:").replace("if(", "if_(")
    helpers = {"if_": lambda c, a, b: a if c else b, "lte": lambda a, b: a <= b, "gte": lambda a, b: a >= b}
    forced: list[float] = []
    for n in range(round(duration * fps)):
        t = n / fps
        if eval(body, {"__builtins__": {}}, {**helpers, "t": t, "n_forced": len(forced)}):
            forced.append(t)
    return forced


# --- how many first segments ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("segment", "first", "count"),
    [
        (6, 2, 3),
        (5, 2, 2),  # 2.5 rounds to 2: two 2.5 s segments
        (4, 4, 0),  # as long as the others: no fast start
        (6, None, 0),
        (6, 0, 0),
        (6, 8, 0),  # longer than the others: none either
        (10, 2, 5),
        (6, 3, 2),
        (6, 4, 2),  # 1.5 rounds to 2: two 3 s segments
        (6, 5, 0),  # 1.2 rounds to 1: no shorter segment at all
        (7, 2, 4),  # 3.5 rounds to 4 (half to even): four 1.75 s segments
        (2, 2, 0),
    ],
)
def test_init_segments_fill_exactly_one_regular_segment(
    segment: float, first: float | None, count: int
) -> None:
    assert init_segments(segment, first) == count
    assert plan(segment, count).first_segment_duration == (segment / count if count else None)


def test_first_segment_duration_needs_at_least_two_short_segments() -> None:
    assert plan(6.0, 3).first_segment_duration == 2.0
    assert plan(5.0, 2).first_segment_duration == 2.5
    assert plan(6.0, 1).first_segment_duration is None
    assert plan(6.0, 0).first_segment_duration is None


def test_settings_reach_the_plan() -> None:
    info = MediaInfo(
        path="/in/a.mp4", container="mp4", duration=60.0, size=1, video_codec="h264",
        coded_width=1280, coded_height=720, width=1280, height=720, fps=25.0,
    )  # fmt: skip

    def count(**settings: Any) -> int:
        built, _ = build_plan(
            info, default_ladder(), EncodeSettings(**settings), CAPS, out_dir=Path("/o"), encoder="libx264"
        )
        return built.init_segments

    assert EncodeSettings().first_segment_duration == 2.0
    assert count() == 3
    assert count(first_segment_duration=None) == 0
    assert count(segment_duration=4.0, first_segment_duration=4.0) == 0
    assert count(segment_duration=10.0) == 5


# --- keyframes ----------------------------------------------------------------------------------


def test_keyframe_times_plain_and_fast_start() -> None:
    assert keyframe_times(plan(6.0, 0)) == "expr:gte(t,n_forced*6)"
    assert (
        keyframe_times(plan(6.0, 3)) == "expr:if(lte(n_forced,3),gte(t,n_forced*2),gte(t,4+(n_forced-3)*6))"
    )
    assert keyframe_times(plan(5.0, 2)) == (
        "expr:if(lte(n_forced,2),gte(t,n_forced*2.5),gte(t,2.5+(n_forced-2)*5))"
    )
    assert (
        keyframe_times(plan(4.0, 2)) == "expr:if(lte(n_forced,2),gte(t,n_forced*2),gte(t,2+(n_forced-2)*4))"
    )


@pytest.mark.parametrize(
    ("segment", "count", "fps", "expected"),
    [
        (6.0, 0, 25, [0, 6, 12, 18]),
        (6.0, 3, 25, [0, 2, 4, 6, 10, 16]),
        (5.0, 2, 30, [0, 2.5, 5, 7.5, 12.5, 17.5]),
        (5.0, 2, 25, [0, 2.52, 5, 7.52, 12.52, 17.52]),  # no frame at 2.5 s at 25 fps: the one after
        (4.0, 2, 30, [0, 2, 4, 6, 10, 14, 18]),
        (10.0, 5, 24, [0, 2, 4, 6, 8, 10, 18]),
    ],
)
def test_the_forced_keyframes_fall_on_every_segment_start(
    segment: float, count: int, fps: int, expected: list[float]
) -> None:
    assert forced_keyframes(keyframe_times(plan(segment, count)), fps, 20.0) == expected


# --- completing the playlist --------------------------------------------------------------------


def test_render_vod_playlist() -> None:
    assert render_vod_playlist([(2.0, "a.ts"), (6.04, "b.ts"), (1.5, "c.ts")]) == (
        "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:6\n#EXT-X-MEDIA-SEQUENCE:0\n"
        "#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-INDEPENDENT-SEGMENTS\n"
        "#EXTINF:2.000000,\na.ts\n#EXTINF:6.040000,\nb.ts\n#EXTINF:1.500000,\nc.ts\n#EXT-X-ENDLIST\n"
    )
    assert "#EXT-X-TARGETDURATION:7\n" in render_vod_playlist([(6.5, "a.ts")])


def window(sequence: int, *names: str) -> str:
    entries = "".join(f"#EXTINF:6.000000,\n{name}\n" for name in names)
    return f"#EXTM3U\n#EXT-X-VERSION:6\n#EXT-X-TARGETDURATION:6\n#EXT-X-MEDIA-SEQUENCE:{sequence}\n{entries}"


@pytest.mark.parametrize(
    ("text", "segments", "reason"),
    [
        (window(2, "s_002.ts", "s_003.ts"), ["s_000.ts", "s_001.ts", "s_002.ts", "s_004.ts"], "do not match"),
        (window(1, "s_001.ts", "s_002.ts"), ["s_000.ts", "s_001.ts"], "do not match"),
        (window(0), ["s_000.ts"], "do not match"),
        (
            window(1, "s_001.ts"),
            ["s_000.ts", "s_001.ts", "s_002.ts"],
            "segments after the playlist's last entry",
        ),
    ],
)
def test_a_window_that_does_not_match_the_files_is_refused(
    tmp_path: Path, text: str, segments: list[str], reason: str
) -> None:
    playlist = tmp_path / "stream_r.m3u8"
    playlist.write_text(text, encoding="utf-8")
    with pytest.raises(ValidationFailed, match=reason):
        complete_playlist(playlist, segments)
    assert playlist.read_text(encoding="utf-8") == text  # left as it was


def test_an_earlier_segment_without_a_timestamp_is_refused(tmp_path: Path) -> None:
    (tmp_path / "s_000.ts").write_bytes(b"not a transport stream")
    (tmp_path / "s_001.ts").write_bytes(b"")
    playlist = tmp_path / "p.m3u8"
    playlist.write_text(window(1, "s_001.ts"), encoding="utf-8")
    with pytest.raises(ValidationFailed):
        complete_playlist(playlist, ["s_000.ts", "s_001.ts"])


def test_without_fast_start_there_is_nothing_to_complete(tmp_path: Path) -> None:
    complete_playlists(plan(6.0, 0).model_copy(update={"out_dir": tmp_path / "absent"}))
    assert not (tmp_path / "absent").exists()


# --- with the real ffmpeg -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def encoded(
    media: Any, ffmpeg_bin: str, ffprobe_bin: str, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """A 20 s 320x180 clip encoded by the app's command with fast start (6 s segments, 2 s first)."""
    source = media.clip(duration=20.0, width=320, height=180)
    info = probe_file(ffprobe_bin, source)
    out = tmp_path_factory.mktemp("fast-start")
    settings = EncodeSettings(segment_duration=6.0, first_segment_duration=2.0, preset="ultrafast")
    built, _ = build_plan(info, default_ladder(), settings, CAPS, out_dir=out, encoder="libx264")
    cmd = build_hls_command(built, ffmpeg_bin)
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    (rung,) = built.rungs
    playlist = out / f"stream_{rung.name}.m3u8"
    window_text = playlist.read_text(encoding="utf-8")
    complete_playlists(built)
    return {"plan": built, "info": info, "out": out, "playlist": playlist, "window": window_text}


def entries(text: str) -> list[tuple[float, str]]:
    lines = text.splitlines()
    return [
        (float(line[8:].rstrip(",")), lines[i + 1])
        for i, line in enumerate(lines)
        if line.startswith("#EXTINF:")
    ]


def test_the_one_rung_plan_is_the_cellular_rates_with_fast_start(encoded: dict[str, Any]) -> None:
    built = encoded["plan"]
    assert (built.init_segments, built.first_segment_duration) == (3, 2.0)
    assert [(r.name, r.width, r.height, r.video_kbps, r.audio_kbps) for r in built.rungs] == [
        ("180p", 320, 180, 80, 40)
    ]


def test_ffmpeg_writes_a_window_of_the_last_segments(encoded: dict[str, Any]) -> None:
    assert "#EXT-X-MEDIA-SEQUENCE:4" in encoded["window"]
    assert [uri for _, uri in entries(encoded["window"])] == [f"stream_180p_{i:03d}.ts" for i in (4, 5)]


def test_the_completed_playlist_lists_every_segment_with_its_duration(encoded: dict[str, Any]) -> None:
    text = encoded["playlist"].read_text(encoding="utf-8")
    listed = entries(text)
    files = sorted(p.name for p in encoded["out"].glob("stream_180p_*.ts"))
    assert [uri for _, uri in listed] == files == [f"stream_180p_{i:03d}.ts" for i in range(6)]
    durations = [d for d, _ in listed]
    assert durations == pytest.approx([2, 2, 2, 4, 6, 4], abs=0.05)
    assert sum(durations) == pytest.approx(encoded["info"].duration, abs=0.05)
    assert text.startswith("#EXTM3U\n")
    assert "#EXT-X-PLAYLIST-TYPE:VOD" in text and "#EXT-X-MEDIA-SEQUENCE:0" in text
    assert "#EXT-X-TARGETDURATION:6" in text
    assert text.rstrip("\n").endswith("#EXT-X-ENDLIST")


def test_every_segment_starts_with_an_idr_on_the_fast_start_grid(encoded: dict[str, Any]) -> None:
    infos = [read_segment_info(p, audio=False) for p in sorted(encoded["out"].glob("stream_180p_*.ts"))]
    assert all(i.starts_with_idr for i in infos)
    first = infos[0].video_pts
    assert first is not None
    starts = [i.video_pts - first for i in infos if i.video_pts is not None]
    assert starts == pytest.approx([0, 2, 4, 6, 10, 16], abs=0.05)


def test_the_40_kbps_sound_is_mono_and_cut_where_the_video_is(encoded: dict[str, Any]) -> None:
    doc = ffprobe_json(encoded["out"] / "audio_a0-40k_000.ts", "-show_streams")
    (audio,) = doc["streams"]
    assert (audio["codec_name"], audio["channels"]) == ("aac", 1)
    sound = entries((encoded["out"] / "audio_a0-40k.m3u8").read_text(encoding="utf-8"))
    assert [d for d, _ in sound] == pytest.approx([2, 2, 2, 4, 6, 4], abs=0.05)


def test_ffmpegs_own_window_refuses_a_different_file_list(encoded: dict[str, Any], tmp_path: Path) -> None:
    for name in (*[f"stream_180p_{i:03d}.ts" for i in range(6)], "stream_180p.m3u8"):
        shutil.copy(encoded["out"] / name, tmp_path / name)
    playlist = tmp_path / "stream_180p.m3u8"
    playlist.write_text(encoded["window"], encoding="utf-8")
    files = [f"stream_180p_{i:03d}.ts" for i in range(6)]
    with pytest.raises(ValidationFailed, match="do not match"):
        complete_playlist(playlist, files[:5])  # a segment of the window missing
    with pytest.raises(ValidationFailed, match="segments after the playlist's last entry"):
        complete_playlist(playlist, [*files, "stream_180p_006.ts"])
    with pytest.raises(ValidationFailed, match="do not match"):
        complete_playlist(playlist, files[1:])  # the window no longer where its sequence says
    # with the right list the copy completes as the package did
    complete_playlist(playlist, files)
    assert playlist.read_text(encoding="utf-8") == encoded["playlist"].read_text(encoding="utf-8")
