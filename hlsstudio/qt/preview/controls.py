"""The preview's controls: play/pause, the time, the seek bar, and the picture, sound and subtitle
pickers with the source comparison switch. Widgets only; the window decides what they do."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QToolButton, QVBoxLayout, QWidget

from hlsstudio.qt.formatting import clock
from hlsstudio.qt.icons import icon
from hlsstudio.qt.preview.package import PreviewPackage, quality_tip
from hlsstudio.qt.preview.seek_bar import SeekBar

AUTO = "Auto (fits the window)"
AUTO_TIP = (
    "Plays the master playlist on the rung that fits this window's size. Players on the web also "
    "move down when the network is slow; this preview reads the files at full speed."
)
NO_SUBTITLES = "Off"


class PreviewControls(QWidget):
    """Two rows under the picture: transport and time, then the pickers."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.play_button = QToolButton()
        self.play_button.setIcon(icon("start"))
        self.play_button.setIconSize(QSize(22, 22))
        self.play_button.setToolTip("Play or pause (Space)")
        self.time = QLabel(self.time_text(0, 0))
        self.seek_bar = SeekBar()
        self.seek_bar.setToolTip("Click or drag to move; hover to see the moment")
        self.rungs = QComboBox()
        self.rungs.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.sound = QComboBox()
        self.subtitles = QComboBox()
        self.compare = QCheckBox("Compare with the source")
        self.compare.setToolTip("Play the source file beside the package, at the same moment")
        self.sound_label, self.subtitles_label = QLabel("Sound"), QLabel("Subtitles")
        transport = QHBoxLayout()
        transport.addWidget(self.play_button)
        transport.addWidget(self.seek_bar, 1)
        transport.addWidget(self.time)
        pickers = QHBoxLayout()
        pickers.addWidget(QLabel("Picture"))
        pickers.addWidget(self.rungs)
        pickers.addSpacing(12)
        pickers.addWidget(self.sound_label)
        pickers.addWidget(self.sound)
        pickers.addSpacing(12)
        pickers.addWidget(self.subtitles_label)
        pickers.addWidget(self.subtitles)
        pickers.addStretch(1)
        pickers.addWidget(self.compare)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addLayout(transport)
        layout.addLayout(pickers)
        self.setEnabled(False)

    @staticmethod
    def time_text(position_ms: int, duration_ms: int) -> str:
        """``1:02:03 / 2:00:00``."""
        return f"{clock(position_ms / 1000)} / {clock(duration_ms / 1000)}"

    def fill(self, package: PreviewPackage) -> None:
        """The pickers for ``package``: Auto and every rung; its sound and subtitle tracks."""
        self.rungs.clear()
        self.rungs.addItem(AUTO)
        self.rungs.setItemData(0, AUTO_TIP, Qt.ItemDataRole.ToolTipRole)
        for rung in package.rungs:
            self.rungs.addItem(rung.label())
            self.rungs.setItemData(
                self.rungs.count() - 1, quality_tip(rung.quality), Qt.ItemDataRole.ToolTipRole
            )
        self.subtitles.clear()
        self.subtitles.addItem(NO_SUBTITLES)
        for track in package.subtitles:
            self.subtitles.addItem(track.name + (" (forced)" if track.forced else ""))
        shown = next((n + 1 for n, t in enumerate(package.subtitles) if t.default or t.forced), 0)
        self.subtitles.setCurrentIndex(shown)
        self.subtitles.setVisible(bool(package.subtitles))
        self.subtitles_label.setVisible(bool(package.subtitles))
        self.compare.setEnabled(package.source is not None)
        if package.source is None:
            self.compare.setToolTip("The source file is no longer where it was encoded from")
        self.setEnabled(True)

    def fill_sound(self, names: list[str], chosen: int) -> None:
        """The sound picker for the rung shown: its languages (hidden when there is one)."""
        self.sound.blockSignals(True)
        self.sound.clear()
        self.sound.addItems(names)
        self.sound.setCurrentIndex(max(0, min(chosen, len(names) - 1)))
        self.sound.blockSignals(False)
        self.sound.setVisible(len(names) > 1)
        self.sound_label.setVisible(len(names) > 1)

    def rung_choice(self) -> int | None:
        """The chosen rung's index in the master (None: Auto)."""
        index = self.rungs.currentIndex()
        return None if index <= 0 else index - 1

    def subtitle_choice(self) -> int | None:
        """The chosen subtitle track's index (None: off)."""
        index = self.subtitles.currentIndex()
        return None if index <= 0 else index - 1

    def show_state(self, playing: bool, position_ms: int, duration_ms: int) -> None:
        """Play/pause icon, time and seek bar (left alone while the user drags it)."""
        wanted = "pause" if playing else "start"
        if self.play_button.property("shows") != wanted:
            self.play_button.setIcon(icon(wanted))
            self.play_button.setProperty("shows", wanted)
        if duration_ms and self.seek_bar.maximum() != duration_ms:
            self.seek_bar.setMaximum(duration_ms)
        if not self.seek_bar.isSliderDown():
            self.seek_bar.setValue(position_ms)
        self.time.setText(self.time_text(position_ms, duration_ms))
