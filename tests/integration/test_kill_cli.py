"""Children never outlive their parent: ``kill -9`` of the CLI (or of any parent) ends its ffmpeg."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest

from hlsstudio.core import proc
from tests.mediasamples import MediaSet

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc (Linux)")

APPEAR_TIMEOUT = 90.0
GONE_TIMEOUT = 5.0
REPO = Path(__file__).resolve().parents[2]
T = TypeVar("T")

# run_bounded from a thread of a parent that is about to be killed; the child writes its pid and waits
PARENT_SCRIPT = """
import sys, threading
from hlsstudio.core import proc
from hlsstudio.core.proc import run_bounded
if sys.argv[2] == "preexec":
    proc._setpriv_cache.append([])  # as on a system without util-linux's setpriv
child = "import os, sys, time; open(sys.argv[1], 'w').write(str(os.getpid())); time.sleep(120)"
worker = threading.Thread(target=run_bounded, args=([sys.executable, "-c", child, sys.argv[1]], 120))
worker.start()
worker.join()
"""


def parent_of(pid: int) -> int | None:
    """The parent pid of ``pid``, or None when it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("PPid:"):
            return int(line.split()[1])
    return None


def alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie waiting for its reaper counts as dead)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def encoding_ffmpeg_of(parent: int) -> int | None:
    """The pid of the ffmpeg child of ``parent`` that encodes (it reports ``-progress``), if any."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or parent_of(int(entry.name)) != parent:
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv[0].rsplit(b"/", 1)[-1] == b"ffmpeg" and b"-progress" in argv:
            return int(entry.name)
    return None


def wait_for(condition: Callable[[], T], timeout: float) -> T:
    """Poll ``condition()`` until it returns something truthy or ``timeout`` s pass; its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


@pytest.fixture
def leftovers() -> Iterator[list[int]]:
    """Pids a test started indirectly: killed at teardown if a failed assertion left them running."""
    pids: list[int] = []
    yield pids
    for pid in pids:
        if alive(pid):
            os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize("way", ["setpriv", "preexec"])
def test_a_helper_started_from_a_thread_dies_with_its_killed_parent(
    tmp_path: Path, leftovers: list[int], way: str
) -> None:
    if way == "setpriv" and not proc._setpriv_prefix():
        pytest.skip("util-linux's setpriv with --pdeathsig is not installed")
    pid_file = tmp_path / "child.pid"
    parent = subprocess.Popen([sys.executable, "-c", PARENT_SCRIPT, str(pid_file), way], cwd=REPO)
    try:
        assert wait_for(lambda: pid_file.is_file() and pid_file.read_text(), 30), "the helper never started"
        child = int(pid_file.read_text())
        leftovers.append(child)
        assert parent_of(child) == parent.pid
        assert os.getsid(child) == child  # still its own session: a terminal's Ctrl-C does not reach it
    finally:
        parent.kill()
        parent.wait()
    assert wait_for(lambda: not alive(child), GONE_TIMEOUT), "the helper outlived its parent"


@pytest.mark.slow
def test_killing_the_cli_mid_transcode_kills_its_ffmpeg(
    media: MediaSet, tmp_path: Path, leftovers: list[int]
) -> None:
    source = media.clip(duration=30.0, width=1280, height=720)
    command = [
        sys.executable,
        "-m",
        "hlsstudio.cli",
        "transcode",
        str(source),
        "--out",
        str(tmp_path / "pkg"),
    ]
    cli = subprocess.Popen(
        [*command, "--preset", "veryslow"],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        found = wait_for(lambda: encoding_ffmpeg_of(cli.pid) or cli.poll() is not None, APPEAR_TIMEOUT)
        assert cli.poll() is None, f"the CLI ended early: {cli.stderr.read().decode() if cli.stderr else ''}"
        ffmpeg = encoding_ffmpeg_of(cli.pid)
        assert found and ffmpeg is not None, "the CLI never started its encoding ffmpeg"
        leftovers.append(ffmpeg)
        assert alive(ffmpeg)
    finally:
        cli.send_signal(signal.SIGKILL)
        cli.wait()
        if cli.stderr is not None:
            cli.stderr.close()
    assert wait_for(lambda: not alive(ffmpeg), GONE_TIMEOUT), f"ffmpeg {ffmpeg} kept encoding after kill -9"
