"""ffprobe JSON -> MediaInfo on saved documents (pure ``parse_probe``; no ffmpeg runs here).

``tests/data/probe/*.json`` hold, per source: ``about``, the file ``size``, ``probe`` (the output of
``ffprobe -v error -of json -show_format -show_streams``, ffprobe 5.1) and ``packet_times`` (the
first video packets' pts, as ``core.probe`` reads them). Most were written by
``tests.mediagen.save_probe_document`` from the sample of the same name; three are hand-edited
for sources ffmpeg cannot make here: ``phone_4k_hdr10_rotated``, ``rotate_tag``, ``no_decoder``.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from hlsstudio.core.errors import ProbeError
from hlsstudio.core.models import MediaInfo, SubtitleStream
from hlsstudio.core.probe import is_vfr, parse_probe, source_warnings

DATA = Path(__file__).resolve().parent.parent / "data" / "probe"
UNUSABLE = ("audio_only", "cover_art_mp3", "no_decoder")


def saved(name: str) -> dict[str, Any]:
    record: dict[str, Any] = json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))
    return record


def parse_saved(name: str, path: str | None = None) -> MediaInfo:
    record = saved(name)
    probe = record["probe"]
    return parse_probe(probe, path or probe["format"]["filename"], record["size"], record["packet_times"])


def video_stream(doc: dict[str, Any]) -> dict[str, Any]:
    stream: dict[str, Any] = next(s for s in doc["streams"] if s["codec_type"] == "video")
    return stream


def variant(name: str, **video_fields: Any) -> dict[str, Any]:
    """The probe document of ``name`` with some video stream fields replaced (None removes one)."""
    doc = copy.deepcopy(saved(name)["probe"])
    stream = video_stream(doc)
    for key, value in video_fields.items():
        if value is None:
            stream.pop(key, None)
        else:
            stream[key] = value
    return doc


def probe_error(doc: dict[str, Any], path: str = "x.mp4") -> ProbeError:
    with pytest.raises(ProbeError) as caught:
        parse_probe(doc, path, 1)
    assert "\n" not in caught.value.message
    return caught.value


def test_every_usable_document_parses_with_sane_values() -> None:
    names = sorted(p.stem for p in DATA.glob("*.json"))
    assert len(names) >= 20
    for name in names:
        if name in UNUSABLE:
            continue
        info = parse_saved(name)
        assert info.duration > 0 and info.width > 0 and info.height > 0 and info.fps > 0, name
        assert info.size == saved(name)["size"], name
        assert info.width % 2 == 0 or name == "odd_size", name


def test_1080p_h264_with_audio() -> None:
    info = parse_saved("h264_1080p", "/videos/Movie Night.mp4")
    assert info.path == "/videos/Movie Night.mp4"
    assert (info.container, info.video_codec, info.profile) == ("mp4", "h264", "Constrained Baseline")
    assert (info.width, info.height, info.coded_width, info.coded_height) == (1920, 1080, 1920, 1080)
    assert info.duration == pytest.approx(1.0)
    assert info.size == saved("h264_1080p")["size"]
    assert info.bit_rate == int(saved("h264_1080p")["probe"]["format"]["bit_rate"])
    assert (info.fps, info.vfr, info.rotation) == (25.0, False, 0)
    assert (info.pix_fmt, info.bit_depth, info.hdr, info.interlaced) == ("yuv420p", 8, False, False)
    assert (info.color_transfer, info.color_primaries) == (None, None)
    [audio] = info.audio_streams
    assert (audio.codec, audio.channels, audio.channel_layout, audio.sample_rate) == (
        "aac",
        2,
        "stereo",
        48000,
    )
    assert (audio.language, audio.default) == ("und", True)
    assert info.subtitle_streams == []
    assert info.warnings == []
    assert (info.has_audio, info.default_audio_index, info.portrait) == (True, 0, False)


def test_portrait_phone_video() -> None:
    info = parse_saved("portrait_phone")
    assert (info.container, info.width, info.height, info.rotation) == ("mov", 360, 640, 0)
    assert info.portrait is True
    assert info.fps == 30.0
    assert info.audio_streams[0].sample_rate == 44100
    assert info.warnings == []


def test_rotation_in_metadata_only_swaps_the_display_size() -> None:
    info = parse_saved("rotated_metadata")
    assert (info.coded_width, info.coded_height) == (320, 180)
    assert (info.width, info.height) == (180, 320)
    # ffprobe's display matrix angle is counter-clockwise (-90 here); players turn it 90° clockwise
    assert video_stream(saved("rotated_metadata")["probe"])["side_data_list"][0]["rotation"] == -90
    assert info.rotation == 90
    assert info.portrait is True
    assert "rotated 90° by metadata: output will be upright" in info.warnings


@pytest.mark.parametrize(
    ("matrix_angle", "rotation", "display"),
    [(-90, 90, (180, 320)), (90, 270, (180, 320)), (180, 180, (320, 180)), (-180, 180, (320, 180)),
     (0, 0, (320, 180)), (-89.6, 90, (180, 320))],
)  # fmt: skip
def test_display_matrix_angles_become_clockwise_rotations(
    matrix_angle: float, rotation: int, display: tuple[int, int]
) -> None:
    doc = variant("rotated_metadata")
    video_stream(doc)["side_data_list"][0]["rotation"] = matrix_angle
    info = parse_probe(doc, "x.mp4", 1)
    assert (info.rotation, (info.width, info.height)) == (rotation, display)


def test_legacy_rotate_tag_is_read_when_there_is_no_display_matrix() -> None:
    info = parse_saved("rotate_tag")
    assert (info.rotation, info.width, info.height) == (270, 1080, 1920)
    assert (info.coded_width, info.coded_height) == (1920, 1080)
    assert "rotated 270° by metadata: output will be upright" in info.warnings


def test_display_matrix_wins_over_a_rotate_tag() -> None:
    doc = variant("rotated_metadata")
    video_stream(doc)["tags"]["rotate"] = "180"
    assert parse_probe(doc, "x.mp4", 1).rotation == 90


def test_phone_4k_hdr10_recording_held_upright() -> None:
    info = parse_saved("phone_4k_hdr10_rotated")
    assert (info.container, info.video_codec, info.profile) == ("mov", "hevc", "Main 10")
    assert (info.coded_width, info.coded_height, info.rotation) == (3840, 2160, 90)
    assert (info.width, info.height, info.portrait) == (2160, 3840, True)
    assert (info.pix_fmt, info.bit_depth, info.hdr) == ("yuv420p10le", 10, True)
    assert (info.color_transfer, info.color_primaries) == ("smpte2084", "bt2020")
    assert (info.fps, info.vfr, info.duration) == (30.0, False, 12.345)
    assert [(a.codec, a.sample_rate) for a in info.audio_streams] == [
        ("aac", 44100)
    ]  # the data stream is skipped
    assert info.warnings == [
        "HDR (PQ): will be tone-mapped to SDR",
        "rotated 90° by metadata: output will be upright",
    ]


def test_mkv_without_audio() -> None:
    info = parse_saved("noaudio")
    assert (info.container, info.video_codec) == ("mkv", "h264")
    assert info.audio_streams == [] and not info.has_audio and info.default_audio_index is None
    assert info.duration == pytest.approx(1.0)
    assert info.warnings == ["no audio: renditions will be video-only"]


def test_ten_bit_hevc_hdr10() -> None:
    info = parse_saved("hevc_hdr10")
    assert (info.video_codec, info.profile) == ("hevc", "Main 10")
    assert (info.pix_fmt, info.bit_depth) == ("yuv420p10le", 10)
    assert (info.color_transfer, info.color_primaries) == ("smpte2084", "bt2020")
    assert info.hdr is True
    # the HDR sentence already says the output is SDR: no separate "10-bit" warning
    assert info.warnings == ["HDR (PQ): will be tone-mapped to SDR"]


def test_hlg_is_hdr_too() -> None:
    info = parse_probe(variant("hevc_hdr10", color_transfer="arib-std-b67"), "hlg.mp4", 1)
    assert info.hdr is True
    assert info.warnings == ["HDR (HLG): will be tone-mapped to SDR"]


def test_ten_bit_sdr_warns_about_the_bit_depth_only() -> None:
    info = parse_probe(variant("hevc_hdr10", color_transfer="bt709", color_primaries="bt709"), "x.mp4", 1)
    assert (info.hdr, info.bit_depth) == (False, 10)
    assert info.warnings == ["10-bit video: output will be 8-bit"]


def test_bit_depth_prefers_bits_per_raw_sample_then_the_pixel_format() -> None:
    assert parse_probe(variant("hevc_hdr10", bits_per_raw_sample="12"), "x", 1).bit_depth == 12
    assert parse_probe(variant("hevc_hdr10", pix_fmt="yuv422p12le"), "x", 1).bit_depth == 12
    assert parse_probe(variant("h264_1080p", bits_per_raw_sample="N/A"), "x", 1).bit_depth == 8


def test_interlaced_mpeg2() -> None:
    info = parse_saved("interlaced_mpeg2")
    assert (info.container, info.video_codec) == ("mpg", "mpeg2video")
    assert (info.width, info.height, info.fps) == (720, 576, 25.0)
    assert (info.interlaced, info.vfr) == (True, False)
    assert "interlaced: will be deinterlaced" in info.warnings
    assert [(a.codec, a.channels) for a in info.audio_streams] == [("mp2", 2)]


@pytest.mark.parametrize(
    ("order", "interlaced"),
    [("tt", True), ("bb", True), ("tb", True), ("bt", True), ("progressive", False), ("unknown", False)],
)
def test_field_order_decides_interlacing(order: str, interlaced: bool) -> None:
    assert parse_probe(variant("interlaced_mpeg2", field_order=order), "x.mpg", 1).interlaced is interlaced


def test_missing_field_order_is_progressive() -> None:
    assert parse_probe(variant("interlaced_mpeg2", field_order=None), "x.mpg", 1).interlaced is False


def test_two_audio_tracks_use_the_default_one() -> None:
    info = parse_saved("two_audio")
    assert [(a.codec, a.language, a.default) for a in info.audio_streams] == [
        ("aac", "eng", False),
        ("aac", "fra", True),
    ]
    assert info.default_audio_index == 1
    assert info.warnings == []  # every track is offered: nothing to warn about


def test_without_a_default_audio_track_the_first_is_used() -> None:
    doc = copy.deepcopy(saved("two_audio")["probe"])
    for stream in doc["streams"]:
        stream["disposition"]["default"] = 0
    info = parse_probe(doc, "x.mp4", 1)
    assert info.default_audio_index == 0
    assert not any("audio" in w for w in info.warnings)


def test_variable_frame_rate_from_packet_timestamps() -> None:
    info = parse_saved("vfr")
    assert info.vfr is True
    assert info.fps == pytest.approx(18.0, abs=0.5)  # 3 of every 5 frames of 30 fps
    assert info.warnings == [
        "variable frame rate: output will be constant 23.976 fps",
        "no audio: renditions will be video-only",
    ]


def test_vfr_matroska_is_only_visible_in_the_packet_timestamps() -> None:
    record = saved("vfr_25")
    video = video_stream(record["probe"])
    assert video["r_frame_rate"] == video["avg_frame_rate"] == "25/1"  # the header looks constant
    info = parse_saved("vfr_25")
    assert (info.container, info.vfr, info.fps) == ("mkv", True, 25.0)
    assert info.warnings == ["variable frame rate: output will be constant 25 fps"]
    assert parse_probe(record["probe"], "x.mkv", 1, None).vfr is False


def test_constant_rate_sources_are_not_vfr() -> None:
    for name in (
        "h264_1080p",
        "portrait_phone",
        "noaudio",
        "two_audio",
        "fps50",
        "hfr_120",
        "interlaced_mpeg2",
    ):
        info = parse_saved(name)
        assert info.vfr is False, name
        assert not any(w.startswith("variable") for w in info.warnings), name


def test_without_packet_timestamps_a_rate_mismatch_means_vfr() -> None:
    record = saved("vfr")
    assert parse_probe(record["probe"], "vfr.mp4", record["size"], None).vfr is True
    record = saved("h264_1080p")
    assert parse_probe(record["probe"], "x.mp4", record["size"], None).vfr is False


def test_is_vfr() -> None:
    steady = [i / 25 for i in range(100)]
    assert is_vfr(steady) is False
    assert is_vfr([i / 25 + (0.001 if i % 2 else 0) for i in range(100)]) is False  # jitter
    assert is_vfr([t for i, t in enumerate(steady) if i != 50]) is False  # one dropped frame
    assert is_vfr(saved("vfr")["packet_times"]) is True
    assert is_vfr([i * 0.04 + (0.02 if i % 2 else 0) for i in range(100)]) is True
    assert is_vfr([0.0, 0.1, 0.5]) is False  # too few samples to tell


def test_fifty_fps_is_kept_and_120_is_capped() -> None:
    assert (parse_saved("fps50").fps, parse_saved("fps50").warnings) == (
        50.0,
        ["no audio: renditions will be video-only"],
    )
    info = parse_saved("hfr_120")
    assert info.fps == 120.0
    assert "120 fps: output capped at 60 fps" in info.warnings


def test_odd_size() -> None:
    info = parse_saved("odd_size")
    assert (info.width, info.height, info.pix_fmt, info.profile) == (
        321,
        181,
        "yuv444p",
        "High 4:4:4 Predictive",
    )
    assert "odd frame size 321x181: output sizes are rounded to even" in info.warnings


def test_non_square_pixels_give_the_display_size() -> None:
    info = parse_saved("anamorphic")
    assert (info.coded_width, info.coded_height) == (720, 576)
    assert (info.width, info.height) == (768, 576)
    assert "non-square pixels (SAR 16:15): output uses square pixels" in info.warnings


def test_non_square_and_rotated_applies_the_sar_before_turning() -> None:
    info = parse_probe(variant("rotated_metadata", sample_aspect_ratio="4:3"), "x.mp4", 1)
    assert (info.coded_width, info.coded_height) == (320, 180)
    assert (info.width, info.height) == (180, 427)


def test_4k() -> None:
    info = parse_saved("uhd_4k")
    assert (info.width, info.height, info.audio_streams) == (3840, 2160, [])


def test_text_subtitles_are_listed_without_a_warning_and_image_ones_with_one() -> None:
    info = parse_saved("subtitled")
    assert [(s.codec, s.language) for s in info.subtitle_streams] == [("subrip", "eng")]
    assert not any("subtitles" in w for w in info.warnings)  # text subtitles are carried
    pgs = info.model_copy(
        update={"subtitle_streams": [*info.subtitle_streams, SubtitleStream(codec="hdmv_pgs_subtitle")]}
    )
    assert "image subtitles (hdmv_pgs_subtitle) can't be converted to text: skipped" in source_warnings(
        pgs, {}
    )


def test_webm_and_matroska_are_told_apart() -> None:
    doc = variant("noaudio", codec_name="vp9", profile="Profile 0")
    assert parse_probe(doc, "clip.webm", 1).container == "webm"
    assert parse_probe(doc, "clip.mkv", 1).container == "mkv"
    assert parse_probe(variant("noaudio"), "clip.webm", 1).container == "webm"


def test_duration_falls_back_to_the_video_stream() -> None:
    doc = variant("noaudio", duration="3.5")
    doc["format"].pop("duration")
    assert parse_probe(doc, "x.mkv", 1).duration == pytest.approx(3.5)


def test_media_info_json_schema() -> None:
    info = parse_saved("two_audio")
    assert MediaInfo.model_validate_json(info.model_dump_json()) == info
    doc = info.model_dump(mode="json")
    assert set(doc) == {
        "path", "container", "duration", "size", "bit_rate", "video_codec", "profile", "coded_width",
        "coded_height", "width", "height", "rotation", "fps", "vfr", "pix_fmt", "bit_depth",
        "color_transfer", "color_primaries", "hdr", "interlaced", "video_delay", "audio_streams",
        "subtitle_streams", "warnings",
    }  # fmt: skip
    assert set(doc["audio_streams"][0]) == {
        "codec",
        "channels",
        "channel_layout",
        "sample_rate",
        "language",
        "default",
    }


# --- documents that describe nothing usable -----------------------------------------------------


def test_audio_only_document_is_refused() -> None:
    error = probe_error(saved("audio_only")["probe"], "song.m4a")
    assert error.message == "audio only: the file has no video stream"


def test_cover_art_is_not_a_video_stream() -> None:
    doc = saved("cover_art_mp3")["probe"]
    assert video_stream(doc)["disposition"]["attached_pic"] == 1
    assert probe_error(doc, "song.mp3").message == "audio only: the file has no video stream"


def test_no_streams_at_all_is_not_a_media_file() -> None:
    error = probe_error({"format": {"duration": "1.0"}, "streams": []}, "x.bin")
    assert error.message.startswith("not a media file")


def test_video_without_a_decoder_is_named() -> None:
    error = probe_error(saved("no_decoder")["probe"], "A001_C002.mov")
    assert error.message == "no decoder for the video codec (aprn) in this FFmpeg"


def test_text_taken_for_ansi_art_is_not_a_video() -> None:
    error = probe_error(variant("noaudio", codec_name="ansi", pix_fmt="pal8"), "notes.txt")
    assert error.message == "not a media file but plain text"


def test_unknown_duration_is_refused() -> None:
    doc = variant("noaudio", duration=None)
    doc["format"].pop("duration")
    assert "duration" in probe_error(doc, "x.mkv").message
