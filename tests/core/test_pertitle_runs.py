"""The analysis's child runner with real (Python) children: CPU time, cancel, timeout, no orphans."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

import pytest

from hlsstudio.core.errors import CancelledError, TranscodeError
from hlsstudio.core.pertitle.runs import CpuMeter, progress_seconds, run_child
from tests.proctools import child_pids

BUSY = "import time\nend = time.process_time() + 0.4\nwhile time.process_time() < end: pass\n"
SLEEPY = "import time\ntime.sleep(30)\n"


def python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


@pytest.mark.skipif(sys.platform == "win32", reason="CPU time per child needs os.wait4")
def test_each_child_s_cpu_time_is_measured(tmp_path: Path) -> None:
    meter = CpuMeter()
    done = run_child(
        python(BUSY), cancel=threading.Event(), timeout=30, stderr_path=tmp_path / "e", meter=meter
    )
    assert done.returncode == 0
    assert 0.35 <= done.cpu_seconds < 5.0
    assert meter.seconds == pytest.approx(done.cpu_seconds)


def test_exit_code_and_stderr_come_back(tmp_path: Path) -> None:
    code = "import sys\nprint('first', file=sys.stderr)\nprint('it went wrong', file=sys.stderr)\nsys.exit(3)"
    done = run_child(python(code), cancel=threading.Event(), timeout=30, stderr_path=tmp_path / "e")
    assert done.returncode == 3
    assert done.last_line() == "it went wrong"


def test_cancel_stops_the_child_at_once(tmp_path: Path) -> None:
    cancel = threading.Event()
    threading.Timer(0.3, cancel.set).start()
    started = time.monotonic()
    with pytest.raises(CancelledError):
        run_child(python(SLEEPY), cancel=cancel, timeout=60, stderr_path=tmp_path / "e")
    assert time.monotonic() - started < 5
    assert child_pids() == set()


def test_a_child_past_its_time_is_killed(tmp_path: Path) -> None:
    with pytest.raises(TranscodeError, match=r"did not finish within 0\.5 s"):
        run_child(python(SLEEPY), cancel=threading.Event(), timeout=0.5, stderr_path=tmp_path / "e")
    assert child_pids() == set()


def test_a_missing_program_is_a_one_line_error(tmp_path: Path) -> None:
    with pytest.raises(TranscodeError, match="cannot start no-such-ffmpeg"):
        run_child(
            [str(tmp_path / "no-such-ffmpeg")],
            cancel=threading.Event(),
            timeout=5,
            stderr_path=tmp_path / "e",
        )


def test_progress_files_give_the_last_position(tmp_path: Path) -> None:
    path = tmp_path / "p"
    assert progress_seconds(path) is None
    path.write_text(
        "frame=1\nout_time_us=500000\nprogress=continue\nout_time_us=2500000\nprogress=continue\n"
    )
    assert progress_seconds(path) == 2.5
    path.write_text("out_time_us=N/A\n")
    assert progress_seconds(path) is None
