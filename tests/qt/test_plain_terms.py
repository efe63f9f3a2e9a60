"""Plain-language labels for source facts and next steps for failed jobs (pure functions, no Qt)."""

from __future__ import annotations

import pytest

from hlsstudio.core.jobdb import JobRecord
from hlsstudio.core.models import AudioStream, JobState, MediaInfo, PlannedRung, SubtitleStream
from hlsstudio.qt import plain_terms as pt


def make_info(**changes: object) -> MediaInfo:
    """A 1080p25 H.264 source with stereo AAC; ``changes`` override fields."""
    fields: dict[str, object] = {
        "path": "/media/film.mp4",
        "container": "mp4",
        "duration": 125.0,
        "size": 52_000_000,
        "bit_rate": 3_300_000,
        "video_codec": "h264",
        "profile": "High",
        "coded_width": 1920,
        "coded_height": 1080,
        "width": 1920,
        "height": 1080,
        "fps": 25.0,
        "pix_fmt": "yuv420p",
        "audio_streams": [AudioStream(codec="aac", channels=2, channel_layout="stereo", language="eng")],
    }
    fields.update(changes)
    return MediaInfo.model_validate(fields)


def make_record(state: JobState, error: str | None = None, info: MediaInfo | None = None) -> JobRecord:
    """A job of the queue in ``state`` with this error."""
    return JobRecord(id=1, position=0, source="/media/film.mp4", state=state, error=error, info=info)


@pytest.mark.parametrize(
    ("pix_fmt", "transfer", "expected"),
    [
        ("yuv420p", None, "8-bit colour"),
        ("yuv420p10le", None, "10-bit colour"),
        ("yuv420p10le", "bt709", "10-bit colour"),
        ("yuv420p10le", "smpte2084", "10-bit HDR colour (PQ)"),
        ("yuv420p10le", "arib-std-b67", "10-bit HDR colour (HLG)"),
        ("yuv422p12be", None, "12-bit colour"),
        (None, None, "8-bit colour"),
    ],
)
def test_colour_label(pix_fmt: str | None, transfer: str | None, expected: str) -> None:
    assert pt.colour_label(pix_fmt, transfer) == expected


def test_colour_label_falls_back_to_the_probed_bit_depth() -> None:
    assert pt.colour_label("gbrp", None, bit_depth=10) == "10-bit colour"


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("eng", "English"),
        ("fra", "French"),
        ("fre", "French"),
        ("spa", "Spanish"),
        ("deu", "German"),
        ("ger", "German"),
        ("ita", "Italian"),
        ("por", "Portuguese"),
        ("jpn", "Japanese"),
        ("zho", "Chinese"),
        ("chi", "Chinese"),
        ("ara", "Arabic"),
        ("hin", "Hindi"),
        ("rus", "Russian"),
        ("swa", "Swahili"),
        ("en", "English"),
        ("en-US", "English"),
        ("ENG", "English"),
        ("und", "language not set"),
        (None, "language not set"),
        ("", "language not set"),
        ("xyz", "xyz"),
    ],
)
def test_language_name(code: str | None, expected: str) -> None:
    assert pt.language_name(code) == expected


def test_the_language_table_covers_the_common_languages() -> None:
    assert len(set(pt.LANGUAGE_NAMES.values())) >= 40


@pytest.mark.parametrize(
    ("codec", "profile", "level", "expected"),
    [
        ("h264", "main@3.0", None, "H.264 Main, level 3.0"),
        ("h264", "high@4.0", None, "H.264 High, level 4.0"),
        ("h264", "Main", 30, "H.264 Main, level 3.0"),
        ("h264", "High", 41, "H.264 High, level 4.1"),
        ("h264", "Constrained Baseline", None, "H.264 Constrained Baseline"),
        ("h264", "High", -99, "H.264 High"),
        ("hevc", "Main 10", 153, "H.265/HEVC Main 10, level 5.1"),
        ("h264", None, None, "H.264"),
        ("vp9", "Profile 0", None, "VP9 Profile 0"),
    ],
)
def test_profile_label(codec: str, profile: str | None, level: int | None, expected: str) -> None:
    assert pt.profile_label(codec, profile, level) == expected


@pytest.mark.parametrize(
    ("layout", "channels", "expected"),
    [
        ("stereo", 2, "Stereo"),
        ("mono", 1, "Mono"),
        ("5.1(side)", 6, "5.1 surround"),
        ("5.1", 6, "5.1 surround"),
        ("7.1", 8, "7.1 surround"),
        (None, 2, "Stereo"),
        (None, 6, "5.1 surround"),
        (None, 3, "3 channels"),
        (None, 0, "channels unknown"),
        ("hexadecagonal", 16, "16 channels"),
    ],
)
def test_channel_label(layout: str | None, channels: int, expected: str) -> None:
    assert pt.channel_label(layout, channels) == expected


