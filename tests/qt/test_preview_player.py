"""The preview's player never deadlocks with QtMultimedia's threads when the sound changes.

Switching the audio track makes the engine rebuild its audio output on its own thread, and Qt then
calls ``disconnectNotify`` on the ``QAudioOutput`` made from Python. Unless Shiboken already knows
that Python does not override it, it takes the GIL to find out, while the GUI thread holds the GIL
and waits for the engine: a deadlock (measured here without ``settle_overrides``: 4 child runs of 20
rounds out of 4 never ended). Fresh players, each switching twice, run in a child process so that a
deadlock fails the test instead of hanging the suite.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from hlsstudio.core.models import EncodeSettings, Ladder, Rung
from hlsstudio.core.pipeline import transcode
from hlsstudio.core.toolchain import locate_toolchain
from tests.mediasamples import MediaSet

ROOT = Path(__file__).resolve().parents[2]
ROUNDS = 20
CHILD_TIMEOUT = 120  # seconds: the rounds take about 2 s


@pytest.fixture(scope="module")
def two_language_master(media: MediaSet, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A package (the app's pipeline) with English and French sound in one audio group."""
    clip = media.clip(width=320, height=180, duration=4.0, audio_tracks=2, audio_languages=("eng", "fre"))
    folder = tmp_path_factory.mktemp("two-languages")
    source = folder / "film.mp4"
    shutil.copyfile(clip, source)
    ladder = Ladder(rungs=[Rung(name="180p", height=180, video_kbps=200, audio_kbps=64)])
    settings = EncodeSettings(segment_duration=2.0, preset="ultrafast")
    result = transcode(
        source, folder / "package", ladder=ladder, settings=settings, toolchain=locate_toolchain()
    )
    assert result.status == "completed", result.error
    return folder / "package" / "master.m3u8"


def test_fresh_players_switch_the_sound_without_a_deadlock(two_language_master: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    args = [sys.executable, "-m", "tests.qt.preview_sound_child", str(two_language_master), str(ROUNDS)]
    try:
        done = subprocess.run(
            args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=CHILD_TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired:
        pytest.fail("the preview player deadlocked while switching the sound (the child never ended)")
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"switched {2 * ROUNDS}" in done.stdout
