"""The Ladder tab's lower part: the selected job's rungs, planned and measured, and the bitrate–quality
plot (QtCharts), for per-title and fixed-ladder jobs, VMAF and the SSIM stand-in, and every case with
nothing to show. The records are real ``JobRecord``s whose results carry plans and quality reports
with the figures a 10 s 1280x720 per-title encode produced here (``transcode`` with ``ladder_mode
"per-title"``); the last test goes through a real window's job service and store."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCharts import QLineSeries, QLogValueAxis, QScatterSeries, QValueAxis, QXYSeries
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from hlsstudio.core.jobstore import JobRecord, JobStore
from hlsstudio.core.ladder import PresetLanguages, default_ladder, read_preset, save_preset
from hlsstudio.core.models import JobResult, JobState, QualityReport, RungQuality, VariantResult
from hlsstudio.core.pertitle.models import ChosenRung, PerTitlePlan, TrialPoint
from hlsstudio.core.settings import load_settings
from hlsstudio.qt.widgets import plan_summary
from hlsstudio.qt.widgets.details_dialog import summary_text
from hlsstudio.qt.widgets.hull_chart import CHOSEN, HULL, MEASURED, log_range, nice_range
from hlsstudio.qt.widgets.ladder_editor import LadderEditor
from hlsstudio.qt.widgets.ladder_plan import LadderPlanPanel
from hlsstudio.qt.widgets.ladder_tab import LadderTab
from tests.qt.helpers import WindowFactory, select_ids

SSIM_NOTE = "SSIM: no FFmpeg with libvmaf was found (install the imageio-ffmpeg package for VMAF)"
VMAF_NOTE = "VMAF (libvmaf in /opt/ffmpeg)"


def trial(
    width: int, height: int, crf: float, kbps: float, vmaf: float, *, cap: int | None = None
) -> TrialPoint:
    return TrialPoint(width=width, height=height, crf=crf, kbps=kbps, vmaf=vmaf, maxrate_kbps=cap)


def chosen(
    name: str, size: tuple[int, int], predicted: tuple[int, float], audio: int, reason: str
) -> ChosenRung:
    kbps, vmaf = predicted
    return ChosenRung(
        name=name, width=size[0], height=size[1], crf=30.0, maxrate_kbps=round(kbps * 1.4),
        bufsize_kbps=round(kbps * 1.4), predicted_kbps=kbps, predicted_vmaf=vmaf, audio_kbps=audio,
        reason=reason,
    )  # fmt: skip


POINTS = [
    trial(1280, 720, 22.0, 6386.4, 99.3974),
    trial(1280, 720, 28.0, 4333.8, 98.284),
    trial(1280, 720, 45.0, 652.2, 78.4256),
    trial(854, 480, 42.5, 299.3, 67.0987),
    trial(640, 360, 41.0, 209.2, 68.218),
    trial(416, 234, 45.0, 95.2, 38.6122, cap=84),
]
RUNGS = [
    chosen("234p", (416, 234), (80, 38.6122), 40, "cellular rung kept at its fixed limits"),
    chosen("360p", (640, 360), (227, 69.0941), 128, "as good as the fixed 480p rung for fewer bits"),
    chosen("720p-652k", (1280, 720), (652, 78.4256), 192, "fills a 12.3x gap in the rates"),
    chosen(
        "720p", (1280, 720), (2800, 93.7036), 192, "VMAF 94 is not reached within the fixed ladder's rates"
    ),
]
NOTES = ["3 excerpts of 2.0 s spread evenly (a short title is not probed)"]


def plan(metric: str = "vmaf") -> PerTitlePlan:
    return PerTitlePlan(
        metric=metric, rungs=RUNGS, points=POINTS, hull=[POINTS[4], POINTS[1], POINTS[0]],
        excerpts=[(0.2, 2.0), (5.267, 2.0), (7.8, 2.0)], analysis_cpu_seconds=11.23,
        analysis_wall_seconds=8.6, predicted_bd_rate=-21.3, notes=NOTES,
    )  # fmt: skip


def variant(name: str, size: str, average: int) -> VariantResult:
    return VariantResult(
        quality=name, resolution=size, bandwidth=round(average * 1.05), average_bandwidth=average
    )


VARIANTS = [
    variant("234p", "416x234", 167_500),
    variant("360p", "640x360", 388_493),
    variant("720p-652k", "1280x720", 927_377),
    variant("720p", "1280x720", 3_499_067),
]


def rung_quality(
    name: str, size: tuple[int, int], default: tuple[float, float], phone: tuple[float, float]
) -> RungQuality:
    """A measured VMAF rung: the default model's (mean, 5th percentile), the phone model's."""
    (mean, p5), (phone_mean, phone_p5) = default, phone
    shown = phone_mean if size[1] <= 480 else mean
    return RungQuality(
        rung=name, width=size[0], height=size[1], metric="vmaf", mean=mean, p5=p5, phone_mean=phone_mean,
        phone_p5=phone_p5, shown=shown,
    )  # fmt: skip


def vmaf_report() -> QualityReport:
    rungs = [
        rung_quality("234p", (416, 234), (35.81, 19.46), (53.83, 32.64)),
        rung_quality("360p", (640, 360), (72.91, 68.59), (90.04, 86.94)),
        rung_quality("720p-652k", (1280, 720), (81.01, 76.28), (95.21, 92.36)),
        rung_quality("720p", (1280, 720), (97.15, 95.38), (100.0, 100.0)),
    ]
    return QualityReport(
        metric="vmaf", note=VMAF_NOTE, compared_at="1280x720", excerpts=[(0.0, 10.0)], rungs=rungs,
        cpu_seconds=21.31, wall_seconds=11.5, share_of_encode=4.643,
    )  # fmt: skip


def ssim_report() -> QualityReport:
    rungs = [
        RungQuality(rung=name, width=w, height=h, metric="ssim", mean=value, p5=value, shown=value)
        for name, w, h, value in (("360p", 640, 360, 0.9612), ("720p", 1280, 720, 0.9874))
    ]
    return QualityReport(
        metric="ssim", note=SSIM_NOTE, compared_at="1280x720", rungs=rungs,
        excerpts=[(1.0, 4.0), (20.0, 4.0), (40.0, 4.0)], cpu_seconds=3.0, share_of_encode=0.25,
    )  # fmt: skip


def record(result: JobResult | None, state: JobState = JobState.DONE, name: str = "film.mp4") -> JobRecord:
    return JobRecord(id=7, position=1, source=f"/media/{name}", state=state, result=result)


def per_title_record() -> JobRecord:
    result = JobResult(status="completed", variants=VARIANTS, quality=vmaf_report(), per_title=plan())
    return record(result)


def fixed_record(report: QualityReport | None) -> JobRecord:
    variants = [variant("360p", "640x360", 1_020_000), variant("720p", "1280x720", 3_110_000)]
    return record(JobResult(status="completed", variants=variants, quality=report), name="trailer.mov")


def cells(panel: LadderPlanPanel, row: int) -> list[str]:
    table = panel.table
    return [table.item(row, column).text() for column in range(table.columnCount())]


def visible_headers(panel: LadderPlanPanel) -> list[str]:
    table = panel.table
    return [
        table.horizontalHeaderItem(c).text()
        for c in range(table.columnCount())
        if not table.isColumnHidden(c)
    ]


def series_by_name(panel: LadderPlanPanel) -> dict[str, QXYSeries]:
    found = {}
    for series in panel.chart.chart().series():
        assert isinstance(series, QXYSeries)
        found[series.name()] = series
    return found


def xy(series: QXYSeries) -> list[tuple[float, float]]:
    return [(p.x(), p.y()) for p in series.points()]


@pytest.fixture
def panel(qtbot: QtBot) -> LadderPlanPanel:
    made = LadderPlanPanel()
    qtbot.addWidget(made)
    made.resize(700, 400)
    made.show()
    return made


def test_a_per_title_job_shows_its_rungs_planned_and_measured(panel: LadderPlanPanel) -> None:
    panel.show_job(per_title_record())
    assert panel.heading.text() == "<b>Per-title plan for film.mp4</b>"
    assert panel.metric_line.text() == "Quality in VMAF (* phone model, for rungs up to 480p)"
    assert not panel.status.isVisibleTo(panel)
    assert visible_headers(panel) == [
        "Rung", "Size", "Planned\nkb/s", "Planned\nVMAF", "Actual\nkb/s", "Actual\nVMAF", "Worst\n5 %",
    ]  # fmt: skip
    assert panel.table.rowCount() == 4
    # planned bitrate: the predicted video plus the rung's sound; actual: the variant's AVERAGE-BANDWIDTH
    # the phone model's figures (up to 480p) are marked, larger rungs show the default model's
    assert cells(panel, 0) == ["234p", "416×234", "120", "38.6", "168", "53.8*", "32.6*"]
    assert cells(panel, 1) == ["360p", "640×360", "355", "69.1", "388", "90.0*", "86.9*"]
    assert cells(panel, 3) == ["720p", "1280×720", "2992", "93.7", "3499", "97.2", "95.4"]
    tip = panel.table.item(2, 4).toolTip()
    assert tip.startswith("fills a 12.3x gap in the rates") and "652 kb/s video + 192 kb/s sound" in tip
    # the encode's CPU is the measuring's CPU over its share: 21.31 / 4.643 = 4.59 s
    cost = panel.cost.text()
    assert "The analysis took 245 % of the encode's CPU time, on 3 excerpts of 2 s" in cost
    assert "Quality measured on 1 excerpt of 10 s at 1280×720: 464 % of the encode's CPU time" in cost
    assert "21 % fewer bits than the fixed ladder for the same quality (BD-rate −21.3 %)" in cost
    assert panel.notes.text() == f"• {NOTES[0]}"
    reused = plan().model_copy(update={"reused": True})
    panel.show_job(
        record(JobResult(status="completed", variants=VARIANTS, quality=vmaf_report(), per_title=reused))
    )
    assert "The plan was reused: this file was analysed before with the same settings" in panel.cost.text()
    assert "The analysis took" not in panel.cost.text()


def test_the_plot_has_a_line_per_size_the_hull_and_the_chosen_rungs(panel: LadderPlanPanel) -> None:
    panel.show_job(per_title_record())
    chart = panel.chart
    assert chart.isVisibleTo(panel)
    series = series_by_name(panel)
    assert sorted(series) == sorted(["720p", "480p", "360p", "234p", HULL, CHOSEN])
    legend = [m.label() for m in chart.chart().legend().markers()]
    assert legend[1:5] == ["720p", "480p", "360p", "234p"]  # largest first, after the hull
    assert isinstance(series["720p"], QLineSeries) and series["720p"].pointsVisible()
    assert xy(series["720p"]) == [(652.2, 78.4256), (4333.8, 98.284), (6386.4, 99.3974)]
    assert xy(series["234p"]) == [(95.2, 38.6122)]
    assert xy(series[HULL]) == [(209.2, 68.218), (4333.8, 98.284), (6386.4, 99.3974)]
    assert series[HULL].pen().widthF() > series["720p"].pen().widthF()
    stars = series[CHOSEN]
    assert isinstance(stars, QScatterSeries)
    assert stars.markerShape() == QScatterSeries.MarkerShape.MarkerShapeStar
    assert xy(stars) == [(80.0, 38.6122), (227.0, 69.0941), (652.0, 78.4256), (2800.0, 93.7036)]
    assert stars.pointLabelsVisible()
    label = QXYSeries.PointConfiguration.LabelFormat
    assert [stars.pointConfiguration(i)[label] for i in range(4)] == ["38.6", "69.1", "78.4", "93.7"]
    x_axis, y_axis = chart.x_axis, chart.y_axis
    assert isinstance(x_axis, QLogValueAxis) and isinstance(y_axis, QValueAxis)
    assert x_axis.min() <= 80.0 and x_axis.max() >= 6386.4
    assert y_axis.min() <= 38.6 and 99.4 <= y_axis.max() <= 100.0
    assert x_axis.titleText() == "Video bitrate (kbit/s)" and y_axis.titleText() == "VMAF (default model)"
    assert all(x_axis in s.attachedAxes() and y_axis in s.attachedAxes() for s in series.values())


def test_a_fixed_ladder_job_plots_its_measured_rungs_only(panel: LadderPlanPanel) -> None:
    report = vmaf_report()
    report.rungs = [r for r in report.rungs if r.rung in ("360p", "720p")]
    panel.show_job(fixed_record(report))
    assert panel.heading.text() == "<b>Fixed ladder for trailer.mov</b>"
    assert visible_headers(panel) == ["Rung", "Size", "Actual\nkb/s", "Actual\nVMAF", "Worst\n5 %"]
    assert cells(panel, 0)[:2] + cells(panel, 0)[4:] == ["360p", "640×360", "1020", "90.0*", "86.9*"]
    assert cells(panel, 1)[:2] + cells(panel, 1)[4:] == ["720p", "1280×720", "3110", "97.2", "95.4"]
    assert "default model 72.9" in panel.table.item(0, 5).toolTip()
    assert "analysis" not in panel.cost.text() and "BD-rate" not in panel.cost.text()
    series = series_by_name(panel)
    assert list(series) == [MEASURED]
    assert xy(series[MEASURED]) == [(1020.0, 72.91), (3110.0, 97.15)]  # the default model, as the trials
    assert panel.chart.x_axis.titleText() == "Bitrate with sound (kbit/s)"


def test_the_ssim_stand_in_is_named_with_the_reason_everywhere(panel: LadderPlanPanel) -> None:
    job = fixed_record(ssim_report())
    panel.show_job(job)
    why = "VMAF not available: no FFmpeg with libvmaf was found (install the imageio-ffmpeg package for VMAF)"
    assert panel.metric_line.text() == f"Quality in SSIM ({why})"
    assert visible_headers(panel)[3] == "Actual\nSSIM"
    assert cells(panel, 0)[5:] == ["0.9612", "—"]  # the SSIM summary has no percentile
    assert panel.chart.y_axis.titleText() == "SSIM"
    assert 0.0 <= panel.chart.y_axis.min() <= 0.9612 and 0.9874 <= panel.chart.y_axis.max() <= 1.0
    assert f"SSIM ({why})" in summary_text(job)  # the details pane says it too
    ssim_plan = plan("ssim")
    ssim_plan.notes = [f"quality measured as {SSIM_NOTE}"]
    panel.show_job(record(JobResult(status="completed", per_title=ssim_plan)))
    assert panel.metric_line.text() == f"Quality in SSIM ({why})"
    assert visible_headers(panel)[3] == "Planned\nSSIM"


def test_the_details_pane_names_the_ladder_and_a_quality_not_measured() -> None:
    text = summary_text(per_title_record())
    assert "Ladder:      per-title, 4 rungs chosen from 6 trial encodes" in text
    assert "VMAF (phone model up to 480p)" in text and "BD-rate −21.3 %" in text
    unmeasured = summary_text(fixed_record(None))
    assert "Ladder:      fixed" in unmeasured
    assert "Quality:     Quality was not measured (turned off in Settings)." in unmeasured


def test_sentences_when_there_is_nothing_measured_to_show(panel: LadderPlanPanel) -> None:
    def shown() -> tuple[str, str, bool, bool]:
        heading = panel.heading.text().removeprefix("<b>").removesuffix("</b>")
        return heading, panel.status.text(), panel.table.isVisibleTo(panel), panel.chart.isVisibleTo(panel)

    panel.show_job(None)
    assert shown() == (plan_summary.NOTHING_SELECTED, "", False, False)
    panel.show_job(per_title_record(), 3)
    assert shown() == (
        "3 jobs are selected: select one job to see its ladder and measured quality.",
        "",
        False,
        False,
    )
    panel.show_job(record(None, JobState.READY))
    assert shown() == (
        "film.mp4 is not encoded yet: its rungs' quality appears here once it is finished.",
        "",
        False,
        False,
    )
    panel.show_job(record(None, JobState.ANALYSING))
    assert "the per-title analysis is choosing its rungs" in shown()[0]
    failed = JobResult(status="failed", error="ffmpeg stopped")
    panel.show_job(record(failed, JobState.FAILED))
    assert shown() == ("film.mp4 was not encoded, so nothing was measured.", "", False, False)
    # measuring turned off: the rungs and their measured bitrate, no figures, no plot
    panel.show_job(fixed_record(None))
    heading, status, table, chart = shown()
    assert (heading, status, table, chart) == (
        "Fixed ladder for trailer.mov",
        plan_summary.NOT_MEASURED,
        True,
        False,
    )
    assert cells(panel, 1)[:2] + cells(panel, 1)[4:] == ["720p", "1280×720", "3110", "", ""]
    # a finished job queued again: its last figures, said to be the last encode's
    again = per_title_record().model_copy(update={"state": JobState.TRANSCODING})
    panel.show_job(again)
    assert shown() == ("Per-title plan for film.mp4", plan_summary.AGAIN, True, True)


def test_switching_jobs_replaces_every_row_and_series(panel: LadderPlanPanel) -> None:
    panel.show_job(per_title_record())
    assert len(panel.chart.chart().series()) == 6
    panel.show_job(fixed_record(vmaf_report()))
    assert list(series_by_name(panel)) == [MEASURED] and panel.table.rowCount() == 2
    bigger = plan()
    bigger.points = [trial(1920, 1080, 24.0, 9100.0, 97.0), trial(1920, 1080, 30.0, 4200.0, 93.1)]
    bigger.hull = bigger.points
    bigger.rungs = [chosen("1080p", (1920, 1080), (4200, 93.1), 192, "top")]
    panel.show_job(record(JobResult(status="completed", per_title=bigger), name="master.mov"))
    assert sorted(series_by_name(panel)) == sorted(["1080p", HULL, CHOSEN])
    assert panel.table.rowCount() == 1 and cells(panel, 0)[:4] == ["1080p", "1920×1080", "4392", "93.1"]
    x_axis = panel.chart.x_axis
    assert x_axis.min() <= 4200.0 and x_axis.max() >= 9100.0 and x_axis.min() > 100.0  # no stale range
    panel.show_job(None)
    assert panel.chart.chart().series() == [] and panel.table.rowCount() == 0
    assert not panel.chart.isVisibleTo(panel)


def test_axis_ranges_hold_a_labelled_power_of_ten_and_round_steps() -> None:
    low, high = log_range([300.0, 700.0])  # within one decade: stretched to the nearer power of ten
    assert low <= 300.0 and high == 1000.0
    low, high = log_range([150.0, 300.0])
    assert low == 100.0 and high >= 300.0
    low, high = log_range([80.0, 6386.4])
    assert low <= 80.0 and high >= 6386.4
    start, end, ticks = nice_range([38.6, 99.4], 100.0)
    assert start <= 38.6 and end == 100.0 and ticks <= 6
    assert (end - start) / (ticks - 1) in (10.0, 20.0)
    start, end, ticks = nice_range([0.9612, 0.9874], 1.0)
    assert start <= 0.9612 and 0.9874 <= end <= 1.0 and ticks <= 6


def test_the_tab_stacks_the_editor_over_the_plan_and_follows_the_job(
    qtbot: QtBot, make_window: WindowFactory
) -> None:
    store = JobStore.open()  # a finished per-title job, stored as the app stores it
    job = store.add(["/media/film.mp4"])[0]
    done = per_title_record().result
    store.transition(job.id, JobState.DONE, result=done, out_dir="/media/out/film")
    store.close()
    window = make_window()
    stored = window.controller.model.record(job.id)
    assert stored is not None and stored.result == done
    editor = LadderEditor(list(default_ladder().rungs))
    tab = LadderTab(editor, window.controller)
    qtbot.addWidget(tab)
    tab.resize(718, 760)
    tab.show()
    assert tab.editor is editor and tab.splitter.widget(0) is tab.editor_area
    assert tab.editor_area.widget() is editor and tab.splitter.widget(1).widget() is tab.panel
    assert tab.splitter.orientation() == Qt.Orientation.Vertical
    short = tab.plan_height()  # a sentence: the editor keeps the room
    tab.show_job(stored)
    assert tab.panel.view().heading == "Per-title plan for film.mp4"
    assert tab.plan_height() > short + 200  # room for the table and the plot
    assert tab.panel.chart.isVisibleTo(tab)
    # the job's result changes in the store through the job service: the tab follows it
    window.controller.service.update(job.id, result=fixed_record(vmaf_report()).result)
    qtbot.waitUntil(lambda: tab.panel.view().heading == "Fixed ladder for film.mp4", timeout=5000)
    assert list(series_by_name(tab.panel)) == [MEASURED]
    tab.show_job(stored, 2)
    assert tab.panel.view().heading.startswith("2 jobs are selected")


def test_the_window_shows_the_selected_job_in_its_ladder_tab(
    qtbot: QtBot, make_window: WindowFactory
) -> None:
    store = JobStore.open()
    first, second = store.add(["/media/film.mp4", "/media/trailer.mov"])
    store.transition(first.id, JobState.DONE, result=per_title_record().result)
    store.transition(second.id, JobState.DONE, result=fixed_record(vmaf_report()).result)
    store.close()
    window = make_window()
    tab = window.ladder_tab
    assert window.side_tabs.tabText(window.side_tabs.indexOf(tab)) == "Ladder"
    select_ids(window, [second.id])
    assert tab.panel.view().heading == "Fixed ladder for trailer.mov"
    select_ids(window, [first.id])
    assert tab.panel.view().heading == "Per-title plan for film.mp4"
    select_ids(window, [first.id, second.id])
    assert tab.panel.view().heading.startswith("2 jobs are selected")


def test_the_rungs_line_sets_per_title_for_new_jobs_and_a_preset_can_set_it(
    qtbot: QtBot, make_window: WindowFactory, tmp_path: Path
) -> None:
    window = make_window()
    tab = window.ladder_tab
    assert tab.mode_row.mode() == "fixed" == window.settings.encode.ladder_mode
    tab.mode_row.box.setCurrentIndex(tab.mode_row.box.findData("per-title"))
    tab.mode_row.box.activated.emit(tab.mode_row.box.currentIndex())  # as a user's pick reports it
    assert window.settings.encode.ladder_mode == "per-title"
    assert window.controller.settings.encode.ladder_mode == "per-title"  # the jobs that start now
    window.save_settings()
    assert load_settings().encode.ladder_mode == "per-title"  # saved
    assert "per-title rungs" in window.statusBar().currentMessage()
    saved = tab.editor.save_as("Cartoons")  # a preset saved now keeps the mode
    assert saved is not None and read_preset(saved).languages.ladder_mode == "per-title"
    fixed = tmp_path / "broadcast.json"
    save_preset(fixed, default_ladder(), "Broadcast", PresetLanguages(ladder_mode="fixed"))
    assert tab.editor.load_file(fixed) and tab.editor.apply()
    assert window.settings.encode.ladder_mode == "fixed" and tab.mode_row.mode() == "fixed"
