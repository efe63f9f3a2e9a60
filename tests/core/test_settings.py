"""AppSettings: defaults, the JSON file (atomic writes), schema migration, damage, no secrets.

Where the file lives is in ``test_paths_and_logs.py``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from hlsstudio.core.errors import HlsStudioError, SettingsError
from hlsstudio.core.ladder import default_ladder
from hlsstudio.core.models import EncodeSettings, Rung
from hlsstudio.core.settings import (
    SCHEMA_VERSION,
    AppSettings,
    DestinationSettings,
    load_settings,
    migrate,
    save_settings,
    settings_path,
    write_json_atomic,
)

SECRET = "r2-secret-key-0123456789abcdef"


def damaged(path: Path, text: str) -> SettingsError:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SettingsError) as caught:
        load_settings(path)
    assert isinstance(caught.value, HlsStudioError)
    assert "\n" not in caught.value.message
    return caught.value


def test_defaults(hlsstudio_home: Path) -> None:
    settings = AppSettings()
    assert settings.schema_version == SCHEMA_VERSION == 2
    assert (settings.ffmpeg_path, settings.ffprobe_path, settings.output_dir) == ("", "", "")
    assert settings.encode == EncodeSettings()
    assert (settings.encode.segment_duration, settings.encode.preset, settings.encode.encoder) == (
        6.0,
        "fast",
        "auto",
    )
    assert settings.ladder == default_ladder().rungs
    assert (settings.concurrent_jobs, settings.auto_publish, settings.keep_local_after_publish) == (
        1,
        False,
        True,
    )
    assert settings.default_content_type == "movie"
    assert settings.destination == DestinationSettings()
    assert settings.destination.upload_concurrency == 8
    assert settings.resolved_output_dir() == hlsstudio_home / "data" / "output"
    assert AppSettings(output_dir="/srv/out").resolved_output_dir() == Path("/srv/out")


def test_no_file_means_defaults_and_nothing_is_written() -> None:
    assert load_settings() == AppSettings()
    assert not settings_path().exists()  # reading never writes


def test_save_then_load_round_trip(hlsstudio_home: Path) -> None:
    ladder = [Rung(name="sd", height=540, video_kbps=1500, audio_kbps=128), Rung(name="hd", height=1080,
              video_kbps=6000, audio_kbps=192, enabled=False)]  # fmt: skip
    settings = AppSettings(
        ffmpeg_path="/opt/ffmpeg/bin/ffmpeg",
        encode=EncodeSettings(segment_duration=4.0, preset="veryfast", encoder="libx264"),
        ladder=ladder,
        output_dir=str(hlsstudio_home / "out"),
        concurrent_jobs=2,
        auto_publish=True,
        default_content_type="episode",
        destination=DestinationSettings(account_id="acc", access_key_id="AKID", bucket="media"),
        ui={"splitter": [300, 700], "theme": "dark"},
    )
    written = save_settings(settings)
    assert written == settings_path()
    assert load_settings() == settings
    doc = json.loads(written.read_text(encoding="utf-8"))
    assert doc["schema_version"] == SCHEMA_VERSION
    assert doc["destination"]["bucket"] == "media"
    assert sorted(p.name for p in written.parent.iterdir()) == ["settings.json"]  # no temp file left
    assert load_settings().resolved_output_dir() == hlsstudio_home / "out"
    assert (
        load_settings(save_settings(AppSettings(), hlsstudio_home / "elsewhere" / "s.json")) == AppSettings()
    )


@pytest.mark.parametrize("version_field", [{}, {"schema_version": 0}, {"schema_version": None}])
def test_a_version_0_document_is_migrated(tmp_path: Path, version_field: dict[str, Any]) -> None:
    # files written before settings were versioned have the schema-1 shape without the number
    path = tmp_path / "settings.json"
    path.write_text(
        json.dumps({**version_field, "ffprobe_path": "/usr/local/bin/ffprobe", "concurrent_jobs": 3}),
        encoding="utf-8",
    )
    settings = load_settings(path)
    assert settings.schema_version == SCHEMA_VERSION
    assert (settings.ffprobe_path, settings.concurrent_jobs) == ("/usr/local/bin/ffprobe", 3)
    assert settings.ladder == default_ladder().rungs
    assert migrate(dict(version_field))["schema_version"] == SCHEMA_VERSION


def test_settings_from_a_newer_app_are_refused(tmp_path: Path) -> None:
    error = damaged(tmp_path / "settings.json", json.dumps({"schema_version": SCHEMA_VERSION + 1}))
    assert (
        error.message
        == f"settings were written by a newer HLS Studio (schema {SCHEMA_VERSION + 1}); update the app"
    )


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("{ not json", "Expecting property name"),
        ("[1, 2]", "not a JSON object"),
        ('{"schema_version": "one"}', "invalid literal"),
        ('{"schema_version": [1]}', "int()"),
        ('{"concurrent_jobs": 0}', "concurrent_jobs"),
        ('{"concurrent_jobs": 99}', "concurrent_jobs"),
        ('{"encode": {"preset": "ludicrous"}}', "unknown x264 preset"),
        ('{"encode": {"segment_duration": 0.5}}', "segment_duration"),
        ('{"ladder": [{"name": "a", "height": 360, "video_kbps": 800, "audio_kbps": 96},'
         ' {"name": "b", "height": 360, "video_kbps": 900, "audio_kbps": 96}]}', "two rungs have height 360"),
        ('{"ladder": [{"name": "../x", "height": 360, "video_kbps": 800, "audio_kbps": 96}]}', "name"),
    ],
)  # fmt: skip
def test_a_damaged_file_is_a_settings_error(tmp_path: Path, text: str, detail: str) -> None:
    path = tmp_path / "settings.json"
    error = damaged(path, text)
    assert error.message == f"settings file {path} is damaged; fix or delete it"
    assert detail in error.detail


def test_an_unreadable_settings_path_is_a_settings_error(tmp_path: Path) -> None:
    folder = tmp_path / "settings.json"
    folder.mkdir()
    with pytest.raises(SettingsError) as caught:
        load_settings(folder)
    assert caught.value.message.startswith(f"cannot read settings file {folder}")


def field_names(model: type[BaseModel]) -> set[str]:
    names: set[str] = set()
    for name, field in model.model_fields.items():
        names.add(name)
        if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel):
            names |= field_names(field.annotation)
    return names


def test_secrets_are_never_settings_fields(hlsstudio_home: Path) -> None:
    names = field_names(AppSettings)
    assert {"access_key_id", "bucket", "segment_duration"} <= names  # the walk reaches nested models
    assert not [n for n in names if any(w in n for w in ("secret", "password", "token"))]
    # a secret slipped into the file by hand is not kept: it is dropped on the next save
    settings_path().parent.mkdir(parents=True, exist_ok=True)
    settings_path().write_text(
        json.dumps(
            {"destination": {"bucket": "media", "secret_access_key": SECRET}, "webhook_secret": SECRET}
        ),
        encoding="utf-8",
    )
    loaded = load_settings()
    assert loaded.destination.bucket == "media"
    save_settings(loaded)
    assert SECRET not in settings_path().read_text(encoding="utf-8")
    assert SECRET not in loaded.model_dump_json()


def test_a_failed_write_leaves_the_old_file_whole(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    write_json_atomic(path, {"old": True})
    with pytest.raises(TypeError):
        write_json_atomic(path, {"new": object()})  # not JSON-serialisable half-way through
    assert json.loads(path.read_text(encoding="utf-8")) == {"old": True}
    assert [p.name for p in tmp_path.iterdir()] == ["settings.json"]
