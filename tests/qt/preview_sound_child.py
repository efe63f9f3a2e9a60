"""Run by ``test_preview_player.py`` in a child process: fresh preview players, each switching sound.

Usage: ``python -m tests.qt.preview_sound_child MASTER ROUNDS``. Prints ``switched N`` and exits 0
when every round switched its audio track twice and let go of the player; a deadlock between
QtMultimedia's threads and the GIL shows as this process never exiting (the test's timeout).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

from PySide6.QtWidgets import QApplication

from hlsstudio.qt.preview.player import PreviewPlayer
from hlsstudio.qt.preview.video_view import VideoView

STEP_TIMEOUT = 20.0


def pump(app: QApplication, done: Callable[[], bool]) -> None:
    """Process events until ``done()``; exit 2 when it takes longer than STEP_TIMEOUT."""
    deadline = time.monotonic() + STEP_TIMEOUT
    while not done():
        if time.monotonic() > deadline:
            sys.exit(2)
        app.processEvents()
        time.sleep(0.005)


def main(master: str, rounds: int) -> int:
    app = QApplication([])
    switched = 0
    for _ in range(rounds):
        view = VideoView()
        view.show()
        player = PreviewPlayer(view.item, sound=True)
        player.open(master)
        player.play()
        pump(app, lambda p=player: p.snapshot().playing and p.audio_track_count() >= 2)
        for track in (1, 0):
            player.set_audio_track(track)  # the engine rebuilds its audio output on its own thread
            pump(app, lambda p=player, t=track: p.active_audio_track() == t)
            switched += 1
        player.release()
        view.deleteLater()
        player.deleteLater()
        pump(app, lambda: True)
    print(f"switched {switched}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2])))
