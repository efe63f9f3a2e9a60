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
    keyframe_times,
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


FAST_KEYFRAMES = "expr:if(lte(n_forced,3),gte(t,n_forced*2),gte(t,4+(n_forced-3)*6))"


def rung_output(  # noqa: PLR0917  (one argument per column of the table below)
    name: str,
    index: int,
    video: str,
    maxrate: str,
    bufsize: str,
    profile: str,
    level: str,
) -> list[str]:
    """One rung's own HLS output of the default (fast-start) command: picture only."""
    return [
        "-map", f"[v{index}]",
        "-c:v:0", "libx264", "-b:v:0", video, "-maxrate:v:0", maxrate, "-bufsize:v:0", bufsize,
        "-profile:v:0", profile, "-level:v:0", level,
        "-g:v", "151", "-force_key_frames:v", FAST_KEYFRAMES, "-a53cc:v", "0",
        "-preset:v", "fast", "-keyint_min:v", "151", "-sc_threshold:v", "0", "-x264-params:v", "open-gop=0",
        *HLS_OPTIONS,
        "-hls_segment_filename", f"/out/work/stream_{name}_%03d.ts", f"/out/work/stream_{name}.m3u8",
    ]  # fmt: skip


HLS_OPTIONS = [
    "-map_metadata", "-1", "-map_chapters", "-1", "-max_muxing_queue_size", "4096",
    "-f", "hls", "-hls_time", "6", "-hls_init_time", "2", "-hls_list_size", "2",
    "-hls_segment_type", "mpegts", "-hls_flags", "independent_segments+temp_file",
]  # fmt: skip


def audio_output(index: int, rendition: str, kbps: int, channels: int) -> list[str]:
    """One audio rendition's own HLS output of the default (fast-start) command."""
    return [
        "-map", f"[aud{index}]", "-c:a", "aac", "-profile:a", "aac_low", "-ar", "48000",
        "-b:a", f"{kbps}k", "-ac", str(channels), *HLS_OPTIONS,
        "-hls_segment_filename", f"/out/work/audio_{rendition}_%03d.ts", f"/out/work/audio_{rendition}.m3u8",
    ]  # fmt: skip


def test_full_command_for_1080p_source_is_exactly_this() -> None:
    # default settings: 6 s segments with a fast start of three 2 s segments (-hls_init_time 2 in a
    # window of 2, completed into a VOD playlist after the encode; then a 4 s one, then 6 s ones); the
    # cellular rung 234p first, its rate control tight (1.05x, buffer = cap: round(84.0) is 84); the
    # sound demuxed: the one audio track once per audio rate, 40 kb/s mono for the cellular rung
    plan, warnings = plan_for(media())
    assert warnings == []
    assert build_hls_command(plan, "ffmpeg") == [
        "ffmpeg", "-hide_banner", "-loglevel", "warning", "-y",
        "-guess_layout_max", "8", "-i", "/in/film.mov",
        "-filter_complex",
        "[0:v:0]fps=25,format=yuv420p,split=3[s4][s_thumbs][s_poster];"
        "[s4]scale=1920:1080:flags=bicubic,setsar=1,split=2[v4][s3];"
        "[s3]scale=1280:720:flags=bicubic,setsar=1,split=2[v3][s2];"
        "[s2]scale=854:480:flags=bicubic,setsar=1,split=2[v2][s1];"
        "[s1]scale=640:360:flags=bicubic,setsar=1,split=2[v1][s0];"
        "[s0]scale=416:234:flags=bicubic,setsar=1[v0];"
        "[s_thumbs]select='gte(t-start_t\\,selected_n*10)',"
        "scale=320:-2:flags=bicubic,setsar=1,format=yuvj420p[thumbs];"
        "[s_poster]select='isnan(prev_selected_t)*gte(t-start_t\\,6.000)',"
        "scale=1280:-2:flags=bicubic,setsar=1,format=yuvj420p[poster];"
        "[0:a:0]aresample=48000:async=1:first_pts=0,"
        "aformat=sample_fmts=fltp:channel_layouts=stereo,apad=whole_dur=60.000,atrim=end=59.957,asplit=3[aud0][aud1][aud2]",
        # with fast start, one HLS muxer per rung (the muxer's short-segment timing is shared by all
        # its variants, which was measured to miss cuts with several)
        *rung_output("234p", 0, "80k", "84k", "84k", "main", "3.0"),
        *rung_output("360p", 1, "800k", "880k", "1200k", "main", "3.0"),
        *rung_output("480p", 2, "1400k", "1540k", "2100k", "main", "3.0"),
        *rung_output("720p", 3, "2800k", "3080k", "4200k", "high", "3.1"),
        *rung_output("1080p", 4, "5000k", "5500k", "7500k", "high", "4.0"),
        *audio_output(0, "a0-40k", 40, 1),
        *audio_output(1, "a0-128k", 128, 2),
        *audio_output(2, "a0-192k", 192, 2),
        "-map", "[thumbs]", "-fps_mode:v", "passthrough", "-c:v", "mjpeg", "-q:v", "4",
        "-f", "image2", "-atomic_writing", "1", "-start_number", "0", "/out/work/thumb_%03d.jpg",
        "-map", "[poster]", "-frames:v", "1", "-fps_mode:v", "passthrough", "-c:v", "mjpeg", "-q:v", "3",
        "-f", "image2", "-update", "1", "-atomic_writing", "1", "/out/work/poster.jpg",
    ]  # fmt: skip


