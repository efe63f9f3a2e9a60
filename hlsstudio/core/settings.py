"""AppSettings: everything the user sets, as JSON under the config dir, versioned and migrated.

Secrets (the R2 secret key, the webhook secret) are never fields here: they live in the OS
keyring (see ``core.storage.secrets``) or the environment.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError, field_validator

from hlsstudio.core import paths
from hlsstudio.core.errors import SettingsError
from hlsstudio.core.ladder import default_ladder
from hlsstudio.core.models import EncodeSettings, Rung, ladder_problems

SCHEMA_VERSION = 1


class DestinationSettings(BaseModel):
    """Where packages are published. No bucket: the local-folder destination."""

    account_id: str = ""
    access_key_id: str = ""
    bucket: str = ""
    public_url: str = ""
    endpoint_url: str = ""
    local_dir: str = ""
    local_base_url: str = ""
    upload_concurrency: int = Field(default=8, ge=1, le=64)
    segment_cache_control: str = "public, max-age=31536000, immutable"
    playlist_cache_control: str = "public, max-age=60"
    webhook_url: str = ""
    build_grace_hours: float = Field(default=24.0, ge=0, le=24 * 365)
    """How long a replaced build stays in the bucket for viewers still playing it."""


class AppSettings(BaseModel):
    """The whole user configuration. ``schema_version`` drives ``migrate``."""

    schema_version: int = SCHEMA_VERSION
    ffmpeg_path: str = ""
    ffprobe_path: str = ""
    encode: EncodeSettings = Field(default_factory=EncodeSettings)
    ladder: list[Rung] = Field(default_factory=lambda: list(default_ladder().rungs))
    output_dir: str = ""
    concurrent_jobs: int = Field(default=1, ge=1, le=8)
    keep_local_after_publish: bool = True
    auto_publish: bool = False
    default_content_type: str = "movie"
    destination: DestinationSettings = Field(default_factory=DestinationSettings)
    ui: dict[str, Any] = Field(default_factory=dict)

    @field_validator("ladder")
    @classmethod
    def _ladder_is_valid(cls, rungs: list[Rung]) -> list[Rung]:
        problems = ladder_problems(rungs)
        if problems:
            raise ValueError("; ".join(problems))
        return rungs

    def resolved_output_dir(self) -> Path:
        return Path(self.output_dir) if self.output_dir else paths.default_output_dir()


Migration = Callable[[dict[str, Any]], dict[str, Any]]
# MIGRATIONS[n] turns a schema-n document into a schema-(n+1) document.
MIGRATIONS: dict[int, Migration] = {}


def migrate(doc: dict[str, Any]) -> dict[str, Any]:
    """Bring a settings document of any known older schema up to ``SCHEMA_VERSION``.

    Raises SettingsError for documents newer than this app understands.
    """
    version = int(doc.get("schema_version", 0) or 0)
    if version > SCHEMA_VERSION:
        raise SettingsError(f"settings were written by a newer HLS Studio (schema {version}); update the app")
    if version == 0:
        version = 1  # files written before versioning have the schema-1 shape
    while version < SCHEMA_VERSION:
        doc = MIGRATIONS[version](doc)
        version += 1
    doc["schema_version"] = SCHEMA_VERSION
    return doc


def settings_path() -> Path:
    """The settings file under the platformdirs config dir."""
    return paths.config_dir() / "settings.json"


def load_settings(path: Path | None = None) -> AppSettings:
    """Read settings (defaults when the file does not exist).

    Raises SettingsError when the file exists but cannot be read, is not valid JSON or not valid
    settings, or was written by a newer schema.
    """
    path = path or settings_path()
    if not path.exists():
        return AppSettings()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SettingsError(f"cannot read settings file {path}: {exc.strerror or exc}", str(exc)) from exc
    try:
        doc = json.loads(text)
        if not isinstance(doc, dict):
            raise ValueError("not a JSON object")
        return AppSettings.model_validate(migrate(doc))
    except (ValueError, TypeError, ValidationError) as exc:
        raise SettingsError(f"settings file {path} is damaged; fix or delete it", str(exc)) from exc


def save_settings(settings: AppSettings, path: Path | None = None) -> Path:
    """Write settings atomically (temp file + rename) and return the path written."""
    path = path or settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json_atomic(path, settings.model_dump(mode="json"))
    return path


def write_json_atomic(path: Path, doc: Any) -> None:
    """Write JSON to ``path`` so that a crash leaves either the old or the new file, never half."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(doc, fh, indent=2)
            fh.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
