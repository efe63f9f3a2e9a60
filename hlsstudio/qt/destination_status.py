"""Status-bar label saying where packages are published, and warning when they cannot be.

The warning is worked out from the settings alone (``destination_problem``: fields a bucket still
lacks, no keyring and no network on the GUI thread). Given a pool, the label also asks in a worker
whether a secret access key is saved. A failed connection test (``show_test_result``) shows the
destination as unreachable until the settings change or a later test succeeds.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from PySide6.QtWidgets import QLabel, QWidget

from hlsstudio.core.errors import HlsStudioError
from hlsstudio.core.settings import DestinationSettings
from hlsstudio.core.storage.config import destination_problem, destination_summary
from hlsstudio.qt import tasks
from hlsstudio.qt.pools import Pool
from hlsstudio.qt.workers import CallWorker

WARNING_STYLE = "color: #b45309; font-weight: bold;"
WARNING_SIGN = "⚠"
FIX_HINT = "Open Settings (Destination tab) to fix it; until then publishing fails."
ZERO_WIDTH_SPACE = "\u200b"
SOFT_RUN = 20  # the longest run of characters left without a break point in a long word
_LONG_WORD = re.compile(r"\S{30,}")
_BREAK_AFTER = re.compile(r"([/\\_?&=.:,;])")
_RUN = re.compile(rf"[^\s/\\_?&=.:,;{ZERO_WIDTH_SPACE}]{{{SOFT_RUN + 1},}}")


def _soften(word: str) -> str:
    word = _BREAK_AFTER.sub(rf"\1{ZERO_WIDTH_SPACE}", word)
    return _RUN.sub(
        lambda m: ZERO_WIDTH_SPACE.join(m[0][i : i + SOFT_RUN] for i in range(0, len(m[0]), SOFT_RUN)), word
    )


def soft_wrap(text: str) -> str:
    """``text`` with invisible break points inside long words (paths, URLs, keys), so a word-wrapping
    label can break them instead of growing wider than its window."""
    return _LONG_WORD.sub(lambda m: _soften(m[0]), text)


def plain_failure(reason: str) -> str:
    """A connection test's error without its technical prefix ("connection failed: …")."""
    text = reason.strip().removeprefix("connection failed:").strip()
    return text or "the connection test failed"


class DestinationStatus(QLabel):
    """ "Publishing to <where>", or a warning (⚠, warning colour, the reason as tooltip) when the
    destination is incomplete or was unreachable in the last connection test.

    ``pool``: where to ask the keyring whether a secret access key is saved (optional; without it
    a missing secret is never reported). ``environ``/``dotenv`` replace the process environment and
    the ``.env`` files (tests).
    """

    def __init__(
        self,
        pool: Pool | None = None,
        parent: QWidget | None = None,
        *,
        environ: Mapping[str, str] | None = None,
        dotenv: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(parent)
        self._pool = pool
        self._environ = environ
        self._dotenv = dotenv
        self._settings = DestinationSettings()
        self._shown = False
        self._secret_known: bool | None = None
        self._generation = 0
        self._failure = ""
        self._problem = ""
        self._workers: dict[int, CallWorker] = {}

    @property
    def warning(self) -> bool:
        """Whether the label warns (incomplete destination or failed connection test)."""
        return bool(self._problem or self._failure)

    def is_warning(self) -> bool:
        """Same as ``warning``."""
        return self.warning

    @property
    def reason(self) -> str:
        """The warning in plain words ('' when all is well)."""
        return self.toolTip() if self.warning else ""

    def show_settings(self, settings: DestinationSettings, *, secret_known: bool | None = None) -> None:
        """Show where ``settings`` publish. ``secret_known``: whether a secret access key is available
        (True right after one was typed); None asks the keyring in the pool when the settings changed.

        Changed settings forget an earlier failed connection test.
        """
        changed = not self._shown or settings != self._settings
        self._shown = True
        if changed:
            self._settings = settings
            self._generation += 1
            self._failure = ""
            self._secret_known = None
        if secret_known is not None:
            self._secret_known = secret_known
        elif changed:
            self._ask_secret()
        self._render()

    def show_test_result(self, ok: bool, reason: str) -> None:
        """Show the outcome of a connection test of the settings shown: a failure makes the
        destination "unreachable" (``reason`` as tooltip), a success clears that."""
        self._failure = "" if ok else plain_failure(reason)
        self._render()

    def _render(self) -> None:
        is_bucket, where = destination_summary(self._settings, environ=self._environ)
        self._problem = destination_problem(
            self._settings, secret_known=self._secret_known, environ=self._environ, dotenv=self._dotenv
        )
        if self._problem:
            text = f"{WARNING_SIGN} Publishing to {where} — setup incomplete"
            tip = f"{self._problem} {FIX_HINT}"
        elif self._failure:
            text = f"{WARNING_SIGN} {where[:1].upper()}{where[1:]} unreachable"
            tip = (
                f"The last connection test could not reach the {where}: {self._failure}. "
                "Check the destination settings and the internet connection."
                if is_bucket
                else f"The last connection test could not use the {where}: {self._failure}."
            )
        else:
            self.setText(f"Publishing to {where}")
            self.setToolTip(f"Published packages go to the {where}.")
            self.setStyleSheet("")
            return
        if self._problem and self._failure:
            tip += f" The last connection test failed too: {self._failure}."
        self.setText(text)
        self.setToolTip(tip)
        self.setStyleSheet(WARNING_STYLE)

    def _ask_secret(self) -> None:
        if self._pool is None or not self._settings.bucket:
            return
        worker = CallWorker(self._generation, tasks.saved_secret_exists, self._settings.access_key_id)
        worker.signals.done.connect(self._on_secret_known)
        worker.signals.failed.connect(self._on_secret_unknown)
        worker.signals.released.connect(self._release)
        self._workers[worker.serial] = worker
        self._pool.start(worker)

    def _on_secret_known(self, generation: object, exists: bool) -> None:
        if generation == self._generation and self._secret_known is None:
            self._secret_known = exists
            self._render()

    def _on_secret_unknown(self, _generation: object, _error: HlsStudioError) -> None:
        """The keyring could not be asked: a missing secret simply is not reported."""

    def _release(self, serial: int) -> None:
        self._workers.pop(serial, None)
