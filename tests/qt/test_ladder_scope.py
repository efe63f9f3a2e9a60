"""The ladder tab says what it applies to, marks a modified preset, applies or reverts, and holds still."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from hlsstudio.core.ladder import default_ladder
from hlsstudio.core.models import Rung
from hlsstudio.qt.widgets.ladder_editor import LadderEditor
from hlsstudio.qt.widgets.ladder_model import FIELDS

HEIGHT = FIELDS.index("height")
VIDEO = FIELDS.index("video_kbps")


def open_editor(qtbot: QtBot, rungs: list[Rung] | None = None) -> LadderEditor:
    """A shown editor at the size the Ladder tab has in a 1280x720 window."""
    editor = LadderEditor(rungs if rungs is not None else list(default_ladder().rungs))
    qtbot.addWidget(editor)
    editor.resize(714, 233)
    editor.show()
    qtbot.waitExposed(editor)
    return editor


def with_144p() -> list[Rung]:
    """The default ladder with a 144p rung below its 90 kb/s cellular one (a valid ladder)."""
    low = Rung(name="144p", height=144, video_kbps=64, audio_kbps=32, enabled=True)
    return [low, *default_ladder().rungs]


def test_the_editor_says_it_is_the_ladder_for_jobs_not_yet_started(qtbot: QtBot) -> None:
    editor = open_editor(qtbot)
    assert "Ladder for jobs not yet started" in editor.heading.text()
    assert "running and finished jobs keep theirs" in editor.scope_note.text()
    assert "running and finished jobs keep the ladder they started with" in editor.heading.toolTip()
    note = editor.scope_note
    assert note.fontMetrics().horizontalAdvance(note.text()) <= note.contentsRect().width()  # not cut
    assert editor.heading.isVisibleTo(editor) and editor.scope_note.isVisibleTo(editor)
    assert editor.summary_label.text() == "7 of 7 rungs on: 234p–2160p"
    assert editor.summary_label.isVisibleTo(editor)


def test_an_invalid_height_is_a_sentence_naming_the_rung(qtbot: QtBot) -> None:
    editor = open_editor(qtbot, with_144p())
    editor.model.setData(editor.model.index(0, HEIGHT), 8)

    sentence = "rung '144p' must be at least 16 px tall"
    assert editor.problems() == [sentence]
    assert editor.problems_label.text() == f"Can't apply: {sentence}"
    assert editor.model.data(editor.model.index(0, HEIGHT), Qt.ItemDataRole.ToolTipRole) == sentence
    assert not editor.apply_button.isEnabled()

    editor.model.setData(editor.model.index(1, VIDEO), 0)
    assert editor.problems() == [sentence, "rung '234p' must have a video bitrate above 0 kbps"]
    assert editor.problems_label.text() == f"Can't apply: {sentence} (and 1 more)"
    assert "rung '234p' must have a video bitrate above 0 kbps" in editor.problems_label.toolTip()


def test_the_preset_shows_modified_after_an_edit_and_not_after_revert(qtbot: QtBot) -> None:
    editor = open_editor(qtbot)
    assert editor.presets.currentText() == "default"
    assert not editor.is_modified()

    editor.model.setData(editor.model.index(1, VIDEO), 900)
    assert editor.is_modified()
    assert editor.presets.currentText() == "default (modified)"

    editor.revert_button.click()
    assert not editor.is_modified()
    assert editor.presets.currentText() == "default"
    assert editor.model.data(editor.model.index(1, VIDEO)) == 800


def test_apply_emits_the_new_ladder_and_revert_restores_it(qtbot: QtBot) -> None:
    editor = open_editor(qtbot)
    emitted: list[tuple[Any, list[str]]] = []
    editor.ladder_changed.connect(lambda rungs, problems: emitted.append((rungs, problems)))
    assert not editor.apply_button.isEnabled() and not editor.revert_button.isEnabled()

    editor.model.setData(editor.model.index(1, VIDEO), 900)
    editor.model.setData(editor.model.index(1, HEIGHT), 1)
    assert emitted == []  # edits are pending: nothing changes for jobs until Apply
    assert not editor.apply_button.isEnabled() and editor.revert_button.isEnabled()
    editor.model.setData(editor.model.index(1, HEIGHT), 360)
    assert editor.apply_button.isEnabled()
    assert "Not applied yet" in editor.problems_label.text()

    with qtbot.waitSignal(editor.ladder_changed) as applied:
        editor.apply_button.click()
    rungs, problems = applied.args
    assert problems == []
    assert [r.video_kbps for r in rungs][1] == 900
    assert editor.applied_rungs() == rungs
    assert not editor.apply_button.isEnabled() and not editor.revert_button.isEnabled()
    assert editor.problems_label.text() == ""

    editor.model.setData(editor.model.index(1, VIDEO), 1000)
    editor.model.remove_rows([0])
    assert editor.revert_button.isEnabled()
    editor.revert_button.click()
    assert editor.model.rungs_or_none() == rungs
    assert [r.video_kbps for r in editor.applied_rungs()][1] == 900
    assert len(emitted) == 1  # revert goes back to what jobs already use: nothing to emit
    assert not editor.has_pending()


def test_the_table_does_not_move_when_a_problem_shows(qtbot: QtBot) -> None:
    editor = open_editor(qtbot)
    table, model = editor.table, editor.model

    def geometry() -> tuple[QPoint, int, int]:
        return table.mapTo(editor, QPoint(0, 0)), table.height(), table.viewport().height()

    before = geometry()
    target = table.visualRect(model.index(2, HEIGHT)).center()

    model.setData(model.index(0, HEIGHT), 3)
    qtbot.wait(50)
    assert editor.problems_label.text().startswith("Can't apply")
    assert geometry() == before

    # a double-click where the third rung was still hits the third rung
    QTest.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=target)
    QTest.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=target)
    assert table.currentIndex().row() == 2

    model.setData(model.index(0, HEIGHT), 234)  # back as applied: nothing to say
    qtbot.wait(50)
    assert editor.problems_label.text() == ""
    assert geometry() == before
