"""The shared test media (the ``media`` fixture, ``tests.mediasamples``/``tests.mediagen``) are what
they claim to be.

Checked with raw ffprobe, not with the code under test (what ``probe_file`` makes of the same files is
in ``test_probe_files.py``).
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path
from typing import Any

import pytest

from tests.mediagen import MediaGenError, ffprobe_json, make_video
from tests.mediasamples import MediaSet


def _streams(path: Path, kind: str) -> list[dict[str, Any]]:
    return [s for s in ffprobe_json(path)["streams"] if s["codec_type"] == kind]


def test_small_clip_is_4s_320x180_h264_with_stereo_aac(small_clip: Path) -> None:
    doc = ffprobe_json(small_clip)
    (video,) = _streams(small_clip, "video")
    (audio,) = _streams(small_clip, "audio")
    assert (video["codec_name"], video["width"], video["height"]) == ("h264", 320, 180)
    assert video["avg_frame_rate"] == "25/1"
    assert (audio["codec_name"], audio["channels"]) == ("aac", 2)
    assert float(doc["format"]["duration"]) == pytest.approx(4.0, abs=0.1)


def test_clip_with_the_same_options_is_built_once(media: MediaSet) -> None:
    first = media.clip(duration=1.0, width=160, height=90, audio_tracks=0)
    mtime = first.stat().st_mtime_ns
    again = media.clip(duration=1.0, width=160, height=90, audio_tracks=0)
    other = media.clip(duration=1.0, width=160, height=90, audio_tracks=1)
    assert again == first and again.stat().st_mtime_ns == mtime
    assert other != first
    assert _streams(first, "audio") == [] and len(_streams(other, "audio")) == 1


def test_clip_options_reach_the_file(tmp_path: Path) -> None:
    path = make_video(
        tmp_path / "x.mkv",
        width=256,
        height=144,
        fps="30000/1001",
        duration=1.0,
        audio_tracks=2,
        audio_languages=("deu", "spa"),
        default_audio=1,
        subtitle_language="ita",
    )
    (video,) = _streams(path, "video")
    audio = _streams(path, "audio")
    (subtitle,) = _streams(path, "subtitle")
    assert (video["width"], video["height"], video["r_frame_rate"]) == (256, 144, "30000/1001")
    assert [a["tags"]["language"] for a in audio] == ["deu", "spa"]
    assert [a["disposition"]["default"] for a in audio] == [0, 1]
    assert subtitle["tags"]["language"] == "ita"
    assert sorted(os.listdir(tmp_path)) == ["x.mkv"]  # helper files are cleaned up


def test_hdr10_interlaced_and_rotated_samples_carry_their_tags(media: MediaSet) -> None:
    (hdr,) = _streams(media.sample("hevc_hdr10"), "video")
    assert (hdr["codec_name"], hdr["pix_fmt"]) == ("hevc", "yuv420p10le")
    assert (hdr["color_transfer"], hdr["color_primaries"]) == ("smpte2084", "bt2020")
    (mpeg2,) = _streams(media.sample("interlaced_mpeg2"), "video")
    assert (mpeg2["codec_name"], mpeg2["field_order"]) == ("mpeg2video", "tt")
    for name, matrix_angle in (("rotated_metadata", -90), ("rotated_270", 90)):
        (rotated,) = _streams(media.sample(name), "video")
        assert (rotated["width"], rotated["height"]) == (320, 180)
        angles = [side["rotation"] for side in rotated.get("side_data_list", []) if "rotation" in side]
        assert angles == [matrix_angle], name


def test_vfr_sample_has_uneven_frame_gaps(media: MediaSet) -> None:
    packets = ffprobe_json(media.sample("vfr"), "-select_streams", "v:0", "-show_entries", "packet=pts_time")[
        "packets"
    ]
    times = sorted(float(p["pts_time"]) for p in packets)
    gaps = {round(b - a, 3) for a, b in itertools.pairwise(times)}
    assert gaps == {0.033, 0.1}


def test_broken_samples_are_broken_the_intended_way(media: MediaSet) -> None:
    assert media.sample("empty").stat().st_size == 0
    assert _streams(media.sample("audio_only"), "video") == []
    truncated = media.sample("truncated").read_bytes()
    assert truncated[4:8] == b"ftyp" and b"moov" not in truncated
    assert media.sample("text_as_mp4").read_bytes().startswith(b"This is a text file")
    (cover,) = _streams(media.sample("cover_art_mp3"), "video")
    assert cover["disposition"]["attached_pic"] == 1
    assert media.sample("truncated_mkv").read_bytes()[:4] == bytes.fromhex("1a45dfa3")  # EBML header
    assert media.sample("truncated_mp4") == media.sample("truncated")


def test_a_failing_ffmpeg_run_raises_with_its_stderr(tmp_path: Path) -> None:
    with pytest.raises(MediaGenError, match="not divisible by 2"):
        make_video(tmp_path / "odd.mp4", width=321, height=181, source="testsrc", pix_fmt="yuv420p")
