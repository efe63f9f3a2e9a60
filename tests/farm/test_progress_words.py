"""How a farm job's progress reads in the queue's State column and the Farm tab (pure)."""

from __future__ import annotations

from hlsstudio.core.models import Progress
from hlsstudio.farm.desktop import FarmCheck, worker_labels
from hlsstudio.farm.follow import progress_of, progress_words
from hlsstudio.farm.heartbeat import Heartbeat
from hlsstudio.farm.progress import FarmStatus, PartStatus
from hlsstudio.qt.formatting import transcode_progress_text
from hlsstudio.qt.widgets.farm_panel import overall_text, row_cells, visible_parts


def status(**changes: object) -> FarmStatus:
    parts = [
        PartStatus(part="c0000", state="done", host="celery@vm-a", fraction=1.0),
        PartStatus(part="c0001", state="running", host="celery@vm-a", fraction=0.5, speed=1.5),
        PartStatus(part="c0002", state="running", host="celery@vm-b", fraction=0.25, speed=1.0),
        PartStatus(part="c0003", state="queued"),
        PartStatus(part="audio", state="done", host="celery@vm-b", fraction=1.0),
    ]
    return FarmStatus(job="7-abc", parts=parts, **changes)  # type: ignore[arg-type]


def test_the_state_column_says_how_many_chunks_are_done_and_on_how_many_workers() -> None:
    progress = progress_of(status(), duration=60.0, started=0.0)
    assert progress.detail == "1 of 4 chunks · 2 encoding"
    assert progress.speed == 2.5
    text = transcode_progress_text(progress)
    assert text.startswith(f"{progress.fraction * 100:.0f}%") and text.endswith("1 of 4 chunks · 2 encoding")


def test_the_worker_that_checks_and_publishes_is_named_and_shown_in_the_grid() -> None:
    finish = PartStatus(part="finish", state="running", host="celery@vm-b", step="publishing", fraction=0.4)
    joined = status(manifest="farm/7-abc/stitched/manifest.json", finish=finish)
    assert progress_words(joined) == "publishing on vm-b"
    assert overall_text(joined).startswith("Publishing on the farm by vm-b")
    rows = visible_parts(joined)
    assert rows[-1] is finish
    assert row_cells(finish)[:4] == ["check and publish", "vm-b", "", "publishing 40 %"]
    assert overall_text(status(result="farm/7-abc/finished/result.json", manifest="m")).startswith(
        "Finished and published on the farm"
    )


def test_a_finished_encode_shows_no_detail() -> None:
    assert transcode_progress_text(Progress(fraction=1.0, done=True, detail="4 of 4 chunks")) == "100%"


def test_workers_on_one_machine_are_told_apart_by_their_names() -> None:
    live = {"cpu": ["w1@vm-a", "w2@vm-a", "celery@vm-b"], "io": ["w1@vm-a", "w2@vm-a", "celery@vm-b"]}
    check = FarmCheck(address="farm:6379", live=live)
    assert check.summary() == "3 workers: vm-b (CPU, I/O), w1@vm-a (CPU, I/O), w2@vm-a (CPU, I/O)"
    assert worker_labels(["celery@vm-b"]) == {"celery@vm-b": "vm-b"}


def test_a_chunks_speed_comes_from_its_frames_when_ffmpeg_gives_none() -> None:
    beat = Heartbeat(None, "7-abc", "c0001", frames=100, rate=25.0)  # type: ignore[arg-type]  # no board needed
    assert beat.speed(Progress(fps=12.5, speed=None)) == 0.5  # speed=N/A until the thumbnails start
    assert beat.speed(Progress(fps=12.5, speed=0.8)) == 0.8  # ffmpeg's own figure when it has one
    assert Heartbeat(None, "7-abc", "audio").speed(Progress(fps=None)) is None  # type: ignore[arg-type]
