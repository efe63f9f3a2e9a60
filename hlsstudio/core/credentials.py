"""Secrets in the OS keyring: the R2/S3 secret access key, the webhook URL and its signing secret.

Service name ``HLSStudio``. The secret access key is stored under the access key id as user name
(or ``r2-secret`` when no access key id is known yet); the webhook URL under ``webhook-url`` (it
often carries a token, so it is treated as a secret too); the webhook secret under
``webhook-secret``; the render farm's Redis password under ``farm-redis``. Every value read or
written is registered with ``logs.register_secret`` so it is masked in logs. A keyring that is
missing or locked is not an error here: reading returns None (the caller then reports what is
missing), saving raises ConfigError.
"""

from __future__ import annotations

import contextlib
import logging

import keyring
from keyring.errors import KeyringError

from hlsstudio.core.errors import ConfigError
from hlsstudio.core.logs import register_secret

log = logging.getLogger(__name__)

SERVICE = "HLSStudio"
SECRET_KEY_FALLBACK_USER = "r2-secret"
WEBHOOK_USER = "webhook-secret"
WEBHOOK_URL_USER = "webhook-url"
FARM_USER = "farm-redis"


def _users(access_key_id: str) -> list[str]:
    return [access_key_id, SECRET_KEY_FALLBACK_USER] if access_key_id else [SECRET_KEY_FALLBACK_USER]


def _get(user: str) -> str | None:
    try:
        value = keyring.get_password(SERVICE, user)
    except (KeyringError, RuntimeError, OSError) as exc:
        log.debug("keyring unavailable (%s)", type(exc).__name__)
        return None
    if value:
        register_secret(value)
    return value or None


def _set(user: str, value: str, what: str) -> None:
    register_secret(value)
    try:
        keyring.set_password(SERVICE, user, value)
    except (KeyringError, RuntimeError, OSError) as exc:
        raise ConfigError(
            f"cannot save the {what} in the system keyring",
            f"keyring backend {type(keyring.get_keyring()).__name__}: {type(exc).__name__}",
        ) from None


def _delete(user: str) -> None:
    # Nothing stored, or no keyring: either way nothing is left behind.
    with contextlib.suppress(KeyringError, RuntimeError, OSError):
        keyring.delete_password(SERVICE, user)


def save_secret_key(value: str, access_key_id: str = "") -> None:
    """Store the secret access key in the keyring (user: ``access_key_id`` or ``r2-secret``).

    Raises ConfigError when the keyring refuses; the message never contains the value.
    """
    _set(access_key_id or SECRET_KEY_FALLBACK_USER, value, "secret access key")


def load_secret_key(access_key_id: str = "") -> str | None:
    """The saved secret access key for ``access_key_id`` (falling back to ``r2-secret``), or None."""
    for user in _users(access_key_id):
        value = _get(user)
        if value:
            return value
    return None


def delete_secret_key(access_key_id: str = "") -> None:
    """Forget the saved secret access key (both the per-key and the fallback entry)."""
    for user in _users(access_key_id):
        _delete(user)


def save_webhook_secret(value: str) -> None:
    """Store the webhook signing secret in the keyring. Raises ConfigError when the keyring refuses."""
    _set(WEBHOOK_USER, value, "webhook secret")


def load_webhook_secret() -> str | None:
    """The saved webhook signing secret, or None."""
    return _get(WEBHOOK_USER)


def delete_webhook_secret() -> None:
    """Forget the saved webhook signing secret."""
    _delete(WEBHOOK_USER)


def save_webhook_url(value: str) -> None:
    """Store the webhook URL in the keyring. Raises ConfigError when the keyring refuses."""
    _set(WEBHOOK_URL_USER, value, "webhook URL")


def load_webhook_url() -> str | None:
    """The saved webhook URL, or None."""
    return _get(WEBHOOK_URL_USER)


def delete_webhook_url() -> None:
    """Forget the saved webhook URL."""
    _delete(WEBHOOK_URL_USER)


def save_farm_password(value: str) -> None:
    """Store the render farm's Redis password in the keyring. Raises ConfigError when it refuses."""
    _set(FARM_USER, value, "farm password")


def load_farm_password() -> str | None:
    """The saved render farm Redis password, or None."""
    return _get(FARM_USER)


def delete_farm_password() -> None:
    """Forget the saved render farm Redis password."""
    _delete(FARM_USER)
