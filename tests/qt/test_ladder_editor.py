"""The ladder editor validates as you type, applies valid edits only, persists them, and handles presets."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QSpinBox
from pytestqt.qtbot import QtBot

from hlsstudio.core import paths
from hlsstudio.core.ladder import default_ladder, load_preset
from hlsstudio.core.settings import load_settings
from hlsstudio.qt.widgets.ladder_model import FIELDS, INVALID_BACKGROUND
from tests.qt.helpers import WindowFactory, wait_ready

HEIGHT = FIELDS.index("height")
VIDEO = FIELDS.index("video_kbps")
NAME = FIELDS.index("name")


def test_an_invalid_cell_blocks_apply_with_the_reason_and_jobs_keep_the_applied_ladder(
    qtbot: QtBot, make_window: WindowFactory
) -> None:
    window = make_window()
    wait_ready(qtbot, window)
    editor, model = window.ladder_editor, window.ladder_editor.model
    applied = window.controller.ladder
    assert window.commands.start.isEnabled() and applied is not None
    assert not editor.apply_button.isEnabled() and not editor.revert_button.isEnabled()
    cell = model.index(1, HEIGHT)

    # type into the cell's editor: each keystroke is validated, before the editor closes
    window.side_tabs.setCurrentWidget(window.ladder_tab)
    editor.table.setCurrentIndex(cell)
    editor.table.edit(cell)
    spin = editor.table.findChild(QSpinBox)
    assert spin is not None
    spin.selectAll()
    QTest.keyClicks(spin.lineEdit(), "7")

    assert model.data(cell) == 7
    assert model.data(cell, Qt.ItemDataRole.BackgroundRole) == INVALID_BACKGROUND
    assert model.data(cell, Qt.ItemDataRole.ToolTipRole) == "rung '360p' must be at least 16 px tall"
    assert editor.problems_label.text() == "Can't apply: rung '360p' must be at least 16 px tall"
    assert not editor.apply_button.isEnabled()
    assert editor.revert_button.isEnabled()
    # a pending edit changes nothing jobs use: Start stays as it was
    assert window.commands.start.isEnabled()
    assert window.queue_area.banner.text() == ""
    assert window.controller.ladder == applied

    QTest.keyClicks(spin.lineEdit(), "20")  # 720
    assert model.data(cell) == 720
    # 720 is taken by the 720p rung: a ladder-wide problem now
    assert "two rungs have height 720: '360p' and '720p'" in editor.problems_label.text()
    assert not editor.apply_button.isEnabled()

    model.setData(cell, 300)
    assert model.data(cell, Qt.ItemDataRole.BackgroundRole) is None
    assert editor.apply_button.isEnabled()
    assert window.controller.ladder == applied
    editor.apply_button.click()
    assert window.controller.ladder is not None
    assert [r.height for r in window.controller.ladder.rungs][:3] == [234, 300, 480]
    assert window.commands.start.isEnabled()
    assert window.queue_area.banner.text() == ""
    assert not editor.apply_button.isEnabled() and not editor.revert_button.isEnabled()


def test_bad_names_and_bitrate_order_are_reported_in_plain_words(make_window: WindowFactory) -> None:
    window = make_window()
    editor, model = window.ladder_editor, window.ladder_editor.model

    model.setData(model.index(2, NAME), "480 p!")
    assert editor.problems() == [
        "rung '480 p!' has a name with characters other than letters, digits, '-' and '_'"
    ]
    model.setData(model.index(2, NAME), "sd")
    model.setData(model.index(2, VIDEO), 100)  # lower than the rung below it

    assert editor.problems() == [
        "rung 'sd' must have a higher video bitrate than rung '360p' below it"
        " (100 kbps is not above 800 kbps)"
    ]
    assert "rung 'sd' must have a higher video bitrate" in editor.problems_label.text()
    assert not editor.apply_button.isEnabled()
    assert not editor.apply()
    assert window.controller.ladder is not None  # still the applied one


def test_applied_edits_persist_and_a_new_window_shows_them(
    qtbot: QtBot, make_window: WindowFactory, hlsstudio_home: Path
) -> None:
    window = make_window()
    editor, model = window.ladder_editor, window.ladder_editor.model
    model.setData(model.index(1, VIDEO), 950)
    # switch the cellular rung off: a check box edit is kept like a typed one
    model.setData(
        model.index(0, FIELDS.index("enabled")), Qt.CheckState.Unchecked.value, Qt.ItemDataRole.CheckStateRole
    )
    editor.apply_button.click()

    def saved() -> bool:
        rungs = load_settings().ladder
        return rungs[1].video_kbps == 950 and not rungs[0].enabled

    qtbot.waitUntil(saved, timeout=10_000)
    model.setData(model.index(1, HEIGHT), 1)  # invalid edits cannot be applied, so are never saved
    assert not editor.apply()
    model.setData(model.index(1, HEIGHT), 360)
    model.setData(model.index(1, VIDEO), 960)  # valid, but not applied: not saved either
    window.save_settings()
    assert load_settings().ladder[1].video_kbps == 950
    window.close()

    again = make_window(load_settings())
    assert again.ladder_editor.model.rungs_or_none() == load_settings().ladder
    assert again.controller.ladder is not None
    assert [(r.video_kbps, r.enabled) for r in again.controller.ladder.rungs][:2] == [
        (80, False),
        (950, True),
    ]


def test_add_remove_and_reset(make_window: WindowFactory) -> None:
    window = make_window()
    editor = window.ladder_editor
    count = editor.model.rowCount()

    editor.add_button.click()
    assert editor.model.rowCount() == count + 1
    assert editor.problems() == []  # a free standard height with a fitting bitrate
    editor.table.selectRow(0)
    editor.remove_button.click()
    assert editor.model.rowCount() == count
    editor.reset_button.click()
    assert editor.model.rungs_or_none() == list(default_ladder().rungs)


def test_presets_save_load_export_and_import(make_window: WindowFactory, tmp_path: Path) -> None:
    window = make_window()
    editor = window.ladder_editor
    model = editor.model
    model.setData(model.index(1, VIDEO), 900)

    saved = editor.save_as("Festival cut")
    assert saved == paths.config_dir() / "presets" / "Festival-cut.json"
    assert editor.presets.currentText() == "Festival-cut"
    assert editor.preset_title == "Festival cut"
    exported = tmp_path / "exported.json"
    assert editor.export_to(exported)
    name, ladder = load_preset(exported)
    assert name == "Festival cut"
    assert [r.video_kbps for r in ladder.rungs][1] == 900

    editor.reset_button.click()
    assert model.data(model.index(1, VIDEO)) == 800
    assert editor.presets.currentText() == "Festival-cut (modified)"
    editor.load_button.click()
    assert model.data(model.index(1, VIDEO)) == 900
    assert editor.presets.currentText() == "Festival-cut"

    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"schema_version": 1, "rungs": [{"name": "x", "height": 3}]}))
    messages: list[str] = []
    editor.message.connect(messages.append)
    assert not editor.load_file(broken)
    assert messages and "invalid ladder preset" in messages[-1]
    assert model.data(model.index(1, VIDEO)) == 900


def test_a_preset_with_default_languages_sets_them_for_new_jobs_when_applied(
    make_window: WindowFactory, tmp_path: Path
) -> None:
    window = make_window()
    editor = window.ladder_editor
    preset = tmp_path / "french.json"
    doc = {
        "schema_version": 1,
        "name": "French market",
        "rungs": [r.model_dump() for r in default_ladder().rungs],
        "default_audio_language": "fra",
        "default_subtitle_language": "en",
    }
    preset.write_text(json.dumps(doc), encoding="utf-8")
    assert editor.load_file(preset)
    assert window.settings.encode.default_audio_language is None  # pending until Apply
    messages: list[str] = []
    window.statusBar().messageChanged.connect(messages.append)
    assert editor.apply()
    assert window.settings.encode.default_audio_language == "fr"
    assert window.settings.encode.default_subtitle_language == "en"
    assert load_settings().encode.default_audio_language == "fr"  # saved for the next start
    assert "New jobs start with Français audio and English subtitles" in messages
    exported = tmp_path / "again.json"
    assert editor.export_to(exported)
    again = json.loads(exported.read_text(encoding="utf-8"))
    assert (again["default_audio_language"], again["default_subtitle_language"]) == ("fr", "en")
