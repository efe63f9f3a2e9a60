"""The details window's Conformance tab: every rule with ✓/⚠/✗, its source, the verdict and what to do."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from hlsstudio.core.conformance import ConformanceFinding, ConformanceReport
from hlsstudio.core.hls.report import RULES, publish_refusal
from hlsstudio.core.jobstore import JobRecord
from hlsstudio.core.models import JobResult, JobState
from hlsstudio.qt.widgets.details_dialog import CONFORMANCE, DetailsDialog
from tests.qt.helpers import WindowFactory, run_until, select_ids


def test_a_finished_job_lists_every_rule_with_its_source(
    qtbot: QtBot, make_window: WindowFactory, good_clip: Path
) -> None:
    window = make_window()
    job = run_until(qtbot, window, good_clip)
    select_ids(window, [job.id])

    dialog = window.show_details()

    assert dialog is not None
    titles = [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())]
    assert titles[:2] == ["Summary", CONFORMANCE]
    text = dialog.tab_text(CONFORMANCE)
    assert text.startswith("Conformance: ") and "passed" in text
    marks = [line[0] for line in text.splitlines() if line and line[0] in "✓⚠✗"]
    assert len(marks) == len(RULES) and "✗" not in marks
    assert "✓ Every segment starts with a keyframe (IDR)" in text
    assert "MUST · HLS Authoring Spec 7.4" in text and "SHOULD · HLS Authoring Spec 1.30" in text
    assert "not published" not in text


def blocked_record() -> JobRecord:
    passed = ConformanceFinding(
        rule="keyframes", source="HLS Authoring Spec 7.4", strength="must", verdict="pass",
        message="Every segment starts with a keyframe (IDR): every segment starts with an IDR keyframe",
    )  # fmt: skip
    failed = ConformanceFinding(
        rule="cellular-variant", source="HLS Authoring Spec 9.21 (iOS)", strength="must", verdict="fail",
        message="A rung of at most 192 kb/s, sound included, for phones on cellular networks: the lowest, "
        "stream_360p.m3u8, peaks at 950 kb/s (limit 192 kb/s)",
        fix="Turn on the cellular rung in the Ladder tab, then encode the video again.",
    )  # fmt: skip
    report = ConformanceReport(findings=[passed, failed])
    refusal = publish_refusal(report)
    result = JobResult(
        status="failed", source="/videos/take.mp4", output_dir="/out/take", conformance=report,
        error=refusal.message, error_detail=refusal.detail,
    )  # fmt: skip
    return JobRecord(
        id=7, position=0, source="/videos/take.mp4", state=JobState.PUBLISH_FAILED, result=result,
        error=refusal.message, error_detail=refusal.detail,
    )  # fmt: skip


def test_a_refused_package_shows_the_broken_rule_first_and_what_to_do(qtbot: QtBot) -> None:
    dialog = DetailsDialog(blocked_record(), [])
    qtbot.addWidget(dialog)

    text = dialog.tab_text(CONFORMANCE)

    lines = text.splitlines()
    assert lines[0] == "Conformance: 1 passed, 0 warnings, 1 failed"
    assert "The package breaks 1 rule players need, so it is not published." in lines
    rules = [line for line in lines if line and line[0] in "✓⚠✗"]
    assert rules[0].startswith("✗ A rung of at most 192 kb/s") and rules[1].startswith("✓ Every segment")
    assert "    MUST · HLS Authoring Spec 9.21 (iOS)" in lines
    assert (
        "    What to do: Turn on the cellular rung in the Ladder tab, then encode the video again." in lines
    )
    assert "see Details ▸ Conformance" in dialog.tab_text("Summary")


def test_a_job_without_a_package_says_there_is_no_report(qtbot: QtBot) -> None:
    record = JobRecord(
        id=1, position=0, source="/videos/bad.mp4", state=JobState.FAILED, error="cannot use it"
    )
    dialog = DetailsDialog(record, [])
    qtbot.addWidget(dialog)
    assert dialog.tab_text(CONFORMANCE) == "No conformance report: the package was not finished."
