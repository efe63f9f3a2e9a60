"""Settings page: which FFmpeg is used and what it can do (the doctor report), with editable paths."""

from __future__ import annotations

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from hlsstudio.core.settings import AppSettings
from hlsstudio.core.toolchain import Toolchain, install_hint, platform_name


def doctor_report(toolchain: Toolchain | None, error: str | None) -> str:
    """The toolchain as lines of text: versions, paths, encoders, filters and NVENC."""
    if toolchain is None:
        return f"FFmpeg: {error}\n\n{install_hint()}" if error else "Looking for FFmpeg…"
    caps = toolchain.capabilities

    def yes_no(items: dict[str, bool]) -> str:
        return ", ".join(f"{name} {'yes' if ok else 'no'}" for name, ok in items.items())

    return "\n".join(
        [
            f"platform  {platform_name()}",
            f"ffmpeg    {caps.version}  {toolchain.ffmpeg}  (from {toolchain.ffmpeg_source})",
            f"ffprobe   {toolchain.ffprobe_version}  {toolchain.ffprobe}  (from {toolchain.ffprobe_source})",
            f"encoders  {yes_no(caps.encoders)}",
            f"filters   {yes_no(caps.filters)}",
            "NVENC     " + ("usable" if caps.nvenc_usable else f"not usable: {caps.nvenc_reason}"),
        ]
    )


class FfmpegPage(QWidget):
    """FFmpeg/ffprobe paths (empty: found automatically) and the detected capabilities."""

    def __init__(self, settings: AppSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ffmpeg = QLineEdit(settings.ffmpeg_path)
        self.ffprobe = QLineEdit(settings.ffprobe_path)
        for edit, name in ((self.ffmpeg, "ffmpeg"), (self.ffprobe, "ffprobe")):
            edit.setPlaceholderText(f"found automatically ({name} next to the app, then PATH)")
        self.report = QPlainTextEdit()
        self.report.setReadOnly(True)
        self.report.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.recheck = QPushButton("Check again")
        form = QFormLayout()
        form.addRow("ffmpeg:", self._with_browse(self.ffmpeg))
        form.addRow("ffprobe:", self._with_browse(self.ffprobe))
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.report, 1)
        layout.addWidget(self.recheck)

    def _with_browse(self, edit: QLineEdit) -> QHBoxLayout:
        button = QPushButton("Browse…")
        button.clicked.connect(lambda: self._browse(edit))
        row = QHBoxLayout()
        row.addWidget(edit, 1)
        row.addWidget(button)
        return row

    def _browse(self, edit: QLineEdit) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Choose the program", edit.text())
        if name:
            edit.setText(name)

    def show_toolchain(self, toolchain: Toolchain | None, error: str | None) -> None:
        """Show the doctor report of the toolchain in use."""
        self.report.setPlainText(doctor_report(toolchain, error))

    def values(self) -> dict[str, str]:
        """The AppSettings fields this page edits."""
        return {"ffmpeg_path": self.ffmpeg.text().strip(), "ffprobe_path": self.ffprobe.text().strip()}
