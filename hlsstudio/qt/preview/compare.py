"""The source beside the package: the file the job was encoded from, silent, kept at the same moment."""

from __future__ import annotations

from PySide6.QtCore import QObject

from hlsstudio.qt.preview.player import PreviewPlayer
from hlsstudio.qt.preview.video_view import VideoView

DRIFT_MS = 300  # further apart than this, the source is moved to the package's moment


class SourceCompare:
    """Plays ``source`` in ``view`` while it is shown, following the package's play state and position."""

    def __init__(self, view: VideoView, parent: QObject) -> None:
        self.view = view
        self.player = PreviewPlayer(view.item, sound=False, parent=parent)
        self.active = False

    def start(self, source: str, caption: str) -> None:
        """Show the source and start loading it."""
        self.view.set_caption(caption)
        self.view.show()
        self.player.open(source)
        self.active = True

    def stop(self) -> None:
        """Hide the source and close its file."""
        self.active = False
        self.player.unload()
        self.view.hide()

    def follow(self, playing: bool, position_ms: int) -> None:
        """Bring the source to the package's moment and play state (called on every tick)."""
        if not self.active:
            return
        state = self.player.snapshot()
        if state.error:
            self.view.set_caption(f"Source: cannot be played ({state.error})")
            return
        if not state.ready:
            return
        if abs(state.position - position_ms) > DRIFT_MS:
            self.player.seek(position_ms)
        if playing and not state.playing:
            self.player.play()
        elif not playing and (state.playing or state.stopped):
            self.player.pause()  # paused, not stopped: the picture at the position is shown

    def release(self) -> None:
        """Close the source and delete its player."""
        self.active = False
        self.player.release()
