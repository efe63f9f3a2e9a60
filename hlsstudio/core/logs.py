"""Logging set-up shared by the GUI and the CLI: a rotating file in the platformdirs log dir.

A filter masks configured secrets in every record, so a credential never reaches a log file
even if some library puts it into a message.
"""

from __future__ import annotations

import contextlib
import logging
import logging.handlers
import threading
from pathlib import Path

from hlsstudio.core import paths

_secrets: set[str] = set()
_lock = threading.Lock()
LOG_NAME = "hlsstudio.log"


def register_secret(value: str | None) -> None:
    """Mask ``value`` in every log record from now on (ignored when empty or very short)."""
    if value and len(value) >= 6:
        with _lock:
            _secrets.add(value)


def redact(text: str) -> str:
    """``text`` with every registered secret replaced by ``***``."""
    with _lock:
        secrets = list(_secrets)
    for secret in secrets:
        text = text.replace(secret, "***")
    return text


class RedactingFilter(logging.Filter):
    """Replaces registered secrets in the formatted message of each record."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, ()
        return True


def log_file() -> Path:
    """The current log file."""
    return paths.log_dir() / LOG_NAME


def setup_logging(verbose: bool = False, console: bool = False) -> Path:
    """Configure the root ``hlsstudio`` logger once: rotating file (+ stderr if ``console``)."""
    logger = logging.getLogger("hlsstudio")
    path = log_file()
    if getattr(logger, "_hlsstudio_configured", False):
        return path
    logger.setLevel(logging.DEBUG if verbose else logging.INFO)
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    handlers: list[logging.Handler] = []
    with contextlib.suppress(OSError):  # a read-only log dir must not stop the app
        handlers.append(logging.handlers.RotatingFileHandler(path, maxBytes=2_000_000, backupCount=3))
    if console:
        handlers.append(logging.StreamHandler())
    for handler in handlers:
        handler.setFormatter(fmt)
        handler.addFilter(RedactingFilter())
        logger.addHandler(handler)
    logger._hlsstudio_configured = True  # type: ignore[attr-defined]
    return path
