"""The ladder editor: rungs in a table validated as you type, presets saved, loaded, imported, exported."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
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
from hlsstudio.core.ladder import default_ladder, load_preset, save_preset
from hlsstudio.core.models import RUNG_NAME_RE, Ladder, Rung
from hlsstudio.qt.icons import icon, resources_dir
from hlsstudio.qt.widgets.ladder_model import LadderModel

AnyIndex = QModelIndex | QPersistentModelIndex
PROBLEM_STYLE = "color: #d64545;"


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


class LadderEditor(QWidget):
    """Edits the ladder; ``ladder_changed(rungs or None, problems)`` after every change."""

    ladder_changed = Signal(object, list)
    message = Signal(str)

    def __init__(self, rungs: list[Rung], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = LadderModel(rungs, self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setItemDelegate(LiveDelegate(self.table))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setVisible(False)
        self.problems_label = QLabel()
        self.problems_label.setWordWrap(True)
        self.problems_label.setStyleSheet(PROBLEM_STYLE)
        self.add_button = QPushButton(icon("add-files"), "Add rung")
        self.remove_button = QPushButton(icon("remove"), "Remove")
        self.reset_button = QPushButton("Reset to default")
        self.add_button.clicked.connect(self._add)
        self.remove_button.clicked.connect(self._remove)
        self.reset_button.clicked.connect(lambda: self.model.set_rungs(list(default_ladder().rungs)))
        self.presets = QComboBox()
        self.presets.setMinimumContentsLength(12)
        self.load_button = QPushButton("Load")
        self.preset_name = QLineEdit()
        self.preset_name.setPlaceholderText("preset name")
        self.save_button = QPushButton("Save preset")
        self.import_button = QPushButton("Import…")
        self.export_button = QPushButton("Export…")
        self.load_button.clicked.connect(self._load_selected)
        self.save_button.clicked.connect(self._save_named)
        self.import_button.clicked.connect(self._import)
        self.export_button.clicked.connect(self._export)
        self._layout()
        self.model.changed.connect(self._validate)
        self.refresh_presets()
        self._validate()

    def _layout(self) -> None:
        edit_row = QHBoxLayout()
        for button in (self.add_button, self.remove_button, self.reset_button):
            edit_row.addWidget(button)
        edit_row.addStretch(1)
        load_row = QHBoxLayout()
        load_row.addWidget(QLabel("Preset"))
        load_row.addWidget(self.presets, 1)
        load_row.addWidget(self.load_button)
        save_row = QHBoxLayout()
        save_row.addWidget(self.preset_name, 1)
        save_row.addWidget(self.save_button)
        save_row.addWidget(self.import_button)
        save_row.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addLayout(edit_row)
        layout.addWidget(self.problems_label)
        layout.addLayout(load_row)
        layout.addLayout(save_row)

    # ---- state

    def rungs(self) -> list[Rung] | None:
        """The current rungs, or None while something is invalid."""
        return self.model.rungs_or_none() if not self.model.problems() else None

    def problems(self) -> list[str]:
        """What is wrong now (empty when the ladder is valid)."""
        return self.model.problems()

    def set_rungs(self, rungs: list[Rung]) -> None:
        """Show these rungs."""
        self.model.set_rungs(rungs)

    def _validate(self) -> None:
        problems = self.model.problems()
        self.problems_label.setText("\n".join(f"• {p}" for p in problems))
        self.problems_label.setVisible(bool(problems))
        ok = not problems
        self.save_button.setEnabled(ok)
        self.export_button.setEnabled(ok)
        self.ladder_changed.emit(self.model.rungs_or_none() if ok else None, problems)

    # ---- rows

    def _add(self) -> None:
        row = self.model.add_rung()
        self.table.selectRow(row)

    def _remove(self) -> None:
        rows = [i.row() for i in self.table.selectionModel().selectedRows()]
        self.model.remove_rows(rows)

    # ---- presets

    def refresh_presets(self) -> None:
        """List the preset files again."""
        self.presets.clear()
        for path in preset_files():
            self.presets.addItem(path.stem, str(path))
        self.load_button.setEnabled(self.presets.count() > 0)

    def load_file(self, path: Path) -> bool:
        """Load a preset file into the table; False (with a message) when it is not a valid preset."""
        try:
            name, ladder = load_preset(path)
        except LadderError as exc:
            self.message.emit(exc.message)
            return False
        self.model.set_rungs(list(ladder.rungs))
        self.preset_name.setText(name)
        self.message.emit(f"Loaded ladder preset {name}")
        return True

    def save_as(self, name: str) -> Path | None:
        """Save the current ladder as preset ``name`` in the presets folder; returns the file."""
        rungs = self.rungs()
        clean = name.strip()
        if rungs is None or not clean:
            self.message.emit("Name the preset and fix the ladder before saving")
            return None
        file_stem = "".join(c if RUNG_NAME_RE.match(c) else "-" for c in clean)
        path = presets_dir() / f"{file_stem}.json"
        save_preset(path, Ladder(rungs=rungs), clean)
        self.preset_name.setText(clean)
        self.refresh_presets()
        self.presets.setCurrentIndex(self.presets.findData(str(path)))
        self.message.emit(f"Saved ladder preset {clean}")
        return path

    def export_to(self, path: Path) -> bool:
        """Write the current ladder to ``path`` as a preset JSON file."""
        rungs = self.rungs()
        if rungs is None:
            return False
        save_preset(path, Ladder(rungs=rungs), self.preset_name.text().strip() or path.stem)
        self.message.emit(f"Exported ladder to {path}")
        return True

    def _load_selected(self) -> None:
        data = self.presets.currentData()
        if data:
            self.load_file(Path(data))

    def _save_named(self) -> None:
        self.save_as(self.preset_name.text())

    def _import(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Import ladder preset", "", "Ladder presets (*.json)")
        if name and self.load_file(Path(name)):
            self.save_as(self.preset_name.text() or Path(name).stem)

    def _export(self) -> None:
        name, _ = QFileDialog.getSaveFileName(
            self, "Export ladder preset", "ladder.json", "Ladder presets (*.json)"
        )
        if name:
            self.export_to(Path(name))
