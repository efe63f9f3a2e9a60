"""Fixtures shared by the whole suite: a throw-away app home, headless Qt, real ffmpeg, generated media.

* The session runs with ``HLSSTUDIO_HOME`` pointing at a fresh temporary folder (set when this file
  is imported, so every import and every subprocess sees it), and each test additionally gets its
  own empty home (``hlsstudio_home``): settings, caches, logs, job databases and outputs never
  touch the real user folders, nor leak from one test to the next.
* ``QT_QPA_PLATFORM`` defaults to ``offscreen``.
* ``media`` builds test sources with ffmpeg from lavfi (named in ``tests/mediasamples.py``, made
  with ``tests/mediagen.py``), each once per session, on first use: ``media.hevc_hdr10``,
  ``media["two_audio"]``, ``media.sample("vfr")``, or ad-hoc clips with
  ``media.clip(duration=6, width=640, height=360)``. The files are shared: copy one before changing it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.mediagen import ffmpeg_path, ffprobe_path
from tests.mediasamples import MediaSet

# the loopback S3 server, fault proxy and keyring fixtures, for every test that publishes
pytest_plugins = ["tests.s3server"]

SESSION_HOME = Path(tempfile.mkdtemp(prefix="hlsstudio-test-home-"))
os.environ["HLSSTUDIO_HOME"] = str(SESSION_HOME)
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(scope="session", autouse=True)
def session_home() -> Iterator[Path]:
    """The session-wide HLSSTUDIO_HOME (removed when the session ends)."""
    yield SESSION_HOME
    shutil.rmtree(SESSION_HOME, ignore_errors=True)


@pytest.fixture(autouse=True)
def hlsstudio_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh, empty HLSSTUDIO_HOME for this test (config, data, cache and logs live under it)."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HLSSTUDIO_HOME", str(home))
    return home


@pytest.fixture(scope="session")
def ffmpeg_bin() -> str:
    """Path of the real ffmpeg on PATH."""
    return ffmpeg_path()


@pytest.fixture(scope="session")
def ffprobe_bin() -> str:
    """Path of the real ffprobe on PATH."""
    return ffprobe_path()


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder the session's generated media live in."""
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="session")
def media(media_dir: Path) -> MediaSet:
    """Generated test media by name (see ``tests.mediasamples.SAMPLES``), built on first use, shared."""
    return MediaSet(media_dir)


@pytest.fixture(scope="session")
def small_clip(media: MediaSet) -> Path:
    """The workhorse source: 4 s of 320x180 25 fps H.264 (1 s GOP) with stereo AAC, in MP4."""
    return media.clip(duration=4.0, gop=25)
