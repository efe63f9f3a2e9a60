"""Destination configuration: which store to publish to, and with which credentials.

Every field is resolved on its own, first match wins:

1. the process environment;
2. a ``.env`` file — first ``./.env`` in the current directory, then ``.env`` in the config dir
   (``paths.config_dir()``); read with python-dotenv, never copied into the environment;
3. the app settings (``DestinationSettings``).

=====================  ========================  ===========================================
value                  environment / .env name   app settings
=====================  ========================  ===========================================
account id             ``R2_ACCOUNT_ID``         ``account_id``
access key id          ``R2_ACCESS_KEY_ID``      ``access_key_id``
secret access key      ``R2_SECRET_ACCESS_KEY``  OS keyring (``secrets.load_secret_key``)
bucket                 ``R2_BUCKET_NAME``        ``bucket``
public URL             ``R2_PUBLIC_URL``         ``public_url``
endpoint URL           ``R2_ENDPOINT_URL``       ``endpoint_url``
webhook URL            ``HLSSTUDIO_WEBHOOK_URL``     OS keyring (``secrets.load_webhook_url``) (1)
webhook secret         ``HLSSTUDIO_WEBHOOK_SECRET``  OS keyring (``secrets.load_webhook_secret``)
=====================  ========================  ===========================================

(1) a ``webhook_url`` set in ``DestinationSettings`` (in memory, or left in the file while the
keyring refuses it) comes before the keyring.

The endpoint is ``R2_ENDPOINT_URL`` when set (any S3-compatible store: MinIO, a test server),
else ``https://<account id>.r2.cloudflarestorage.com``; the region is ``auto`` for R2 endpoints
and ``us-east-1`` for others. No bucket anywhere means the local-folder destination
(``DestinationSettings.local_dir`` or ``paths.default_local_publish_dir()``).

Messages for people name fields as the app's destination settings show them (``FIELD_LABELS``):
``destination_problem`` says, without asking the keyring or the network, what a bucket still lacks.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import dotenv_values

from hlsstudio.core import credentials as secrets
from hlsstudio.core import paths
from hlsstudio.core.errors import ConfigError
from hlsstudio.core.logs import register_secret
from hlsstudio.core.settings import DestinationSettings
from hlsstudio.core.storage.base import Destination
from hlsstudio.core.storage.local import LocalDestination
from hlsstudio.core.storage.s3 import R2_REGION, S3Destination, r2_endpoint

ENV_NAMES: dict[str, str] = {
    "account_id": "R2_ACCOUNT_ID",
    "access_key_id": "R2_ACCESS_KEY_ID",
    "bucket": "R2_BUCKET_NAME",
    "public_url": "R2_PUBLIC_URL",
    "endpoint_url": "R2_ENDPOINT_URL",
}
SECRET_KEY_ENV = "R2_SECRET_ACCESS_KEY"
ENV_HINT = "without the app (command line, workers): set "
WEBHOOK_URL_ENV = "HLSSTUDIO_WEBHOOK_URL"
WEBHOOK_SECRET_ENV = "HLSSTUDIO_WEBHOOK_SECRET"
# every variable that configures where and how a package is published
DESTINATION_ENV: tuple[str, ...] = (*ENV_NAMES.values(), SECRET_KEY_ENV, WEBHOOK_URL_ENV, WEBHOOK_SECRET_ENV)
OTHER_REGION = "us-east-1"
# each field as the app's destination settings name it (messages for people, not for scripts)
FIELD_LABELS: dict[str, str] = {
    "account_id": "Account ID",
    "access_key_id": "Access key ID",
    "secret_access_key": "Secret access key",
    "bucket": "Bucket",
    "public_url": "Public URL",
    "endpoint_url": "Endpoint URL",
    "local_dir": "Local folder",
    "webhook_url": "Webhook URL",
    "webhook_secret": "Webhook secret",
}


@dataclass(frozen=True)
class R2Config:
    """Resolved settings of an S3-compatible destination; the secret never shows in ``repr``."""

    bucket: str
    endpoint_url: str
    access_key_id: str
    secret_access_key: str = field(repr=False)
    account_id: str = ""
    public_url: str = ""
    region: str = R2_REGION
    sources: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class WebhookConfig:
    """Where to announce finished publishes, and the signing secret (hidden from ``repr``)."""

    url: str = ""
    secret: str | None = field(default=None, repr=False)


def dotenv_files() -> list[Path]:
    """The ``.env`` files consulted, in order: current directory, then the config dir."""
    return [Path.cwd() / ".env", paths.config_dir() / ".env"]


def read_dotenv(files: list[Path] | None = None) -> dict[str, str]:
    """Values from the ``.env`` files; a name in an earlier file wins. Missing files are skipped."""
    merged: dict[str, str] = {}
    for path in files if files is not None else dotenv_files():
        if not path.is_file():
            continue
        for name, value in dotenv_values(path).items():
            if value is not None and name not in merged:
                merged[name] = value
    return merged


class _Layers:
    """Environment > .env > settings lookup that remembers where each value came from."""

    def __init__(self, environ: Mapping[str, str], dotenv: Mapping[str, str]) -> None:
        self.environ = environ
        self.dotenv = dotenv
        self.sources: dict[str, str] = {}

    def get(self, field_name: str, env_name: str, fallback: str) -> str:
        for source, mapping in (("environment", self.environ), (".env", self.dotenv)):
            value = (mapping.get(env_name) or "").strip()
            if value:
                self.sources[field_name] = source
                return value
        if fallback:
            self.sources[field_name] = "settings"
        return fallback.strip()

    def secret(self, field_name: str, env_name: str, load: Callable[[], str | None]) -> str | None:
        value = self.get(field_name, env_name, "")
        if value:
            return value
        loaded = load()  # the keyring is only asked when neither environment nor .env has it
        if loaded:
            self.sources[field_name] = "keyring"
        return loaded


def _layers(environ: Mapping[str, str] | None, dotenv: Mapping[str, str] | None) -> _Layers:
    return _Layers(os.environ if environ is None else environ, read_dotenv() if dotenv is None else dotenv)


def resolve_r2_config(
    settings: DestinationSettings,
    *,
    environ: Mapping[str, str] | None = None,
    dotenv: Mapping[str, str] | None = None,
) -> R2Config | None:
    """The S3/R2 configuration, or None when no bucket is configured anywhere.

    ``environ``/``dotenv`` default to ``os.environ`` and the ``.env`` files. Raises ConfigError
    when a bucket is set but the endpoint (account id or endpoint URL), the access key id or the
    secret access key is missing.
    """
    layers = _layers(environ, dotenv)
    values = {name: layers.get(name, env, str(getattr(settings, name))) for name, env in ENV_NAMES.items()}
    if not values["bucket"]:
        return None
    if not values["endpoint_url"] and not values["account_id"]:
        raise ConfigError(
            "a bucket is set but not its Account ID: fill in Account ID in Settings ▸ Destination",
            f"{ENV_HINT}R2_ACCOUNT_ID (R2_ENDPOINT_URL for another S3-compatible store)",
        )
    if not values["access_key_id"]:
        raise ConfigError(
            "a bucket is set but not its Access key ID: fill in Access key ID in Settings ▸ Destination",
            f"{ENV_HINT}R2_ACCESS_KEY_ID",
        )
    secret = layers.secret(
        "secret_access_key", SECRET_KEY_ENV, lambda: secrets.load_secret_key(values["access_key_id"])
    )
    if not secret:
        raise ConfigError(
            "no Secret access key is saved: type it in Settings ▸ Destination",
            f"{ENV_HINT}R2_SECRET_ACCESS_KEY",
        )
    register_secret(secret)
    endpoint = values["endpoint_url"] or r2_endpoint(values["account_id"])
    region = R2_REGION if endpoint.rstrip("/").endswith(".r2.cloudflarestorage.com") else OTHER_REGION
    return R2Config(
        bucket=values["bucket"],
        endpoint_url=endpoint,
        access_key_id=values["access_key_id"],
        secret_access_key=secret,
        account_id=values["account_id"],
        public_url=values["public_url"],
        region=region,
        sources=dict(layers.sources),
    )


def resolve_webhook(
    settings: DestinationSettings,
    *,
    environ: Mapping[str, str] | None = None,
    dotenv: Mapping[str, str] | None = None,
) -> WebhookConfig:
    """Webhook URL (environment > .env > settings > keyring) and secret (environment > .env > keyring).

    Both are registered as secrets, so neither ever shows in a log.
    """
    layers = _layers(environ, dotenv)
    url = layers.get("webhook_url", WEBHOOK_URL_ENV, settings.webhook_url)
    if not url:
        url = (secrets.load_webhook_url() or "").strip()
        if url:
            layers.sources["webhook_url"] = "keyring"
    if not url:
        return WebhookConfig()
    register_secret(url)
    secret = layers.secret("webhook_secret", WEBHOOK_SECRET_ENV, secrets.load_webhook_secret)
    register_secret(secret)
    return WebhookConfig(url=url, secret=secret)


def local_destination(settings: DestinationSettings) -> LocalDestination:
    """The local-folder destination of ``settings`` (``local_dir`` or the default publish folder)."""
    root = Path(settings.local_dir).expanduser() if settings.local_dir else paths.default_local_publish_dir()
    root.mkdir(parents=True, exist_ok=True)
    return LocalDestination(root, settings.local_base_url)


def destination_summary(
    settings: DestinationSettings, *, environ: Mapping[str, str] | None = None
) -> tuple[bool, str]:
    """(is a bucket, where packages go), read in the same order as ``destination_from_settings``
    (environment > .env > settings) but without asking the keyring: cheap enough for a status bar."""
    bucket = _layers(environ, None).get("bucket", ENV_NAMES["bucket"], settings.bucket)
    if bucket:
        return True, f"bucket {bucket}"
    folder = (
        Path(settings.local_dir).expanduser() if settings.local_dir else paths.default_local_publish_dir()
    )
    return False, f"local folder {folder} (no bucket configured)"


def field_label(name: str) -> str:
    """How the destination settings name a field ("access_key_id" -> "Access key ID")."""
    return FIELD_LABELS.get(name, name.replace("_", " ").capitalize())


def missing_fields(
    values: Mapping[str, str], *, secret_known: bool | None = None, include_public_url: bool = True
) -> list[str]:
    """Fields (keys of ``FIELD_LABELS``) a bucket destination still lacks; [] without a bucket.

    ``values`` maps field names to their resolved text; ``secret_known`` says whether a secret
    access key is available (None: not known, so not reported). A public URL is only expected
    for Cloudflare R2 (no endpoint URL): without it viewers' links would point at the private
    storage endpoint. Pure: reads nothing.
    """
    present = {name: bool((values.get(name) or "").strip()) for name in FIELD_LABELS}
    if not present["bucket"]:
        return []
    missing: list[str] = []
    if not present["account_id"] and not present["endpoint_url"]:
        missing.append("account_id")
    if not present["access_key_id"]:
        missing.append("access_key_id")
    if secret_known is False and not present["secret_access_key"]:
        missing.append("secret_access_key")
    if include_public_url and not present["public_url"] and not present["endpoint_url"]:
        missing.append("public_url")
    return missing


def missing_destination_fields(
    settings: DestinationSettings,
    *,
    secret_known: bool | None = None,
    include_public_url: bool = True,
    environ: Mapping[str, str] | None = None,
    dotenv: Mapping[str, str] | None = None,
) -> list[str]:
    """``missing_fields`` of ``settings`` with the environment and ``.env`` filled in first (the
    same order as ``resolve_r2_config``). Never asks the keyring or the network: pass what is known
    of the secret as ``secret_known``; a secret in the environment or ``.env`` always counts."""
    layers = _layers(environ, dotenv)
    values = {name: layers.get(name, env, str(getattr(settings, name))) for name, env in ENV_NAMES.items()}
    values["secret_access_key"] = layers.get("secret_access_key", SECRET_KEY_ENV, "")
    known = True if values["secret_access_key"] else secret_known
    return missing_fields(values, secret_known=known, include_public_url=include_public_url)


def describe_missing(fields: list[str]) -> str:
    """A sentence naming the missing fields as the settings show them; '' when none is missing.

    >>> describe_missing(["account_id", "secret_access_key"])
    'To publish to the bucket, fill in Account ID and Secret access key.'
    """
    labels = [field_label(name) for name in fields]
    if not labels:
        return ""
    listed = labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} and {labels[-1]}"
    return f"To publish to the bucket, fill in {listed}."


def destination_problem(
    settings: DestinationSettings,
    *,
    secret_known: bool | None = None,
    environ: Mapping[str, str] | None = None,
    dotenv: Mapping[str, str] | None = None,
) -> str:
    """Why ``settings`` cannot publish yet, in plain words; '' when nothing is known to be missing
    (always '' for the local-folder destination). Reads no keyring and no network."""
    missing = missing_destination_fields(settings, secret_known=secret_known, environ=environ, dotenv=dotenv)
    return describe_missing(missing)


def destination_from_settings(
    settings: DestinationSettings,
    *,
    environ: Mapping[str, str] | None = None,
    dotenv: Mapping[str, str] | None = None,
    max_attempts: int | None = None,
) -> Destination:
    """The destination to publish to: S3/R2 when a bucket is configured, else the local folder.

    ``max_attempts`` (per request, including the
    first) defaults to ``AWS_MAX_ATTEMPTS`` from the environment, else 5. Raises ConfigError for an
    incomplete bucket configuration and SettingsError for a damaged settings file.
    """
    config = resolve_r2_config(settings, environ=environ, dotenv=dotenv)
    if config is None:
        return local_destination(settings)
    return S3Destination(
        bucket=config.bucket,
        endpoint_url=config.endpoint_url,
        access_key_id=config.access_key_id,
        secret_access_key=config.secret_access_key,
        region=config.region,
        public_url=config.public_url,
        max_attempts=max_attempts or _env_max_attempts(os.environ if environ is None else environ),
    )


def _env_max_attempts(environ: Mapping[str, str]) -> int:
    try:
        return max(1, min(int(environ.get("AWS_MAX_ATTEMPTS", "5")), 20))
    except ValueError:
        return 5
