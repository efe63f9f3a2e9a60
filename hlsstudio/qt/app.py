"""Application start-up: logging, settings, the job store, the main window, files from the command line.

The order matters: the data folder's lock (``InstanceLock``) is taken before the job store is opened,
because opening recovers from a crash (running jobs become INTERRUPTED, their working folders are
removed) and only the one app that holds the lock may do that. A start that cannot take the lock
hands its files to the running app; if that app does not answer, the start ends with a message and
exit status 1, without touching the store.

A job store that is only unavailable (locked by another program, unreadable, read-only) or written
by a newer version is not replaced by an empty one: the app says why in one line (a dialog where
there is a screen, and stderr) and exits with status 1. Only a database SQLite reports damaged is
moved aside, next to it, and a new one started; the status bar names where it went.
"""

from __future__ import annotations

import logging
import sys
import tempfile
import time
from pathlib import Path

from PySide6.QtCore import QEvent, Signal
from PySide6.QtGui import QFileOpenEvent
from PySide6.QtWidgets import QApplication, QMessageBox

from hlsstudio import __version__
from hlsstudio.core.errors import SettingsError
from hlsstudio.core.jobdb import DamagedStoreError, JobStoreError
from hlsstudio.core.jobstore import JobStore, db_path
from hlsstudio.core.logs import setup_logging
from hlsstudio.core.proc import install_signal_cleanup
from hlsstudio.core.settings import AppSettings, load_settings_lenient
from hlsstudio.qt.icons import app_icon
from hlsstudio.qt.main_window import MainWindow
from hlsstudio.qt.single_instance import InstanceLock, InstanceServer, hand_over
from hlsstudio.qt.theme import apply_theme

log = logging.getLogger(__name__)

HANDOVER_WAIT_S = 10.0
HANDOVER_RETRY_S = 0.25
HEADLESS_PLATFORMS = ("offscreen", "minimal")
NOT_ANSWERING = (
    "HLS Studio is already running but does not answer: close it (or end it in the task manager) "
    "and start it again"
)


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
    """The saved settings (a wrong value replaced by its default), or defaults when the file cannot be
    used at all; plus a sentence for the status bar when something was replaced."""
    try:
        settings, warnings = load_settings_lenient()
    except SettingsError as exc:
        log.error("%s (%s)", exc.message, exc.detail)
        return AppSettings(), f"{exc.message} — using defaults"
    return settings, "; ".join(warnings) or None


def open_store() -> tuple[JobStore, str | None]:
    """The job store, and a sentence for the status bar when something had to be done about it.

    Only a database SQLite reports damaged is moved aside (kept for inspection, next to it) and a
    new one started. Raises JobStoreError (StoreUnavailableError, NewerStoreError) when it is
    locked, unreadable or newer than this app: it is left as it is, and the app must not start
    with an empty history instead.
    """
    try:
        return JobStore.open(), None
    except DamagedStoreError as exc:
        damaged = set_aside(db_path())
        log.error("job database damaged (%s); moved to %s", exc, damaged)
        return JobStore.open(), f"The job history was damaged and has been set aside as {damaged}"


def set_aside(database: Path) -> Path:
    """Move a damaged ``database`` and its WAL/shared-memory files aside; returns the new name.

    The journal files go too: left behind, SQLite would replay a damaged WAL into the new database.
    """
    damaged = database.with_name(f"jobs-damaged-{int(time.time())}.sqlite3")
    database.replace(damaged)
    for suffix in ("-wal", "-shm"):
        journal = database.with_name(database.name + suffix)
        if journal.exists():
            journal.replace(damaged.with_name(damaged.name + suffix))
    return damaged


def refuse_start(app: QApplication, message: str) -> int:
    """Tell the user why the app cannot start (stderr, the log, a dialog where there is a screen); 1."""
    log.error("not starting: %s", message)
    if sys.stderr is not None:
        print(message, file=sys.stderr, flush=True)
    if app.platformName() not in HEADLESS_PLATFORMS:
        QMessageBox.critical(None, "HLS Studio", message)
    return 1


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


def take_lock_or_hand_over(lock: InstanceLock, files: list[Path]) -> bool | None:
    """Take the data folder's lock (True), or give ``files`` to the app holding it (False).

    None when the lock stays held and nobody takes the files within ``HANDOVER_WAIT_S`` (a hung
    app). Retries both for a while: the holder may still be starting up, or just quitting.
    """
    deadline = time.monotonic() + HANDOVER_WAIT_S
    while True:
        if hand_over(files):  # first: an app that answers is running, whatever the lock says
            return False
        if lock.acquire():
            return True
        if time.monotonic() > deadline:
            log.error("the data folder is locked by process %s, which does not answer", lock.holder())
            return None
        time.sleep(HANDOVER_RETRY_S)


def run(argv: list[str]) -> int:
    """Start the app with the files in ``argv[1:]`` queued, run it until it quits; the exit status.

    When the app already runs (for the same job store), the files go to it and this start ends;
    the job store is opened only once this start holds the data folder's lock.
    """
    app, files = application(argv)
    setup_logging()
    install_signal_cleanup()  # where children cannot be tied to the app by the kernel (macOS)
    lock = InstanceLock()
    taken = take_lock_or_hand_over(lock, files)
    if taken is False:
        print("HLS Studio is already running: the files were added to its queue.")
        return 0
    if taken is None:
        return refuse_start(app, NOT_ANSWERING)
    try:
        try:
            window = open_main_window(app, files)
        except JobStoreError as exc:
            log.error("job database cannot be used: %s (%s)", exc.message, exc.detail)
            return refuse_start(app, f"HLS Studio cannot start: {exc.message}")
        server = accept_later_starts(window)
        code = int(app.exec())
        server.close()
        window.close()  # no-op when the user closed it; after a quit() it records running jobs
        log.info("HLS Studio stopped")
        return code
    finally:
        lock.release()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(run(sys.argv))
