"""A hand-edited settings file with a wrong value: that value takes its default, the rest is kept."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hlsstudio.core.errors import SettingsError
from hlsstudio.core.ladder import default_ladder
from hlsstudio.core.models import ContentType
from hlsstudio.core.settings import AppSettings, load_settings, load_settings_lenient

GOOD: dict[str, Any] = {
    "schema_version": 2,
    "ffmpeg_path": "/opt/ff/ffmpeg",
    "output_dir": "/srv/out",
    "concurrent_jobs": 3,
    "auto_publish": True,
    "default_content_type": "episode",
    "encode": {"preset": "veryfast", "segment_duration": 4.0},
    "destination": {"bucket": "media", "upload_concurrency": 4},
    "ladder": [{"name": "sd", "height": 540, "video_kbps": 1500, "audio_kbps": 128}],
}


def write(tmp_path: Path, doc: dict[str, Any]) -> Path:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_an_unknown_content_type_is_refused_by_the_model() -> None:
    with pytest.raises(ValueError, match="unknown content type 'film'"):
        AppSettings(default_content_type="film")
    assert (
        ContentType(AppSettings(default_content_type="episode").default_content_type) is ContentType.EPISODE
    )


@pytest.mark.parametrize(
    ("change", "field", "expected_default"),
    [
        ({"default_content_type": "film"}, "default_content_type", "movie"),
        ({"concurrent_jobs": -2}, "concurrent_jobs", 1),
        ({"concurrent_jobs": "lots"}, "concurrent_jobs", 1),
        ({"auto_publish": {"yes": 1}}, "auto_publish", False),
    ],
)
def test_one_wrong_top_level_value_takes_its_default(
    tmp_path: Path, change: dict[str, Any], field: str, expected_default: Any
) -> None:
    path = write(tmp_path, {**GOOD, **change})
    with pytest.raises(SettingsError):
        load_settings(path)  # the strict loader still refuses the file
    settings, warnings = load_settings_lenient(path)
    assert getattr(settings, field) == expected_default
    assert len(warnings) == 1 and field in warnings[0] and "\n" not in warnings[0]
    assert "using the default" in warnings[0]
    # every other value is kept
    kept = AppSettings.model_validate({k: v for k, v in GOOD.items() if k != field})
    assert settings.model_dump(exclude={field}) == kept.model_dump(exclude={field})
    assert json.loads(path.read_text(encoding="utf-8"))[field] == change[field]  # the file is not touched


def test_a_bad_ladder_rung_falls_back_to_the_default_ladder_only(tmp_path: Path) -> None:
    rungs = [
        {"name": "a", "height": 360, "video_kbps": 800, "audio_kbps": 96},
        {"name": "b", "height": 360, "video_kbps": 900, "audio_kbps": 96},
    ]
    settings, warnings = load_settings_lenient(write(tmp_path, {**GOOD, "ladder": rungs}))
    assert settings.ladder == default_ladder().rungs
    assert settings.concurrent_jobs == 3 and settings.encode.preset == "veryfast"
    assert len(warnings) == 1 and "ladder" in warnings[0] and "two rungs have height 360" in warnings[0]


def test_a_wrong_nested_value_only_resets_that_value(tmp_path: Path) -> None:
    doc = {
        **GOOD,
        "encode": {"preset": "ludicrous", "segment_duration": 4.0},
        "destination": {"bucket": "media", "upload_concurrency": 0},
        "concurrent_jobs": 99,
    }
    settings, warnings = load_settings_lenient(write(tmp_path, doc))
    assert settings.encode.preset == AppSettings().encode.preset
    assert settings.encode.segment_duration == 4.0
    assert settings.destination.upload_concurrency == 8 and settings.destination.bucket == "media"
    assert settings.concurrent_jobs == 1 and settings.default_content_type == "episode"
    assert sorted(w.split(" = ")[0] for w in warnings) == [
        "settings: concurrent_jobs",
        "settings: destination.upload_concurrency",
        "settings: encode.preset",
    ]


def test_a_valid_file_gives_no_warnings_and_no_file_gives_defaults(tmp_path: Path) -> None:
    assert load_settings_lenient(write(tmp_path, GOOD)) == (AppSettings.model_validate(GOOD), [])
    assert load_settings_lenient(tmp_path / "none.json") == (AppSettings(), [])


@pytest.mark.parametrize("text", ["{ not json", "[1, 2]", '{"schema_version": 99}'])
def test_a_file_that_is_not_settings_at_all_is_still_an_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "settings.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SettingsError):
        load_settings_lenient(path)


def test_a_bad_schema_version_is_reported_and_the_rest_kept(tmp_path: Path) -> None:
    settings, warnings = load_settings_lenient(write(tmp_path, {**GOOD, "schema_version": "one"}))
    assert settings.concurrent_jobs == 3 and settings.schema_version == 2
    assert len(warnings) == 1 and "schema_version" in warnings[0]
