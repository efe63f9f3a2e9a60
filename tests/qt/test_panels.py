"""Metadata panel, details window and log window, on real probes, real jobs and a real log file."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QTimer
from pytestqt.qtbot import QtBot

from hlsstudio.core.logs import log_file
from hlsstudio.core.models import JobState
from hlsstudio.qt.tasks import thumbnail_path
from hlsstudio.qt.widgets.details_dialog import DetailsDialog
from tests.mediagen import MediaSet
from tests.qt.helpers import WindowFactory, drop, run_until, select_ids, wait_ready, wait_state


def test_metadata_panel_shows_facts_warnings_poster_and_planned_rungs(
    qtbot: QtBot, make_window: WindowFactory, media: MediaSet
) -> None:
    vfr = media.sample("vfr")
    window = make_window()
    job = window.controller.add_files([vfr])[0]
    record = wait_state(qtbot, window, job.id, JobState.READY)
    wait_ready(qtbot, window)

    select_ids(window, [job.id])

    panel = window.metadata
    assert vfr.name in panel.title.text()
    facts = {
        panel.facts.itemAt(i, panel.facts.ItemRole.LabelRole).widget().text(): panel.facts.itemAt(
            i, panel.facts.ItemRole.FieldRole
        )
        .widget()
        .text()
        for i in range(panel.facts.rowCount())
    }
    assert facts["File type:"] == "MP4" and record.info.container == "mp4"  # type: ignore[union-attr]
    assert facts["Picture size:"].startswith("320×180")
    assert "variable" in facts["Frame rate:"]
    assert panel.warnings.isVisibleTo(panel) and "frame rate varies" in panel.warnings.text().lower()
    assert "gets 1 rung" in panel.rungs.text() and "180p" in panel.rungs.text()
    qtbot.waitUntil(lambda: not panel.poster.pixmap().isNull(), timeout=30_000)
    assert thumbnail_path(record.info).is_file()  # type: ignore[arg-type]

    window.controller.set_ladder(None, ["rung '144p' must be at least 16 px tall"])
    assert "ladder is invalid" in panel.rungs.text()


def test_a_failed_file_explains_itself_in_the_panel_and_the_details(
    qtbot: QtBot, make_window: WindowFactory, bad_file: Path
) -> None:
    window = make_window()
    job = window.controller.add_files([bad_file])[0]
    wait_state(qtbot, window, job.id, JobState.FAILED)

    select_ids(window, [job.id])

    assert "Cannot use this file" in window.metadata.failure.text()
    assert window.commands.details.isEnabled()
    window.commands.details.trigger()
    dialogs = window.findChildren(DetailsDialog)
    assert len(dialogs) == 1
    dialog = dialogs[0]
    assert dialog.isVisible() and not dialog.isModal()
    assert "media" in dialog.tab_text("Summary")
    assert "Invalid data" in dialog.tab_text("Technical detail") or "moov" in dialog.tab_text(
        "Technical detail"
    )
    history = dialog.tab_text("History")
    assert "Queued" in history and "Failed" in history


def test_details_of_a_finished_job_show_the_ffmpeg_command_and_validation(
    qtbot: QtBot, make_window: WindowFactory, good_clip: Path
) -> None:
    window = make_window()
    job = run_until(qtbot, window, good_clip)
    select_ids(window, [job.id])

    dialog = window.show_details()

    assert dialog is not None
    command = dialog.tab_text("FFmpeg command")
    assert "-filter_complex" in command and str(good_clip) in command
    validation = dialog.tab_text("Validation")
    assert validation.startswith("Package passed validation") and "✓" in validation
    assert "Package:" in dialog.tab_text("Summary")


def test_log_window_reads_the_log_file_and_follows_it(qtbot: QtBot, make_window: WindowFactory) -> None:
    path = log_file()
    path.write_text("2026-01-01 INFO hlsstudio: first marker line\n", encoding="utf-8")
    window = make_window()

    log_window = window.show_log()

    qtbot.waitUntil(lambda: "first marker line" in log_window.text.toPlainText(), timeout=10_000)
    with path.open("a", encoding="utf-8") as fh:
        fh.write("2026-01-01 INFO hlsstudio: second marker line\n")
    qtbot.waitUntil(lambda: "second marker line" in log_window.text.toPlainText(), timeout=10_000)


def test_dropping_many_files_keeps_the_window_responsive(
    qtbot: QtBot, make_window: WindowFactory, tmp_path: Path
) -> None:
    files = []
    for n in range(60):
        path = tmp_path / f"take {n:02d}.mp4"
        path.write_text("not a video either")
        files.append(path)
    window = make_window()
    model = window.controller.model
    waiting_seen: list[int] = []

    def tick() -> None:
        waiting = sum(r.state in (JobState.QUEUED, JobState.PROBING) for r in model.records())
        waiting_seen.append(waiting)

    timer = QTimer()
    timer.timeout.connect(tick)
    timer.start(10)
    drop(window, files)

    qtbot.waitUntil(lambda: model.rowCount() == 60, timeout=30_000)
    qtbot.waitUntil(lambda: all(r.state is JobState.FAILED for r in model.records()), timeout=60_000)
    timer.stop()
    # the event loop kept turning while probes were still outstanding
    assert any(0 < waiting < 60 for waiting in waiting_seen)
