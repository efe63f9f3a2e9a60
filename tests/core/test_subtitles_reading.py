"""Reading subtitle files: every common encoding comes out right, and anything else is refused."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hlsstudio.core.errors import HlsStudioError
from hlsstudio.core.subtitles import reading
from hlsstudio.core.subtitles.reading import SubtitleError, cue_text, read_subtitle_file

SRT = (
    "1\n00:00:01,000 --> 00:00:02,500\nCafé für Müller’s “quote”\n<i>second</i> line\n\n"
    "2\n00:00:05,900 --> 00:00:06,200\nÀ bientôt, naïve señor — 10 € & <b>more</b>\n\n"
    "3\n00:00:07,000 --> 00:00:08,000\n{\\an8}   \n\n"
    "4\n00:00:12,000 --> 00:00:13,000\nÉté\n\n"
)
TEXTS = [
    "Café für Müller’s “quote”\nsecond line",
    "À bientôt, naïve señor — 10 € & more",
    "Été",
]
LATIN_1 = "1\n00:00:01,000 --> 00:00:02,500\nÀ bientôt, naïve señor. Grüße aus München, ça va ?\n\n"


def texts(path: Path) -> list[str]:
    return [cue_text(event) for event in read_subtitle_file(path)]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "cp1252"])
def test_every_common_encoding_reads_the_same(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "film.fr.srt"
    path.write_bytes(SRT.replace("\n", "\r\n").encode(encoding))
    assert texts(path) == TEXTS


def test_utf16_without_a_byte_order_mark_is_recognised(tmp_path: Path) -> None:
    path = tmp_path / "film.srt"
    path.write_bytes(SRT.encode("utf-16-le"))
    assert texts(path) == TEXTS


@pytest.mark.parametrize("encoding", ["latin-1", "cp1252"])
def test_short_western_single_byte_files_read_as_windows_1252(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "film.srt"
    path.write_bytes(LATIN_1.encode(encoding))
    assert texts(path) == ["À bientôt, naïve señor. Grüße aus München, ça va ?"]
    short = tmp_path / "short.srt"
    short.write_bytes("1\n00:00:01,000 --> 00:00:02,000\nÀ bientôt\n".encode(encoding))
    assert texts(short) == ["À bientôt"]


def test_other_legacy_encodings_are_detected(tmp_path: Path) -> None:
    line = "Привет, как дела? Всё хорошо, спасибо. Это тестовый субтитр."
    path = tmp_path / "film.ru.srt"
    path.write_bytes(
        "".join(f"{i}\n00:00:0{i},000 --> 00:00:0{i},500\n{line}\n\n" for i in range(1, 4)).encode("cp1251")
    )
    assert texts(path) == [line] * 3


def test_ass_overrides_drawings_and_comments_are_not_text(tmp_path: Path) -> None:
    path = tmp_path / "film.ass"
    path.write_text(
        "[Script Info]\nScriptType: v4.00+\n\n[V4+ Styles]\n"
        "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, "
        "Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, "
        "Alignment, MarginL, MarginR, MarginV, Encoding\n"
        "Style: Default,Arial,20,&H00FFFFFF,&H000000FF,&H00000000,&H00000000,"
        "0,0,0,0,100,100,0,0,1,2,2,2,10,10,10,1\n\n"
        "[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n"
        "Dialogue: 0,0:00:03.00,0:00:04.00,Default,,0,0,0,,{\\pos(10,10)\\i1}Second{\\i0}\\Nline\n"
        "Dialogue: 0,0:00:01.00,0:00:02.00,Default,,0,0,0,,First\n"
        "Dialogue: 0,0:00:05.00,0:00:06.00,Default,,0,0,0,,{\\p1}m 0 0 l 100 0 100 100{\\p0}\n"
        "Comment: 0,0:00:07.00,0:00:08.00,Default,,0,0,0,,a note\n",
        encoding="utf-8",
    )
    subs = read_subtitle_file(path)
    assert [(e.start, e.end, cue_text(e)) for e in subs] == [
        (1000, 2000, "First"),
        (3000, 4000, "Second\nline"),
    ]


def test_webvtt_and_microdvd_files_are_read(tmp_path: Path) -> None:
    vtt = tmp_path / "film.en.vtt"
    vtt.write_text(
        "WEBVTT - a title\nKind: captions\n\nSTYLE\n::cue { color: yellow }\n\n"
        "00:01.000 --> 00:02.000 align:start position:10%\n<v Roger>Hello</v>\n\nNOTE between cues\n\n"
        "cue-2\n01:00:00.000 --> 01:00:01.000\nLater\non\n\nNOTE\nat the end\n",
        "utf-8",
    )
    assert [(e.start, cue_text(e)) for e in read_subtitle_file(vtt)] == [
        (1000, "Hello"),
        (3_600_000, "Later\non"),
    ]
    sub = tmp_path / "film.sub"
    sub.write_text("{25}{50}Hello|world\n", "utf-8")
    with pytest.raises(SubtitleError, match=r"^film\.sub: .*frame rate"):
        read_subtitle_file(sub)
    assert [(e.start, e.end, cue_text(e)) for e in read_subtitle_file(sub, fps=25)] == [
        (1000, 2000, "Hello\nworld")
    ]


def refused(path: Path) -> SubtitleError:
    with pytest.raises(SubtitleError) as caught:
        read_subtitle_file(path)
    error = caught.value
    assert isinstance(error, HlsStudioError)
    assert str(error).startswith(f"{path.name}: ")
    assert "\n" not in str(error)
    return error


def test_binary_garbage_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "film.fr.srt"
    path.write_bytes(os.urandom(64 * 1024))
    assert "not a subtitle file this app can read" in str(refused(path))
    png = tmp_path / "film.de.srt"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + os.urandom(2000))
    refused(png)


@pytest.mark.parametrize("content", [b"", b"   \r\n\r\n", b"\xef\xbb\xbf", b"\xff\xfe"])
def test_an_empty_file_is_refused(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "film.en.srt"
    path.write_bytes(content)
    assert "empty" in str(refused(path))


def test_a_huge_file_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    path = tmp_path / "film.en.srt"
    with path.open("wb") as handle:
        handle.write(SRT.encode())
        handle.truncate(50 * 1024 * 1024)
    assert "larger than 20 MB" in str(refused(path))


@pytest.mark.parametrize(
    "content",
    [
        "1\n00:00:01,000 --> 00:00:02,500\nfine\n\n2\n00:0x:05,900 --> 00:00:06,200\nbroken\n\n",
        "1\nxx:00:01 --> yy\nbroken\n\n",
        "1\n00:00:09,000 --> 00:00:08,000\nbackwards\n\n",
        "1\n00:00:01,000 --> 00:00:02,000\n\n2\n00:00:03,000 --> 00:00:04,000\n   \n",
        "just some notes\nwith no timing at all\n",
    ],
    ids=["bad-timestamp", "no-timestamp", "ends-before-start", "no-text", "not-subtitles"],
)
def test_malformed_subtitles_are_refused(tmp_path: Path, content: str) -> None:
    path = tmp_path / "film.en.srt"
    path.write_text(content, encoding="utf-8")
    refused(path)


def test_too_many_cues_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reading, "MAX_CUES", 3)
    path = tmp_path / "film.srt"
    path.write_text(
        "".join(f"{i}\n00:00:0{i},000 --> 00:00:0{i},500\nline {i}\n\n" for i in range(1, 6)), "utf-8"
    )
    assert "more than 3 cues" in str(refused(path))


def test_a_missing_file_or_a_folder_is_refused(tmp_path: Path) -> None:
    refused(tmp_path / "gone.srt")
    folder = tmp_path / "folder.srt"
    folder.mkdir()
    refused(folder)


def test_a_parser_crash_becomes_a_subtitle_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(*args: object, **kwargs: object) -> None:
        raise RecursionError("deep")

    monkeypatch.setattr(reading.SSAFile, "from_string", crash)
    path = tmp_path / "film.srt"
    path.write_text(SRT, "utf-8")
    error = refused(path)
    assert "malformed" in str(error)
    assert "RecursionError" in error.detail
