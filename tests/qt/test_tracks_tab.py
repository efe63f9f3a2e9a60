"""The Tracks tab and files dropped on a row: a real window, a real probe of a generated clip with two
audio languages and a subtitle file beside it, the real job store."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from pytestqt.qtbot import QtBot

from hlsstudio.core.jobstore import JobRecord
from hlsstudio.core.models import JobState
from hlsstudio.core.tracks.choices import JobTracks
from hlsstudio.qt.main_window import MainWindow
from hlsstudio.qt.widgets import tracks_panel as tp
from hlsstudio.qt.widgets.tracks_model import Col, TracksModel
from tests.mediasamples import MediaSet
from tests.qt.helpers import WindowFactory, drop, select_ids, wait_state

SRT = "1\n00:00:00,000 --> 00:00:00,800\nHabari\n\n"
CHECKED, UNCHECKED = Qt.CheckState.Checked, Qt.CheckState.Unchecked


@pytest.fixture
def film(media: MediaSet, tmp_path: Path) -> Path:
    """film.mp4 (AAC eng + AAC fra, fra the default) with film.sw.srt beside it."""
    folder = tmp_path / "films"
    folder.mkdir()
    source = folder / "film.mp4"
    shutil.copyfile(media.two_audio, source)
    (folder / "film.sw.srt").write_text(SRT, encoding="utf-8")
    return source


def probed(qtbot: QtBot, window: MainWindow, *sources: Path) -> list[JobRecord]:
    """Queue ``sources``, wait for their probes, select the first."""
    jobs = window.controller.add_files(list(sources))
    records = [wait_state(qtbot, window, job.id, JobState.READY) for job in jobs]
    select_ids(window, [records[0].id])
    return records


def stored_tracks(window: MainWindow, job_id: int) -> JobTracks:
    record = window.store.get(job_id)
    assert record is not None and record.tracks is not None
    return record.tracks


def cell(model: TracksModel, row: int, column: Col, role: int = Qt.ItemDataRole.DisplayRole) -> object:
    return model.index(row, column).data(role)


def test_the_tab_lists_the_tracks_and_each_edit_is_stored(
    qtbot: QtBot, make_window: WindowFactory, film: Path
) -> None:
    window = make_window()
    job = probed(qtbot, window, film)[0]
    panel = window.tracks_panel
    audio, subtitles = panel.audio, panel.subtitles
    window.side_tabs.setCurrentWidget(panel)

    assert audio.rowCount() == 2 and subtitles.rowCount() == 1
    assert [cell(audio, r, Col.LANGUAGE) for r in range(2)] == ["en — English", "fr — Français"]
    assert cell(audio, 0, Col.SOURCE) == "in the file, track 1 · aac stereo"
    assert cell(audio, 1, Col.DEFAULT, Qt.ItemDataRole.CheckStateRole) == CHECKED
    assert cell(subtitles, 0, Col.SOURCE) == "beside the source: film.sw.srt"
    assert cell(subtitles, 0, Col.NAME) == "Kiswahili"  # the name players show, from the language
    assert panel.state_line.text() == tp.SAVED_AT_ONCE
    assert panel.audio_table.isColumnHidden(Col.SDH) and not panel.subtitle_table.isColumnHidden(Col.SDH)
    summary = "2 audio (en, fr) · 1 subtitle (sw)"
    assert summary in panel.title.text()
    facts = window.metadata.facts
    assert any(
        facts.itemAt(row, facts.ItemRole.FieldRole).widget().text() == summary
        for row in range(facts.rowCount())
    )

    # Default on English clears it on French, at once and in the store
    assert audio.setData(audio.index(0, Col.DEFAULT), CHECKED, Qt.ItemDataRole.CheckStateRole)
    assert cell(audio, 1, Col.DEFAULT, Qt.ItemDataRole.CheckStateRole) == UNCHECKED
    qtbot.waitUntil(lambda: [t.default for t in stored_tracks(window, job.id).audio] == [True, False])

    # leaving French out; the subtitles renamed and marked SDH
    assert audio.setData(audio.index(1, Col.INCLUDE), UNCHECKED, Qt.ItemDataRole.CheckStateRole)
    assert subtitles.setData(subtitles.index(0, Col.SDH), CHECKED, Qt.ItemDataRole.CheckStateRole)
    assert subtitles.setData(subtitles.index(0, Col.NAME), "  Swahili  ")
    qtbot.waitUntil(lambda: stored_tracks(window, job.id).subtitles[0].name == "Swahili")
    tracks = stored_tracks(window, job.id)
    assert [t.include for t in tracks.audio] == [True, False]
    assert tracks.subtitles[0].sdh
    assert tracks.summary() == "1 audio (en) · 1 subtitle (sw)"

    # a language is typed as a name; one that is none is refused in a line
    assert subtitles.setData(subtitles.index(0, Col.LANGUAGE), "Deutsch")
    qtbot.waitUntil(lambda: stored_tracks(window, job.id).subtitles[0].language == "de")
    assert not subtitles.setData(subtitles.index(0, Col.LANGUAGE), "Klingonish")
    assert "“Klingonish” is not a language" in panel.problems.text()
    assert stored_tracks(window, job.id).subtitles[0].language == "de"


def test_nothing_can_change_for_several_jobs_or_a_running_one(
    qtbot: QtBot, make_window: WindowFactory, film: Path, media: MediaSet
) -> None:
    window = make_window()
    first, second = probed(qtbot, window, film, media.one_second)
    panel = window.tracks_panel

    select_ids(window, [first.id, second.id])
    assert panel.state_line.text() == tp.several_selected(2)
    assert not panel.add_subtitle.isEnabled()
    include = panel.audio.index(0, Col.INCLUDE)
    assert not panel.audio.flags(include) & Qt.ItemFlag.ItemIsUserCheckable
    assert not panel.audio.setData(include, UNCHECKED, Qt.ItemDataRole.CheckStateRole)

    select_ids(window, [first.id])
    assert panel.audio.flags(include) & Qt.ItemFlag.ItemIsUserCheckable
    window.controller.transition(first.id, JobState.TRANSCODING)
    qtbot.waitUntil(lambda: panel.state_line.text() == tp.RUNNING)
    assert not panel.audio.flags(include) & Qt.ItemFlag.ItemIsUserCheckable
    assert not panel.add_audio.isEnabled()


def test_a_job_not_checked_yet_says_so(qtbot: QtBot, make_window: WindowFactory, film: Path) -> None:
    window = make_window()
    window.controller.service.probes.add = lambda ids: None  # type: ignore[method-assign]  (never probed)
    job = window.controller.add_files([film])[0]
    select_ids(window, [job.id])

    panel = window.tracks_panel
    assert panel.state_line.text() == tp.NOT_CHECKED
    assert panel.audio.rowCount() == 0 and panel.subtitles.rowCount() == 0


def test_add_subtitle_file_attaches_it_and_lists_a_refused_file(
    qtbot: QtBot, make_window: WindowFactory, film: Path, tmp_path: Path
) -> None:
    window = make_window()
    job = probed(qtbot, window, film)[0]
    extra = tmp_path / "extra.fr.vtt"
    extra.write_text("WEBVTT\n", encoding="utf-8")
    notes = tmp_path / "notes.txt"
    notes.write_text("not subtitles", encoding="utf-8")
    panel = window.tracks_panel
    window.side_tabs.setCurrentWidget(panel)

    panel.add_subtitle.click()
    dialog = panel.file_dialog
    assert dialog is not None and dialog.isVisible()
    dialog.setDirectory(str(tmp_path))
    dialog.selectFile(f'"{extra.name}" "{notes.name}"')
    dialog.accept()

    qtbot.waitUntil(lambda: panel.subtitles.rowCount() == 2)
    assert cell(panel.subtitles, 1, Col.SOURCE) == "added: extra.fr.vtt"
    assert cell(panel.subtitles, 1, Col.LANGUAGE) == "fr — Français"
    assert [t.path for t in stored_tracks(window, job.id).subtitles][1] == str(extra)
    qtbot.waitUntil(panel.problems.isVisible)
    assert panel.problems.text().startswith("Not added: notes.txt is not a subtitle or audio file")
    assert len(panel.problems.text().splitlines()) == 1
    assert "1 file added to film.mp4; not added: notes.txt" in window.statusBar().currentMessage()


def test_an_srt_dropped_on_a_row_is_added_to_that_job(
    qtbot: QtBot, make_window: WindowFactory, film: Path, media: MediaSet, tmp_path: Path
) -> None:
    window = make_window()
    first, second = probed(qtbot, window, film, media.one_second)
    dub = tmp_path / "dub.es.wav"
    dub.write_bytes(b"RIFF")
    table = window.table
    row = window.controller.model.row_of(second.id)
    assert row is not None
    on_second = table.visualRect(window.controller.model.index(row, 0)).center()

    entered, dropped = drop(table.viewport(), [dub], at=on_second)

    assert entered and dropped
    qtbot.waitUntil(lambda: any(t.path == str(dub) for t in stored_tracks(window, second.id).audio))
    assert stored_tracks(window, second.id).audio[-1].language == "es"
    assert not any(t.path == str(dub) for t in stored_tracks(window, first.id).audio)
    assert window.controller.model.rowCount() == 2  # no job for the dropped file


def test_a_subtitle_dropped_where_no_job_is_says_where_to_drop_it_and_videos_still_queue(
    qtbot: QtBot, make_window: WindowFactory, film: Path, good_clip: Path
) -> None:
    window = make_window()
    probed(qtbot, window, film)
    srt = film.with_name("film.sw.srt")

    drop(window, [srt])

    assert "must be dropped on a job's row (film.sw.srt not added)" in window.statusBar().currentMessage()

    below_rows = window.table.viewport().rect().bottomLeft() + QPoint(5, -5)
    drop(window.table.viewport(), [good_clip, srt], at=below_rows)

    qtbot.waitUntil(lambda: window.controller.model.rowCount() == 2)
    qtbot.waitUntil(lambda: "must be dropped on a job's row" in window.statusBar().currentMessage())
    assert window.statusBar().currentMessage().startswith("Added 1 file(s)")
