"""Start-up: files from the command line and from the OS are queued; damaged files do not stop the app."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QTimer
from PySide6.QtGui import QFileOpenEvent, QImage
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from hlsstudio.core.jobstore import db_path
from hlsstudio.core.settings import settings_path
from hlsstudio.qt.app import command_line_files, load_or_default_settings, open_store, opened_file, run
from hlsstudio.qt.icons import APP_ICON, icon, icon_path, resources_dir
from hlsstudio.qt.main_window import MainWindow
from tests.qt.helpers import WindowFactory


def test_files_named_on_the_command_line_are_queued_at_start(
    qapp: QApplication, qtbot: QtBot, good_clip: Path
) -> None:
    seen: dict[str, object] = {}

    def check() -> None:
        windows = [w for w in qapp.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
        window = windows[-1]
        try:
            qtbot.waitUntil(lambda: window.controller.model.rowCount() == 1, timeout=30_000)
            seen["names"] = [r.name for r in window.controller.model.records()]
            seen["title"] = window.windowTitle()
        finally:
            window.close()
            qapp.quit()

    QTimer.singleShot(0, check)

    assert run(["hlsstudio", str(good_clip), "--verbose"]) == 0
    assert seen == {"names": [good_clip.name], "title": "HLS Studio"}


def test_command_line_options_are_not_taken_for_files() -> None:
    assert command_line_files(["a.mp4", "-style=fusion", "", "dir"]) == [Path("a.mp4"), Path("dir")]


def test_files_the_os_opens_with_the_app_are_recognised(good_clip: Path) -> None:
    assert opened_file(QFileOpenEvent(str(good_clip))) == good_clip
    assert opened_file(QEvent(QEvent.Type.Show)) is None


def test_damaged_settings_and_job_database_are_survived() -> None:
    settings_path().write_text("{ not json", encoding="utf-8")
    db_path().write_text("garbage " * 512, encoding="utf-8")

    settings, settings_problem = load_or_default_settings()
    store, store_problem = open_store()
    try:
        assert settings.concurrent_jobs == 1
        assert settings_problem and "damaged" in settings_problem
        assert store_problem and "set aside" in store_problem
        assert store.jobs() == []
        assert list(db_path().parent.glob("jobs-damaged-*.sqlite3"))
    finally:
        store.close()


def test_icons_and_the_app_icon_exist(make_window: WindowFactory) -> None:
    assert resources_dir() == Path(__file__).resolve().parents[2] / "resources"
    png = QImage(str(icon_path(APP_ICON).with_suffix(".png")))
    assert (png.width(), png.height()) == (256, 256)
    window = make_window()
    for action in window.actions.all():
        if action is not window.actions.quit:
            assert not action.icon().isNull(), action.text()
    assert not icon("drop").isNull()
    assert icon("no-such-icon").isNull()
    assert not window.windowIcon().isNull()
