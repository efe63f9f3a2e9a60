"""The Source tab in plain words: human labels with the raw term in the tooltip, failures with their full
reason and a next step at the top, and long texts that wrap instead of widening the panel."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QApplication, QLabel
from pytestqt.qtbot import QtBot

from hlsstudio.core.jobdb import JobRecord
from hlsstudio.core.models import JobState
from hlsstudio.core.settings import AppSettings
from hlsstudio.qt.main_window import MainWindow
from hlsstudio.qt.plain_terms import ZWSP
from hlsstudio.qt.widgets.metadata_panel import MetadataPanel
from tests.mediagen import MediaSet
from tests.qt.helpers import WindowFactory, run_until, select_ids, small_ladder, wait_ready, wait_state

LONG_WORDS = " ".join(f"word{n:03d}" for n in range(50))  # 399 characters of short words
LONG_WARNING = (LONG_WORDS + " " + "x" * 100)[:500]
assert len(LONG_WARNING) == 500


def fact_labels(panel: MetadataPanel) -> dict[str, QLabel]:
    """The value labels of the facts, by their row label ("Colour:")."""
    form = panel.facts
    labels: dict[str, QLabel] = {}
    for row in range(form.rowCount()):
        name_item = form.itemAt(row, form.ItemRole.LabelRole)
        value_item = form.itemAt(row, form.ItemRole.FieldRole)
        assert name_item is not None and value_item is not None
        name, value = name_item.widget(), value_item.widget()
        assert isinstance(name, QLabel) and isinstance(value, QLabel)
        labels[name.text()] = value
    return labels


def shown_text(label: QLabel) -> str:
    """What a label shows, as plain text, without the invisible break opportunities."""
    if label.textFormat() is Qt.TextFormat.PlainText:
        return label.text().replace(ZWSP, "")
    document = QTextDocument()
    document.setHtml(label.text())
    return document.toPlainText().replace(ZWSP, "")


def ready_job(qtbot: QtBot, window: MainWindow, source: Path) -> JobRecord:
    """Queue ``source``, wait for its probe and select it."""
    job = window.controller.add_files([source])[0]
    record = wait_state(qtbot, window, job.id, JobState.READY)
    wait_ready(qtbot, window)
    select_ids(window, [job.id])
    return record


def assert_not_widened(window: MainWindow, panel: MetadataPanel, panel_width: int, window_width: int) -> None:
    """The panel and the window kept their widths, and the panel's content fits its viewport."""
    QApplication.processEvents()
    assert panel.width() == panel_width
    assert window.width() == window_width
    body = panel.widget()
    assert body is not None and body.width() <= panel.viewport().width()
    assert panel.horizontalScrollBar().maximum() == 0


def test_an_hdr_source_is_described_in_plain_words_with_the_raw_terms_in_tooltips(
    qtbot: QtBot, make_window: WindowFactory, media: MediaSet
) -> None:
    window = make_window()
    ready_job(qtbot, window, media.sample("hevc_hdr10"))
    panel = window.metadata

    facts = fact_labels(panel)
    assert facts["Colour:"].text() == "10-bit HDR colour (PQ)"
    assert "yuv420p10le" in facts["Colour:"].toolTip() and "smpte2084" in facts["Colour:"].toolTip()
    assert facts["Video:"].text().startswith("H.265/HEVC")
    assert "hevc" in facts["Video:"].toolTip()
    assert facts["File type:"].text() == "MP4" and facts["File type:"].toolTip() == "mp4"
    assert "Stereo" in facts["Audio 1:"].text() and "stereo" in facts["Audio 1:"].toolTip()
    warnings = shown_text(panel.warnings)
    assert "HDR video (PQ): its colours will be converted to standard range (SDR)." in warnings
    assert "HDR (PQ): will be tone-mapped to SDR" in panel.warnings.toolTip()
    assert "…" not in warnings
    assert "(max" not in panel.rungs.text() and "b/s video" in panel.rungs.text()
    assert "main@3.0" in panel.rungs.toolTip() and "H.264 Main, level 3.0" in panel.rungs.toolTip()
    assert not panel.failure.isVisibleTo(panel)


