"""Settings page: the R2 / S3-compatible destination, its secret in the OS keyring, and a connection test.

The completion webhook (URL and signing secret) is edited here too; both live in the OS keyring,
never in the settings file. Every keyring call runs in a worker: a locked keyring may block.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from hlsstudio.core import credentials as secrets
from hlsstudio.core.errors import HlsStudioError
from hlsstudio.core.paths import default_local_publish_dir
from hlsstudio.core.settings import DestinationSettings
from hlsstudio.qt import tasks
from hlsstudio.qt.pools import Pool
from hlsstudio.qt.workers import CallWorker

OK_STYLE = "color: #1f9d55;"
ERROR_STYLE = "color: #d64545;"
SECRET_SAVED = "saved in the system keyring — type to replace"
WEBHOOK_SAVED = "Webhook settings saved in the system keyring"


def saved_webhook() -> tuple[str, bool]:
    """(the webhook URL saved in the keyring or '', whether a webhook secret is saved). Blocks."""
    return secrets.load_webhook_url() or "", secrets.load_webhook_secret() is not None


def save_webhook_values(url: str | None, secret: str | None) -> str:
    """Store what was typed: ``url`` None keeps the saved one, '' forgets it; an empty ``secret``
    keeps the saved one. Blocks. Raises ConfigError when the keyring refuses."""
    if url is not None:
        if url:
            secrets.save_webhook_url(url)
        else:
            secrets.delete_webhook_url()
    if secret:
        secrets.save_webhook_secret(secret)
    return WEBHOOK_SAVED


class WebhookSaver(QObject):
    """Saves the webhook values in a worker and reports on the controller's ``message`` signal.

    Parented to the controller, so the answer still arrives after the settings window has closed.
    """

    def __init__(self, controller: Any) -> None:
        super().__init__(controller)
        self._controller = controller

    def save(self, url: str | None, secret: str | None) -> None:
        worker = CallWorker("webhook", save_webhook_values, url, secret)
        worker.signals.done.connect(self._on_done)
        worker.signals.failed.connect(self._on_failed)
        worker.signals.released.connect(self._on_released)
        self._controller.run_call(worker)

    def _on_done(self, _tag: object, message: str) -> None:
        self._controller.message.emit(message)

    def _on_failed(self, _tag: object, error: HlsStudioError) -> None:
        self._controller.message.emit(
            f"Webhook not saved: {error.message} (HLSSTUDIO_WEBHOOK_URL / HLSSTUDIO_WEBHOOK_SECRET work too)"
        )

    def _on_released(self, _serial: int) -> None:
        self.deleteLater()


class DestinationPage(QWidget):
    """R2 account id, access key, secret (masked), bucket, public URL, optional endpoint, local folder."""

    def __init__(self, settings: DestinationSettings, pool: Pool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.pool = pool
        self._base = settings
        self._workers: dict[int, CallWorker] = {}
        self.account_id = QLineEdit(settings.account_id)
        self.access_key_id = QLineEdit(settings.access_key_id)
        self.secret = QLineEdit()
        self.secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.secret.setPlaceholderText("stored in the system keyring, never in the settings file")
        self.bucket = QLineEdit(settings.bucket)
        self.bucket.setPlaceholderText("empty: publish to a local folder")
        self.public_url = QLineEdit(settings.public_url)
        self.public_url.setPlaceholderText("https://media.example.com (the bucket's public domain)")
        self.endpoint_url = QLineEdit(settings.endpoint_url)
        self.endpoint_url.setPlaceholderText(
            "optional: https://<account>.r2.cloudflarestorage.com by default"
        )
        self.local_dir = QLineEdit(settings.local_dir)
        self.local_dir.setPlaceholderText(str(default_local_publish_dir()))
        self.webhook_url = QLineEdit(settings.webhook_url)
        self.webhook_url.setPlaceholderText(
            "optional: https://… called when a publish finishes (kept in the keyring)"
        )
        self.webhook_secret = QLineEdit()
        self.webhook_secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.webhook_secret.setPlaceholderText("optional: signs each call; stored in the system keyring")
        self.test_button = QPushButton("Test connection")
        self.test_button.clicked.connect(self.test_connection)
        self.result = QLabel()
        self.result.setWordWrap(True)
        self.mode = QLabel()
        self.mode.setWordWrap(True)
        self.bucket.textChanged.connect(self._show_mode)
        form = QFormLayout()
        form.addRow("R2 account ID:", self.account_id)
        form.addRow("Access key ID:", self.access_key_id)
        form.addRow("Secret access key:", self.secret)
        form.addRow("Bucket:", self.bucket)
        form.addRow("Public URL:", self.public_url)
        form.addRow("Endpoint URL:", self.endpoint_url)
        form.addRow("Local folder:", self.local_dir)
        form.addRow("Webhook URL:", self.webhook_url)
        form.addRow("Webhook secret:", self.webhook_secret)
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_button)
        test_row.addWidget(self.result, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.mode)
        layout.addLayout(test_row)
        layout.addStretch(1)
        self._show_mode()
        self._ask(tasks.saved_secret_exists, settings.access_key_id, done=self._on_secret_known)
        self._ask(saved_webhook, done=self._on_webhook_known)

    def values(self) -> dict[str, Any]:
        """The DestinationSettings this page describes (other fields kept from the original)."""
        fields = {
            name: getattr(self, name).text().strip()
            for name in ("account_id", "access_key_id", "bucket", "public_url", "endpoint_url", "local_dir")
        }
        if self.webhook_url.isModified():  # the keyring gets the new URL: no older one may override it
            fields["webhook_url"] = ""
        return {"destination": self._base.model_copy(update=fields)}

    def webhook_change(self) -> tuple[str | None, str | None] | None:
        """(URL, secret) to store in the keyring, None for each one not edited; None: nothing edited.

        A URL edited to empty forgets the saved one; an empty secret keeps the saved one.
        """
        url = self.webhook_url.text().strip() if self.webhook_url.isModified() else None
        secret = self.webhook_secret.text() or None
        return None if url is None and secret is None else (url, secret)

    def typed_secret(self) -> str:
        """The secret typed in this session ('' when the saved one is kept)."""
        return self.secret.text()

    def _show_mode(self) -> None:
        if self.bucket.text().strip():
            self.mode.setText("Packages are published to the bucket above.")
        else:
            folder = self.local_dir.text().strip() or str(default_local_publish_dir())
            self.mode.setText(f"No bucket: packages are published to the local folder {folder}.")

    def test_connection(self) -> None:
        """Head the bucket with what is typed now (in a worker); the answer appears beside the button."""
        self.test_button.setEnabled(False)
        self.result.setStyleSheet("")
        self.result.setText("Testing…")
        destination = self.values()["destination"]
        self._ask(tasks.check_connection, destination, self.typed_secret(), done=self._on_tested)

    def _ask(self, fn: Any, *args: Any, done: Any) -> None:
        worker = CallWorker(fn.__name__, fn, *args)
        worker.signals.done.connect(done)
        worker.signals.failed.connect(self._on_failed)
        worker.signals.released.connect(self._release)
        self._workers[worker.serial] = worker
        self.pool.start(worker)

    def _release(self, serial: int) -> None:
        self._workers.pop(serial, None)

    def _on_secret_known(self, _tag: object, exists: bool) -> None:
        if exists and not self.secret.text():
            self.secret.setPlaceholderText(SECRET_SAVED)

    def _on_webhook_known(self, _tag: object, saved: tuple[str, bool]) -> None:
        url, secret_exists = saved
        if url and not self.webhook_url.isModified() and not self._base.webhook_url:
            self.webhook_url.setText(url)
        if secret_exists and not self.webhook_secret.text():
            self.webhook_secret.setPlaceholderText(SECRET_SAVED)

    def _on_tested(self, _tag: object, message: str) -> None:
        self.test_button.setEnabled(True)
        self.result.setStyleSheet(OK_STYLE)
        self.result.setText(f"✓ {message}")

    def _on_failed(self, tag: object, error: HlsStudioError) -> None:
        if tag != "check_connection":
            return  # the keyring could not be asked: the placeholder simply stays
        self.test_button.setEnabled(True)
        self.result.setStyleSheet(ERROR_STYLE)
        self.result.setText(f"✗ {error.message}")
