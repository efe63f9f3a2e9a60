"""Audio languages in real jobs: every audio track of a source, and the dubs beside it, become demuxed
``EXT-X-MEDIA TYPE=AUDIO`` renditions, one group per audio rate of the ladder.

The source is a 12 s 320x180 Matroska clip with an English stereo track (default) and a French 5.1
track; beside it ``film.sw.m4a`` (a Swahili dub 0.5 s longer than the video: cut to fit, no warning)
and ``film.de.wav`` (20 s: more than 5 % off, left out with one line). With a two-rung ladder at
40 and 96 kb/s sound, the package must hold two audio groups with the same three languages, mono at
40 kb/s and stereo at 96 kb/s, one default each (English), cut where the video is cut. Checked from
the files: the master, the segments' streams (ffprobe), the playlists' boundaries, the validator's
verdict; and that the validator catches a missing audio segment and groups that differ.
"""

from __future__ import annotations

import itertools
import re
import shutil
from pathlib import Path

import m3u8
import pytest

from hlsstudio.core.hls.validate import validate_package
from hlsstudio.core.models import EncodeSettings, JobResult, Ladder, Rung
from hlsstudio.core.pipeline import transcode
from hlsstudio.core.toolchain import Toolchain, locate_toolchain
from tests.mediagen import ffprobe_json, run_ffmpeg

DURATION = 12.0
LADDER = Ladder(
    rungs=[
        Rung(name="144p", height=144, video_kbps=80, audio_kbps=40),
        Rung(name="180p", height=180, video_kbps=300, audio_kbps=96),
    ]
)
SETTINGS = EncodeSettings(segment_duration=6.0, preset="ultrafast", thumbnail_interval=5.0, stall_timeout=60)


def make_source(path: Path, *, silent_second: bool = False) -> Path:
    """The clip: English stereo (default) and French 5.1 (or a silent stereo second track)."""
    second = (
        f"anullsrc=channel_layout=stereo:sample_rate=48000:duration={DURATION}"
        if silent_second
        else f"sine=frequency=660:sample_rate=48000:duration={DURATION}"
    )
    layout = "stereo" if silent_second else "5.1"
    run_ffmpeg([
        "-f", "lavfi", "-i", f"testsrc2=size=320x180:rate=25:duration={DURATION}",
        "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={DURATION}",
        "-f", "lavfi", "-i", second,
        "-map", "0:v", "-map", "1:a", "-map", "2:a",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-b:a", "96k", "-ac:a:0", "2", "-filter:a:1", f"aformat=channel_layouts={layout}",
        "-metadata:s:a:0", "language=eng", "-metadata:s:a:1", "language=fre",
        "-disposition:a:0", "default", "-disposition:a:1", "0",
        str(path),
    ])  # fmt: skip
    return path


def make_dub(path: Path, seconds: float, frequency: int) -> Path:
    run_ffmpeg([
        "-f", "lavfi", "-i", f"sine=frequency={frequency}:sample_rate=44100:duration={seconds}",
        "-ac", "2", *(["-c:a", "aac"] if path.suffix == ".m4a" else []), str(path),
    ])  # fmt: skip
    return path


@pytest.fixture(scope="module")
def toolchain() -> Toolchain:
    return locate_toolchain()


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory, toolchain: Toolchain) -> tuple[Path, JobResult]:
    folder = tmp_path_factory.mktemp("film")
    source = make_source(folder / "film.mkv")
    make_dub(folder / "film.sw.m4a", DURATION + 0.5, 550)
    make_dub(folder / "film.de.wav", 20.0, 330)
    out = folder / "out"
    result = transcode(source, out, ladder=LADDER, settings=SETTINGS, toolchain=toolchain)
    assert result.status == "completed", result.error
    return out, result


def audio_media(out: Path) -> list[m3u8.Media]:
    return [m for m in m3u8.load(str(out / "master.m3u8")).media if m.type == "AUDIO"]


def boundaries(playlist: Path) -> list[float]:
    return list(itertools.accumulate(s.duration for s in m3u8.load(str(playlist)).segments))[:-1]


def test_every_group_offers_every_language_with_one_english_default(package: tuple[Path, JobResult]) -> None:
    out, _ = package
    media = audio_media(out)
    groups = {m.group_id for m in media}
    assert groups == {"audio-40k", "audio-96k"}
    for group in groups:
        members = [m for m in media if m.group_id == group]
        assert [(m.name, m.language) for m in members] == [
            ("English", "en"),
            ("Français", "fr"),
            ("Kiswahili", "sw"),
        ]
        assert [m.default for m in members] == ["YES", "NO", "NO"]
        assert {m.autoselect for m in members} == {"YES"}
        assert {m.channels for m in members} == ({"1"} if group == "audio-40k" else {"2"})