def test_without_fast_start_the_playlist_is_vod_from_the_start() -> None:
    plan, _ = plan_for(media(), first_segment_duration=None)
    assert (plan.init_segments, plan.first_segment_duration) == (0, None)
    cmd = build_hls_command(plan)
    hls = cmd.index("-hls_time")
    assert cmd[hls : hls + 6] == ["-hls_time", "6", "-hls_playlist_type", "vod", "-hls_list_size", "0"]
    assert "-hls_init_time" not in cmd
    assert cmd[cmd.index("-force_key_frames:v") + 1] == "expr:gte(t,n_forced*6)"
    # one muxer for every rung, named by -var_stream_map; with fast start, one muxer per rung
    assert cmd.count("hls") == 1 + 3 and cmd[cmd.index("-var_stream_map") + 1].startswith("v:0,name:234p ")
    assert cmd[cmd.index("-hls_segment_filename") + 1] == "/out/work/stream_%v_%03d.ts"
    fast = build_hls_command(plan_for(media())[0])
    assert fast.count("hls") == 5 + 3 and "-var_stream_map" not in fast  # 5 rungs, 3 audio rates
    assert fast.count(FAST_KEYFRAMES) == 5


def test_same_plan_gives_same_command() -> None:
    plan, _ = plan_for(media())
    assert build_hls_command(plan) == build_hls_command(plan.model_copy())


def test_video_only_source_has_no_audio_maps() -> None:
    plan, _ = plan_for(media(audio_streams=[], width=1280, height=720, coded_width=1280, coded_height=720))
    cmd = build_hls_command(plan)
    assert "[aud0]" not in " ".join(cmd)
    assert "-c:a" not in cmd
    assert var_stream_map(plan) == "v:0,name:234p v:1,name:360p v:2,name:480p v:3,name:720p"


def test_every_audio_track_is_carried_the_default_one_marked() -> None:
    tracks = [AudioStream(codec="aac", channels=2, language="eng"), AudioStream(codec="ac3", default=True)]
    plan, _ = plan_for(media(audio_streams=tracks))
    graph = build_filter_graph(plan)
    assert "[0:a:0]aresample" in graph and "[0:a:1]aresample" in graph
    lowest = [(r.rendition, r.default) for r in plan.audio if r.kbps == 40]
    assert lowest == [("a0-40k", False), ("a1-40k", True)]


@pytest.mark.parametrize(
    ("fps", "segment", "rate", "gop"),
    [
        (23.976, 6, Fraction(24000, 1001), 145),
        (24.0, 4, Fraction(24), 97),
        (29.97, 6, Fraction(30000, 1001), 181),
        (50.0, 2, Fraction(50), 101),
        (60.0, 6, Fraction(60), 361),
        (120.0, 6, Fraction(60), 361),
    ],
)
def test_keyframes_are_set_in_seconds_for_every_rate(
    fps: float, segment: float, rate: Fraction, gop: int
) -> None:
    plain, _ = plan_for(media(fps=fps), segment_duration=segment, first_segment_duration=None)
    assert plain.frame_rate == rate
    assert gop_frames(plain) == gop
    cmd = build_hls_command(plain)
    assert cmd[cmd.index("-force_key_frames:v") + 1] == f"expr:gte(t,n_forced*{segment:g})"
    assert cmd[cmd.index("-sc_threshold:v") + 1] == "0"
    assert cmd[cmd.index("-hls_time") + 1] == f"{segment:g}"
    # fast start changes the keyframe times of the first segments, never the GOP cap or -hls_time
    fast, _ = plan_for(media(fps=fps), segment_duration=segment, first_segment_duration=2.0)
    assert gop_frames(fast) == gop
    fast_cmd = build_hls_command(fast)
    assert fast_cmd[fast_cmd.index("-hls_time") + 1] == f"{segment:g}"
    k = int(segment) // 2  # 2 s first segments: k of them fill the first segment (none when k is 1)
    assert fast_cmd[fast_cmd.index("-force_key_frames:v") + 1] == (
        f"expr:if(lte(n_forced,{k}),gte(t,n_forced*2),gte(t,{2 * (k - 1)}+(n_forced-{k})*{segment:g}))"
        if k > 1
        else "expr:gte(t,n_forced*2)"
    )


