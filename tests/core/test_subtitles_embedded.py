"""Subtitle tracks inside a source, extracted with the real ffmpeg."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from hlsstudio.core.proc import Completed
from hlsstudio.core.subtitles import embedded
from hlsstudio.core.subtitles.embedded import IMAGE_SUBTITLES_MESSAGE, extract_embedded, is_text_codec
from hlsstudio.core.subtitles.reading import SubtitleError, cue_text
from hlsstudio.core.subtitles.webvtt import webvtt_cue_text
from tests.mediagen import run_ffmpeg

SRT = (
    "1\n00:00:01,000 --> 00:00:02,500\nCafé <i>olé</i>\nline two\n\n"
    "2\n00:00:04,000 --> 00:00:05,000\n1 < 2 & 3 > 2\n\n"
)
TIMEOUT = 60.0


def clip_with_subtitles(folder: Path, name: str, codec: str) -> Path:
    """A 6 s clip with one video track and two copies of SRT as subtitle tracks, as ``codec``."""
    srt = folder / "input.srt"
    srt.write_text(SRT, encoding="utf-8")
    out = folder / name
    run_ffmpeg([
        "-f", "lavfi", "-i", "testsrc2=s=160x90:r=25:d=6", "-i", str(srt), "-i", str(srt),
        "-map", "0:v", "-map", "1:s", "-map", "2:s", "-c:v", "libx264", "-preset", "ultrafast",
        "-c:s", codec, "-metadata:s:s:0", "language=fre", "-t", "6", str(out),
    ])  # fmt: skip
    return out


@pytest.mark.parametrize(
    ("name", "codec"), [("film.mkv", "srt"), ("film.mp4", "mov_text"), ("film.mkv", "ass")]
)
def test_a_text_track_is_extracted_to_cues(tmp_path: Path, name: str, codec: str) -> None:
    source = clip_with_subtitles(tmp_path, name, codec)
    for index in (0, 1):
        subs = extract_embedded("ffmpeg", source, index, TIMEOUT)
        assert [(e.start, e.end, cue_text(e)) for e in subs] == [
            (1000, 2500, "Café olé\nline two"),
            (4000, 5000, "1 < 2 & 3 > 2"),
        ]
        assert [webvtt_cue_text(e, subs) for e in subs] == [
            "Café <i>olé</i>\nline two",
            "1 &lt; 2 &amp; 3 &gt; 2",
        ]


def test_the_temporary_folder_is_removed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = clip_with_subtitles(tmp_path, "film.mkv", "srt")
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    extract_embedded("ffmpeg", source, 0, TIMEOUT)
    with pytest.raises(SubtitleError):
        extract_embedded("ffmpeg", source, 5, TIMEOUT)
    assert list(temp.iterdir()) == []


def test_a_missing_track_or_ffmpeg_is_a_subtitle_error(tmp_path: Path) -> None:
    source = clip_with_subtitles(tmp_path, "film.mkv", "srt")
    with pytest.raises(
        SubtitleError, match=r"^film\.mkv subtitle track 3: the file has no such subtitle track$"
    ):
        extract_embedded("ffmpeg", source, 2, TIMEOUT)
    with pytest.raises(SubtitleError, match=r"^film\.mkv subtitle track 1: cannot start ffmpeg"):
        extract_embedded(str(tmp_path / "no-ffmpeg"), source, 0, TIMEOUT)
    with pytest.raises(SubtitleError, match=r"^clip\.mkv subtitle track 1: ffmpeg could not extract it"):
        extract_embedded("ffmpeg", tmp_path / "clip.mkv", 0, TIMEOUT)


def test_ffmpeg_refusing_an_image_track_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    refusal = b"Subtitle encoding currently only possible from text to text or bitmap to bitmap\n"
    monkeypatch.setattr(embedded, "run_bounded", lambda args, timeout: Completed(1, b"", refusal))
    with pytest.raises(SubtitleError) as caught:
        extract_embedded("ffmpeg", tmp_path / "film.mkv", 0, TIMEOUT)
    assert str(caught.value) == f"film.mkv subtitle track 1: {IMAGE_SUBTITLES_MESSAGE}"


@pytest.mark.parametrize("codec", ["subrip", "ass", "ssa", "mov_text", "webvtt", "text", "SubRip"])
def test_text_codecs_can_be_converted(codec: str) -> None:
    assert is_text_codec(codec)


@pytest.mark.parametrize(
    "codec", ["hdmv_pgs_subtitle", "dvd_subtitle", "dvb_subtitle", "xsub", "dvb_teletext", "", "?"]
)
def test_image_and_unknown_codecs_cannot(codec: str) -> None:
    assert not is_text_codec(codec)
    assert IMAGE_SUBTITLES_MESSAGE == "image subtitles can't be converted to text"
