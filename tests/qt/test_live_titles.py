"""Live titles are guarded in the window: two jobs with one content id are flagged, a job that would
replace a published title says so in its row, and publishing it asks first (real encodes, publishing
to the local-folder destination)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from hlsstudio.core.models import JobState
from hlsstudio.core.settings import AppSettings
from hlsstudio.qt.job_table_model import Column
from tests.qt.helpers import WindowFactory, run_until, select_ids, small_ladder, wait_state

DUPLICATE = "another job has the same content type and id"
REPLACES = "Replaces the live title when published"


def copies(source: Path, folder: Path, *names: str) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return [Path(shutil.copyfile(source, folder / name)) for name in names]


def outcome(window: object, job_id: int) -> str:
    model = window.controller.model  # type: ignore[attr-defined]
    return str(model.index(model.row_of(job_id), Column.OUTCOME).data())


def test_two_jobs_with_one_content_id_are_flagged_until_one_changes(
    qtbot: QtBot, make_window: WindowFactory, fast_settings: AppSettings, good_clip: Path, tmp_path: Path
) -> None:
    window = make_window(fast_settings)
    a, b = window.controller.add_files(copies(good_clip, tmp_path / "in", "a.mp4", "b.mp4"))
    for job in (a, b):
        wait_state(qtbot, window, job.id, JobState.READY)
    model = window.controller.model
    assert DUPLICATE not in outcome(window, a.id)
    assert model.setData(model.index(model.row_of(b.id), Column.CONTENT_ID), a.content_id)
    assert DUPLICATE in outcome(window, a.id) and DUPLICATE in outcome(window, b.id)
    assert model.setData(model.index(model.row_of(b.id), Column.CONTENT_ID), "something-else")
    assert DUPLICATE not in outcome(window, a.id) and DUPLICATE not in outcome(window, b.id)


def test_replacing_a_live_title_is_shown_and_asked_first(
    *,
    qtbot: QtBot,
    make_window: WindowFactory,
    fast_settings: AppSettings,
    good_clip: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window = make_window(fast_settings.model_copy(update={"ladder": small_ladder()}))
    questions: list[str] = []
    answer = [False]

    def confirm(title: str, text: str) -> bool:
        questions.append(f"{title} {text}")
        return answer[0]

    monkeypatch.setattr(window, "confirm", confirm)
    first_source, second_source = copies(good_clip, tmp_path / "in", "first.mp4", "second.mp4")
    first = run_until(qtbot, window, first_source)
    select_ids(window, [first.id])
    with qtbot.waitSignal(window.controller.publish_finished, timeout=60_000):
        window.rows.publish()
    assert questions == []  # nothing was live under that id: no question
    qtbot.waitUntil(lambda: ("movie", first.content_id) in window.controller.live, timeout=10_000)

    second = run_until(qtbot, window, second_source)
    model = window.controller.model
    assert model.setData(model.index(model.row_of(second.id), Column.CONTENT_ID), first.content_id)
    assert outcome(window, second.id) == REPLACES
    select_ids(window, [second.id])
    window.rows.publish()  # the user says no
    assert len(questions) == 1 and f"Replace the live title '{first.content_id}'?" in questions[0]
    assert "is live now (published 20" in questions[0]
    assert model.record(second.id).state is JobState.DONE and not model.record(second.id).hls_url  # type: ignore[union-attr]

    answer[0] = True
    with qtbot.waitSignal(window.controller.publish_finished, timeout=60_000):
        window.rows.publish()
    record = model.record(second.id)
    assert (
        record is not None and record.hls_url and record.hls_url.endswith(f"/{first.content_id}/master.m3u8")
    )
