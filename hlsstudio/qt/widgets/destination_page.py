"""Settings page: the R2 / S3-compatible destination, its secret in the OS keyring, and a connection test.

The connection test also says whether web players may load videos from the bucket (its CORS rules);
when they may not, "Set CORS rule" adds the rule in a worker, or shows the JSON to paste into the
storage dashboard when the store refuses.

The completion webhook (URL and signing secret) is edited here too; both live in the OS keyring,
never in the settings file. Every keyring call runs in a worker: a locked keyring may block.
``problem()`` says in the page's own words why the destination cannot publish yet (fields left
empty, or a failed connection test of exactly what is typed now).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from hlsstudio.core import credentials as secrets
from hlsstudio.core.errors import ConfigError, HlsStudioError
from hlsstudio.core.paths import default_local_publish_dir
from hlsstudio.core.settings import DestinationSettings
from hlsstudio.core.storage.config import (
    describe_missing,
    destination_summary,
    field_label,
    missing_destination_fields,
)
from hlsstudio.core.storage.cors import CorsFix, CorsState, CorsVerdict
from hlsstudio.qt import tasks
from hlsstudio.qt.destination_status import plain_failure, soft_wrap
from hlsstudio.qt.pools import Pool
from hlsstudio.qt.workers import CallWorker

OK_STYLE = "color: #1f9d55;"
ERROR_STYLE = "color: #d64545;"
SECRET_SAVED = "saved in the system keyring — type to replace"
SECRET_PLACEHOLDER = "stored in the system keyring, never in the settings file"
WEBHOOK_SAVED = "Webhook settings saved in the system keyring"
SECRET_CHECK_DELAY_MS = 400
INTRO = (
    "Where finished videos are published. Fill in the Cloudflare R2 details below, or leave "
    "Bucket empty to publish to a folder on this computer."
)
FIELD_TIPS = {
    "account_id": "Your Cloudflare account ID: Cloudflare dashboard › R2 › Account details.",
    "access_key_id": "From an R2 API token: Cloudflare dashboard › R2 › Manage API tokens.",
    "secret_access_key": "Shown once when the R2 API token is created. Kept in the system keyring.",
    "bucket": "The name of the R2 bucket. Leave empty to publish to the local folder instead.",
    "public_url": "The web address viewers use for the bucket: its custom domain or r2.dev address.",
    "endpoint_url": "Only for S3-compatible storage other than Cloudflare R2; leave empty for R2.",
    "local_dir": "Where videos are published when no bucket is set.",
    "webhook_url": "Optional: a web address told about every finished publish.",
    "webhook_secret": "Optional: signs each webhook call so the receiver can trust it.",
}
# the fields whose edits make an earlier connection test meaningless
TESTED_FIELDS = ("account_id", "access_key_id", "secret", "bucket", "public_url", "endpoint_url", "local_dir")


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


def check_typed_destination(settings: DestinationSettings, secret: str) -> tuple[str, CorsVerdict]:
    """``tasks.connection_report`` (connection sentence, CORS verdict), after checking that no field
    is left empty (the reason then names the fields as this page shows them). Blocks: asks the
    keyring and the network."""
    known = bool(secret) or tasks.saved_secret_exists(settings.access_key_id)
    missing = missing_destination_fields(settings, secret_known=known, include_public_url=False)
    if missing:
        raise ConfigError(describe_missing(missing))
    return tasks.connection_report(settings, secret)


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
            f"Webhook not saved: {error.message}. Check that the system keyring is unlocked and try again."
        )

    def _on_released(self, _serial: int) -> None:
        self.deleteLater()


class DestinationPage(QWidget):
    """R2 account id, access key, secret (masked), bucket, public URL, optional endpoint, local folder.

    ``tested(ok, message)`` after each connection test.
    """

    tested = Signal(bool, str)

    def __init__(self, settings: DestinationSettings, pool: Pool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.pool = pool
        self._base = settings
        self._workers: dict[int, CallWorker] = {}
        self._secret_saved: dict[str, bool] = {}  # access key id -> a secret is in the keyring
        self._last_test: tuple[bool, str] | None = None
        self._edits = 0  # edits of the tested fields: a test answer for older values is not kept
        self._secret_timer = QTimer(self)
        self._secret_timer.setSingleShot(True)
        self._secret_timer.setInterval(SECRET_CHECK_DELAY_MS)
        self._secret_timer.timeout.connect(self._ask_secret)
        self.account_id = QLineEdit(settings.account_id)
        self.access_key_id = QLineEdit(settings.access_key_id)
        self.secret = QLineEdit()
        self.secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.secret.setPlaceholderText(SECRET_PLACEHOLDER)
        self.bucket = QLineEdit(settings.bucket)
        self.bucket.setPlaceholderText("empty: publish to a local folder")
        self.public_url = QLineEdit(settings.public_url)
        self.public_url.setPlaceholderText("https://media.example.com (the bucket's public domain)")
        self.endpoint_url = QLineEdit(settings.endpoint_url)
        self.endpoint_url.setPlaceholderText("leave empty for Cloudflare R2")
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
        self._make_cors_widgets()
        self._lay_out()
        for name in TESTED_FIELDS:  # the line under the form says what is still missing
            getattr(self, name).textChanged.connect(self._show_mode)
        self.access_key_id.textChanged.connect(self._secret_timer.start)
        self._show_mode()
        self._ask_secret()
        self._ask(saved_webhook, done=self._on_webhook_known)

    def _make_cors_widgets(self) -> None:
        self.cors = QLabel()  # what web players may do (CORS), after a successful test
        self.cors.setWordWrap(True)
        self.cors.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.cors_button = QPushButton("Set CORS rule")
        self.cors_button.setToolTip("Let web players load videos from the bucket (adds one CORS rule).")
        self.cors_button.clicked.connect(self.set_cors_rule)
        self.cors_paste = QPlainTextEdit()  # the rule to paste when the store refuses to take it
        self.cors_paste.setReadOnly(True)
        self.cors_paste.setMaximumHeight(160)
        self.cors_copy = QPushButton("Copy")
        self.cors_copy.clicked.connect(self.copy_cors_rule)

    def _lay_out(self) -> None:
        intro = QLabel(INTRO)
        intro.setWordWrap(True)
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        for name in (*TESTED_FIELDS, "webhook_url", "webhook_secret"):
            field = "secret_access_key" if name == "secret" else name
            edit: QLineEdit = getattr(self, name)
            edit.setToolTip(FIELD_TIPS[field])
            form.addRow(f"{field_label(field)}:", edit)
            if name in TESTED_FIELDS:
                edit.textChanged.connect(self._forget_test)
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_button)
        test_row.addWidget(self.result, 1)
        cors_row = QHBoxLayout()
        cors_row.addWidget(self.cors, 1)
        cors_row.addWidget(self.cors_button)
        paste_row = QHBoxLayout()
        paste_row.addWidget(self.cors_paste, 1)
        paste_row.addWidget(self.cors_copy, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.mode)
        layout.addLayout(test_row)
        layout.addLayout(cors_row)
        layout.addLayout(paste_row)
        layout.addStretch(1)
        self._show_cors("")

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

    def secret_known(self) -> bool | None:
        """Whether a secret access key is typed or saved for the access key ID typed now (None: the
        keyring has not answered yet)."""
        if self.secret.text():
            return True
        return self._secret_saved.get(self.access_key_id.text().strip())

    def last_test(self) -> tuple[bool, str] | None:
        """(succeeded, message) of the last connection test; None when the fields changed since."""
        return self._last_test

    def problem(self) -> str:
        """Why the destination typed here cannot publish, in plain words ('' when it can, as far as
        is known). A local folder (no bucket) is always fine. Reads no keyring and no network."""
        destination: DestinationSettings = self.values()["destination"]
        if not destination_summary(destination)[0]:
            return ""
        missing = missing_destination_fields(destination, secret_known=self.secret_known())
        reasons = [describe_missing(missing)]
        if self._last_test is not None and not self._last_test[0]:
            reasons.append(f"The last connection test failed: {plain_failure(self._last_test[1])}.")
        return " ".join(reason for reason in reasons if reason)

    def _show_mode(self) -> None:
        if self.bucket.text().strip():
            destination = self.values()["destination"]
            missing = missing_destination_fields(destination, secret_known=self.secret_known())
            self.mode.setText(
                f"Videos are published to the bucket above. {describe_missing(missing)}".strip()
            )
        else:
            folder = self.local_dir.text().strip() or str(default_local_publish_dir())
            self.mode.setText(soft_wrap(f"No bucket: videos are published to the local folder {folder}."))

    def test_connection(self) -> None:
        """Head the bucket with what is typed now (in a worker); the answer appears beside the button."""
        self.test_button.setEnabled(False)
        self.result.setStyleSheet("")
        self.result.setText("Testing…")
        self._show_cors("")
        destination = self.values()["destination"]
        tag = ("test", self._edits)
        self._ask(check_typed_destination, destination, self.typed_secret(), done=self._on_tested, tag=tag)
        self._last_test = None

    def _forget_test(self) -> None:
        self._edits += 1
        if self._last_test is not None:
            self._last_test = None
            self.result.setStyleSheet("")
            self.result.setText("")
            self._show_cors("")

    def set_cors_rule(self) -> None:
        """Add the web player CORS rule to the bucket typed now (in a worker); the answer appears
        on the CORS line, with the JSON to paste when the store refuses."""
        self.cors_button.setEnabled(False)
        self._show_cors("Setting the CORS rule…", button=True)
        destination = self.values()["destination"]
        tag = ("cors", self._edits)
        self._ask(tasks.set_cors_rule, destination, self.typed_secret(), done=self._on_cors_set, tag=tag)

    def copy_cors_rule(self) -> None:
        """Put the CORS rule to paste on the clipboard."""
        QGuiApplication.clipboard().setText(self.cors_paste.toPlainText())

    def _show_cors(self, text: str, style: str = "", button: bool = False, paste: str = "") -> None:
        self.cors.setText(soft_wrap(text))
        self.cors.setStyleSheet(style)
        self.cors.setVisible(bool(text))
        self.cors_button.setVisible(button)
        self.cors_paste.setPlainText(paste)
        self.cors_paste.setVisible(bool(paste))
        self.cors_copy.setVisible(bool(paste))

    def _show_verdict(self, verdict: CorsVerdict) -> None:
        style = OK_STYLE if verdict.state == CorsState.OK else "" if verdict.usable else ERROR_STYLE
        mark = "" if verdict.state == CorsState.NOT_NEEDED else "✓ " if verdict.usable else "⚠ "
        self._show_cors(mark + verdict.message, style, button=verdict.fixable)
        self.cors_button.setEnabled(True)

    def _on_cors_set(self, _tag: object, fix: CorsFix) -> None:
        style = OK_STYLE if fix.applied else ERROR_STYLE if fix.paste_json else ""
        mark = "✓ " if fix.applied else "⚠ " if fix.paste_json else ""
        self._show_cors(mark + fix.message, style, button=bool(fix.paste_json), paste=fix.paste_json)
        self.cors_button.setEnabled(True)

    def _ask_secret(self) -> None:
        key = self.access_key_id.text().strip()
        if key in self._secret_saved:
            self._show_secret_placeholder()
        else:
            self._ask(tasks.saved_secret_exists, key, done=self._on_secret_known, tag=("secret", key))

    def _show_secret_placeholder(self) -> None:
        saved = self._secret_saved.get(self.access_key_id.text().strip())
        self.secret.setPlaceholderText(SECRET_SAVED if saved else SECRET_PLACEHOLDER)

    def _ask(self, fn: Any, *args: Any, done: Any, tag: object = None) -> None:
        worker = CallWorker(tag or fn.__name__, fn, *args)
        worker.signals.done.connect(done)
        worker.signals.failed.connect(self._on_failed)
        worker.signals.released.connect(self._release)
        self._workers[worker.serial] = worker
        self.pool.start(worker)

    def _release(self, serial: int) -> None:
        self._workers.pop(serial, None)

    def _on_secret_known(self, tag: object, exists: bool) -> None:
        assert isinstance(tag, tuple)
        self._secret_saved[tag[1]] = exists
        self._show_secret_placeholder()
        self._show_mode()

    def _on_webhook_known(self, _tag: object, saved: tuple[str, bool]) -> None:
        url, secret_exists = saved
        if url and not self.webhook_url.isModified() and not self._base.webhook_url:
            self.webhook_url.setText(url)
        if secret_exists and not self.webhook_secret.text():
            self.webhook_secret.setPlaceholderText(SECRET_SAVED)

    def _on_tested(self, tag: object, report: tuple[str, CorsVerdict]) -> None:
        message, verdict = report
        self._show_test(tag, True, message)
        self._show_verdict(verdict)

    def _on_failed(self, tag: object, error: HlsStudioError) -> None:
        if isinstance(tag, tuple) and tag[0] == "cors":
            self._show_cors(f"✗ The CORS rule was not set: {error.message}", ERROR_STYLE, button=True)
            self.cors_button.setEnabled(True)
            return
        if not (isinstance(tag, tuple) and tag[0] == "test"):
            return  # the keyring could not be asked: the placeholder simply stays
        self._show_test(tag, False, error.message)

    def _show_test(self, tag: object, ok: bool, message: str) -> None:
        self.test_button.setEnabled(True)
        self.result.setStyleSheet(OK_STYLE if ok else ERROR_STYLE)
        self.result.setText(soft_wrap(f"{'✓' if ok else '✗'} {message}"))
        if tag == ("test", self._edits):  # still what is typed now
            self._last_test = (ok, message)
            self.tested.emit(ok, message)