@pytest.mark.parametrize(
    ("codec", "expected"),
    [
        ("h264", "H.264"),
        ("hevc", "H.265/HEVC"),
        ("aac", "AAC"),
        ("ac3", "Dolby Digital (AC-3)"),
        ("eac3", "Dolby Digital Plus"),
        ("prores", "Apple ProRes"),
        ("mpeg2video", "MPEG-2"),
        ("pcm_s24le", "uncompressed audio (PCM)"),
        ("subrip", "SRT"),
        ("weird_codec", "weird_codec"),
        (None, "unknown"),
    ],
)
def test_codec_name(codec: str | None, expected: str) -> None:
    assert pt.codec_name(codec) == expected


def test_container_name() -> None:
    assert pt.container_name("mkv") == "Matroska (MKV)"
    assert pt.container_name("mov") == "QuickTime (MOV)"
    assert pt.container_name("nut") == "nut"


def test_frame_rate_scan_and_orientation_labels() -> None:
    assert pt.frame_rate_label(25.0) == "25 fps"
    assert pt.frame_rate_label(29.97) == "29.97 fps"
    assert pt.frame_rate_label(24.6, vfr=True) == "variable frame rate (will be made constant at 25 fps)"
    assert pt.frame_rate_label(120.0) == "120 fps (will be made 60 fps)"
    assert pt.scan_label(True) == "interlaced (will be deinterlaced)"
    assert pt.scan_label(False) == "progressive"
    assert pt.orientation_label(360, 640, 90) == "portrait (rotated 90°)"
    assert pt.orientation_label(640, 360, -90) == "landscape (rotated 270°)"
    assert pt.orientation_label(640, 360) == "landscape"
    assert pt.orientation_label(500, 500) == "square"


def test_source_facts_are_plain_with_the_raw_terms_kept() -> None:
    info = make_info(
        video_codec="hevc",
        profile="Main 10",
        pix_fmt="yuv420p10le",
        color_transfer="smpte2084",
        color_primaries="bt2020",
        hdr=True,
        interlaced=True,
        audio_streams=[
            AudioStream(codec="eac3", channels=6, channel_layout="5.1(side)", language="und"),
            AudioStream(
                codec="aac",
                channels=2,
                channel_layout="stereo",
                sample_rate=48000,
                language="fre",
                default=True,
            ),
        ],
        subtitle_streams=[SubtitleStream(codec="subrip", language="spa")],
    )
    facts = {f.label: f for f in pt.source_facts(info)}

    assert facts["File type"].value == "MP4"
    assert facts["Length"].value == "2:05"
    assert facts["Video"].value == "H.265/HEVC Main 10"
    assert facts["Picture size"].value == "1920×1080, landscape"
    assert facts["Colour"].value == "10-bit HDR colour (PQ)"
    assert "yuv420p10le" in facts["Colour"].raw and "smpte2084" in facts["Colour"].raw
    assert facts["Scan"].value == "interlaced (will be deinterlaced)"
    assert facts["Audio 1"].value == "Dolby Digital Plus · 5.1 surround · language not set"
    assert "5.1(side)" in facts["Audio 1"].raw and "language und" in facts["Audio 1"].raw
    assert facts["Audio 2"].value == "AAC · Stereo · French (default)"
    assert facts["Audio 2"].raw == "aac, stereo, 48000 Hz, language fre, default"
    assert facts["Subtitles"].value == "Spanish (SRT)"


def test_source_facts_of_a_silent_progressive_source() -> None:
    facts = {f.label: f for f in pt.source_facts(make_info(audio_streams=[]))}
    assert "Scan" not in facts
    assert facts["Audio"].value.startswith("none")
    assert facts["Colour"].value == "8-bit colour" and "yuv420p" in facts["Colour"].raw


@pytest.mark.parametrize(
    ("warning", "expected"),
    [
        (
            "variable frame rate: output will be constant 25 fps",
            "The frame rate varies: it will be made constant at 25 fps.",
        ),
        ("interlaced: will be deinterlaced", "The picture is interlaced: it will be deinterlaced."),
        (
            "HDR (HLG): will be tone-mapped to SDR",
            "HDR video (HLG): its colours will be converted to standard range (SDR).",
        ),
        ("2 audio tracks: only track 2 (fra) is used", "2 audio tracks: only track 2 (French) is used."),
        ("2 audio tracks: only track 1 is used", "2 audio tracks: only track 1 is used."),
        ("no audio: renditions will be video-only", "No sound: the output will be silent."),
        ("something new happened", "Something new happened."),
    ],
)
def test_warning_sentence(warning: str, expected: str) -> None:
    assert pt.warning_sentence(warning) == expected


