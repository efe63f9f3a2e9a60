"""Settings page: which FFmpeg is used and what it can do, with editable paths.

First, in plain sentences, what this computer can and cannot do (GPU encoding, HDR, interlaced
sources); the technical report (versions, paths, encoders, filters) stays folded away below.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from hlsstudio.core.settings import AppSettings
from hlsstudio.core.toolchain import Capabilities, Toolchain, install_hint, platform_name
from hlsstudio.qt.destination_status import soft_wrap

NVENC_ENCODERS = ("h264_nvenc", "hevc_nvenc")
SOURCES = {
    "settings": "chosen in these settings",
    "bundled": "included with HLS Studio",
    "PATH": "installed on this computer",
}
DETAILS_SHOW = "Show technical details"
DETAILS_HIDE = "Hide technical details"


def gpu_sentence(caps: Capabilities) -> str:
    """What GPU (NVENC) encoding means for the user here, in one sentence."""
    if caps.nvenc_usable:
        return (
            "GPU encoding: available — the NVIDIA graphics card speeds up encoding "
            "(used automatically when “Encode with” is Automatic)."
        )
    if not caps.encoders.get("libx264"):
        return (
            "Encoding: not possible with this FFmpeg — it has no H.264 encoder (libx264) and no usable "
            "NVIDIA graphics card was found. Install a complete FFmpeg build."
        )
    if any(caps.encoders.get(name) for name in NVENC_ENCODERS):
        return (
            "GPU encoding: not available on this computer — encoding uses the CPU. This FFmpeg "
            "includes NVIDIA's encoder, but no usable NVIDIA graphics card or driver was found."
        )
    return "GPU encoding: not available — this FFmpeg has no NVIDIA support, so encoding uses the CPU."


def plain_summary(toolchain: Toolchain | None, error: str | None) -> list[str]:
    """What the user can and cannot do with this FFmpeg, one sentence per line, most important first."""
    if toolchain is None:
        if error:
            return [
                "Videos cannot be encoded: FFmpeg, the program that does the encoding, was not found "
                "or does not work.",
                f"To fix it, {install_hint()}, or choose the programs below.",
            ]
        return ["Looking for FFmpeg…"]
    caps = toolchain.capabilities
    lines = [gpu_sentence(caps)]
    if caps.can_tonemap:
        lines.append("HDR videos: converted to normal colours, so they look right on every screen.")
    else:
        lines.append(
            "HDR videos: cannot be converted to normal colours with this FFmpeg; they may look washed out."
        )
    if caps.deinterlacer:
        lines.append("Interlaced (TV-style) videos: cleaned up automatically.")
    else:
        lines.append("Interlaced (TV-style) videos: cannot be cleaned up; fine lines may show on motion.")
    source = SOURCES.get(toolchain.ffmpeg_source, f"set by {toolchain.ffmpeg_source}")
    lines.append(f"Using FFmpeg {caps.version} ({source}).")
    return lines


def _encoder_word(caps: Capabilities, name: str, ok: bool) -> str:
    if not ok:
        return f"{name} no"
    if name in NVENC_ENCODERS and not caps.nvenc_usable:
        return f"{name} built in (no usable GPU)"
    return f"{name} yes"


def doctor_report(toolchain: Toolchain | None, error: str | None) -> str:
    """The toolchain as lines of text: versions, paths, encoders, filters and NVENC."""
    if toolchain is None:
        return f"FFmpeg: {error}\n\n{install_hint()}" if error else "Looking for FFmpeg…"
    caps = toolchain.capabilities
    encoders = ", ".join(_encoder_word(caps, name, ok) for name, ok in caps.encoders.items())
    filters = ", ".join(f"{name} {'yes' if ok else 'no'}" for name, ok in caps.filters.items())
    if caps.nvenc_usable:
        nvenc = "usable"
    elif caps.encoders.get("h264_nvenc"):
        nvenc = f"encoder built in, but no usable GPU found: {caps.nvenc_reason}"
    else:
        nvenc = f"not usable: {caps.nvenc_reason}"
    return "\n".join(
        [
            f"platform  {platform_name()}",
            f"ffmpeg    {caps.version}  {toolchain.ffmpeg}  (from {toolchain.ffmpeg_source})",
            f"ffprobe   {toolchain.ffprobe_version}  {toolchain.ffprobe}  (from {toolchain.ffprobe_source})",
            f"encoders  {encoders}",
            f"filters   {filters}",
            f"NVENC     {nvenc}",
        ]
    )


class FfmpegPage(QWidget):
    """FFmpeg/ffprobe paths (empty: found automatically), what they allow, and the technical report."""

    def __init__(self, settings: AppSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ffmpeg = QLineEdit(settings.ffmpeg_path)
        self.ffprobe = QLineEdit(settings.ffprobe_path)
        for edit, name in ((self.ffmpeg, "ffmpeg"), (self.ffprobe, "ffprobe")):
            edit.setPlaceholderText(f"found automatically ({name} next to the app, then PATH)")
            edit.setToolTip(f"Leave empty unless a particular {name} program should be used.")
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.report = QPlainTextEdit()
        self.report.setReadOnly(True)
        self.report.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.details = QToolButton()
        self.details.setCheckable(True)
        self.details.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.details.setAutoRaise(True)
        self.recheck = QPushButton("Check again")
        self.recheck.setToolTip("Look for FFmpeg again, e.g. after installing it or a graphics driver.")
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        form.addRow("FFmpeg program:", self._with_browse(self.ffmpeg))
        form.addRow("FFprobe program:", self._with_browse(self.ffprobe))
        self._layout = QVBoxLayout(self)
        self._layout.addWidget(self.summary)
        self._layout.addLayout(form)
        self._layout.addWidget(self.details, 0, Qt.AlignmentFlag.AlignLeft)
        self._layout.addWidget(self.report)
        self._layout.addStretch()
        self._layout.addWidget(self.recheck, 0, Qt.AlignmentFlag.AlignLeft)
        self.details.toggled.connect(self._show_details)
        self._show_details(False)

    def _show_details(self, shown: bool) -> None:
        """Unfold (or fold away) the technical report; the space below goes to whichever shows."""
        self.report.setVisible(shown)
        report_at = self._layout.indexOf(self.report)
        self._layout.setStretch(report_at, 1 if shown else 0)
        self._layout.setStretch(report_at + 1, 0 if shown else 1)
        self.details.setText(DETAILS_HIDE if shown else DETAILS_SHOW)
        self.details.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)

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
        """Say in plain words what the toolchain in use allows; the doctor report goes below."""
        self.summary.setText(soft_wrap("\n".join(plain_summary(toolchain, error))))
        self.report.setPlainText(doctor_report(toolchain, error))

    def values(self) -> dict[str, str]:
        """The AppSettings fields this page edits."""
        return {"ffmpeg_path": self.ffmpeg.text().strip(), "ffprobe_path": self.ffprobe.text().strip()}
