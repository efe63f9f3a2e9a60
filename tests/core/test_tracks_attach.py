"""Attaching a subtitle or audio file to a job, and ``FILE[:LANG]`` arguments."""

from __future__ import annotations

from pathlib import Path

import pytest

from hlsstudio.core.tracks.attach import TrackFileError, attach_file, kind_of, split_file_language
from hlsstudio.core.tracks.choices import JobTracks

SRT = "1\n00:00:00,000 --> 00:00:01,000\nHello\n\n"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    for name in ("film.fr.srt", "film.en.sdh.srt", "film.pt-BR.forced.vtt", "notes.srt", "readme.txt"):
        (tmp_path / name).write_text(SRT, encoding="utf-8")
    (tmp_path / "film.swa.m4a").write_bytes(b"")
    return tmp_path


def test_kind_comes_from_the_extension() -> None:
    assert kind_of(Path("a.SRT")) == "subtitle"
    assert kind_of(Path("a.vtt")) == "subtitle"
    assert kind_of(Path("dub.wav")) == "audio"
    assert kind_of(Path("dub.M4A")) == "audio"
    assert kind_of(Path("notes.txt")) is None
    assert kind_of(Path("film.mkv")) is None


def test_an_attached_file_is_labelled_from_its_name_after_the_source(folder: Path) -> None:
    source = folder / "film.mkv"
    tracks = attach_file(JobTracks(), folder / "film.en.sdh.srt", source=source)
    tracks = attach_file(tracks, folder / "film.pt-BR.forced.vtt", source=source)
    tracks = attach_file(tracks, folder / "film.swa.m4a", source=source)
    assert [(t.language, t.sdh, t.forced, t.codec) for t in tracks.subtitles] == [
        ("en", True, False, "srt"),
        ("pt-BR", False, True, "vtt"),
    ]
    assert [(t.kind, t.language, t.codec) for t in tracks.audio] == [("audio", "sw", "m4a")]
    every = tracks.audio + tracks.subtitles
    assert all(t.origin == "attached" and t.include and t.usable for t in every)
    assert tracks.discovered is False


def test_without_a_source_the_name_words_after_the_first_dot_label_the_file(folder: Path) -> None:
    tracks = attach_file(JobTracks(), folder / "film.fr.srt")
    assert tracks.subtitles[0].language == "fr"
    assert attach_file(JobTracks(), folder / "notes.srt").subtitles[0].language is None


def test_a_language_given_overrides_the_name(folder: Path) -> None:
    tracks = attach_file(JobTracks(), folder / "film.fr.srt", "pt_br", folder / "film.mkv")
    assert tracks.subtitles[0].language == "pt-BR"
    with pytest.raises(TrackFileError, match="'xx' is not a language code"):
        attach_file(JobTracks(), folder / "film.fr.srt", "xx")


def test_a_file_is_listed_once_and_attaching_it_again_updates_it(folder: Path) -> None:
    path = folder / "film.fr.srt"
    tracks = attach_file(JobTracks(), path, source=folder / "film.mkv")
    tracks = attach_file(tracks, folder / "notes.srt")
    left_out = tracks.subtitles[0].model_copy(update={"include": False})
    tracks = tracks.model_copy(update={"subtitles": [left_out, tracks.subtitles[1]]})
    again = attach_file(tracks, path, "de")
    assert [(Path(t.path or "").name, t.language, t.include) for t in again.subtitles] == [
        ("notes.srt", None, True),
        ("film.fr.srt", "de", True),  # included again, with the new language
    ]
    same = attach_file(again, path)
    assert [(Path(t.path or "").name, t.language) for t in same.subtitles] == [
        ("notes.srt", None),
        ("film.fr.srt", "fr"),  # the name's language when none is given
    ]


def test_files_that_are_not_tracks_are_refused(folder: Path) -> None:
    with pytest.raises(TrackFileError) as caught:
        attach_file(JobTracks(), folder / "readme.txt")
    assert caught.value.message.startswith("readme.txt is not a subtitle or audio file (")
    assert ".srt" in caught.value.message and ".wav" in caught.value.message
    with pytest.raises(TrackFileError, match=r"^missing\.srt: no such file$"):
        attach_file(JobTracks(), folder / "missing.srt")
    (folder / "subs.srt").mkdir()
    with pytest.raises(TrackFileError, match=r"^subs\.srt: no such file$"):
        attach_file(JobTracks(), folder / "subs.srt")  # a folder is not a file, whatever its name


@pytest.mark.parametrize(
    ("text", "path", "language"),
    [
        ("film.srt:fr", "film.srt", "fr"),
        ("film.srt:pt-br", "film.srt", "pt-BR"),
        ("film.srt:fra", "film.srt", "fr"),
        ("film.srt", "film.srt", None),
        ("C:\\x\\film.srt", "C:\\x\\film.srt", None),
        ("C:\\x\\film.srt:de", "C:\\x\\film.srt", "de"),
        ("a:b.srt", "a:b.srt", None),
        ("dir:x/film.srt", "dir:x/film.srt", None),
        (":fr", ":fr", None),
    ],
)
def test_file_and_language_arguments_split(text: str, path: str, language: str | None) -> None:
    assert split_file_language(text) == (Path(path), language)


@pytest.mark.parametrize("text", ["film.srt:xx", "film.srt:klingon", "film.srt:e-n"])
def test_a_language_part_that_is_no_language_is_refused(text: str) -> None:
    with pytest.raises(TrackFileError, match="is not a language code"):
        split_file_language(text)
