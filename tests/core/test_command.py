"""The ffmpeg command is data: plans in, argument lists out, compared by equality."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from hlsstudio.core.command import (
    build_filter_graph,
    build_hls_command,
    build_poster_command,
    gop_frames,
    normalise_chain,
    scale_parents,
    var_stream_map,
)
from hlsstudio.core.ladder import default_ladder
from hlsstudio.core.models import AudioStream, EncodeSettings, MediaInfo, PlannedRung
from hlsstudio.core.planning import build_plan, choose_encoder
from hlsstudio.core.toolchain import Capabilities

FULL_CAPS = Capabilities(
    version="5.1",
    encoders={"libx264": True, "h264_nvenc": True},
    filters={"zscale": True, "tonemap": True, "bwdif": True, "yadif": True},
    nvenc_usable=True,
)
NO_GPU = FULL_CAPS.model_copy(update={"nvenc_usable": False, "nvenc_reason": "no usable NVIDIA GPU/driver"})
BARE_CAPS = Capabilities(version="5.1", encoders={"libx264": True}, filters={})


def media(**overrides: object) -> MediaInfo:
    base: dict[str, object] = {
        "path": "/in/film.mov",
        "container": "mov",
        "duration": 60.0,
        "size": 100_000_000,
        "bit_rate": 20_000_000,
        "video_codec": "h264",
        "coded_width": 1920,
        "coded_height": 1080,
        "width": 1920,
        "height": 1080,
        "fps": 25.0,
        "audio_streams": [AudioStream(codec="aac", channels=6, default=True)],
    }
    base.update(overrides)
    return MediaInfo.model_validate(base)


def plan_for(info: MediaInfo, caps: Capabilities = NO_GPU, encoder: str = "libx264", **settings: object):
    plan, warnings = build_plan(
        info,
        default_ladder(),
        EncodeSettings.model_validate(settings),
        caps,
        out_dir=Path("/out/work"),
        encoder=encoder,  # type: ignore[arg-type]
    )
    return plan, warnings


def test_full_command_for_1080p_source_is_exactly_this() -> None:
    plan, warnings = plan_for(media())
    assert warnings == []
    assert build_hls_command(plan, "ffmpeg") == [
        "ffmpeg", "-hide_banner", "-loglevel", "warning", "-y",
        "-i", "/in/film.mov",
        "-filter_complex",
        "[0:v:0]fps=25,format=yuv420p,split=3[s3][s_thumbs][s_poster];"
        "[s3]scale=1920:1080:flags=bicubic,setsar=1,split=2[v3][s2];"
        "[s2]scale=1280:720:flags=bicubic,setsar=1,split=2[v2][s1];"
        "[s1]scale=854:480:flags=bicubic,setsar=1,split=2[v1][s0];"
        "[s0]scale=640:360:flags=bicubic,setsar=1[v0];"
        "[s_thumbs]select='isnan(prev_selected_t)+gte(t-prev_selected_t\\,10)',"
        "scale=320:-2:flags=bicubic,setsar=1,format=yuvj420p[thumbs];"
        "[s_poster]select='isnan(prev_selected_t)*gte(t-start_t\\,6.000)',"
        "scale=1280:-2:flags=bicubic,setsar=1,format=yuvj420p[poster];"
        "[0:a:0]aresample=48000:async=1:first_pts=0,"
        "aformat=sample_fmts=fltp:channel_layouts=stereo,asplit=4[a0][a1][a2][a3]",
        "-map", "[v0]", "-map", "[a0]", "-map", "[v1]", "-map", "[a1]",
        "-map", "[v2]", "-map", "[a2]", "-map", "[v3]", "-map", "[a3]",
        "-c:v:0", "libx264", "-b:v:0", "800k", "-maxrate:v:0", "880k", "-bufsize:v:0", "1200k",
        "-profile:v:0", "main", "-level:v:0", "3.0",
        "-c:v:1", "libx264", "-b:v:1", "1400k", "-maxrate:v:1", "1540k", "-bufsize:v:1", "2100k",
        "-profile:v:1", "main", "-level:v:1", "3.0",
        "-c:v:2", "libx264", "-b:v:2", "2800k", "-maxrate:v:2", "3080k", "-bufsize:v:2", "4200k",
        "-profile:v:2", "high", "-level:v:2", "3.1",
        "-c:v:3", "libx264", "-b:v:3", "5000k", "-maxrate:v:3", "5500k", "-bufsize:v:3", "7500k",
        "-profile:v:3", "high", "-level:v:3", "4.0",
        "-g:v", "151", "-force_key_frames:v", "expr:gte(t,n_forced*6)",
        "-preset:v", "fast", "-keyint_min:v", "151", "-sc_threshold:v", "0", "-x264-params:v", "open-gop=0",
        "-c:a", "aac", "-profile:a", "aac_low", "-ar", "48000", "-ac", "2",
        "-b:a:0", "128k", "-b:a:1", "128k", "-b:a:2", "192k", "-b:a:3", "192k",
        "-map_metadata", "-1", "-map_chapters", "-1", "-max_muxing_queue_size", "4096",
        "-f", "hls", "-hls_time", "6", "-hls_playlist_type", "vod", "-hls_list_size", "0",
        "-hls_segment_type", "mpegts", "-hls_flags", "independent_segments+temp_file",
        "-hls_segment_filename", "/out/work/stream_%v_%03d.ts",
        "-var_stream_map", "v:0,a:0,name:360p v:1,a:1,name:480p v:2,a:2,name:720p v:3,a:3,name:1080p",
        "/out/work/stream_%v.m3u8",
        "-map", "[thumbs]", "-fps_mode:v", "passthrough", "-c:v", "mjpeg", "-q:v", "4",
        "-f", "image2", "-atomic_writing", "1", "-start_number", "0", "/out/work/thumb_%03d.jpg",
        "-map", "[poster]", "-frames:v", "1", "-fps_mode:v", "passthrough", "-c:v", "mjpeg", "-q:v", "3",
        "-f", "image2", "-update", "1", "-atomic_writing", "1", "/out/work/poster.jpg",
    ]  # fmt: skip


def test_same_plan_gives_same_command() -> None:
    plan, _ = plan_for(media())
    assert build_hls_command(plan) == build_hls_command(plan.model_copy())


def test_video_only_source_has_no_audio_maps() -> None:
    plan, _ = plan_for(media(audio_streams=[], width=1280, height=720, coded_width=1280, coded_height=720))
    cmd = build_hls_command(plan)
    assert "[a0]" not in " ".join(cmd)
    assert "-c:a" not in cmd
    assert var_stream_map(plan) == "v:0,name:360p v:1,name:480p v:2,name:720p"


def test_default_audio_track_is_used() -> None:
    tracks = [AudioStream(codec="aac", channels=2, language="eng"), AudioStream(codec="ac3", default=True)]
    plan, _ = plan_for(media(audio_streams=tracks))
    assert "[0:a:1]aresample" in build_filter_graph(plan)


@pytest.mark.parametrize(
    ("fps", "segment", "rate", "gop", "keyframes"),
    [
        (23.976, 6, Fraction(24000, 1001), 145, "expr:gte(t,n_forced*6)"),
        (24.0, 4, Fraction(24), 97, "expr:gte(t,n_forced*4)"),
        (29.97, 6, Fraction(30000, 1001), 181, "expr:gte(t,n_forced*6)"),
        (50.0, 2, Fraction(50), 101, "expr:gte(t,n_forced*2)"),
        (60.0, 6, Fraction(60), 361, "expr:gte(t,n_forced*6)"),
        (120.0, 6, Fraction(60), 361, "expr:gte(t,n_forced*6)"),
    ],
)
def test_keyframes_are_set_in_seconds_for_every_rate(
    fps: float, segment: float, rate: Fraction, gop: int, keyframes: str
) -> None:
    plan, _ = plan_for(media(fps=fps), segment_duration=segment)
    assert plan.frame_rate == rate
    assert gop_frames(plan) == gop
    cmd = build_hls_command(plan)
    assert cmd[cmd.index("-force_key_frames:v") + 1] == keyframes
    assert cmd[cmd.index("-sc_threshold:v") + 1] == "0"
    assert cmd[cmd.index("-hls_time") + 1] == f"{segment:g}"


def test_hdr_interlaced_vfr_source_is_normalised_once_before_the_split() -> None:
    info = media(hdr=True, color_transfer="smpte2084", interlaced=True, vfr=True, fps=29.5, bit_depth=10)
    plan, warnings = plan_for(info, FULL_CAPS)
    assert warnings == []
    assert normalise_chain(plan) == (
        "bwdif=mode=send_frame:parity=auto:deint=interlaced,fps=30000/1001,"
        "zscale=tin=smpte2084:pin=bt2020:min=bt2020nc:t=linear:npl=100,format=gbrpf32le,"
        "zscale=p=bt709,tonemap=tonemap=hable:desat=0,zscale=t=bt709:m=bt709:r=tv,format=yuv420p"
    )
    assert build_filter_graph(plan).count("tonemap=tonemap") == 1


def test_missing_filters_become_warnings_not_failures() -> None:
    info = media(hdr=True, color_transfer="arib-std-b67", interlaced=True)
    plan, warnings = plan_for(info, BARE_CAPS)
    assert normalise_chain(plan) == "fps=25,format=yuv420p"
    assert any("tone" in w.lower() or "washed" in w for w in warnings)
    assert any("deinterlacer" in w for w in warnings)


def test_nvenc_command_uses_nvenc_rate_control_and_forced_idr() -> None:
    plan, _ = plan_for(media(), FULL_CAPS, encoder="h264_nvenc", preset="medium")
    cmd = build_hls_command(plan)
    assert cmd.count("h264_nvenc") == 4
    assert "libx264" not in cmd
    for flag, value in (
        ("-preset:v", "p5"),
        ("-rc:v", "vbr"),
        ("-forced-idr:v", "1"),
        ("-no-scenecut:v", "1"),
    ):
        assert cmd[cmd.index(flag) + 1] == value
    assert "-x264-params:v" not in cmd and "-level:v:0" not in cmd


@pytest.mark.parametrize(
    ("choice", "caps", "expected", "warned"),
    [
        ("auto", FULL_CAPS, "h264_nvenc", False),
        ("auto", NO_GPU, "libx264", False),
        ("nvenc", FULL_CAPS, "h264_nvenc", False),
        ("nvenc", NO_GPU, "libx264", True),
        ("libx264", FULL_CAPS, "libx264", False),
    ],
)
def test_encoder_choice(choice: str, caps: Capabilities, expected: str, warned: bool) -> None:
    encoder, warnings = choose_encoder(choice, caps)
    assert encoder == expected
    assert bool(warnings) == warned
    if warned:
        assert "no usable NVIDIA GPU" in warnings[0]


def test_portrait_rungs_scale_the_short_side() -> None:
    info = media(width=1080, height=1920, coded_width=1920, coded_height=1080, rotation=90)
    plan, _ = plan_for(info)
    assert [(r.width, r.height) for r in plan.rungs] == [(360, 640), (480, 854), (720, 1280), (1080, 1920)]


def test_no_thumbnails_or_poster_branch_when_not_planned() -> None:
    plan, _ = plan_for(media())
    plan = plan.model_copy(update={"thumbnail_interval": None, "poster_width": None})
    cmd = build_hls_command(plan)
    assert "[thumbs]" not in " ".join(cmd) and "poster.jpg" not in " ".join(cmd)
    assert build_filter_graph(plan).startswith("[0:v:0]fps=25,format=yuv420p[s3];")


def test_the_poster_is_one_frame_at_a_tenth_of_the_duration_at_most_30_s_in() -> None:
    assert plan_for(media(duration=60.0))[0].poster_at == 6.0
    assert plan_for(media(duration=3600.0))[0].poster_at == 30.0
    # never wider than the top rung
    assert plan_for(media(width=640, height=360, coded_width=640, coded_height=360))[0].poster_width == 640


def test_each_rung_is_scaled_from_the_next_larger_one() -> None:
    def rung(width: int, height: int) -> PlannedRung:
        return PlannedRung(
            name=f"{height}p", width=width, height=height, video_kbps=1000, audio_kbps=128,
            maxrate_kbps=1100, bufsize_kbps=1500, profile="main", level="3.1",
        )  # fmt: skip

    ladder = [rung(640, 360), rung(854, 480), rung(1280, 720), rung(1920, 1080)]
    assert scale_parents(ladder) == [1, 2, 3, None]
    assert scale_parents(list(reversed(ladder))) == [None, 0, 1, 2]
    # not larger in both dimensions (a squeezed rung): from the source, never upscaled
    assert scale_parents([rung(640, 360), rung(600, 480)]) == [None, None]
    assert scale_parents([rung(640, 360), rung(640, 360)]) == [None, None]


def test_poster_command_seeks_and_scales() -> None:
    plan, _ = plan_for(media(interlaced=True), FULL_CAPS)
    assert build_poster_command(plan, media(), Path("/out/poster.jpg"), 1280, "ffmpeg") == [
        "ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
        "-ss", "6.000", "-i", "/in/film.mov", "-frames:v", "1", "-an", "-sn",
        "-vf", "bwdif=mode=send_frame:parity=auto:deint=interlaced,format=yuv420p,"
        "scale=1280:-2:flags=bicubic,setsar=1,format=yuvj420p",
        "-q:v", "3", "/out/poster.jpg",
    ]  # fmt: skip
