"""Which tracks are carried (``all``, ``first``, ``none``, languages) and which one a player starts with."""

from __future__ import annotations

import pytest

from hlsstudio.core.tracks.choices import JobTracks, TrackChoice, TrackKind
from hlsstudio.core.tracks.selection import Selection, SelectionError, apply_defaults, parse_selection, select


def audio(language: str | None, *, default: bool = False, origin: str = "embedded") -> TrackChoice:
    return TrackChoice.model_validate(
        {"kind": "audio", "origin": origin, "language": language, "default": default}
    )


def subtitle(language: str | None, *, usable: bool = True, include: bool = True) -> TrackChoice:
    return TrackChoice(kind="subtitle", origin="side", language=language, usable=usable, include=include)


# --- parse_selection ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        ("all", "audio", Selection("all")),
        ("", "subtitle", Selection("all")),
        (" all ", "subtitle", Selection("all")),
        ("first", "audio", Selection("first")),
        ("none", "subtitle", Selection("none")),
        ("en", "audio", Selection("languages", ["en"])),
        ("en,fr", "subtitle", Selection("languages", ["en", "fr"])),
        ("eng, fre ,pt_br", "audio", Selection("languages", ["en", "fr", "pt-BR"])),
        ("English,français", "subtitle", Selection("languages", ["en", "fr"])),
    ],
)
def test_selections_parse(text: str, kind: TrackKind, expected: Selection) -> None:
    assert parse_selection(text, kind) == expected


@pytest.mark.parametrize(
    ("text", "kind", "word"),
    [
        ("klingon", "audio", "klingon"),
        ("en,xx", "subtitle", "xx"),
        ("none", "audio", "none"),  # audio has no "none": a job without sound is not offered
        ("first", "subtitle", "first"),  # subtitles have no "first"
        ("all,en", "audio", "all"),
    ],
)
def test_a_word_that_is_no_selection_and_no_language_is_refused_by_name(
    text: str, kind: TrackKind, word: str
) -> None:
    with pytest.raises(SelectionError) as caught:
        parse_selection(text, kind)
    message = str(caught.value)
    assert repr(word) in message
    assert ("first" if kind == "audio" else "none") in message  # says what would have been right
    assert "\n" not in message


# --- select ---------------------------------------------------------------------------------------


def included(tracks: list[TrackChoice]) -> list[str | None]:
    return [t.language for t in tracks if t.include]


def test_all_carries_every_usable_track_and_never_an_unusable_one() -> None:
    tracks = [subtitle("en"), subtitle("fr", usable=False, include=True), subtitle(None, include=False)]
    chosen = select(tracks, Selection("all"))
    assert [t.include for t in chosen] == [True, False, True]
    assert [t.carried for t in chosen] == [True, False, True]


def test_none_carries_nothing() -> None:
    assert included(select([subtitle("en"), subtitle("fr")], Selection("none"))) == []


def test_a_primary_language_keeps_its_regional_tracks_but_not_the_other_way_round() -> None:
    tracks = [audio("pt-BR"), audio("pt"), audio("en"), audio(None)]
    assert included(select(tracks, parse_selection("pt", "audio"))) == ["pt-BR", "pt"]
    assert included(select(tracks, parse_selection("pt-BR", "audio"))) == ["pt-BR"]
    assert included(select(tracks, parse_selection("en,pt", "audio"))) == ["pt-BR", "pt", "en"]
    assert included(select(tracks, parse_selection("de", "audio"))) == []


def test_first_keeps_the_sources_default_track() -> None:
    tracks = [audio("en"), audio("fr", default=True), audio("sw", origin="side")]
    assert included(select(tracks, Selection("first"))) == ["fr"]


def test_first_without_a_default_keeps_the_first_track_and_ignores_a_default_side_file() -> None:
    tracks = [audio("en"), audio("fr"), audio("sw", default=True, origin="side")]
    assert included(select(tracks, Selection("first"))) == ["en"]


def test_select_changes_only_include() -> None:
    tracks = [audio("en", default=True), audio("fr")]
    chosen = select(tracks, Selection("languages", ["fr"]))
    assert [t.model_dump(exclude={"include"}) for t in chosen] == [
        t.model_dump(exclude={"include"}) for t in tracks
    ]
    assert tracks[0].include  # the list given is not changed


# --- apply_defaults -------------------------------------------------------------------------------


def defaults(tracks: list[TrackChoice]) -> list[str | None]:
    return [t.language for t in tracks if t.default]


def test_exactly_one_carried_audio_track_is_the_default() -> None:
    tracks = JobTracks(audio=[audio("en"), audio("fr", default=True), audio("de", default=True)])
    assert defaults(apply_defaults(tracks, None, None).audio) == ["fr"]  # the source's (first) default
    assert defaults(apply_defaults(tracks, "de", None).audio) == ["de"]
    assert defaults(apply_defaults(tracks, "deu", None).audio) == ["de"]  # any form of the code
    assert defaults(apply_defaults(tracks, "sw", None).audio) == ["fr"]  # none in sw: the source's


def test_without_a_source_default_the_first_carried_audio_track_is_the_default() -> None:
    tracks = JobTracks(audio=[audio("en").model_copy(update={"include": False}), audio("fr"), audio("de")])
    assert defaults(apply_defaults(tracks, None, None).audio) == ["fr"]


def test_a_track_that_is_not_carried_is_never_the_default() -> None:
    left_out = audio("fr", default=True).model_copy(update={"include": False})
    tracks = JobTracks(audio=[audio("en"), left_out])
    assert defaults(apply_defaults(tracks, "fr", None).audio) == ["en"]
    assert defaults(apply_defaults(JobTracks(audio=[left_out]), None, None).audio) == []


def test_a_subtitle_track_is_the_default_only_when_its_language_is_asked_for() -> None:
    tracks = JobTracks(
        audio=[audio("en")],
        subtitles=[subtitle("en"), subtitle("fr").model_copy(update={"default": True}), subtitle("sw")],
    )
    assert defaults(apply_defaults(tracks, None, None).subtitles) == []
    assert defaults(apply_defaults(tracks, None, "sw").subtitles) == ["sw"]
    assert defaults(apply_defaults(tracks, None, "de").subtitles) == []
    unusable = JobTracks(subtitles=[subtitle("sw", usable=False)])
    assert defaults(apply_defaults(unusable, None, "sw").subtitles) == []


def test_apply_defaults_keeps_the_discovered_flag() -> None:
    tracks = JobTracks(audio=[audio("en")], discovered=True)
    assert apply_defaults(tracks, None, None).discovered
