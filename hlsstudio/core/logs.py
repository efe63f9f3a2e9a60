"""Logging set-up shared by the GUI and the CLI: a rotating file in the platformdirs log dir.

Configured secrets are masked twice over, so a credential never reaches a log file even if some
library puts it into a message or an exception carries it: a filter cleans each record (message,
traceback text, stack) and every handler's formatter cleans the finished text once more.
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
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_plain = logging.Formatter()


def register_secret(value: str | None) -> None:
    """Mask ``value`` in every log record from now on (ignored when empty or very short)."""
    if value and len(value) >= 6:
        with _lock:
            _secrets.add(value)


def redact(text: str) -> str:
    """``text`` with every registered secret replaced by ``***`` (longest secrets first)."""
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, "***")
    return text


class RedactingFilter(logging.Filter):
    """Replaces registered secrets in a record: its message, its traceback text and its stack."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, ()
        if record.exc_info and not record.exc_text:
            # formatters reuse exc_text when it is set: render the traceback here, masked
            record.exc_text = _plain.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


class RedactingFormatter(logging.Formatter):
    """A formatter whose whole output (message, traceback, stack) has registered secrets masked."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))

    def formatException(self, ei: logging._SysExcInfoType) -> str:  # noqa: N802 (logging's name)
        return redact(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:  # noqa: N802 (logging's name)
        return redact(super().formatStack(stack_info))


def log_file() -> Path:
    """The current log file."""
    return paths.log_dir() / LOG_NAME


def _our_handlers(logger: logging.Logger) -> list[logging.Handler]:
    return [h for h in logger.handlers if getattr(h, "_hlsstudio_handler", False)]


def setup_logging(verbose: bool = False, console: bool = False) -> Path:
    """Configure the root ``hlsstudio`` logger: rotating file (+ stderr if ``console``).

    Done once per log file: calling it again for the same file changes nothing; when the log
    folder has moved (another ``HLSSTUDIO_HOME``) the handlers are replaced. Every handler masks
    registered secrets in everything it writes, tracebacks included.
    """
    logger = logging.getLogger("hlsstudio")
    path = log_file()
    if getattr(logger, "_hlsstudio_configured", None) == path:
        return path
    for old in _our_handlers(logger):
        logger.removeHandler(old)
        old.close()
    logger.setLevel(logging.DEBUG if verbose else logging.INFO)
    handlers: list[logging.Handler] = []
    with contextlib.suppress(OSError):  # a read-only log dir must not stop the app
        handlers.append(logging.handlers.RotatingFileHandler(path, maxBytes=2_000_000, backupCount=3))
    if console:
        handlers.append(logging.StreamHandler())
    for handler in handlers:
        handler.setFormatter(RedactingFormatter(LOG_FORMAT))
        handler.addFilter(RedactingFilter())
        handler._hlsstudio_handler = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    logger._hlsstudio_configured = path  # type: ignore[attr-defined]
    return path
