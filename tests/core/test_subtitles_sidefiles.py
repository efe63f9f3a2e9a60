"""Subtitle files beside a source: which ones belong to it, and what their names say."""

from __future__ import annotations

from pathlib import Path

import pytest

from hlsstudio.core.subtitles.languages import TrackLabel, language_name, normalize_language
from hlsstudio.core.subtitles.sidefiles import describe_side_file, find_side_subtitles

SOURCE = Path("/videos/My.Film.2024.mp4")

# file name -> (language, forced, sdh, format); None: not a side file of My.Film.2024.mp4
NAMES: list[tuple[str, tuple[str | None, bool, bool, str] | None]] = [
    ("My.Film.2024.srt", (None, False, False, "srt")),
    ("My.Film.2024.en.srt", ("en", False, False, "srt")),
    ("my.film.2024.EN.SRT", ("en", False, False, "srt")),
    ("My.Film.2024.fr.srt", ("fr", False, False, "srt")),
    ("My.Film.2024.fre.srt", ("fr", False, False, "srt")),
    ("My.Film.2024.fra.srt", ("fr", False, False, "srt")),
    ("My.Film.2024.eng.vtt", ("en", False, False, "vtt")),
    ("My.Film.2024.swa.srt", ("sw", False, False, "srt")),
    ("My.Film.2024.pt-BR.forced.srt", ("pt-BR", True, False, "srt")),
    ("My.Film.2024.pt_br.srt", ("pt-BR", False, False, "srt")),
    ("My.Film.2024.zh-hant.srt", ("zh-Hant", False, False, "srt")),
    ("My.Film.2024.es-419.srt", ("es-419", False, False, "srt")),
    ("My.Film.2024.en.sdh.srt", ("en", False, True, "srt")),
    ("My.Film.2024.en.cc.srt", ("en", False, True, "srt")),
    ("My.Film.2024.en.hi.srt", ("en", False, True, "srt")),
    ("My.Film.2024.hi.srt", ("hi", False, False, "srt")),
    ("My.Film.2024.SDH.en.srt", ("en", False, True, "srt")),
    ("My.Film.2024.forced.srt", (None, True, False, "srt")),
    ("My.Film.2024.English.srt", ("en", False, False, "srt")),
    ("My.Film.2024.français.srt", ("fr", False, False, "srt")),
    ("My.Film.2024.director.srt", (None, False, False, "srt")),
    ("My.Film.2024.xx.srt", (None, False, False, "srt")),
    ("My.Film.2024.de.commentary.ass", ("de", False, False, "ass")),
    ("My.Film.2024.ssa", (None, False, False, "ssa")),
    ("My.Film.2024.it.sub", ("it", False, False, "microdvd")),
    ("My.Film.2024.und.srt", (None, False, False, "srt")),
    ("My.Film.2024.txt", None),
    ("My.Film.2024.en.idx", None),
    ("My.Film.2023.en.srt", None),
    ("My.Film.2024x.srt", None),
    ("Other.srt", None),
    ("My.Film.srt", None),
]


@pytest.mark.parametrize(("name", "expected"), NAMES, ids=[name for name, _ in NAMES])
def test_a_side_file_name_says_its_language_and_flags(
    name: str, expected: tuple[str | None, bool, bool, str] | None
) -> None:
    side = describe_side_file(SOURCE, SOURCE.parent / name)
    if expected is None:
        assert side is None
        return
    assert side is not None
    assert (side.language, side.forced, side.sdh, side.format) == expected
    assert side.path == SOURCE.parent / name


@pytest.mark.parametrize(
    ("text", "tag"),
    [
        ("en", "en"), ("EN", "en"), ("eng", "en"), ("fre", "fr"), ("fra", "fr"), ("ger", "de"), ("deu", "de"),
        ("swa", "sw"), ("chi", "zh"), ("pt-BR", "pt-BR"), ("por-br", "pt-BR"), ("zh-Hant", "zh-Hant"),
        ("zh-hant-tw", "zh-Hant-TW"), ("es_419", "es-419"), ("fil", "fil"), ("pob", "pt-BR"), ("iw", "he"),
        ("Spanish", "es"), ("DEUTSCH", "de"), ("und", None), ("", None), ("abc", None), ("en-US-x1", None),
        ("zh-TW-Hant", None), ("forced", None),
    ],
)  # fmt: skip
def test_language_tags_are_normalised(text: str, tag: str | None) -> None:
    assert normalize_language(text) == tag


@pytest.mark.parametrize(
    ("tag", "name"),
    [
        ("en", "English"), ("fr", "Français"), ("sw", "Kiswahili"), ("ja", "日本語"),
        ("pt-BR", "Português (Brasil)"), ("de-AT", "Deutsch (AT)"), ("yo", "yo"), ("und", "Subtitles"),
        (None, "Subtitles"),
    ],
)  # fmt: skip
def test_languages_have_names_in_themselves(tag: str | None, name: str) -> None:
    assert language_name(tag) == name


def test_display_names_carry_the_flags() -> None:
    assert TrackLabel(language="en").display_name() == "English"
    assert TrackLabel(language="en", sdh=True).display_name() == "English (SDH)"
    assert TrackLabel(language="fr", forced=True).display_name() == "Français (forced)"
    assert TrackLabel(language=None, forced=True, sdh=True).display_name() == "Subtitles (SDH, forced)"


def touch(folder: Path, *names: str) -> None:
    for name in names:
        (folder / name).write_text("x", encoding="utf-8")


def test_the_folder_is_searched_for_the_sources_subtitles(tmp_path: Path) -> None:
    touch(
        tmp_path,
        "My.Film.2024.mp4", "My.Film.2024.en.srt", "My.Film.2024.fr.forced.srt", "my.film.2024.ASS",
        "My.Film.2024.notes.txt", "Another.Film.en.srt", "My.Film.2024.en.sdh.vtt",
    )  # fmt: skip
    (tmp_path / "My.Film.2024.de.srt").mkdir()  # a folder, not a file
    found = find_side_subtitles(tmp_path / "My.Film.2024.mp4")
    assert [(s.path.name, s.language, s.forced, s.sdh) for s in found] == [
        ("my.film.2024.ASS", None, False, False),
        ("My.Film.2024.en.sdh.vtt", "en", False, True),
        ("My.Film.2024.en.srt", "en", False, False),
        ("My.Film.2024.fr.forced.srt", "fr", True, False),
    ]


def test_a_longer_video_beside_the_source_keeps_its_own_subtitles(tmp_path: Path) -> None:
    touch(
        tmp_path, "film.mp4", "film.extended.mkv", "film.en.srt", "film.extended.en.srt", "film.extended.srt"
    )
    assert [s.path.name for s in find_side_subtitles(tmp_path / "film.mp4")] == ["film.en.srt"]
    assert [s.path.name for s in find_side_subtitles(tmp_path / "film.extended.mkv")] == [
        "film.extended.en.srt",
        "film.extended.srt",
    ]


def test_a_vobsub_pair_is_not_taken_for_microdvd_text(tmp_path: Path) -> None:
    touch(tmp_path, "film.mkv", "film.en.idx", "film.en.sub", "film.fr.sub")
    assert [(s.path.name, s.format) for s in find_side_subtitles(tmp_path / "film.mkv")] == [
        ("film.fr.sub", "microdvd")
    ]


def test_a_missing_folder_has_no_subtitles(tmp_path: Path) -> None:
    assert find_side_subtitles(tmp_path / "gone" / "film.mp4") == []
