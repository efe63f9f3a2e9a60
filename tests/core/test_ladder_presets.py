"""What a rung may hold (each refusal a sentence naming the rung) and ladder presets on disk."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from hlsstudio.core.errors import LadderError
from hlsstudio.core.ladder import (
    PRESET_SCHEMA_VERSION,
    Preset,
    PresetLanguages,
    ladder_from_json,
    load_preset,
    preset_from_json,
    preset_languages,
    preset_languages_words,
    preset_to_json,
    read_preset,
    save_preset,
    with_preset_languages,
)
from hlsstudio.core.models import EncodeSettings, Ladder, Rung, ladder_problems, rung_field_problems


def ladder(*rungs: tuple[str, int, int], disabled: tuple[str, ...] = ()) -> Ladder:
    return Ladder(
        rungs=[
            Rung(name=n, height=h, video_kbps=v, audio_kbps=128, enabled=n not in disabled)
            for n, h, v in rungs
        ]
    )


# --- rung fields ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "sentence"),
    [
        ({"height": 8}, "rung '144p' must be at least 16 px tall"),
        ({"height": 5000}, "rung '144p' must be at most 4320 px tall"),
        ({"height": "tall"}, "rung '144p' needs its height in whole pixels"),
        ({"height": None}, "rung '144p' needs a height"),
        ({"video_kbps": 0}, "rung '144p' must have a video bitrate above 0 kbps"),
        ({"video_kbps": 300_000}, "rung '144p' must have a video bitrate of at most 200,000 kbps"),
        ({"video_kbps": 1.5}, "rung '144p' needs a video bitrate in whole kbps"),
        ({"audio_kbps": -1}, "rung '144p' must have an audio bitrate above 0 kbps"),
        ({"audio_kbps": 2048}, "rung '144p' must have an audio bitrate of at most 1,024 kbps"),
        ({"audio_kbps": "loud"}, "rung '144p' needs an audio bitrate in whole kbps"),
        ({"enabled": "maybe"}, "rung '144p' must be either on or off"),
        ({"name": ""}, "the unnamed rung at 144 px needs a name"),
        ({"name": "", "height": "x"}, "an unnamed rung needs a name"),
        ({"name": "x" * 33}, f"rung '{'x' * 32}…' has a name longer than 32 characters"),
        (
            {"name": "144 p!"},
            "rung '144 p!' has a name with characters other than letters, digits, '-' and '_'",
        ),
    ],
)
def test_every_rung_constraint_reads_as_a_sentence_naming_the_rung(
    fields: dict[str, object], sentence: str
) -> None:
    good: dict[str, object] = {
        "name": "144p",
        "height": 144,
        "video_kbps": 300,
        "audio_kbps": 64,
        "enabled": True,
    }
    row = good | fields
    problems = ladder_problems([row])
    assert problems[0] == sentence
    assert rung_field_problems(row) and sentence in rung_field_problems(row).values()
    assert not any("Input should" in p or "rung 1" in p for p in problems)
    # the ladder-wide rules wait until every rung is valid; valid rows pass as they are
    assert ladder_problems([good]) == [] and rung_field_problems(good) == {}


@pytest.mark.parametrize(
    "fields",
    [
        {"name": "bad name"},
        {"name": ""},
        {"name": "x" * 33},
        {"name": "../up"},
        {"height": 0},
        {"height": 9000},
        {"video_kbps": 0},
        {"video_kbps": -5},
        {"audio_kbps": 0},
    ],
)
def test_rung_refuses_unsafe_names_and_impossible_numbers(fields: dict[str, object]) -> None:
    good: dict[str, object] = {"name": "720p", "height": 720, "video_kbps": 2800, "audio_kbps": 192}
    with pytest.raises(ValidationError):
        Rung.model_validate(good | fields)


def test_rung_checks_assignments_too() -> None:
    rung = Rung(name="720p", height=720, video_kbps=2800, audio_kbps=192)
    with pytest.raises(ValidationError):
        rung.video_kbps = 0
    with pytest.raises(ValidationError):
        rung.name = "720p; rm -rf /"


# --- presets ----------------------------------------------------------------------------------


def test_preset_export_then_import_gives_the_same_ladder(tmp_path: Path) -> None:
    original = ladder(("mobile", 270, 400), ("sd", 540, 1500), ("hd", 1080, 6000), disabled=("mobile",))
    path = tmp_path / "mine.json"
    save_preset(path, original, "Mine")
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["schema_version"] == PRESET_SCHEMA_VERSION
    assert doc["name"] == "Mine"
    name, loaded = load_preset(path)
    assert name == "Mine"
    assert loaded == original
    assert preset_to_json(loaded, "Mine") == doc


def test_preset_import_sorts_and_defaults(tmp_path: Path) -> None:
    doc = {"rungs": [{"name": "hi", "height": 720, "video_kbps": 3000, "audio_kbps": 128},
                     {"name": "lo", "height": 360, "video_kbps": 900, "audio_kbps": 96}]}  # fmt: skip
    name, loaded = ladder_from_json(doc)
    assert name == "preset"  # no name, no schema_version: a version-1 document
    assert [(r.name, r.enabled) for r in loaded.rungs] == [("lo", True), ("hi", True)]


@pytest.mark.parametrize(
    ("doc", "reason"),
    [
        ([1, 2, 3], "not a ladder preset"),
        ({"name": "x"}, "not a ladder preset"),
        ({"schema_version": PRESET_SCHEMA_VERSION + 1, "rungs": []}, "newer than this app"),
        ({"schema_version": "one", "rungs": []}, "newer than this app"),
        ({"rungs": [{"name": "a", "height": 360, "video_kbps": 800}]}, "invalid ladder preset: audio_kbps"),
        ({"rungs": [{"name": "a b", "height": 360, "video_kbps": 800, "audio_kbps": 96}]}, "invalid ladder"),
        ({"rungs": []}, "invalid ladder preset"),
        ({"rungs": "360p"}, "invalid ladder preset"),
        (
            {
                "rungs": [
                    {"name": "a", "height": 360, "video_kbps": 800, "audio_kbps": 96},
                    {"name": "b", "height": 720, "video_kbps": 700, "audio_kbps": 96},
                ]
            },
            "rung 'b' must have a higher video bitrate than rung 'a'",
        ),
    ],
)
def test_bad_preset_documents_raise_ladder_error_with_one_line(doc: object, reason: str) -> None:
    with pytest.raises(LadderError) as caught:
        ladder_from_json(doc)
    assert reason in caught.value.message
    assert "\n" not in caught.value.message


def test_unreadable_preset_files_raise_ladder_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{ not json", encoding="utf-8")
    with pytest.raises(LadderError, match=r"cannot read ladder preset broken\.json"):
        load_preset(broken)
    with pytest.raises(LadderError, match=r"cannot read ladder preset missing\.json"):
        load_preset(tmp_path / "missing.json")


# --- default languages in presets -----------------------------------------------------------------


def test_a_preset_says_which_languages_are_the_defaults(tmp_path: Path) -> None:
    original = ladder(("sd", 540, 1500), ("hd", 1080, 6000))
    path = tmp_path / "dubbed.json"
    save_preset(path, original, "Dubbed", PresetLanguages(audio="fr", subtitles="sw"))
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert (doc["default_audio_language"], doc["default_subtitle_language"]) == ("fr", "sw")
    assert read_preset(path) == Preset("Dubbed", original, PresetLanguages(audio="fr", subtitles="sw"))
    assert load_preset(path) == ("Dubbed", original)  # the (name, ladder) callers keep working


def test_a_preset_without_languages_has_no_language_keys(tmp_path: Path) -> None:
    original = ladder(("sd", 540, 1500))
    assert set(preset_to_json(original, "Plain")) == {"schema_version", "name", "rungs"}
    assert set(preset_to_json(original, "Plain", PresetLanguages(subtitles="en"))) == {
        "schema_version",
        "name",
        "rungs",
        "default_subtitle_language",
    }
    path = tmp_path / "plain.json"
    save_preset(path, original, "Plain")
    assert read_preset(path).languages == PresetLanguages()


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        ({}, PresetLanguages()),
        ({"default_audio_language": None, "default_subtitle_language": ""}, PresetLanguages()),
        ({"default_audio_language": "fre"}, PresetLanguages(audio="fr")),
        ({"default_subtitle_language": "pt_br"}, PresetLanguages(subtitles="pt-BR")),
        ({"default_audio_language": "English"}, PresetLanguages(audio="en")),
    ],
)
def test_preset_languages_are_read_as_language_tags(
    keys: dict[str, object], expected: PresetLanguages
) -> None:
    doc = {"rungs": [{"name": "sd", "height": 540, "video_kbps": 1500, "audio_kbps": 128}], **keys}
    assert preset_languages(doc) == expected
    assert preset_from_json(doc).languages == expected


@pytest.mark.parametrize("value", ["xx", 7, ["en"]])
def test_a_preset_language_that_is_no_language_is_refused(value: object, tmp_path: Path) -> None:
    doc = {"rungs": [{"name": "sd", "height": 540, "video_kbps": 1500, "audio_kbps": 128}]}
    doc["default_audio_language"] = value
    with pytest.raises(LadderError, match=r"default_audio_language .* is not a language code"):
        preset_languages(doc)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(LadderError, match="is not a language code"):
        load_preset(path)


def test_a_preset_may_say_its_rungs_are_the_ceiling_of_per_title_rungs(tmp_path: Path) -> None:
    original = ladder(("sd", 540, 1500), ("hd", 1080, 6000))
    path = tmp_path / "cartoons.json"
    save_preset(path, original, "Cartoons", PresetLanguages(ladder_mode="per-title"))
    assert json.loads(path.read_text(encoding="utf-8"))["ladder_mode"] == "per-title"
    defaults = read_preset(path).languages
    assert defaults == PresetLanguages(ladder_mode="per-title") and defaults.sets_any()
    assert not PresetLanguages().sets_any()
    encode = with_preset_languages(EncodeSettings(), defaults)
    assert encode.ladder_mode == "per-title"
    assert preset_languages_words(PresetLanguages(audio="fr", ladder_mode="per-title")) == (
        "Français audio and per-title rungs"
    )
    doc = {
        "rungs": [{"name": "sd", "height": 540, "video_kbps": 1500, "audio_kbps": 128}],
        "ladder_mode": "auto",
    }
    with pytest.raises(LadderError, match="ladder_mode 'auto' is not fixed or per-title"):
        preset_languages(doc)
