"""``hlsstudio-cli`` drives the job service: its batches are jobs of the shared store (real ffmpeg).

What the app would see is read the way the app reads it: a second ``JobStore.open(recover=False)``
while the CLI runs in another process, and a fresh one after it ended.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from hlsstudio.cli import main
from hlsstudio.core.jobstore import JobRecord, JobStore
from hlsstudio.core.models import JobState
from hlsstudio.core.probe import probe_file
from tests.mediasamples import MediaSet
from tests.proctools import child_pids

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc (Linux)")

REPO = Path(__file__).resolve().parents[2]
APPEAR_TIMEOUT = 90.0


@pytest.fixture
def one_rung_ladder(tmp_path: Path) -> Path:
    path = tmp_path / "ladder.json"
    rung = {"name": "180p", "height": 180, "video_kbps": 300, "audio_kbps": 64, "enabled": True}
    path.write_text(json.dumps({"schema_version": 1, "name": "tiny", "rungs": [rung]}))
    return path


def stored() -> list[JobRecord]:
    """The jobs as the desktop app reads them: a store of its own, nothing recovered."""
    store = JobStore.open(recover=False)
    try:
        return store.jobs()
    finally:
        store.close()


def two_sources(source: Path, folder: Path) -> list[Path]:
    folder.mkdir()
    copies = [folder / "a.mp4", folder / "b.mp4"]
    for copy in copies:
        shutil.copyfile(source, copy)
    return copies


def encoding_ffmpegs() -> set[int]:
    """Children of this process that are ffmpeg encodes (they report ``-progress``)."""
    found = set()
    for pid in child_pids():
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv[0].rsplit(b"/", 1)[-1] == b"ffmpeg" and b"-progress" in argv:
            found.add(pid)
    return found


def test_a_batch_is_stored_as_done_jobs_and_listed_in_the_history(
    small_clip: Path, tmp_path: Path, one_rung_ladder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = two_sources(small_clip, tmp_path / "in")
    out = tmp_path / "out"
    args = ["transcode", str(a), str(b), "--out", str(out), "--jobs", "2", "--ladder", str(one_rung_ladder)]
    assert main([*args, "--preset", "ultrafast", "--json"]) == 0
    results = json.loads(capsys.readouterr().out)
    assert [r["status"] for r in results] == ["completed", "completed"]

    jobs = stored()
    assert [(j.source, j.state) for j in jobs] == [(str(a), JobState.DONE), (str(b), JobState.DONE)]
    assert [j.out_dir for j in jobs] == [str(out / "a"), str(out / "b")]
    assert all(j.result is not None and j.result.status == "completed" for j in jobs)
    assert (out / "a" / "master.m3u8").is_file() and (out / "b" / "master.m3u8").is_file()

    assert main(["history", "--json"]) == 0
    history = json.loads(capsys.readouterr().out)
    assert [(h["id"], h["state"], h["source"]) for h in history] == [(j.id, "done", j.source) for j in jobs]
    assert [h["output"] for h in history] == [str(out / "a"), str(out / "b")]
    assert [h["content_id"] for h in history] == ["a", "b"]
    assert all(h["error"] is None for h in history)
    assert main(["history", "--json", "--limit", "1"]) == 0
    assert [h["id"] for h in json.loads(capsys.readouterr().out)] == [jobs[-1].id]
    assert main(["queue"]) == 0
    assert capsys.readouterr().out == "no unfinished jobs\n"


def test_a_failed_job_is_in_the_history_with_its_error(
    media: MediaSet, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = media.sample("text_as_mp4")
    assert main(["transcode", str(bad), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and len(err.splitlines()) == 1 and "not a media file" in err
    (job,) = stored()
    assert job.state is JobState.FAILED and job.error is not None and "not a media file" in job.error
    assert main(["history"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split()[:2] == [str(job.id), "failed"]
    assert f"error: {job.error}" in out


def test_a_batch_leaves_the_rest_of_the_queue_alone(
    small_clip: Path, tmp_path: Path, ffprobe_bin: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Waiting jobs of the app (running or closed) are the app's: a CLI batch runs only its own."""
    store = JobStore.open(recover=False)
    try:
        info = probe_file(ffprobe_bin, small_clip)
        orphan, dead = store.add([small_clip, small_clip])
        store.transition(orphan.id, JobState.READY, info=info)  # no owner: the app was closed
        store.transition(dead.id, JobState.READY, info=info)
        store.update(dead.id, owner="localhost:999999999:1")  # an owner that is not running
    finally:
        store.close()
    assert main(["transcode", str(small_clip), "--out", str(tmp_path / "out"), "--preset", "ultrafast"]) == 0
    capsys.readouterr()
    jobs = stored()
    assert [j.state for j in jobs] == [JobState.READY, JobState.READY, JobState.DONE]
    assert [j.out_dir for j in jobs] == [None, None, str(tmp_path / "out")]


