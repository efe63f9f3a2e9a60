"""One QMediaPlayer of the preview, drawing into a video item: asked, never listened to.

QtMultimedia's engine runs on its own threads, and a thread that needs the GIL while it holds one of
Qt's locks can deadlock with the GUI thread, which holds the GIL while it waits for that lock (the
hangs the field notes describe). Two ways lead there, and both are closed here:

* a Python slot connected to a player signal: nothing here is connected to Python; the window
  polls ``snapshot`` on a timer;
* a virtual method of an object made from Python: the engine's threads connect to and disconnect
  from the player and its audio output, and Qt then calls ``connectNotify``/``disconnectNotify`` on
  them, with its connection lock held. Shiboken asks Python (under the GIL) whether the method is
  overridden, the first time for each object, and remembers the answer. ``settle_overrides`` asks
  on the GUI thread as soon as the object exists, so the engine never needs the GIL for them.

The sink and the audio output are children of the player, and ``release`` stops it, drops the
source (its files are closed at once) and deletes it from the event loop.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject, QSize, QUrl
from PySide6.QtMultimedia import QAudioOutput, QMediaMetaData, QMediaPlayer
from PySide6.QtMultimediaWidgets import QGraphicsVideoItem

Status = QMediaPlayer.MediaStatus
READY = (Status.LoadedMedia, Status.BufferingMedia, Status.BufferedMedia, Status.EndOfMedia)


@dataclass(frozen=True)
class Snapshot:
    """What the player is doing, read once per tick."""

    ready: bool
    playing: bool
    stopped: bool  # loaded but neither playing nor paused: no picture is shown yet
    position: int  # ms
    duration: int  # ms
    ended: bool
    error: str  # '' when there is none


def _nothing() -> None:
    """The slot ``settle_overrides`` connects and disconnects at once."""


def settle_overrides(obj: QObject) -> None:
    """Make Shiboken decide now, on this thread, that ``obj`` has no Python ``connectNotify`` or
    ``disconnectNotify`` (see the module docstring); a connection made and undone calls both."""
    obj.objectNameChanged.connect(_nothing)
    obj.objectNameChanged.disconnect(_nothing)


def media_url(where: str) -> QUrl:
    """A QUrl for a local path or an http(s) URL."""
    return QUrl(where) if "://" in where else QUrl.fromLocalFile(where)


class PreviewPlayer(QObject):
    """A media player bound to ``item``; with ``sound`` False it plays picture only (the source)."""

    def __init__(self, item: QGraphicsVideoItem, sound: bool, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.item = item
        self.media: QMediaPlayer | None = QMediaPlayer(self)
        settle_overrides(self.media)
        settle_overrides(item)
        if sound:
            audio = QAudioOutput(self.media)
            settle_overrides(audio)
            self.media.setAudioOutput(audio)
        self.media.setVideoOutput(item)
        self.source = ""

    def open(self, where: str) -> None:
        """Start loading ``where`` (a path or a URL); loading runs on the engine's threads."""
        if self.media is not None:
            self.source = where
            self.media.setSource(media_url(where))

    def snapshot(self) -> Snapshot:
        """The player's state now (cheap: read on every tick)."""
        media = self.media
        if media is None:
            return Snapshot(False, False, True, 0, 0, False, "")
        status, state = media.mediaStatus(), media.playbackState()
        error = ""
        if media.error() != QMediaPlayer.Error.NoError:
            error = media.errorString() or media.error().name
        return Snapshot(
            ready=status in READY,
            playing=state == QMediaPlayer.PlaybackState.PlayingState,
            stopped=state == QMediaPlayer.PlaybackState.StoppedState,
            position=media.position(),
            duration=media.duration(),
            ended=status == Status.EndOfMedia,
            error=error,
        )

    def play(self) -> None:
        if self.media is not None:
            self.media.play()

    def pause(self) -> None:
        if self.media is not None:
            self.media.pause()

    def seek(self, position_ms: int) -> None:
        """Move to ``position_ms`` (at once; the picture follows from the nearest keyframe)."""
        if self.media is not None:
            self.media.setPosition(max(0, position_ms))

    def video_sizes(self) -> list[QSize]:
        """The size of every video track, in the order the engine lists them (a master: its variants)."""
        if self.media is None:
            return []
        return [m.value(QMediaMetaData.Key.Resolution) or QSize() for m in self.media.videoTracks()]

    def audio_track_count(self) -> int:
        """How many audio tracks the engine lists (a master: every audio rendition, in master order)."""
        return len(self.media.audioTracks()) if self.media is not None else 0

    def set_video_track(self, index: int) -> None:
        """Show video track ``index`` (a master's variant: the switch is immediate)."""
        if self.media is not None and self.media.activeVideoTrack() != index:
            self.media.setActiveVideoTrack(index)

    def set_audio_track(self, index: int) -> None:
        """Play audio track ``index``."""
        if self.media is not None and self.media.activeAudioTrack() != index:
            self.media.setActiveAudioTrack(index)

    def active_video_track(self) -> int:
        return self.media.activeVideoTrack() if self.media is not None else -1

    def active_audio_track(self) -> int:
        return self.media.activeAudioTrack() if self.media is not None else -1

    def frame_size(self) -> QSize:
        """The size of the picture on screen now (invalid before the first one)."""
        sink = self.item.videoSink()
        frame = sink.videoFrame() if sink is not None else None
        return frame.size() if frame is not None and frame.isValid() else QSize()

    def unload(self) -> None:
        """Stop and drop the source: its files are closed, the player stays usable."""
        if self.media is not None:
            self.media.stop()
            self.media.setSource(QUrl())
            self.source = ""

    def release(self) -> None:
        """Unload and delete the player (from the event loop, where Qt joins the engine's threads)."""
        if self.media is not None:
            self.unload()
            self.media.deleteLater()
            self.media = None
