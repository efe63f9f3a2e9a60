"""Where the app keeps its files, the settings file (versioned, atomic) and secret-masking logs."""

from __future__ import annotations

import io
import json
import logging
import uuid
from pathlib import Path

import pytest

from hlsstudio.core import paths
from hlsstudio.core.errors import SettingsError
from hlsstudio.core.ladder import default_ladder
from hlsstudio.core.logs import RedactingFilter, redact, register_secret
from hlsstudio.core.settings import (
    SCHEMA_VERSION,
    AppSettings,
    load_settings,
    migrate,
    save_settings,
    settings_path,
)


def test_every_app_folder_lives_under_hlsstudio_home(hlsstudio_home: Path) -> None:
    folders = [paths.config_dir(), paths.data_dir(), paths.cache_dir(), paths.log_dir()]
    assert folders == [hlsstudio_home / k for k in ("config", "data", "cache", "log")]
    assert all(folder.is_dir() for folder in folders)
    assert paths.default_output_dir() == hlsstudio_home / "data" / "output"
    assert paths.default_local_publish_dir() == hlsstudio_home / "data" / "published"
    assert settings_path() == hlsstudio_home / "config" / "settings.json"


def test_missing_settings_file_gives_defaults(hlsstudio_home: Path) -> None:
    settings = load_settings()
    assert settings == AppSettings()
    assert settings.schema_version == SCHEMA_VERSION
    assert settings.ladder == default_ladder().rungs
    assert settings.resolved_output_dir() == paths.default_output_dir()
    assert not settings_path().exists()  # reading never writes


def test_settings_round_trip(hlsstudio_home: Path) -> None:
    settings = AppSettings(ffmpeg_path="/opt/ffmpeg/bin/ffmpeg", output_dir=str(hlsstudio_home / "out"))
    settings.encode.segment_duration = 4.0
    settings.ladder[0].enabled = True
    written = save_settings(settings)
    assert written == settings_path()
    assert load_settings() == settings
    assert load_settings().resolved_output_dir() == hlsstudio_home / "out"
    assert [p.name for p in written.parent.iterdir()] == ["settings.json"]  # no temp file left behind


def test_settings_never_hold_a_secret_field() -> None:
    fields = json.dumps(AppSettings().model_dump(mode="json")).lower()
    assert "secret" not in fields and "password" not in fields


def test_unversioned_settings_are_read_as_schema_1(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"ffprobe_path": "/usr/local/bin/ffprobe"}), encoding="utf-8")
    settings = load_settings(path)
    assert (settings.ffprobe_path, settings.schema_version) == ("/usr/local/bin/ffprobe", SCHEMA_VERSION)
    assert migrate({"schema_version": 0})["schema_version"] == SCHEMA_VERSION


def test_settings_from_a_newer_app_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"schema_version": SCHEMA_VERSION + 1}), encoding="utf-8")
    with pytest.raises(SettingsError, match="newer HLS Studio"):
        load_settings(path)


@pytest.mark.parametrize(
    "content", ["{ half", "[1, 2]", '{"concurrent_jobs": 0}', '{"encode": {"preset": "warp"}}']
)
def test_damaged_settings_raise_settings_error(tmp_path: Path, content: str) -> None:
    path = tmp_path / "settings.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(SettingsError) as caught:
        load_settings(path)
    assert caught.value.message == f"settings file {path} is damaged; fix or delete it"
    assert caught.value.detail


def test_registered_secrets_never_reach_a_log_record() -> None:
    secret = f"sk-{uuid.uuid4().hex}"
    register_secret(secret)
    register_secret("abc")  # too short to mask safely: ignored
    assert redact(f"key={secret}; abc") == "key=***; abc"

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger(f"hlsstudio.test.{uuid.uuid4().hex}")
    logger.propagate = False
    logger.addHandler(handler)
    logger.warning("upload failed for %s with secret %s", "bucket", secret)
    logger.warning(f"inline {secret}")
    logger.removeHandler(handler)
    text = stream.getvalue()
    assert secret not in text
    assert "upload failed for bucket with secret ***" in text
    assert "inline ***" in text
