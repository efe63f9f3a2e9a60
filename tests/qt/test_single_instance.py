"""A second start of the app hands its files to the running window instead of opening another queue."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QDir
from pytestqt.qtbot import QtBot

from hlsstudio.qt.app import accept_later_starts
from hlsstudio.qt.single_instance import InstanceServer, hand_over, server_name
from tests.qt.helpers import WindowFactory

SECOND_START_TIMEOUT = 60


def start_again(*arguments: str) -> subprocess.Popen[str]:
    """``python -m hlsstudio ARGS`` as a file manager would start it (same user, same app home)."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.Popen(
        [sys.executable, "-m", "hlsstudio", *arguments],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_a_second_start_queues_its_files_in_the_running_window(
    qtbot: QtBot, make_window: WindowFactory, good_clip: Path
) -> None:
    window = make_window()
    server = accept_later_starts(window)
    second = start_again(str(good_clip))
    try:
        model = window.controller.model
        qtbot.waitUntil(lambda: model.rowCount() == 1, timeout=SECOND_START_TIMEOUT * 1000)
        output, _ = second.communicate(timeout=SECOND_START_TIMEOUT)
    finally:
        if second.poll() is None:
            second.kill()
            second.wait()
        server.close()
    assert second.returncode == 0, output
    assert "already running" in output
    assert model.records()[0].source == str(good_clip)


def test_without_a_running_app_a_start_goes_on_by_itself() -> None:
    assert hand_over([Path("clip.mp4")], timeout_ms=500) is False


def test_each_app_home_has_its_own_socket(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = server_name()
    monkeypatch.setenv("HLSSTUDIO_HOME", str(tmp_path / "other-home"))
    assert server_name() != first and server_name().startswith("hlsstudio-")


@pytest.mark.skipif(sys.platform == "win32", reason="named pipes leave nothing behind")
def test_a_socket_left_by_a_crashed_app_is_replaced(qtbot: QtBot) -> None:
    path = Path(QDir.tempPath()) / server_name()
    stale = socket.socket(socket.AF_UNIX)
    stale.bind(str(path))
    stale.close()  # the file stays, nobody listens: what a killed app leaves behind
    assert path.exists()

    server = InstanceServer()
    try:
        assert server.listen()
    finally:
        server.close()
