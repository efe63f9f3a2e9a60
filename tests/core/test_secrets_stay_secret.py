"""Secrets never reach the log file (tracebacks included), and the webhook URL lives in the keyring."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest

from hlsstudio.core import credentials as secrets
from hlsstudio.core import logs
from hlsstudio.core.settings import (
    AppSettings,
    DestinationSettings,
    load_settings,
    save_settings,
    settings_path,
)
from hlsstudio.core.storage.config import resolve_webhook
from hlsstudio.core.webhook import send_webhook
from tests.s3server import MemoryKeyring


@pytest.fixture
def memory_keyring(home: Path) -> Iterator[MemoryKeyring]:
    """The test's in-memory keyring (set by ``home``); a plain in-memory one is left afterwards."""
    backend = keyring.get_keyring()
    assert isinstance(backend, MemoryKeyring)
    yield backend
    keyring.set_keyring(MemoryKeyring())


@pytest.fixture
def log_path(hlsstudio_home: Path) -> Iterator[Path]:
    """The app's logging configured into this test's HLSSTUDIO_HOME; handlers removed afterwards."""
    path = logs.setup_logging()
    assert path.is_relative_to(hlsstudio_home)
    yield path
    logger = logging.getLogger("hlsstudio")
    for handler in logs._our_handlers(logger):
        logger.removeHandler(handler)
        handler.close()
    logger._hlsstudio_configured = None  # type: ignore[attr-defined]


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex}"


def flush() -> None:
    for handler in logging.getLogger("hlsstudio").handlers:
        handler.flush()


def fail_with(url: str, secret_key: str, hook_secret: str) -> None:
    try:
        raise ConnectionError(f"peer closed the connection after key {secret_key}")
    except ConnectionError as exc:
        raise RuntimeError(f"POST {url} signed with {hook_secret} failed") from exc


def test_tracebacks_in_the_log_file_are_redacted(memory_keyring: MemoryKeyring, log_path: Path) -> None:
    secret_key, hook_secret = unique("r2-secret"), unique("hook-secret")
    url = f"https://hooks.example.test/notify/{unique('token')}"
    # written straight into the keyring: only resolving them may register them as secrets
    memory_keyring.set_password(secrets.SERVICE, "AKIDLOGTEST", secret_key)
    memory_keyring.set_password(secrets.SERVICE, secrets.WEBHOOK_URL_USER, url)
    memory_keyring.set_password(secrets.SERVICE, secrets.WEBHOOK_USER, hook_secret)
    assert secrets.load_secret_key("AKIDLOGTEST") == secret_key
    hook = resolve_webhook(DestinationSettings())
    assert (hook.url, hook.secret) == (url, hook_secret)

    log = logging.getLogger("hlsstudio.test.redaction")
    try:
        fail_with(url, secret_key, hook_secret)
    except RuntimeError:
        log.exception("publishing failed")
    log.warning("stack of a call about %s", url, stack_info=True)
    flush()

    text = log_path.read_text(encoding="utf-8")
    assert "publishing failed" in text and "Traceback (most recent call last)" in text
    assert "RuntimeError: POST *** signed with *** failed" in text
    assert "ConnectionError: peer closed the connection after key ***" in text
    assert "Stack (most recent call last)" in text
    for value in (secret_key, hook_secret, url):
        assert value not in text


def test_a_webhook_url_from_the_environment_is_masked_too(
    memory_keyring: MemoryKeyring, log_path: Path
) -> None:
    url, hook_secret = f"https://hooks.example.test/{unique('env')}", unique("env-hook-secret")
    hook = resolve_webhook(
        DestinationSettings(),
        environ={"HLSSTUDIO_WEBHOOK_URL": url, "HLSSTUDIO_WEBHOOK_SECRET": hook_secret},
        dotenv={},
    )
    assert hook.url == url
    other = f"http://127.0.0.1:9/{unique('direct')}"  # a URL handed straight to send_webhook
    assert send_webhook(other, {"a": 1}, attempts=1, timeout=0.5).startswith("failed")
    log = logging.getLogger("hlsstudio.test.redaction")
    try:
        raise ValueError(f"bad answer from {url} / {other} ({hook_secret})")
    except ValueError:
        log.exception("webhook")
    flush()
    text = log_path.read_text(encoding="utf-8")
    assert "ValueError: bad answer from *** / *** (***)" in text
    assert url not in text and other not in text and hook_secret not in text


def test_the_webhook_url_is_kept_in_the_keyring_not_the_settings_file(
    memory_keyring: MemoryKeyring,
) -> None:
    url = f"https://hooks.example.test/{unique('saved')}"
    settings = AppSettings(destination=DestinationSettings(bucket="media", webhook_url=url))
    path = save_settings(settings)
    text = path.read_text(encoding="utf-8")
    assert url not in text and "webhook_url" not in text
    assert memory_keyring.get_password(secrets.SERVICE, secrets.WEBHOOK_URL_USER) == url
    loaded = load_settings()
    assert loaded.destination.webhook_url == "" and loaded.destination.bucket == "media"
    assert resolve_webhook(loaded.destination, environ={}, dotenv={}).url == url
    # the environment still wins over the keyring
    env_url = "http://127.0.0.1:9/from-env"
    assert (
        resolve_webhook(loaded.destination, environ={"HLSSTUDIO_WEBHOOK_URL": env_url}, dotenv={}).url
        == env_url
    )


def test_a_schema_1_webhook_url_moves_to_the_keyring_on_load(memory_keyring: MemoryKeyring) -> None:
    url = f"https://hooks.example.test/{unique('old')}"
    path = settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(
            {"schema_version": 1, "concurrent_jobs": 2, "destination": {"webhook_url": url, "bucket": "b"}}
        ),
        encoding="utf-8",
    )
    settings = load_settings()
    assert settings.schema_version == 2 and settings.concurrent_jobs == 2
    assert settings.destination.webhook_url == ""
    assert memory_keyring.get_password(secrets.SERVICE, secrets.WEBHOOK_URL_USER) == url
    rewritten = json.loads(path.read_text(encoding="utf-8"))
    assert "webhook_url" not in rewritten["destination"] and rewritten["destination"]["bucket"] == "b"
    assert resolve_webhook(settings.destination, environ={}, dotenv={}).url == url


class RefusingKeyring(MemoryKeyring):
    """A keyring that is there but says no to every write (a locked or read-only one)."""

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.PasswordSetError("locked")


def test_when_the_keyring_refuses_the_url_stays_in_the_file_and_a_warning_says_so(
    home: Path, caplog: pytest.LogCaptureFixture
) -> None:

    keyring.set_keyring(RefusingKeyring())
    try:
        refused_url_is_kept(caplog)
    finally:
        keyring.set_keyring(MemoryKeyring())


def refused_url_is_kept(caplog: pytest.LogCaptureFixture) -> None:
    from hlsstudio.core.settings import load_settings_lenient

    url = f"https://hooks.example.test/{unique('kept')}"
    path = settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"destination": {"webhook_url": url}}), encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="hlsstudio"):
        settings, warnings = load_settings_lenient()
    assert settings.destination.webhook_url == url  # still used this session
    assert any("webhook URL stays in the settings file" in w for w in warnings)
    assert "keyring" in caplog.text
    save_settings(settings)  # saving must not lose it either
    assert json.loads(path.read_text(encoding="utf-8"))["destination"]["webhook_url"] == url
    assert resolve_webhook(load_settings().destination, environ={}, dotenv={}).url == url
