"""AppSettings: everything the user sets, as JSON under the config dir, versioned and migrated.

Secrets (the R2 secret key, the webhook URL and the webhook secret) are never written here: they
live in the OS keyring (see ``core.credentials``) or the environment. Schema 2 moved the
webhook URL out of the file: a URL found in a settings file is handed to the keyring when the file
is loaded or saved, and stays in the file (with a warning) only while the keyring refuses it.

``load_settings`` refuses a file with any invalid value; ``load_settings_lenient`` (what the app
uses) keeps every valid value, takes the default for each invalid one and says which.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError, field_validator

from hlsstudio.core import credentials as secrets
from hlsstudio.core import paths
from hlsstudio.core.errors import HlsStudioError, SettingsError
from hlsstudio.core.ladder import default_ladder
from hlsstudio.core.models import ContentType, EncodeSettings, Rung, ladder_problems

log = logging.getLogger(__name__)

SCHEMA_VERSION = 2
NESTED_SECTIONS = ("encode", "destination", "farm")
MAX_REPAIRS = 100


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
    """Normally empty: the URL lives in the keyring. Set in memory to override the saved one, and
    in the file only while the keyring refuses to take it (see ``save_settings``)."""
    build_grace_hours: float = Field(default=24.0, ge=0, le=24 * 365)
    """How long a replaced build stays in the bucket for viewers still playing it."""


class FarmSettings(BaseModel):
    """The render farm as the desktop reaches it (the farm's own settings: ``hlsstudio.farm.config``).

    ``redis_url`` never holds the password: it lives in the keyring (``credentials``), and
    ``HLSSTUDIO_REDIS_URL`` in the environment wins over both.
    """

    redis_url: str = ""
    """redis://host:6379/0 (empty: no farm)."""
    send_new_jobs_to_farm: bool = False
    """New jobs encode on the farm (each job can still be switched to Local and back)."""


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
    farm: FarmSettings = Field(default_factory=FarmSettings)
    ui: dict[str, Any] = Field(default_factory=dict)

    @field_validator("ladder")
    @classmethod
    def _ladder_is_valid(cls, rungs: list[Rung]) -> list[Rung]:
        problems = ladder_problems(rungs)
        if problems:
            raise ValueError("; ".join(problems))
        return rungs

    @field_validator("default_content_type")
    @classmethod
    def _content_type_is_known(cls, value: str) -> str:
        try:
            return ContentType(value).value
        except ValueError:
            known = " or ".join(repr(t.value) for t in ContentType)
            raise ValueError(f"unknown content type {value!r}: use {known}") from None

    def resolved_output_dir(self) -> Path:
        return Path(self.output_dir) if self.output_dir else paths.default_output_dir()


Migration = Callable[[dict[str, Any]], dict[str, Any]]


def _v1_to_v2(doc: dict[str, Any]) -> dict[str, Any]:
    """Schema 2 keeps the shape; ``destination.webhook_url`` now only waits to move to the keyring
    (``load_settings`` moves it), so nothing changes in the document itself."""
    return doc


# MIGRATIONS[n] turns a schema-n document into a schema-(n+1) document.
MIGRATIONS: dict[int, Migration] = {1: _v1_to_v2}


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


def _read_document(path: Path) -> dict[str, Any] | None:
    """The JSON object in ``path`` (None when there is no file). Raises SettingsError."""
    if not path.exists():
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SettingsError(f"cannot read settings file {path}: {exc.strerror or exc}", str(exc)) from exc
    try:
        doc = json.loads(text)
        if not isinstance(doc, dict):
            raise ValueError("not a JSON object")
    except ValueError as exc:
        raise SettingsError(f"settings file {path} is damaged; fix or delete it", str(exc)) from exc
    return doc


def load_settings(path: Path | None = None) -> AppSettings:
    """Read settings (defaults when the file does not exist).

    Raises SettingsError when the file exists but cannot be read, is not valid JSON or not valid
    settings, or was written by a newer schema. A webhook URL found in the file moves to the keyring.
    """
    path = path or settings_path()
    doc = _read_document(path)
    if doc is None:
        return AppSettings()
    try:
        settings = AppSettings.model_validate(migrate(copy.deepcopy(doc)))
    except (ValueError, TypeError, ValidationError) as exc:
        raise SettingsError(f"settings file {path} is damaged; fix or delete it", str(exc)) from exc
    settings, _ = _move_webhook_url(settings, path, doc)
    return settings


def load_settings_lenient(path: Path | None = None) -> tuple[AppSettings, list[str]]:
    """Read settings, taking the default for each invalid value and keeping every valid one.

    Returns the settings and one warning per value replaced (or per other problem, such as a
    webhook URL the keyring refused), each a single line fit for a status bar. Raises SettingsError
    only when the file cannot be read, is not a JSON object, or was written by a newer schema.
    """
    path = path or settings_path()
    doc = _read_document(path)
    if doc is None:
        return AppSettings(), []
    warnings: list[str] = []
    work = copy.deepcopy(doc)
    try:
        work = migrate(work)
    except (ValueError, TypeError) as exc:
        warnings.append(f"settings: schema_version {work.get('schema_version')!r} is not valid ({exc})")
        work.pop("schema_version", None)
        work = migrate(work)
    settings, repaired = _validate_fieldwise(work)
    warnings += repaired
    settings, moved = _move_webhook_url(settings, path, doc)
    warnings += moved
    for warning in warnings:
        log.warning("%s (%s)", warning, path)
    return settings, warnings


def _validate_fieldwise(doc: dict[str, Any]) -> tuple[AppSettings, list[str]]:
    """Validate ``doc``, dropping each invalid value (so its default applies) until it passes."""
    warnings: list[str] = []
    for _ in range(MAX_REPAIRS):
        try:
            return AppSettings.model_validate(doc), warnings
        except ValidationError as exc:
            errors = exc.errors()
        progress = False
        for error in errors:
            dropped = _drop_invalid(doc, tuple(error["loc"]))
            if dropped is not None:
                name, value = dropped
                message = str(error["msg"]).removeprefix("Value error, ")
                shown = "" if isinstance(value, list | dict) else f" = {_short(value)}"
                warnings.append(f"settings: {name}{shown} is not valid ({message}); {_default(name)}")
                progress = True
        if not progress:
            break
    return AppSettings(), [*warnings, "settings: the file could not be repaired; using all defaults"]


def _drop_invalid(doc: dict[str, Any], loc: tuple[Any, ...]) -> tuple[str, Any] | None:
    """Remove the value an error points at: a field of ``encode``/``destination``, else a top field."""
    if not loc or not isinstance(loc[0], str) or loc[0] not in doc:
        return None
    top = loc[0]
    section = doc[top]
    if top in NESTED_SECTIONS and len(loc) > 1 and isinstance(section, dict) and loc[1] in section:
        return f"{top}.{loc[1]}", section.pop(loc[1])
    return top, doc.pop(top)


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _default(name: str) -> str:
    value: Any = AppSettings()
    for part in name.split("."):
        value = getattr(value, part, None)
    if isinstance(value, bool | int | float | str) and value != "":
        return f"using the default {_short(value)}"
    return "using the default"


# webhook URL values the keyring refused in this process: not offered again (it may be slow to say no)
_refused_urls: set[str] = set()


def _store_webhook_url(url: str) -> str | None:
    """Hand the webhook URL to the keyring; None when it took it, else why not."""
    if url in _refused_urls:
        return "the system keyring refused it earlier"
    try:
        secrets.save_webhook_url(url)
    except HlsStudioError as exc:
        _refused_urls.add(url)
        return exc.message
    return None


def _move_webhook_url(
    settings: AppSettings, path: Path, doc: dict[str, Any]
) -> tuple[AppSettings, list[str]]:
    """Move a webhook URL read from the file into the keyring and out of the file.

    When the keyring refuses, the URL stays in the settings (and the file) and a warning says so.
    """
    url = settings.destination.webhook_url
    if not url:
        return settings, []
    refused = _store_webhook_url(url)
    if refused is not None:
        warning = f"settings: the webhook URL stays in the settings file: {refused}"
        log.warning("%s", warning)
        return settings, [warning]
    section = doc.get("destination")
    if isinstance(section, dict) and "webhook_url" in section:
        section.pop("webhook_url")
        try:
            write_json_atomic(path, doc)
        except OSError as exc:  # the keyring has it; the next save drops it from the file
            log.warning("settings: cannot rewrite %s without the webhook URL: %s", path, exc)
    log.info("settings: the webhook URL moved from the settings file to the system keyring")
    destination = settings.destination.model_copy(update={"webhook_url": ""})
    return settings.model_copy(update={"destination": destination}), []


def save_settings(settings: AppSettings, path: Path | None = None) -> Path:
    """Write settings atomically (temp file + rename) and return the path written.

    A webhook URL in ``settings`` goes to the keyring, not the file; only when the keyring refuses
    it is it written to the file (with a warning in the log), so the value is never lost.
    """
    path = path or settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = settings.model_dump(mode="json")
    url = doc["destination"].pop("webhook_url", "")
    if url:
        refused = _store_webhook_url(url)
        if refused is not None:
            log.warning("settings: the webhook URL is kept in the settings file: %s", refused)
            doc["destination"]["webhook_url"] = url
    write_json_atomic(path, doc)
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
