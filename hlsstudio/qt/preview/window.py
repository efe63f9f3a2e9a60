"""The preview window: one finished package played as it will be published, beside its source.

It opens at once and reads the package in a worker (``package.load_package``); the player then
loads the master playlist itself on QtMultimedia's threads. QtMultimedia's FFmpeg backend lists a
master's variants as video tracks and its audio renditions as audio tracks (both in master order),
and switches between them at once, so a rung or a language is a track choice on the one player.
It lists no WebVTT subtitle renditions: the chosen track's cues are read in a worker and drawn
over the picture. A timer polls the players (nothing of theirs is connected to Python), and
closing the window unloads both players, which closes every file of the package and the source.
"""

from __future__ import annotations

import threading

from PySide6.QtCore import QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from hlsstudio.core.errors import HlsStudioError
from hlsstudio.core.jobstore import JobRecord
from hlsstudio.qt.formatting import resolution
from hlsstudio.qt.pools import Pool
from hlsstudio.qt.preview.compare import SourceCompare
from hlsstudio.qt.preview.controls import PreviewControls
from hlsstudio.qt.preview.cues import CueIndex, load_cues
from hlsstudio.qt.preview.package import PreviewPackage, auto_rung, load_package
from hlsstudio.qt.preview.player import PreviewPlayer
from hlsstudio.qt.preview.seek_bar import SheetCache, ThumbnailTip
from hlsstudio.qt.preview.video_view import VideoView
from hlsstudio.qt.workers import CallWorker

TICK_MS = 40  # how often the players are asked (subtitles are drawn to within this)
STEP_MS = 5000  # the arrow keys' jump
NATURAL_SIZE = (1280, 720)


