"""Start-up: files from the command line and from the OS are queued; damaged files do not stop the app."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent
from PySide6.QtGui import QFileOpenEvent, QImage
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from hlsstudio.core.jobstore import db_path
from hlsstudio.core.settings import settings_path
from hlsstudio.qt.app import (
    application,
    command_line_files,
    load_or_default_settings,
    open_main_window,
    open_store,
    opened_file,
)
from hlsstudio.qt.icons import APP_ICON, icon, icon_path, resources_dir
from tests.qt.helpers import WindowFactory


def test_files_named_on_the_command_line_are_queued_at_start(
    qapp: QApplication, qtbot: QtBot, good_clip: Path
) -> None:
    app, files = application(["hlsstudio", str(good_clip), "--verbose"])
    assert app is qapp and files == [good_clip]

    window = open_main_window(app, files)
    window.confirm = lambda *_args: True  # type: ignore[method-assign]
    qtbot.addWidget(window)
    try:
        assert window.isVisible() and window.windowTitle() == "HLS Studio"
        qtbot.waitUntil(lambda: window.controller.model.rowCount() == 1, timeout=30_000)
        assert [r.name for r in window.controller.model.records()] == [good_clip.name]
    finally:
        window.close()
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        window.store.jobs()  # the window owned the store and closed it


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
    for action in window.commands.all():
        if action is not window.commands.quit:
            assert not action.icon().isNull(), action.text()
    assert not icon("drop").isNull()
    assert icon("no-such-icon").isNull()
    assert not window.windowIcon().isNull()


def test_self_test_shows_the_window_transcodes_and_saves_nothing(hlsstudio_home: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HLSSTUDIO_HOME": str(hlsstudio_home)}
    done = subprocess.run(
        [sys.executable, "-m", "hlsstudio", "--self-test"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=Path(__file__).resolve().parents[2],
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("self-test passed") and "2 variants" in done.stdout
    assert not settings_path().exists()
    assert not db_path().exists()