def test_variants_are_picture_only_and_name_their_group(package: tuple[Path, JobResult]) -> None:
    out, result = package
    master = m3u8.load(str(out / "master.m3u8"))
    assert [(p.uri, p.stream_info.audio) for p in master.playlists] == [
        ("stream_144p.m3u8", "audio-40k"),
        ("stream_180p.m3u8", "audio-96k"),
    ]
    for playlist in master.playlists:
        assert playlist.stream_info.codecs.endswith(",mp4a.40.2")
        first = m3u8.load(str(out / playlist.uri)).segments[0].uri
        streams = ffprobe_json(out / first, "-show_streams")["streams"]
        assert [s["codec_type"] for s in streams] == ["video"]
    for variant, rung in zip(result.variants, ("144p", "180p"), strict=True):
        assert variant.quality == rung and variant.audio == f"audio-{40 if rung == '144p' else 96}k"


def test_audio_segments_hold_aac_at_48_khz_cut_where_the_video_is(package: tuple[Path, JobResult]) -> None:
    out, _ = package
    video = boundaries(out / "stream_180p.m3u8")
    assert video[:4] == pytest.approx([2.0, 4.0, 6.0, 10.0])  # fast start on the muxer's grid
    for media in audio_media(out):
        assert boundaries(out / media.uri) == pytest.approx(video, abs=0.05), media.uri
        first = m3u8.load(str(out / media.uri)).segments[0].uri
        (stream,) = ffprobe_json(out / first, "-show_streams")["streams"]
        assert (stream["codec_name"], stream["profile"], stream["sample_rate"]) == ("aac", "LC", "48000")
        assert stream["channels"] == (1 if media.group_id == "audio-40k" else 2)
    total = sum(s.duration for s in m3u8.load(str(out / "audio_a2-96k.m3u8")).segments)
    assert total == pytest.approx(DURATION, abs=0.1)  # the 12.5 s dub was cut to the video's length


def test_the_dub_far_off_the_video_is_left_out_with_one_line(package: tuple[Path, JobResult]) -> None:
    out, result = package
    assert [w for w in result.warnings if "film.de.wav" in w] == [
        "film.de.wav lasts 0:20, the video 0:12 (more than 5 % apart): left out"
    ]
    assert not list(out.glob("audio_a3-*"))
    assert not any("film.sw.m4a" in w for w in result.warnings)  # 0.5 s off: cut without a word


def test_the_result_lists_the_renditions_and_the_validator_passes_them(
    package: tuple[Path, JobResult],
) -> None:
    out, result = package
    audio = [(r.group, r.language, r.default, r.channels) for r in result.renditions if r.type == "audio"]
    assert audio == [
        ("audio-40k", "en", True, 1), ("audio-40k", "fr", False, 1), ("audio-40k", "sw", False, 1),
        ("audio-96k", "en", True, 2), ("audio-96k", "fr", False, 2), ("audio-96k", "sw", False, 2),
    ]  # fmt: skip
    assert all((out / r.playlist).is_file() and (r.bitrate or 0) > 0 for r in result.renditions)
    assert result.validation is not None and result.validation.ok
    (check,) = [c for c in result.validation.checks if c.name == "audio"]
    assert check.message == "6 audio rendition(s) in 3 language(s), aligned with the video"
    assert result.conformance is not None and not result.conformance.must_failures


def test_the_validator_catches_a_missing_segment_and_groups_that_differ(
    package: tuple[Path, JobResult], tmp_path: Path
) -> None:
    out, _ = package
    broken = shutil.copytree(out, tmp_path / "broken")
    (broken / "audio_a1-96k_002.ts").unlink()
    master = broken / "master.m3u8"
    text = master.read_text(encoding="utf-8")
    master.write_text(re.sub(r'NAME="Kiswahili",(.*)audio_a2-40k', r'NAME="Swahili",\1audio_a2-40k', text))
    report = validate_package(broken, segment_duration=6.0, expected_duration=DURATION)
    (check,) = [c for c in report.checks if c.name == "audio"]
    assert not check.ok
    assert "the audio groups do not offer the same languages and names" in check.message
    assert "audio_a1-96k.m3u8: segment audio_a1-96k_002.ts is missing" in check.message


def test_track_choices_first_and_languages_and_a_silent_track(tmp_path: Path, toolchain: Toolchain) -> None:
    source = make_source(tmp_path / "quiet.mkv", silent_second=True)
    first = transcode(
        source, tmp_path / "first", ladder=LADDER, toolchain=toolchain,
        settings=SETTINGS.model_copy(update={"audio_tracks": "first"}),
    )  # fmt: skip
    assert [(r.language, r.default) for r in first.renditions if r.type == "audio"] == [("en", True)] * 2
    french = transcode(
        source, tmp_path / "french", ladder=LADDER, toolchain=toolchain,
        settings=SETTINGS.model_copy(update={"audio_tracks": "fr"}),
    )  # fmt: skip
    assert [(r.language, r.default) for r in french.renditions if r.type == "audio"] == [("fr", True)] * 2
    assert "audio track 2 (fr) is silent (no sound in its first ten minutes)" in french.warnings
    assert not any("silent" in w for w in first.warnings)
