"""Desktop notifications: the system tray's balloon when there is a tray, else a status-bar message."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication, QMainWindow, QSystemTrayIcon

from hlsstudio.qt.icons import app_icon

MESSAGE_MS = 10_000


class Notifier:
    """Tells the user something finished, without stealing focus or opening a dialog."""

    def __init__(self, window: QMainWindow) -> None:
        self.window = window
        self.tray: QSystemTrayIcon | None = None
        if QSystemTrayIcon.isSystemTrayAvailable():
            self.tray = QSystemTrayIcon(app_icon(), window)
            self.tray.setToolTip("HLS Studio")
            self.tray.activated.connect(lambda _reason: self._raise())
            self.tray.show()
        self.last: tuple[str, str] | None = None

    @property
    def can_notify(self) -> bool:
        """True when the desktop shows tray messages."""
        return self.tray is not None and QSystemTrayIcon.supportsMessages()

    def notify(self, title: str, text: str) -> None:
        """Show ``title``/``text`` as a desktop notification (and in the status bar)."""
        self.last = (title, text)
        if self.tray is not None and self.can_notify:
            self.tray.showMessage(title, text, QSystemTrayIcon.MessageIcon.Information, MESSAGE_MS)
        self.window.statusBar().showMessage(f"{title}: {text}", MESSAGE_MS)
        QApplication.alert(self.window)

    def _raise(self) -> None:
        self.window.showNormal()
        self.window.raise_()
        self.window.activateWindow()

    def hide(self) -> None:
        """Remove the tray icon (at exit)."""
        if self.tray is not None:
            self.tray.hide()
