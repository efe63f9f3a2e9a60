"""The real app opens its window on a real X server through Qt's xcb platform plugin.

The rest of the suite runs Qt ``offscreen``, which never loads the xcb plugin: a desktop missing one
of the X libraries that plugin needs (``scripts/setup.sh`` installs them) would pass every other test
and still fail ``make run`` with "could not load the Qt platform plugin xcb". Here ``python -m
hlsstudio`` starts under its own Xvfb (a free display picked by Xvfb itself, no TCP, no auth), with a
fresh ``HLSSTUDIO_HOME``, and the test waits until a viewable top-level window titled "HLS Studio"
is on that display. The app and Xvfb are stopped afterwards (SIGTERM, then SIGKILL) and no process
of either may be left.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.proctools import child_pids

WINDOW_TITLE = "HLS Studio"  # MainWindow.setWindowTitle
SHOW_TIMEOUT = 30.0  # generous: a cold start of Qt on a loaded 2-core machine takes seconds
XVFB_READY_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0

XVFB = shutil.which("Xvfb")
XWININFO = shutil.which("xwininfo")

pytestmark = [
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11/xcb check runs on Linux only"),
    pytest.mark.skipif(XVFB is None, reason="Xvfb is not installed (scripts/setup.sh --test installs xvfb)"),
]


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL after STOP_TIMEOUT; always reaped."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_TIMEOUT)


def group_members(pgid: int) -> list[int]:
    """Live (non-zombie) processes in process group ``pgid`` (Linux /proc)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[0] != "Z" and int(fields[2]) == pgid:
            members.append(int(stat.parent.name))
    return members


@pytest.fixture
def xvfb_display(tmp_path: Path) -> Iterator[str]:
    """A private Xvfb server; yields its DISPLAY (":N"), stops it at teardown."""
    assert XVFB is not None
    read_end, write_end = os.pipe()
    with (tmp_path / "xvfb.log").open("wb") as log:
        server = subprocess.Popen(
            # -displayfd: Xvfb picks a free display number and writes it once it accepts connections
            [XVFB, "-displayfd", str(write_end), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
            pass_fds=(write_end,),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=log,
            start_new_session=True,
        )
    os.close(write_end)
    try:
        number = b""
        deadline = time.monotonic() + XVFB_READY_TIMEOUT
        os.set_blocking(read_end, False)
        while not number.endswith(b"\n") and time.monotonic() < deadline and server.poll() is None:
            try:
                chunk = os.read(read_end, 16)
            except BlockingIOError:
                time.sleep(0.05)
                continue
            if not chunk:
                break
            number += chunk
        xvfb_log = (tmp_path / "xvfb.log").read_text(errors="replace")
        assert number.strip().isdigit(), f"Xvfb did not start (exit {server.poll()}):\n{xvfb_log}"
        yield f":{number.strip().decode()}"
    finally:
        os.close(read_end)
        stop(server)
        assert server.pid not in child_pids()


def top_level_windows(display: str) -> list[tuple[str, str]]:
    """(window id, title) of the root window's children that have a title."""
    assert XWININFO is not None
    listing = subprocess.run(
        [XWININFO, "-root", "-children", "-display", display],
        check=False,
        capture_output=True,
        text=True,
        timeout=15,
    ).stdout
    return re.findall(r'^\s+(0x[0-9a-f]+) "([^"]*)"', listing, flags=re.MULTILINE)


def is_viewable(display: str, window_id: str) -> bool:
    """Whether the window is mapped (and so are its ancestors): it is on screen."""
    assert XWININFO is not None
    info = subprocess.run(
        [XWININFO, "-id", window_id, "-display", display],
        check=False,
        capture_output=True,
        text=True,
        timeout=15,
    ).stdout
    return "Map State: IsViewable" in info


def app_environment(display: str, home: Path) -> dict[str, str]:
    """The test's environment, with the xcb platform on ``display`` and a fresh app home."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QT_", "WAYLAND_"))}
    env.update(
        DISPLAY=display,
        QT_QPA_PLATFORM="xcb",
        HLSSTUDIO_HOME=str(home),
        XDG_SESSION_TYPE="x11",
        # reports which library is missing if the plugin cannot load (ends up in the failure message)
        QT_DEBUG_PLUGINS="1",
    )
    return env


def diagnosis(output: str) -> str:
    """What to show when the window did not come: the loader's complaints, then the last lines."""
    lines = output.splitlines()
    complaints = [line for line in lines if re.search(r"(?i)cannot load|could not|not found|error", line)]
    return "\n".join([*complaints[-20:], "--- last lines:", *lines[-30:]])


def test_the_app_shows_its_window_on_an_x_server(xvfb_display: str, tmp_path: Path) -> None:
    assert XWININFO is not None, "xwininfo not found: scripts/setup.sh --test installs it (x11-utils)"
    home = tmp_path / "app-home"
    home.mkdir()
    log_path = tmp_path / "app.log"
    with log_path.open("wb") as log:
        app = subprocess.Popen(
            [sys.executable, "-m", "hlsstudio"],
            env=app_environment(xvfb_display, home),
            cwd=tmp_path,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: what it leaves behind can be found
        )
    shown: list[tuple[str, str]] = []
    try:
        deadline = time.monotonic() + SHOW_TIMEOUT
        while time.monotonic() < deadline and app.poll() is None:
            shown = [
                (wid, title)
                for wid, title in top_level_windows(xvfb_display)
                if title.startswith(WINDOW_TITLE) and is_viewable(xvfb_display, wid)
            ]
            if shown:
                break
            time.sleep(0.25)
        still_running = app.poll() is None
    finally:
        stop(app)
    output = log_path.read_text(errors="replace")
    tail = diagnosis(output)
    assert still_running, f"the app exited ({app.returncode}) before its window showed:\n{tail}"
    assert shown, f"no viewable {WINDOW_TITLE!r} window within {SHOW_TIMEOUT:.0f} s:\n{tail}"
    assert "could not load the qt platform plugin" not in output.lower()
    # nothing of the app is left: neither the process nor anything it started in its group
    assert app.pid not in child_pids()
    deadline = time.monotonic() + STOP_TIMEOUT
    while group_members(app.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert group_members(app.pid) == [], "the app left processes behind"