def test_a_variable_frame_rate_source_says_what_will_happen_in_full(
    qtbot: QtBot, make_window: WindowFactory, media: MediaSet
) -> None:
    window = make_window()
    record = ready_job(qtbot, window, media.sample("vfr"))
    panel = window.metadata

    rate = fact_labels(panel)["Frame rate:"]
    assert rate.text().startswith("variable frame rate (will be made constant at ")
    assert rate.text().endswith(" fps)")
    assert "VFR" in rate.toolTip()
    raw = next(w for w in record.info.warnings if w.startswith("variable frame rate"))  # type: ignore[union-attr]
    out_fps = raw.removeprefix("variable frame rate: output will be constant ").removesuffix(" fps")
    assert f"⚠ The frame rate varies: it will be made constant at {out_fps} fps." in shown_text(
        panel.warnings
    )
    assert panel.warnings.wordWrap()


def test_a_file_that_cannot_be_read_shows_why_and_what_to_do(
    qtbot: QtBot, make_window: WindowFactory, bad_file: Path
) -> None:
    window = make_window()
    job = window.controller.add_files([bad_file])[0]
    record = wait_state(qtbot, window, job.id, JobState.FAILED)
    select_ids(window, [job.id])
    panel = window.metadata

    assert panel.failure.isVisibleTo(panel) and panel.failure.wordWrap()
    text = shown_text(panel.failure)
    assert "Cannot use this file" in text
    assert record.error and record.error in text
    assert "Check that the file plays in a media player, or remove it from the queue." in text
    assert fact_labels(panel) == {}


def test_a_failure_during_the_encode_shows_its_full_reason_without_widening_the_panel(
    qtbot: QtBot, make_window: WindowFactory, fast_settings: AppSettings, good_clip: Path, tmp_path: Path
) -> None:
    out = tmp_path / ("a-very-long-output-folder-name-" * 6)
    (out / good_clip.stem).mkdir(parents=True)
    (out / good_clip.stem / "notes.txt").write_text("mine")
    window = make_window(fast_settings.model_copy(update={"ladder": small_ladder(), "output_dir": str(out)}))
    panel = window.metadata
    panel_width, window_width = panel.width(), window.width()

    record = run_until(qtbot, window, good_clip, JobState.FAILED, JobState.DONE)
    select_ids(window, [record.id])

    assert record.state is JobState.FAILED and record.info is not None
    assert record.error and "already holds other files" in record.error and len(record.error) > 200
    text = shown_text(panel.failure)
    assert "Encoding failed" in text and record.error in text and "…" not in text
    assert fact_labels(panel)["File type:"].text() == "MP4"  # the facts are still there, below
    assert_not_widened(window, panel, panel_width, window_width)
    assert panel.failure.width() <= panel.viewport().width()


def test_a_500_character_warning_wraps_instead_of_widening_the_panel(
    qtbot: QtBot, make_window: WindowFactory, good_clip: Path
) -> None:
    window = make_window()
    record = ready_job(qtbot, window, good_clip)
    panel = window.metadata
    QApplication.processEvents()
    panel_width, window_width = panel.width(), window.width()
    assert record.info is not None

    noisy = record.info.model_copy(update={"warnings": [LONG_WARNING]})
    panel.show_job(record.model_copy(update={"info": noisy}))

    assert_not_widened(window, panel, panel_width, window_width)
    assert panel.warnings.width() <= panel.viewport().width()
    assert panel.warnings.height() > 3 * panel.warnings.fontMetrics().height()  # it wrapped
    shown = shown_text(panel.warnings)
    assert LONG_WARNING[1:] in shown and "…" not in shown
    assert panel.warnings.toolTip() == LONG_WARNING


def test_publish_failures_and_interruptions_say_what_comes_next(
    qtbot: QtBot, make_window: WindowFactory, good_clip: Path
) -> None:
    window = make_window()
    record = ready_job(qtbot, window, good_clip)
    panel = window.metadata
    panel_width, window_width = panel.width(), window.width()
    reason = "publishing failed: the bucket answered 403 Forbidden " + "(access denied) " * 30

    panel.show_job(record.model_copy(update={"state": JobState.PUBLISH_FAILED, "error": reason}))

    text = shown_text(panel.failure)
    assert "Encoded, but publishing failed" in text and reason.strip() in text
    assert "The encoded package is kept: fix the destination in Settings, then Publish again." in text
    assert_not_widened(window, panel, panel_width, window_width)

    panel.show_job(
        record.model_copy(update={"state": JobState.INTERRUPTED, "error": "interrupted: the app was closed"})
    )
    text = shown_text(panel.failure)
    assert (
        "Interrupted" in text
        and "interrupted: the app was closed" in text
        and "Retry starts it again." in text
    )

    panel.show_job(record)
    assert not panel.failure.isVisibleTo(panel)
