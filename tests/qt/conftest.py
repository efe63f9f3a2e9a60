"""Fixtures of the desktop-app tests: real media, an isolated keyring, windows that are always closed.

Every test already runs under its own ``HLSSTUDIO_HOME`` (root conftest). Here: no R2_* variables
and no ``.env`` leak in (cwd is a temp folder), the keyring is an in-memory backend of the tests'
own, and every window a test opens is closed at teardown, cancelling whatever still runs.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keyring
import pytest
from pytestqt.qtbot import QtBot

from hlsstudio.core import paths
from hlsstudio.core.settings import AppSettings
from hlsstudio.core.storage.config import DESTINATION_ENV
from hlsstudio.qt.main_window import MainWindow
from hlsstudio.qt.pools import Pools
from tests.mediagen import MediaSet
from tests.qt.helpers import WindowFactory
from tests.s3server import MemoryKeyring, moto_client, moto_server  # noqa: F401  (fixtures)

# what the app reads from the environment: none of it may leak in from the machine running the tests
APP_ENV = (*DESTINATION_ENV, "HLSSTUDIO_FFMPEG", "HLSSTUDIO_FFPROBE")


@pytest.fixture(autouse=True)
def isolated_environment(
    hlsstudio_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[MemoryKeyring]:
    """No destination variables, no ``.env`` in the cwd, an in-memory keyring; HLSSTUDIO_HOME checked."""
    assert os.environ["HLSSTUDIO_HOME"] == str(hlsstudio_home)
    assert str(paths.data_dir()).startswith(str(hlsstudio_home))
    for name in APP_ENV:
        monkeypatch.delenv(name, raising=False)
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    previous = keyring.get_keyring()
    memory = MemoryKeyring()
    keyring.set_keyring(memory)
    yield memory
    keyring.set_keyring(previous)


@pytest.fixture
def fast_settings() -> AppSettings:
    """Defaults with the fastest x264 preset (tests care about behaviour, not quality)."""
    settings = AppSettings()
    settings.encode.preset = "ultrafast"
    return settings


@pytest.fixture
def good_clip(media: MediaSet) -> Path:
    """2 s of 320x180 H.264 + AAC."""
    return media.clip(duration=2.0, gop=25)


@pytest.fixture
def long_clip(media: MediaSet) -> Path:
    """20 s of 640x360: long enough to cancel mid-transcode."""
    return media.clip(duration=20.0, width=640, height=360)


@pytest.fixture
def bad_file(tmp_path: Path) -> Path:
    """A text file named .mp4."""
    path = tmp_path / "not-a-video.mp4"
    path.write_text("This is a text file, not a video.\n" * 40, encoding="utf-8")
    return path


@pytest.fixture
def make_window(qtbot: QtBot, fast_settings: AppSettings) -> Iterator[WindowFactory]:
    """Opens main windows (real thread pools unless ``pools`` is given); all are closed at teardown."""
    opened: list[MainWindow] = []

    def make(settings: AppSettings | None = None, pools: Pools | None = None, **kwargs: Any) -> MainWindow:
        window = MainWindow(settings or fast_settings, pools=pools, **kwargs)
        window.confirm = lambda *_args: True  # type: ignore[method-assign]
        qtbot.addWidget(window)
        window.show()
        opened.append(window)
        return window

    yield make
    for window in opened:
        window.close()
