"""The ladder editor: the ladder for jobs not yet started, edited in a table and used once applied.

Edits are pending until Apply: only Apply changes what jobs use (``ladder_changed``), and Apply is
disabled while the edit has a problem. Revert brings back the last applied rungs. Jobs already
running or finished keep the ladder they started with (the job service snapshots it at start).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSize, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from hlsstudio.core import paths
from hlsstudio.core.errors import LadderError
from hlsstudio.core.ladder import PresetLanguages, default_ladder, load_preset, read_preset, save_preset
from hlsstudio.core.models import RUNG_NAME_RE, Ladder, Rung
from hlsstudio.qt.icons import icon, resources_dir
from hlsstudio.qt.widgets.ladder_model import LadderModel, summary

AnyIndex = QModelIndex | QPersistentModelIndex
PROBLEM_COLOR = QColor("#d64545")
HEADING = "Ladder for jobs not yet started"
SCOPE_NOTE = "running and finished jobs keep theirs"
SCOPE_TIP = (
    "Jobs not yet started use the applied ladder; running and finished jobs keep the ladder they"
    " started with.\nEdits take effect when you press Apply."
)
PENDING_TEXT = "Not applied yet: jobs keep using the applied ladder until you press Apply"
MODIFIED = " (modified)"


def presets_dir() -> Path:
    """Where saved ladder presets live (``config_dir()/presets``)."""
    folder = paths.config_dir() / "presets"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def preset_files() -> list[Path]:
    """Saved presets, then the built-in ones shipped in ``resources/presets``."""
    builtin = resources_dir() / "presets"
    found = sorted(presets_dir().glob("*.json"))
    if builtin.is_dir():
        found += sorted(builtin.glob("*.json"))
    return found


class LiveDelegate(QStyledItemDelegate):
    """Commits every keystroke, so cells validate as you type (not only when the editor closes)."""

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem, index: AnyIndex) -> QWidget:
        editor = super().createEditor(parent, option, index)
        if isinstance(editor, QSpinBox):
            editor.setRange(0, 10_000_000)
            editor.valueChanged.connect(lambda _v, e=editor: self.commitData.emit(e))
        elif isinstance(editor, QLineEdit):
            editor.textEdited.connect(lambda _t, e=editor: self.commitData.emit(e))
        return editor


class LineLabel(QLabel):
    """One line of plain text, cut with … when narrow (full text in the tooltip); never asks for width."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setFixedHeight(self.fontMetrics().height() + 4)

    def minimumSizeHint(self) -> QSize:
        return QSize(0, self.height())

    def sizeHint(self) -> QSize:
        return QSize(self.fontMetrics().horizontalAdvance(self.text()), self.height())

    def paintEvent(self, event: QPaintEvent) -> None:
        rect = self.contentsRect()
        shown = self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight, rect.width())
        painter = QPainter(self)
        align = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        self.style().drawItemText(
            painter, rect, int(align), self.palette(), self.isEnabled(), shown, self.foregroundRole()
        )