def test_a_rung_reads_as_a_sentence_without_cryptic_notes() -> None:
    rung = PlannedRung(
        name="720p",
        width=1280,
        height=720,
        video_kbps=2800,
        audio_kbps=128,
        maxrate_kbps=3080,
        bufsize_kbps=5600,
    )
    text = pt.rung_sentence(rung)
    assert text == "720p: 1280×720, 2.8 Mb/s video (up to 3.1 Mb/s in busy scenes) + 128 kb/s audio"
    assert "(max" not in text
    assert pt.rate_label(880) == "880 kb/s"


def test_breakable_lets_long_runs_wrap_and_keeps_the_text() -> None:
    path = "/very/long/" + "x" * 100 + "/name.mp4"
    text = pt.breakable(f"cannot read {path} now")
    assert text.replace(pt.ZWSP, "") == f"cannot read {path} now"
    assert all(len(run) <= pt.LONG_RUN for run in text.replace(pt.ZWSP, " ").split())
    assert pt.breakable("short words only") == "short words only"


@pytest.mark.parametrize(
    ("state", "error", "info", "expected"),
    [
        (
            JobState.FAILED,
            "not a media file, or its container is damaged",
            None,
            "Check that the file plays in a media player, or remove it from the queue.",
        ),
        (
            JobState.PUBLISH_FAILED,
            "publishing failed: the bucket refused the upload (403)",
            make_info(),
            "The encoded package is kept: fix the destination in Settings, then Publish again.",
        ),
        (
            JobState.FAILED,
            "publishing failed: connection reset",
            make_info(),
            "The encoded package is kept: fix the destination in Settings, then Publish again.",
        ),
        (
            JobState.PUBLISH_FAILED,
            "not published: content id 'my film' is not valid: use 1-128 letters, digits, '-' or '_'",
            make_info(),
            "The encoded package is kept: set a valid content id, then Publish again.",
        ),
        (JobState.INTERRUPTED, "interrupted: the app was closed", make_info(), "Retry starts it again."),
        (JobState.CANCELLED, None, make_info(), "Retry starts it again."),
        (
            JobState.FAILED,
            "ffprobe not found: install FFmpeg",
            None,
            "Check the FFmpeg page of Settings, then Retry.",
        ),
        (
            JobState.FAILED,
            "file not found: /media/film.mp4",
            None,
            "The file was moved or deleted: add it again, or remove it from the queue.",
        ),
        (
            JobState.FAILED,
            "source ends early: only 3.0 s of 9.0 s could be decoded (file truncated or damaged)",
            make_info(),
            "The file is cut short or damaged: get a complete copy, then add it again.",
        ),
        (
            JobState.FAILED,
            "ffmpeg failed: Error while decoding stream #0:0",
            make_info(),
            "Retry; if it fails again, Details… has the technical story.",
        ),
        (
            JobState.DONE,
            "publishing cancelled: the encoded package is kept",
            make_info(),
            "Publish it when you are ready.",
        ),
        (JobState.DONE, None, make_info(), ""),
        (JobState.READY, None, make_info(), ""),
        # the reason already says what to do
        (JobState.FAILED, "/out holds other files: choose an empty or new folder", make_info(), ""),
        (
            JobState.PUBLISH_FAILED,
            "not published: movie 'film' is live (published 2026-11-30); press Publish to replace it",
            make_info(),
            "",
        ),
        (
            JobState.INTERRUPTED,
            "interrupted while transcoding: the app stopped; retry to run it again",
            None,
            "",
        ),
    ],
)
def test_next_step(state: JobState, error: str | None, info: MediaInfo | None, expected: str) -> None:
    assert pt.next_step(make_record(state, error, info)) == expected


@pytest.mark.parametrize(
    ("state", "error", "info", "expected"),
    [
        (JobState.FAILED, "not a media file", None, "Cannot use this file"),
        (JobState.FAILED, "ffmpeg failed: boom", make_info(), "Encoding failed"),
        (JobState.PUBLISH_FAILED, "publishing failed: 403", make_info(), "Encoded, but publishing failed"),
        (JobState.CANCELLED, None, make_info(), "Cancelled"),
        (JobState.INTERRUPTED, "interrupted: the app was closed", make_info(), "Interrupted"),
        (
            JobState.DONE,
            "publishing cancelled: the encoded package is kept",
            make_info(),
            "Encoded, not published",
        ),
        (JobState.DONE, None, make_info(), ""),
    ],
)
def test_failure_title(state: JobState, error: str | None, info: MediaInfo | None, expected: str) -> None:
    record = make_record(state, error, info)
    assert pt.failure_title(record) == expected
    assert pt.is_failure(record) is (state in pt.FAILED_STATES)
