"""The choice between fixed and per-title rungs, in words: one combo box for the Ladder tab and Settings.

``mode_box`` builds the combo (its data: ``fixed`` or ``per-title``); ``LadderModeRow`` is the Ladder
tab's "Rungs:" line above the editor. The row only shows and reports the choice (``mode_chosen``);
whoever owns the settings stores it.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QWidget

MODE_TIP = (
    "Per-title: before encoding, a few short trial encodes of each video are measured (VMAF) and its "
    "rungs chosen to look as good for fewer bits, never above the rates of the table below."
)


def mode_box(mode: str) -> QComboBox:
    """Fixed or per-title rungs, in words, with ``mode`` selected."""
    box = QComboBox()
    box.addItem("The Ladder tab's rungs, the same for every video", "fixed")
    box.addItem("Chosen for each video (per-title: fewer bits, same picture)", "per-title")
    box.setCurrentIndex(max(0, box.findData(mode)))
    box.setToolTip(MODE_TIP)
    return box


class LadderModeRow(QWidget):
    """ "Rungs: [the same for every video | chosen for each video]": ``mode_chosen(str)`` on a user's pick."""

    mode_chosen = Signal(str)

    def __init__(self, mode: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.box = mode_box(mode)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 0)
        label = QLabel("Rungs:")
        label.setToolTip(MODE_TIP)
        layout.addWidget(label)
        layout.addWidget(self.box, 1)
        self.box.activated.connect(lambda _index: self.mode_chosen.emit(self.mode()))

    def mode(self) -> str:
        """The mode shown (``fixed`` or ``per-title``)."""
        return str(self.box.currentData())

    def show_mode(self, mode: str) -> None:
        """Show ``mode`` without reporting it (the settings changed elsewhere)."""
        index = self.box.findData(mode)
        if index >= 0 and index != self.box.currentIndex():
            self.box.setCurrentIndex(index)