class PreviewWindow(QWidget):
    """A separate, non-modal window playing one job's package; deleted when closed."""

    closed = Signal(int)  # the job id

    def __init__(self, record: JobRecord, pool: Pool, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.record = record
        self.job_id = record.id
        self.pool = pool
        self.package: PreviewPackage | None = None
        self._workers: dict[int, CallWorker] = {}
        self._cues: dict[int, CueIndex] = {}
        self._cue_index: CueIndex | None = None
        self._stop = threading.Event()
        self._mapped = False  # the player's tracks were matched with the master's
        self._video_ok = self._audio_ok = False
        self._language = 0  # the chosen sound, as an index into the rung's audio group
        self._sound_group: str | None = "-"  # the audio group the sound picker lists ("-": none yet)
        self._released = False
        self.setWindowTitle(f"Preview — {record.content_id or record.name}")
        self.resize(*NATURAL_SIZE)
        self._build()
        self.timer = QTimer(self)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self.tick)
        self._start(CallWorker("package", load_package, record), self._on_loaded)

    # ---- building

    def _build(self) -> None:
        self.view = VideoView("Package")
        self.source_view = VideoView("Source")
        self.source_view.hide()
        self.player = PreviewPlayer(self.view.item, sound=True, parent=self)
        self.compare = SourceCompare(self.source_view, self)
        self.controls = PreviewControls()
        self.sheets = SheetCache(None)
        self.tip = ThumbnailTip(self)
        self.status = QLabel("Opening the package…")
        self.status.setWordWrap(True)
        self.status.setContentsMargins(8, 0, 8, 4)
        pictures = QHBoxLayout()
        pictures.setSpacing(2)
        pictures.addWidget(self.view, 1)
        pictures.addWidget(self.source_view, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(pictures, 1)
        layout.addWidget(self.controls)
        layout.addWidget(self.status)
        c = self.controls
        c.play_button.clicked.connect(self.toggle_play)
        c.seek_bar.sought.connect(self.seek)
        c.seek_bar.hovered.connect(self._show_tip)
        c.seek_bar.left.connect(self.tip.hide)
        c.rungs.currentIndexChanged.connect(lambda _n: self.apply_tracks())
        c.sound.currentIndexChanged.connect(self._on_sound)
        c.subtitles.currentIndexChanged.connect(lambda _n: self._choose_subtitles())
        c.compare.toggled.connect(self.show_source)
        for keys, slot in (
            ("Space", self.toggle_play),
            ("Left", lambda: self.step(-STEP_MS)),
            ("Right", lambda: self.step(STEP_MS)),
            ("Escape", self.close),
        ):
            QShortcut(QKeySequence(keys), self, slot)

    def _start(self, worker: CallWorker, on_done: object) -> None:
        worker.signals.done.connect(on_done)
        worker.signals.failed.connect(self._on_failed)
        worker.signals.released.connect(lambda serial: self._workers.pop(serial, None))
        self._workers[worker.serial] = worker
        self.pool.start(worker)

    # ---- loading

    def _on_loaded(self, _tag: object, package: PreviewPackage) -> None:
        if self._released:
            return
        self.package = package
        self.sheets = SheetCache(package.storyboard)
        self.controls.fill(package)
        if package.duration:
            self.controls.seek_bar.setMaximum(round(package.duration * 1000))
        self.say()
        self.player.open(package.location.master)
        self.player.play()
        self.timer.start()

    def _on_failed(self, tag: object, error: HlsStudioError) -> None:
        if self._released:
            return
        if tag == "package":
            self.status.setText(f"Cannot preview this package: {error.message}")
        else:
            self.say(f"Subtitles not shown: {error.message}")

    def say(self, extra: str = "") -> None:
        """The status line: where the package is played from, what could not be read, and ``extra``."""
        package = self.package
        if package is None:
            return
        lines = [f"Playing {package.location.where}", *package.notes, extra]
        self.status.setText("\n".join(line for line in lines if line))

    @property
    def ready(self) -> bool:
        """True once the player has loaded the master and its tracks are matched with the rungs."""
        return self._mapped

    # ---- tracks

    def _map_tracks(self) -> None:
        """Match the player's tracks with the master's rungs and sound once it has loaded."""
        package = self.package
        assert package is not None
        sizes = self.player.video_sizes()
        self._video_ok = len(sizes) == len(package.rungs) and all(
            not s.isValid() or (s.width(), s.height()) == (r.width, r.height)
            for s, r in zip(sizes, package.rungs, strict=True)
        )
        self._audio_ok = self.player.audio_track_count() == len(package.audio)
        self._mapped = True
        if not self._video_ok:
            self.controls.rungs.setEnabled(False)
            self.controls.rungs.setToolTip("This player cannot choose between this package's rungs")
        default = next((n for n, a in enumerate(package.languages(self._group())) if a.default), 0)
        self._language = default
        self.apply_tracks()

    def shown_rung(self) -> int:
        """The index of the rung to show now: the one chosen, or the one that fits the window."""
        package = self.package
        if package is None or not package.rungs:
            return -1
        chosen = self.controls.rung_choice()
        return chosen if chosen is not None else auto_rung(package.rungs, *self.view.picture_size())

    def _group(self) -> str | None:
        rung = self.shown_rung()
        return self.package.rungs[rung].audio_group if self.package and rung >= 0 else None

    def apply_tracks(self) -> None:
        """Show the rung to show and play the chosen language of its audio group (only what changed)."""
        package = self.package
        if package is None or not self._mapped:
            return
        rung = self.shown_rung()
        if self._video_ok and rung >= 0:
            self.player.set_video_track(rung)
        group = self._group()
        if group != self._sound_group:
            self._sound_group = group
            self.controls.fill_sound([a.name for a in package.languages(group)], self._language)
        index = package.audio_index(group, self._language)
        if self._audio_ok and index is not None:
            self.player.set_audio_track(index)

    def _on_sound(self, index: int) -> None:
        if index >= 0:
            self._language = index
            self.apply_tracks()

    def _choose_subtitles(self) -> None:
        package, chosen = self.package, self.controls.subtitle_choice()
        self._cue_index = None
        self.view.show_subtitles("")
        if package is None or chosen is None:
            return
        if chosen in self._cues:
            self._cue_index = self._cues[chosen]
            return
        track = package.subtitles[chosen]
        self.say(f"Reading the {track.name} subtitles…")
        self._start(
            CallWorker(chosen, load_cues, package.location, track.playlist, self._stop), self._on_cues
        )

    def _on_cues(self, track: object, cues: object) -> None:
        if self._released or not isinstance(track, int) or not isinstance(cues, tuple):
            return
        self._cues[track] = CueIndex(cues)
        self.say()
        if self.controls.subtitle_choice() == track:
            self._cue_index = self._cues[track]

    # ---- playing

    def tick(self) -> None:
        """Bring the controls, subtitles, captions and the source up to date with the player."""
        state = self.player.snapshot()
        if state.error:
            self.status.setText(f"This package cannot be played: {state.error}")
        if state.ready and not self._mapped:
            self._map_tracks()
        elif self._mapped and self.controls.rung_choice() is None:
            self.apply_tracks()  # Auto: the window may have changed size
        duration = state.duration or self.controls.seek_bar.maximum()
        self.controls.show_state(state.playing, state.position, duration)
        index = self._cue_index
        self.view.show_subtitles(index.text_at(state.position) if index is not None else "")
        self.view.set_caption(self.caption())
        self.compare.follow(state.playing, state.position)

    def caption(self) -> str:
        """``Package · 360p · 640×360`` (Auto says so): what is on screen now."""
        rung = self.shown_rung()
        size = self.player.frame_size()
        shown = f" · {size.width()}×{size.height()}" if size.isValid() else ""
        if self.package is None or rung < 0 or not self._video_ok:
            return f"Package{shown}"  # the player's own choice of rung: only its size is known
        auto = "Auto: " if self.controls.rung_choice() is None else ""
        return f"Package · {auto}{self.package.rungs[rung].name}{shown}"

    def toggle_play(self) -> None:
        """Play, or pause; at the end, play from the start."""
        state = self.player.snapshot()
        if state.playing:
            self.player.pause()
            return
        if state.ended:
            self.seek(0)
        self.player.play()

    def seek(self, position_ms: int) -> None:
        """Move the package (and the source beside it) to ``position_ms``."""
        self.player.seek(position_ms)
        if self.compare.active:
            self.compare.player.seek(position_ms)

    def step(self, delta_ms: int) -> None:
        """Move ``delta_ms`` forward or back."""
        self.seek(self.player.snapshot().position + delta_ms)

    def show_source(self, shown: bool) -> None:
        """Show the source beside the package (it plays silently at the same moment), or hide it."""
        package = self.package
        if shown and package is not None and package.source:
            self.compare.start(package.source, f"Source · {resolution(self.record.info)}".rstrip(" ·"))
        else:
            self.compare.stop()

    def _show_tip(self, position_ms: int, x: int) -> None:
        bar = self.controls.seek_bar
        anchor = bar.mapTo(self, QPoint(x, 0))
        self.tip.show_at(anchor, self.sheets.tile_at(position_ms / 1000), position_ms / 1000)

    # ---- closing

    def release(self) -> None:
        """Stop both players and close every file they hold (the package can be deleted right after)."""
        if self._released:
            return
        self._released = True
        self._stop.set()
        self.timer.stop()
        self.player.release()
        self.compare.release()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.release()
        self.closed.emit(self.job_id)
        super().closeEvent(event)
