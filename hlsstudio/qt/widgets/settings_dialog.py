"""The settings window: encoding, destination, farm and FFmpeg pages; OK saves, Cancel forgets.

Secrets typed here (the R2 secret key, the webhook URL and secret, the farm's password) go to the OS
keyring in workers.

It is not modal: the queue keeps running and stays usable while it is open. OK on a destination
that cannot publish (fields left empty, or the last connection test failed) asks "Save anyway?"
with the reason in the dialog's own words; a local folder is always fine.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMessageBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from hlsstudio.core.settings import AppSettings
from hlsstudio.qt.destination_status import soft_wrap
from hlsstudio.qt.queue_controller import QueueController
from hlsstudio.qt.widgets.destination_page import DestinationPage, WebhookSaver
from hlsstudio.qt.widgets.encoding_page import EncodingPage
from hlsstudio.qt.widgets.farm_page import FarmPage, FarmPasswordSaver
from hlsstudio.qt.widgets.ffmpeg_page import FfmpegPage

ERROR_STYLE = "color: #d64545;"
SAVE_ANYWAY = "Save anyway?"
SAVE_ANYWAY_NOTE = "Publishing will not work until this is fixed."


class SettingsDialog(QDialog):
    """Edits a copy of the settings; ``settings_accepted(new settings, typed secret)`` on OK.

    Right after it, ``connection_tested(ok, message)`` when the destination saved was tested in
    this dialog (and not edited since): the outcome of that test.
    """

    settings_accepted = Signal(object, str)
    connection_tested = Signal(bool, str)

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
        self.farm = FarmPage(settings.farm, controller.pools.io)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.encoding, "Encoding")
        self.tabs.addTab(self.destination, "Destination")
        self.tabs.addTab(self.farm, "Farm")
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
            **self.farm.values(),
        }
        merged = self._original.model_copy(update=update)
        return AppSettings.model_validate(merged.model_dump(mode="json"))

    def accept(self) -> None:
        try:
            settings = self.edited_settings()
        except ValueError as exc:
            self.error.setText(soft_wrap(f"Not saved: {str(exc).splitlines()[-1].strip()}"))
            self.error.show()
            return
        problem = self.destination.problem()
        if problem and not self.save_anyway(problem):
            self.tabs.setCurrentWidget(self.destination)
            return
        self.error.hide()
        webhook = self.destination.webhook_change()
        if webhook is not None:  # keyring writes happen in a worker, reported in the status bar
            WebhookSaver(self.controller).save(*webhook)
        if self.farm.typed_password():
            FarmPasswordSaver(self.controller).save(self.farm.typed_password())
        self.settings_accepted.emit(settings, self.destination.typed_secret())
        tested = self.destination.last_test()
        if tested is not None:
            self.connection_tested.emit(*tested)
        super().accept()

    def save_anyway(self, problem: str) -> bool:
        """Ask whether to save a destination that cannot publish; ``problem`` says why."""
        answer = QMessageBox.question(
            self,
            SAVE_ANYWAY,
            f"{problem}\n\n{SAVE_ANYWAY_NOTE} {SAVE_ANYWAY}",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes
