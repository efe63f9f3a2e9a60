"""Toolbar, menu and keyboard: shortcuts, enabled states, remove with a decision, move, copy URL."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QKeySequence
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from hlsstudio.core.models import JobState
from hlsstudio.core.settings import AppSettings
from hlsstudio.qt.pools import sync_pools
from tests.qt.helpers import WindowFactory, select_ids


def text_files(folder: Path, count: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"reel {n}.mp4" for n in range(count)]
    for path in paths:
        path.write_bytes(b"")
    return paths


def test_the_common_actions_have_their_shortcuts(make_window: WindowFactory) -> None:
    a = make_window(pools=sync_pools()).commands
    expected = {
        a.add_files: "Ctrl+O",
        a.add_folder: "Ctrl+Shift+O",
        a.start: "Ctrl+Return",
        a.remove: "Del",
        a.retry: "Ctrl+R",
        a.publish: "Ctrl+P",
        a.details: "Ctrl+I",
        a.settings: "Ctrl+,",
    }
    for action, keys in expected.items():
        assert action.shortcut() == QKeySequence(keys), action.text()


def test_delete_asks_before_removing_and_respects_no(
    qtbot: QtBot, make_window: WindowFactory, tmp_path: Path
) -> None:
    window = make_window(pools=sync_pools())
    first, second, third = window.controller.add_files(text_files(tmp_path, 3))
    questions: list[str] = []
    answers = iter([False, True])

    def confirm(_title: str, text: str) -> bool:
        questions.append(text)
        return next(answers)

    window.confirm = confirm  # type: ignore[method-assign]
    select_ids(window, [first.id, third.id])
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5_000)
    window.table.setFocus()

    QTest.keyClick(window.table, Qt.Key.Key_Delete)
    assert window.controller.model.rowCount() == 3  # the answer was no
    QTest.keyClick(window.table, Qt.Key.Key_Delete)

    assert [r.id for r in window.controller.model.records()] == [second.id]
    assert len(questions) == 2 and "Remove 2 job(s)" in questions[0]


def test_actions_follow_the_selection(make_window: WindowFactory, tmp_path: Path) -> None:
    window = make_window(pools=sync_pools())
    a = window.commands
    failed, other = window.controller.add_files(text_files(tmp_path, 2))
    assert not a.retry.isEnabled() and not a.details.isEnabled() and not a.remove.isEnabled()

    select_ids(window, [failed.id])
    assert a.retry.isEnabled() and a.details.isEnabled() and a.remove.isEnabled()
    assert not a.cancel.isEnabled() and not a.copy_url.isEnabled() and not a.publish.isEnabled()

    select_ids(window, [failed.id, other.id])
    assert not a.details.isEnabled()
    window.commands.move_down.trigger()
    assert [r.id for r in window.controller.model.records()] == [failed.id, other.id]  # block at the end
    select_ids(window, [other.id])
    window.commands.move_top.trigger()
    assert [r.id for r in window.controller.model.records()] == [other.id, failed.id]
    assert window.selected_ids() == [other.id]  # the moved row stays selected


def test_copy_url_puts_every_selected_url_on_the_clipboard(
    make_window: WindowFactory, fast_settings: AppSettings, tmp_path: Path
) -> None:
    window = make_window(pools=sync_pools())
    jobs = window.controller.add_files(text_files(tmp_path, 2))
    for n, job in enumerate(jobs):
        published = window.controller.store.transition(  # a stand-in for two published titles
            job.id, JobState.DONE, hls_url=f"https://cdn.test/{n}/master.m3u8"
        )
        window.controller.model.update_record(published)  # type: ignore[arg-type]
    select_ids(window, [j.id for j in jobs])

    assert window.commands.copy_url.isEnabled()
    window.commands.copy_url.trigger()

    assert (
        QGuiApplication.clipboard().text() == "https://cdn.test/0/master.m3u8\nhttps://cdn.test/1/master.m3u8"
    )


def test_a_damaged_window_layout_is_ignored(make_window: WindowFactory, fast_settings: AppSettings) -> None:
    settings = fast_settings.model_copy(update={"ui": {"geometry": "%%% not base64", "main_splitter": 42}})

    window = make_window(settings, pools=sync_pools())

    assert window.isVisible()
    assert window.main_splitter.sizes()[0] > 0
