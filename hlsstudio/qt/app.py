"""Application start-up: logging, settings, the job store, the main window, files from the command line."""

from __future__ import annotations

import logging
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from PySide6.QtCore import QEvent, Signal
from PySide6.QtGui import QFileOpenEvent
from PySide6.QtWidgets import QApplication

from hlsstudio import __version__
from hlsstudio.core.errors import SettingsError
from hlsstudio.core.jobstore import JobStore, db_path
from hlsstudio.core.logs import setup_logging
from hlsstudio.core.settings import AppSettings, load_settings
from hlsstudio.qt.icons import app_icon
from hlsstudio.qt.main_window import MainWindow
from hlsstudio.qt.single_instance import InstanceServer, hand_over
from hlsstudio.qt.theme import apply_theme

log = logging.getLogger(__name__)


def opened_file(event: QEvent) -> Path | None:
    """The file of an OS "open this file with the app" event (None for any other event)."""
    if event.type() == QEvent.Type.FileOpen and isinstance(event, QFileOpenEvent) and event.file():
        return Path(event.file())
    return None


class Application(QApplication):
    """The app object: also receives the files the OS opens with it (macOS sends QFileOpenEvent)."""

    file_opened = Signal(Path)

    def event(self, event: QEvent) -> bool:
        path = opened_file(event)
        if path is not None:
            self.file_opened.emit(path)
            return True
        return super().event(event)


def load_or_default_settings() -> tuple[AppSettings, str | None]:
    """The saved settings, or defaults plus the reason when the file cannot be used."""
    try:
        return load_settings(), None
    except SettingsError as exc:
        log.error("%s (%s)", exc.message, exc.detail)
        return AppSettings(), f"{exc.message} — using defaults"


def open_store() -> tuple[JobStore, str | None]:
    """The job store; a damaged database is moved aside (kept for inspection) and a new one started."""
    try:
        return JobStore.open(), None
    except sqlite3.DatabaseError as exc:
        damaged = db_path().with_name(f"jobs-damaged-{int(time.time())}.sqlite3")
        db_path().replace(damaged)
        log.error("job database unreadable (%s); moved to %s", exc, damaged)
        return JobStore.open(), f"The job history was damaged and has been set aside ({damaged.name})"


def command_line_files(arguments: list[str]) -> list[Path]:
    """Files and folders named on the command line (options are ignored)."""
    return [Path(a) for a in arguments if a and not a.startswith("-")]


def application(argv: list[str]) -> tuple[QApplication, list[Path]]:
    """The QApplication (created unless one exists, named, themed) and the files named in ``argv``."""
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else Application(argv)
    app.setApplicationName("HLS Studio")
    app.setApplicationVersion(__version__)
    app.setOrganizationName("HLS Studio")
    app.setDesktopFileName("hlsstudio")
    app.setWindowIcon(app_icon())
    apply_theme(app)
    # a fresh QApplication has removed its own options (-style …) from arguments()
    return app, command_line_files(app.arguments()[1:] if existing is None else argv[1:])


def open_main_window(app: QApplication, files: list[Path]) -> MainWindow:
    """Logging, settings and the job store; the main window shown with ``files`` queued."""
    setup_logging()
    log.info("HLS Studio %s starting", __version__)
    settings, settings_problem = load_or_default_settings()
    store, store_problem = open_store()
    window = MainWindow(settings, store=store, owns_store=True)
    if isinstance(app, Application):
        app.file_opened.connect(lambda path: window.add_paths([path]))
    window.show()
    for problem in (settings_problem, store_problem):
        if problem:
            window.statusBar().showMessage(problem, 15_000)
    if files:
        window.add_paths(files)
    return window


def self_test(argv: list[str]) -> int:
    """``hlsstudio --self-test``: show the main window, run the installation self-test, exit.

    The window gets a throw-away job store and saves nothing, so the user's queue and settings are
    never touched. Prints one line (``self-test passed: …`` or ``self-test failed: …``).
    """
    from hlsstudio.selftest import report, run_self_test

    app, _ = application([a for a in argv if a != "--self-test"])
    setup_logging()
    opened: list[MainWindow] = []
    with tempfile.TemporaryDirectory(prefix="hlsstudio-selftest-store-") as tmp:
        store = JobStore.open(Path(tmp) / "jobs.sqlite3")

        def open_window() -> None:
            window = MainWindow(AppSettings(), store=store, remember=False)
            opened.append(window)
            window.show()
            app.processEvents()
            if not window.isVisible():
                raise RuntimeError("the main window could not be shown")

        outcome = run_self_test(open_window)
        for window in opened:
            window.confirm = lambda *_args: True  # type: ignore[method-assign]
            window.close()
        store.close()
    return report(outcome)


def accept_later_starts(window: MainWindow) -> InstanceServer:
    """Listen for later starts of the app: their files are queued here and the window comes forward."""
    server = InstanceServer(window)

    def receive(files: list[Path]) -> None:
        if files:
            window.add_paths(files)
        window.showNormal()
        window.raise_()
        window.activateWindow()

    server.files_received.connect(receive)
    server.listen()
    return server


def run(argv: list[str]) -> int:
    """Start the app with the files in ``argv[1:]`` queued, run it until it quits; the exit status.

    When the app already runs (for the same job store), the files go to it and this start ends.
    """
    app, files = application(argv)
    if hand_over(files):
        print("HLS Studio is already running: the files were added to its queue.")
        return 0
    window = open_main_window(app, files)
    server = accept_later_starts(window)
    code = int(app.exec())
    server.close()
    window.close()  # no-op when the user closed it; after a quit() it records running jobs
    log.info("HLS Studio stopped")
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(run(sys.argv))
