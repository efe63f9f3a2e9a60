"""The ffmpeg runner with real ffmpeg: progress, cancel ('q' then kill), stall timeout, no orphans."""

from __future__ import annotations

import itertools
import os
import shutil
import threading
from pathlib import Path

import pytest

from hlsstudio.core.errors import CancelledError, StallError, TranscodeError
from hlsstudio.core.models import Progress
from hlsstudio.core.runner import run_ffmpeg, stop_process
from tests.proctools import ffmpeg_children

FFMPEG = shutil.which("ffmpeg") or "ffmpeg"


def realtime_encode(out: Path, seconds: int = 30) -> list[str]:
    # -re paces the input at real time, so the job is still running when the test acts
    return [FFMPEG, "-hide_banner", "-y", "-re", "-f", "lavfi", "-i", f"testsrc2=s=160x90:r=25:d={seconds}",
            "-c:v", "libx264", "-preset", "ultrafast", str(out)]  # fmt: skip


def test_progress_reaches_the_end(tmp_path: Path) -> None:
    seen: list[Progress] = []
    cmd = [FFMPEG, "-hide_banner", "-y", "-f", "lavfi", "-i", "testsrc2=s=160x90:r=25:d=3",
           "-c:v", "libx264", "-preset", "ultrafast", str(tmp_path / "a.mp4")]  # fmt: skip
    outcome = run_ffmpeg(cmd, duration=3.0, on_progress=seen.append)
    assert outcome.returncode == 0
    assert seen and seen[-1].done and seen[-1].fraction == 1.0
    assert outcome.progress_seen
    assert all(a.out_time <= b.out_time for a, b in itertools.pairwise(seen))


def test_cancel_stops_ffmpeg_and_leaves_no_child(tmp_path: Path) -> None:
    cancel = threading.Event()
    seen: list[Progress] = []

    def on_progress(progress: Progress) -> None:
        seen.append(progress)
        if progress.out_time > 0.5:
            cancel.set()

    with pytest.raises(CancelledError):
        run_ffmpeg(realtime_encode(tmp_path / "c.mp4"), duration=30.0, on_progress=on_progress, cancel=cancel)
    assert seen and not seen[-1].done
    assert ffmpeg_children() == set()


def test_cancel_before_start_runs_nothing(tmp_path: Path) -> None:
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(CancelledError):
        run_ffmpeg(realtime_encode(tmp_path / "n.mp4"), duration=30.0, cancel=cancel)
    assert not (tmp_path / "n.mp4").exists()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs a FIFO")
def test_stall_fails_with_clear_message_and_kills(tmp_path: Path) -> None:
    fifo = tmp_path / "never-written.ts"
    os.mkfifo(fifo)  # ffmpeg blocks opening it: no progress ever
    cmd = [FFMPEG, "-hide_banner", "-y", "-i", str(fifo), "-f", "null", "-"]
    with pytest.raises(StallError) as info:
        run_ffmpeg(cmd, duration=10.0, stall_timeout=1.5)
    assert "no progress for 1.5 s" in info.value.message
    assert ffmpeg_children() == set()


def test_failure_keeps_stderr_tail(tmp_path: Path) -> None:
    bad = tmp_path / "bad.mp4"
    bad.write_text("this is not a video\n")
    outcome = run_ffmpeg([FFMPEG, "-hide_banner", "-i", str(bad), "-f", "null", "-"], duration=1.0)
    assert outcome.returncode != 0
    assert "Invalid data" in outcome.stderr_tail
    assert not outcome.progress_seen


def test_missing_binary_is_a_transcode_error(tmp_path: Path) -> None:
    with pytest.raises(TranscodeError, match="cannot start ffmpeg"):
        run_ffmpeg([str(tmp_path / "no-ffmpeg"), "-version"], duration=1.0)


def test_stop_process_kills_when_q_is_ignored(tmp_path: Path) -> None:
    import subprocess

    # a process that ignores 'q' on stdin: sleep reads nothing
    proc = subprocess.Popen(["sleep", "30"], stdin=subprocess.PIPE)
    stop_process(proc, grace=0.3)
    assert proc.returncode is not None and proc.returncode < 0