class LadderEditor(QWidget):
    """Edits the ladder for jobs not yet started; ``ladder_changed(rungs, [])`` when Apply is pressed.

    ``ladder_changed(rungs or None, problems)`` keeps its signature, but only Apply emits it, and
    Apply is disabled while the edit has problems: it always carries valid rungs and no problems.
    ``pending_changed(bool)`` says whether the table holds edits not applied yet.
    """

    ladder_changed = Signal(object, list)
    pending_changed = Signal(bool)
    message = Signal(str)
    languages_chosen = Signal(object)  # what a preset applied sets besides rungs (languages, ladder mode)

    def __init__(self, rungs: list[Rung], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._applied = [r.model_copy() for r in rungs]
        self._pending = False
        self._preset_cache: dict[str, list[dict[str, Any]] | None] = {}
        self.preset_title = ""
        self.preset_languages = PresetLanguages()  # the default languages of the preset last loaded
        self.model = LadderModel(rungs, self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setItemDelegate(LiveDelegate(self.table))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setMinimumSectionSize(self.fontMetrics().height() + 6)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.heading = QLabel(f"<b>{HEADING}</b>")
        self.scope_note = LineLabel(f"— {SCOPE_NOTE}")
        self.scope_note.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        for label in (self.heading, self.scope_note):
            label.setToolTip(SCOPE_TIP)
        self.apply_button = QPushButton("Apply")
        self.apply_button.setToolTip("Use this ladder for jobs that start from now on")
        self.revert_button = QPushButton("Revert")
        self.revert_button.setToolTip("Back to the ladder applied last")
        self.problems_label = LineLabel()
        self.summary_label = LineLabel()
        self.summary_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.add_button = QPushButton(icon("add-files"), "Add rung")
        self.remove_button = QPushButton(icon("remove"), "Remove")
        self.reset_button = QPushButton("Reset to default")
        self.presets = QComboBox()
        self.presets.setMinimumContentsLength(18)
        self.presets.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.load_button = QPushButton("Load")
        self.save_button = QPushButton("Save as…")
        self.import_button = QPushButton("Import…")
        self.export_button = QPushButton("Export…")
        self._layout()
        self._connect()
        self.refresh_presets()
        self._refresh()

    def _layout(self) -> None:
        top = QHBoxLayout()
        top.addWidget(self.heading)
        top.addWidget(self.scope_note, 1)
        top.addWidget(self.apply_button)
        top.addWidget(self.revert_button)
        edit_row = QHBoxLayout()
        for button in (self.add_button, self.remove_button, self.reset_button):
            edit_row.addWidget(button)
        edit_row.addSpacing(8)
        edit_row.addWidget(self.summary_label, 1)
        preset_row = QHBoxLayout()
        preset_row.addWidget(QLabel("Preset"))
        preset_row.addWidget(self.presets, 1)
        for button in (self.load_button, self.save_button, self.import_button, self.export_button):
            preset_row.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(4)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.problems_label)  # fixed height, always there: the table never moves
        layout.addLayout(edit_row)
        layout.addLayout(preset_row)

    def _connect(self) -> None:
        self.apply_button.clicked.connect(self.apply)
        self.revert_button.clicked.connect(self.revert)
        self.add_button.clicked.connect(self._add)
        self.remove_button.clicked.connect(self._remove)
        self.reset_button.clicked.connect(lambda: self.model.set_rungs(list(default_ladder().rungs)))
        self.load_button.clicked.connect(self._load_selected)
        self.save_button.clicked.connect(self._save_named)
        self.import_button.clicked.connect(self._import)
        self.export_button.clicked.connect(self._export)
        self.presets.currentIndexChanged.connect(lambda _i: self._show_modified())
        self.model.changed.connect(self._refresh)

    # ---- state

    def rungs(self) -> list[Rung] | None:
        """The rungs in the table (applied or not), or None while something is invalid."""
        return self.model.rungs_or_none() if not self.model.problems() else None

    def applied_rungs(self) -> list[Rung]:
        """The rungs applied last: what jobs that start now use."""
        return [r.model_copy() for r in self._applied]

    def problems(self) -> list[str]:
        """What is wrong with the table now, as plain sentences (empty when it is valid)."""
        return self.model.problems()

    def has_pending(self) -> bool:
        """True when the table differs from the applied ladder."""
        return self.model.rows() != [r.model_dump() for r in self._applied]

    def set_rungs(self, rungs: list[Rung]) -> None:
        """Show these rungs in the table (pending until Apply)."""
        self.model.set_rungs(rungs)

    def apply(self) -> bool:
        """Use the table's rungs for jobs not yet started: emits ``ladder_changed``; False when invalid."""
        rungs = self.rungs()
        if rungs is None:
            return False
        self._applied = [r.model_copy() for r in rungs]
        self._refresh()
        self.ladder_changed.emit([r.model_copy() for r in rungs], [])
        self.message.emit("Ladder applied: jobs that start from now on use it")
        if self.preset_languages.sets_any():
            self.languages_chosen.emit(self.preset_languages)
        return True

    def revert(self) -> None:
        """Show the last applied rungs again, dropping pending edits."""
        self.model.set_rungs(self.applied_rungs())

    def _refresh(self) -> None:
        problems = self.model.problems()
        pending = self.has_pending()
        self.apply_button.setEnabled(pending and not problems)
        self.revert_button.setEnabled(pending)
        self.save_button.setEnabled(not problems)
        self.export_button.setEnabled(not problems)
        self._show_status(problems, pending)
        self.summary_label.setText(summary(self.model.rows()))
        self._show_modified()
        if pending != self._pending:
            self._pending = pending
            self.pending_changed.emit(pending)

    def _show_status(self, problems: list[str], pending: bool) -> None:
        palette = self.problems_label.palette()
        palette.setColor(
            QPalette.ColorRole.WindowText,
            PROBLEM_COLOR if problems else self.palette().color(QPalette.ColorRole.WindowText),
        )
        self.problems_label.setPalette(palette)
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            self.problems_label.setText(f"Can't apply: {problems[0]}{more}")
            self.problems_label.setToolTip("\n".join(f"• {p}" for p in problems))
        else:
            self.problems_label.setText(PENDING_TEXT if pending else "")
            self.problems_label.setToolTip(PENDING_TEXT if pending else "")

    # ---- rows

    def _add(self) -> None:
        row = self.model.add_rung()
        self.table.selectRow(row)

    def _remove(self) -> None:
        rows = [i.row() for i in self.table.selectionModel().selectedRows()]
        self.model.remove_rows(rows)

    # ---- presets

    def refresh_presets(self) -> None:
        """List the preset files again; keeps the selection, else picks the preset the table matches."""
        current = self.presets.currentData()
        self._preset_cache.clear()
        self.presets.blockSignals(True)
        self.presets.clear()
        for path in preset_files():
            self.presets.addItem(path.stem, str(path))
        index = self.presets.findData(current) if current else -1
        self.presets.setCurrentIndex(index if index >= 0 else self._matching_preset())
        self.presets.blockSignals(False)
        self.load_button.setEnabled(self.presets.count() > 0)
        self._show_modified()

    def is_modified(self) -> bool:
        """True when the table differs from the preset selected in the preset list."""
        data = self.presets.currentData()
        return bool(data) and self._preset_rows(str(data)) != self.model.rows()

    def _preset_rows(self, path: str) -> list[dict[str, Any]] | None:
        if path not in self._preset_cache:
            try:
                self._preset_cache[path] = [r.model_dump() for r in load_preset(Path(path))[1].rungs]
            except LadderError:
                self._preset_cache[path] = None
        return self._preset_cache[path]

    def _matching_preset(self) -> int:
        rows = self.model.rows()
        for index in range(self.presets.count()):
            if self._preset_rows(str(self.presets.itemData(index))) == rows:
                return index
        return max(self.presets.findText("default"), 0)

    def _show_modified(self) -> None:
        current, modified = self.presets.currentIndex(), self.is_modified()
        for index in range(self.presets.count()):
            stem = Path(str(self.presets.itemData(index))).stem
            text = stem + MODIFIED if index == current and modified else stem
            if self.presets.itemText(index) != text:
                self.presets.setItemText(index, text)
        self.presets.setToolTip(
            "The table differs from this preset (Save as… keeps it)" if modified else "Ladder presets"
        )

    def load_file(self, path: Path) -> bool:
        """Load a preset file into the table (pending until Apply); False (with a message) when invalid."""
        try:
            preset = read_preset(path)
        except LadderError as exc:
            self.message.emit(exc.message)
            return False
        self.model.set_rungs(list(preset.ladder.rungs))
        self.preset_title = name = preset.name
        self.preset_languages = preset.languages
        self.message.emit(f"Loaded ladder preset {name}: press Apply to use it")
        return True

    def save_as(self, name: str) -> Path | None:
        """Save the table's ladder as preset ``name`` in the presets folder; returns the file."""
        rungs = self.rungs()
        clean = name.strip()
        if rungs is None or not clean:
            self.message.emit("Name the preset and fix the ladder before saving")
            return None
        file_stem = "".join(c if RUNG_NAME_RE.match(c) else "-" for c in clean)
        path = presets_dir() / f"{file_stem}.json"
        save_preset(path, Ladder(rungs=rungs), clean, self.preset_languages)
        self.preset_title = clean
        self.refresh_presets()
        self.presets.setCurrentIndex(self.presets.findData(str(path)))
        self.message.emit(f"Saved ladder preset {clean}")
        return path

    def export_to(self, path: Path) -> bool:
        """Write the table's ladder to ``path`` as a preset JSON file."""
        rungs = self.rungs()
        if rungs is None:
            return False
        save_preset(path, Ladder(rungs=rungs), self.preset_title or path.stem, self.preset_languages)
        self.message.emit(f"Exported ladder to {path}")
        return True

    def _load_selected(self) -> None:
        data = self.presets.currentData()
        if data:
            self.load_file(Path(data))

    def _save_named(self) -> None:
        name, ok = QInputDialog.getText(self, "Save ladder preset", "Preset name:", text=self.preset_title)
        if ok:
            self.save_as(name)

    def _import(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Import ladder preset", "", "Ladder presets (*.json)")
        if name and self.load_file(Path(name)):
            self.save_as(self.preset_title or Path(name).stem)

    def _export(self) -> None:
        name, _ = QFileDialog.getSaveFileName(
            self, "Export ladder preset", "ladder.json", "Ladder presets (*.json)"
        )
        if name:
            self.export_to(Path(name))