@pytest.mark.slow
def test_a_running_cli_batch_is_seen_from_another_store_and_ctrl_c_cancels_it(
    media: MediaSet, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = two_sources(media.clip(duration=30.0, width=1280, height=720), tmp_path / "in")
    command = [sys.executable, "-m", "hlsstudio.cli", "transcode", str(a), str(b)]
    cli = subprocess.Popen(
        [*command, "--out", str(tmp_path / "out"), "--preset", "veryslow"],
        cwd=REPO,
        env=os.environ.copy(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + APPEAR_TIMEOUT
        running = [JobState.TRANSCODING, JobState.READY]  # --jobs 1: the second one waits its turn
        while cli.poll() is None and time.monotonic() < deadline:
            if [j.state for j in stored()] == running:
                break
            time.sleep(0.1)
        assert cli.poll() is None, f"the CLI ended early: {cli.communicate()}"
        jobs = stored()
        assert [(j.source, j.state) for j in jobs] == [
            (str(a), JobState.TRANSCODING),
            (str(b), JobState.READY),
        ]
        assert all(j.owner is not None and f":{cli.pid}:" in j.owner for j in jobs)

        assert main(["queue", "--json"]) == 0
        queue = json.loads(capsys.readouterr().out)
        assert [(q["id"], q["state"]) for q in queue] == [(jobs[0].id, "transcoding"), (jobs[1].id, "ready")]
        assert {q["driven_by"] for q in queue} == {f"this computer, process {cli.pid}"}
        assert main(["queue"]) == 0
        lines = capsys.readouterr().out.splitlines()
        assert len(lines) == 2 and "transcoding" in lines[0] and f"process {cli.pid}]" in lines[0]
    finally:
        cli.send_signal(signal.SIGINT)  # what Ctrl-C in its terminal does
        try:
            _, err = cli.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            cli.kill()
            _, err = cli.communicate()
    assert cli.returncode == 130, err
    assert "Traceback" not in err and err.splitlines()[-1] == "interrupted"
    assert [j.state for j in stored()] == [JobState.CANCELLED, JobState.CANCELLED]
    assert not list((tmp_path / "out").glob("*/master.m3u8"))


@pytest.mark.slow
def test_jobs_2_runs_two_ffmpeg_at_once(media: MediaSet, tmp_path: Path, one_rung_ladder: Path) -> None:
    a, b = two_sources(media.clip(duration=8.0, width=1280, height=720), tmp_path / "in")
    args = ["transcode", str(a), str(b), "--out", str(tmp_path / "out"), "--jobs", "2"]
    args += ["--ladder", str(one_rung_ladder), "--preset", "slow"]
    status: list[int] = []
    worker = threading.Thread(target=lambda: status.append(main(args)))
    most = 0
    worker.start()
    while worker.is_alive():
        most = max(most, len(encoding_ffmpegs()))
        time.sleep(0.02)
    worker.join()
    assert status == [0]
    assert most == 2, most
    assert [j.state for j in stored()] == [JobState.DONE, JobState.DONE]