@pytest.mark.parametrize(
    ("segment", "first", "keyframes", "window"),
    [
        (6, None, "expr:gte(t,n_forced*6)", ["-hls_playlist_type", "vod", "-hls_list_size", "0"]),
        (6, 2.0, "expr:if(lte(n_forced,3),gte(t,n_forced*2),gte(t,4+(n_forced-3)*6))",
         ["-hls_init_time", "2", "-hls_list_size", "2"]),
        (4, 2.0, "expr:if(lte(n_forced,2),gte(t,n_forced*2),gte(t,2+(n_forced-2)*4))",
         ["-hls_init_time", "2", "-hls_list_size", "1"]),
        (6, 3.0, "expr:if(lte(n_forced,2),gte(t,n_forced*3),gte(t,3+(n_forced-2)*6))",
         ["-hls_init_time", "3", "-hls_list_size", "1"]),
        # 5 / 2 rounds to 2 short segments of 2.5 s; the muxer then cuts a third, then 5 s ones at 7.5 s …
        (5, 2.0, "expr:if(lte(n_forced,2),gte(t,n_forced*2.5),gte(t,2.5+(n_forced-2)*5))",
         ["-hls_init_time", "2.5", "-hls_list_size", "1"]),
        (10, 2.0, "expr:if(lte(n_forced,5),gte(t,n_forced*2),gte(t,8+(n_forced-5)*10))",
         ["-hls_init_time", "2", "-hls_list_size", "4"]),
        # a first segment as long as the others is no fast start
        (2, 2.0, "expr:gte(t,n_forced*2)", ["-hls_playlist_type", "vod", "-hls_list_size", "0"]),
        (4, 4.0, "expr:gte(t,n_forced*4)", ["-hls_playlist_type", "vod", "-hls_list_size", "0"]),
    ],
)  # fmt: skip
def test_keyframes_and_playlist_window_for_plain_and_fast_start(
    segment: float, first: float | None, keyframes: str, window: list[str]
) -> None:
    plan, _ = plan_for(media(), segment_duration=segment, first_segment_duration=first)
    assert keyframe_times(plan) == keyframes
    cmd = build_hls_command(plan)
    assert cmd[cmd.index("-force_key_frames:v") + 1] == keyframes
    hls = cmd.index("-hls_time")
    assert cmd[hls : hls + 6] == ["-hls_time", f"{segment:g}", *window]
    assert cmd[hls + 6] == "-hls_segment_type"


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
    assert cmd.count("h264_nvenc") == 5
    assert "libx264" not in cmd
    for flag, value in (
        ("-preset:v", "p5"),
        ("-rc:v", "vbr"),
        ("-forced-idr:v", "1"),
        ("-no-scenecut:v", "1"),
        ("-a53cc:v", "0"),
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
    assert [(r.width, r.height) for r in plan.rungs] == [
        (234, 416), (360, 640), (480, 854), (720, 1280), (1080, 1920)
    ]  # fmt: skip


def test_no_thumbnails_or_poster_branch_when_not_planned() -> None:
    plan, _ = plan_for(media())
    plan = plan.model_copy(update={"thumbnail_interval": None, "poster_width": None})
    cmd = build_hls_command(plan)
    assert "[thumbs]" not in " ".join(cmd) and "poster.jpg" not in " ".join(cmd)
    assert build_filter_graph(plan).startswith("[0:v:0]fps=25,format=yuv420p[s4];")


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


def test_a_per_title_rung_is_capped_crf_with_x264_and_average_rate_with_nvenc() -> None:
    plan, _ = plan_for(media(width=640, height=360, coded_width=640, coded_height=360))
    rungs = [r.model_copy(update={"crf": 27.5}) if r.name == "360p" else r for r in plan.rungs]
    capped = build_hls_command(plan.model_copy(update={"rungs": rungs}))
    at = capped.index("/out/work/stream_360p.m3u8")
    own = capped[max(i for i in range(at) if capped[i] == "-map") : at]
    assert own[own.index("-crf:v:0") + 1] == "27.5" and "-b:v:0" not in own
    assert own[own.index("-maxrate:v:0") + 1] == "880k"  # the cap stays
    nvenc = build_hls_command(plan.model_copy(update={"rungs": rungs, "encoder": "h264_nvenc"}))
    assert "-crf:v:0" not in nvenc and "800k" in nvenc
