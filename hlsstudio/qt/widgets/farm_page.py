"""Settings page: the render farm — its Redis address, the password (system keyring), whether new
jobs go to the farm, and "Test connection", which lists the live workers and their queues.

The test runs in a worker (it waits for the workers' answers), never on the GUI thread. A password
typed into the address (``redis://:secret@host``) is taken out of it: only the keyring keeps it.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QCheckBox, QFormLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from hlsstudio.core import credentials
from hlsstudio.core.errors import HlsStudioError
from hlsstudio.core.settings import FarmSettings
from hlsstudio.qt.pools import Pool
from hlsstudio.qt.workers import CallWorker

PASSWORD_PLACEHOLDER = "stored in the system keyring; leave empty to keep the saved one"
INTRO = (
    "Linux computers running hlsstudio-worker can encode jobs for this computer, which then checks "
    "and publishes them. Jobs and their chunks go through Redis; files through your destination's bucket."
)
TESTING = "Asking the farm's workers…"


def typed_url(url: str, password: str) -> str:
    """The Redis URL to test: the typed address with the typed password, else the saved one."""
    from hlsstudio.farm.desktop import split_password, with_password

    bare, in_url = split_password(url)
    return with_password(bare, password or in_url or credentials.load_farm_password() or "")


def test_farm(url: str, password: str) -> Any:
    """Ask the farm at ``url`` which workers are live (blocks a few seconds: run it in a worker)."""
    from hlsstudio.farm.config import load_config
    from hlsstudio.farm.desktop import check_farm

    if not url.strip():
        return check_farm(None)
    return check_farm(load_config(redis_url=typed_url(url, password)))


def save_farm_password(password: str) -> str:
    """Store the typed password in the keyring; what to show."""
    credentials.save_farm_password(password)
    return "Farm password saved in the system keyring"


class FarmPage(QWidget):
    """The farm's settings (see the module docstring)."""

    def __init__(self, settings: FarmSettings, pool: Pool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.pool = pool
        self._workers: dict[int, CallWorker] = {}
        self.redis_url = QLineEdit(settings.redis_url)
        self.redis_url.setPlaceholderText("redis://farm-redis:6379/0")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText(PASSWORD_PLACEHOLDER)
        self.send_new = QCheckBox("Send new jobs to the farm")
        self.send_new.setChecked(settings.send_new_jobs_to_farm)
        self.test_button = QPushButton("Test connection")
        self.test_button.clicked.connect(self.test)
        self.result = QLabel()
        self.result.setWordWrap(True)
        intro = QLabel(INTRO)
        intro.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Redis address", self.redis_url)
        form.addRow("Password", self.password)
        form.addRow("", self.send_new)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.test_button)
        layout.addWidget(self.result)
        layout.addStretch(1)

    def values(self) -> dict[str, Any]:
        """The page's part of the settings (the address without any password)."""
        from hlsstudio.farm.desktop import split_password

        bare, _ = split_password(self.redis_url.text())
        return {"farm": FarmSettings(redis_url=bare, send_new_jobs_to_farm=self.send_new.isChecked())}

    def typed_password(self) -> str:
        """The password typed here, or the one typed into the address ('' when none: keep the saved)."""
        from hlsstudio.farm.desktop import split_password

        return self.password.text() or split_password(self.redis_url.text())[1]

    def test(self) -> None:
        """Ask the farm in a worker; the answer lands in ``result``."""
        self.test_button.setEnabled(False)
        self.result.setText(TESTING)
        worker = CallWorker("farm-test", test_farm, self.redis_url.text(), self.password.text())
        worker.signals.done.connect(self._tested)
        worker.signals.failed.connect(self._failed)
        worker.signals.released.connect(self._released)
        self._workers[worker.serial] = worker
        self.pool.start(worker)

    def _tested(self, _tag: object, check: Any) -> None:
        self.result.setText(("✓ " if check.usable else "✗ ") + check.summary())
        self.test_button.setEnabled(True)

    def _failed(self, _tag: object, error: HlsStudioError) -> None:
        self.result.setText(f"✗ {error.message}")
        self.test_button.setEnabled(True)

    def _released(self, serial: int) -> None:
        self._workers.pop(serial, None)


class FarmPasswordSaver(QObject):
    """Saves the farm password in a worker and reports on the controller's ``message`` signal."""

    def __init__(self, controller: Any) -> None:
        super().__init__(controller)
        self._controller = controller

    def save(self, password: str) -> None:
        """Store ``password`` in the keyring (in a worker)."""
        worker = CallWorker("farm-password", save_farm_password, password)
        worker.signals.done.connect(self._on_done)
        worker.signals.failed.connect(self._on_failed)
        worker.signals.released.connect(self._on_released)
        self._controller.run_call(worker)

    def _on_done(self, _tag: object, text: str) -> None:
        self._controller.message.emit(text)

    def _on_failed(self, _tag: object, error: HlsStudioError) -> None:
        self._controller.message.emit(f"Farm password not saved: {error.message}")

    def _on_released(self, _serial: int) -> None:
        self.deleteLater()
