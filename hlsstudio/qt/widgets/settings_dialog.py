"""The settings window: encoding, destination and FFmpeg pages; OK saves, Cancel forgets.

Secrets typed here (the R2 secret key, the webhook URL and secret) go to the OS keyring in workers.

It is not modal: the queue keeps running and stays usable while it is open.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QTabWidget, QVBoxLayout, QWidget

from hlsstudio.core.settings import AppSettings
from hlsstudio.qt.queue_controller import QueueController
from hlsstudio.qt.widgets.destination_page import DestinationPage, WebhookSaver
from hlsstudio.qt.widgets.encoding_page import EncodingPage
from hlsstudio.qt.widgets.ffmpeg_page import FfmpegPage

ERROR_STYLE = "color: #d64545;"


class SettingsDialog(QDialog):
    """Edits a copy of the settings; ``settings_accepted(new settings, typed secret)`` on OK."""

    settings_accepted = Signal(object, str)

    def __init__(
        self, settings: AppSettings, controller: QueueController, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("HLS Studio — Settings")
        self.resize(720, 540)
        self.controller = controller
        self._original = settings
        self.encoding = EncodingPage(settings)
        self.destination = DestinationPage(settings.destination, controller.pools.io)
        self.ffmpeg = FfmpegPage(settings)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.encoding, "Encoding")
        self.tabs.addTab(self.destination, "Destination")
        self.tabs.addTab(self.ffmpeg, "FFmpeg")
        self.error = QLabel()
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.setWordWrap(True)
        self.error.hide()
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.ffmpeg.recheck.clicked.connect(lambda: controller.locate_toolchain(refresh=True))
        controller.toolchain_changed.connect(self._show_toolchain)
        self._show_toolchain()

    def _show_toolchain(self) -> None:
        self.encoding.show_toolchain(self.controller.toolchain)
        self.ffmpeg.show_toolchain(self.controller.toolchain, self.controller.toolchain_error)

    def edited_settings(self) -> AppSettings:
        """The settings as edited (validated). Raises ValueError when a value is out of range."""
        update = {
            **self.encoding.values(self._original),
            **self.destination.values(),
            **self.ffmpeg.values(),
        }
        merged = self._original.model_copy(update=update)
        return AppSettings.model_validate(merged.model_dump(mode="json"))

    def accept(self) -> None:
        try:
            settings = self.edited_settings()
        except ValueError as exc:
            self.error.setText(f"Not saved: {str(exc).splitlines()[-1].strip()}")
            self.error.show()
            return
        webhook = self.destination.webhook_change()
        if webhook is not None:  # keyring writes happen in a worker, reported in the status bar
            WebhookSaver(self.controller).save(*webhook)
        self.settings_accepted.emit(settings, self.destination.typed_secret())
        super().accept()
