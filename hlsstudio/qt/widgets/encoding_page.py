"""Settings page: how packages are encoded and what happens after (segment length, preset, encoder …).

Labels use everyday words; the technical name of each setting (x264 preset, segment duration …)
is in its tooltip.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from hlsstudio.core.models import X264_PRESETS, ContentType
from hlsstudio.core.paths import default_output_dir
from hlsstudio.core.settings import AppSettings
from hlsstudio.core.toolchain import Toolchain
from hlsstudio.qt.widgets.ladder_mode import mode_box

PRESET_ADVICE = {
    "ultrafast": "fastest encode, largest files — drafts only",
    "superfast": "very quick, large files — previews",
    "veryfast": "quick turnaround, ~20% larger files",
    "faster": "a little quicker than fast, slightly larger files",
    "fast": "the default: good balance",
    "medium": "x264's default: smaller files, ~1.5x slower",
    "slow": "best compression for final masters, much slower",
    "slower": "best compression for final masters, much slower",
    "veryslow": "best compression for final masters, much slower",
}
PRESET_NAMES = {
    "ultrafast": "Fastest — drafts only",
    "superfast": "Very quick — previews",
    "veryfast": "Quick",
    "faster": "A little quicker",
    "fast": "Balanced — recommended",
    "medium": "Smaller files",
    "slow": "Smallest files — slow",
    "slower": "Smallest files — slower",
    "veryslow": "Smallest files — slowest",
}
PRESET_HELP = (
    "The x264 preset: how hard the encoder works. Quicker settings finish sooner but make larger "
    "files for the same picture quality."
)
ENCODERS = (
    ("auto", "Automatic (graphics card when available)"),
    ("libx264", "CPU (libx264)"),
    ("nvenc", "NVIDIA graphics card (NVENC)"),
)
TIPS = {
    "segment": "Segment duration: streamed videos are cut into chunks of this length. Shorter chunks "
    "start playing and adapt to the viewer's connection sooner; longer ones make fewer files. "
    "6 s suits most videos.",
    "encoder": "Automatic uses an NVIDIA graphics card (NVENC) when this computer has a usable one, "
    "otherwise the CPU (libx264).",
    "thumbnails": "How often a small still picture is taken for the previews shown while seeking "
    "(thumbnails). Smaller values give finer previews and more files.",
    "output_dir": "Where encoded videos are written on this computer before they are published.",
    "concurrent": "How many videos are encoded at the same time. More finishes a long queue sooner on a "
    "powerful computer, but each video takes longer.",
    "content_type": "The kind given to newly added videos; it becomes part of their web address.",
}


class EncodingPage(QWidget):
    """Encode settings, output folder, concurrency and publishing behaviour."""

    def __init__(self, settings: AppSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        encode = settings.encode
        self.segment = QDoubleSpinBox()
        self.segment.setRange(2.0, 10.0)
        self.segment.setSingleStep(0.5)
        self.segment.setSuffix(" s")
        self.segment.setValue(encode.segment_duration)
        self.preset = QComboBox()
        for name in X264_PRESETS:
            self.preset.addItem(f"{PRESET_NAMES[name]} ({name})", name)
            self.preset.setItemData(self.preset.count() - 1, PRESET_ADVICE[name], Qt.ItemDataRole.ToolTipRole)
        self.preset.setCurrentIndex(self.preset.findData(encode.preset))
        self.preset.currentIndexChanged.connect(self._preset_tip)
        self.encoder = QComboBox()
        for value, label in ENCODERS:
            self.encoder.addItem(label, value)
        self.encoder.setCurrentIndex(max(0, self.encoder.findData(encode.encoder)))
        self.ladder_mode = mode_box(encode.ladder_mode)
        self.thumbnails = QDoubleSpinBox()
        self.thumbnails.setRange(1.0, 600.0)
        self.thumbnails.setSuffix(" s")
        self.thumbnails.setValue(encode.thumbnail_interval)
        self.output_dir = QLineEdit(settings.output_dir)
        self.output_dir.setPlaceholderText(str(default_output_dir()))
        self.concurrent = QSpinBox()
        self.concurrent.setRange(1, 8)
        self.concurrent.setValue(settings.concurrent_jobs)
        self._publishing_boxes(settings)
        self.content_type = QComboBox()
        for kind in ContentType:
            self.content_type.addItem(kind.value.capitalize(), kind.value)
        self.content_type.setCurrentIndex(max(0, self.content_type.findData(settings.default_content_type)))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.output_dir, 1)
        folder_row.addWidget(browse)
        for name, tip in TIPS.items():
            getattr(self, name).setToolTip(tip)
        form = QFormLayout(self)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        form.addRow("Chunk length:", self.segment)
        form.addRow("Encoding speed:", self.preset)
        form.addRow("Encode with:", self.encoder)
        form.addRow("Rungs:", self.ladder_mode)
        form.addRow("Preview picture every:", self.thumbnails)
        form.addRow("Output folder:", folder_row)
        form.addRow("Videos encoded at once:", self.concurrent)
        form.addRow("New videos are:", self.content_type)
        for box in (self.keep_local, self.auto_publish, self.subtitles, self.quality, self.nonconformant):
            form.addRow("", box)
        self._preset_tip()

    def _publishing_boxes(self, settings: AppSettings) -> None:
        self.keep_local = QCheckBox("Keep a copy on this computer after publishing")
        self.keep_local.setChecked(settings.keep_local_after_publish)
        self.auto_publish = QCheckBox("Publish automatically when a video has been encoded")
        self.auto_publish.setChecked(settings.auto_publish)
        self.subtitles = QCheckBox("Carry subtitles (text tracks, and subtitle files named after the video)")
        self.subtitles.setChecked(settings.encode.subtitles)
        self.subtitles.setToolTip(
            "Every text subtitle track of a video, and files beside it such as film.fr.srt or "
            "film.en.sdh.srt, become subtitle tracks viewers can pick. Picture subtitles are left out."
        )
        self.quality = QCheckBox("Measure the picture quality of every rung (VMAF, on a sample of the video)")
        self.quality.setChecked(settings.encode.measure_quality)
        self.quality.setToolTip(
            "After encoding, a few seconds from the start, middle and end of each rung are compared with "
            "the source (VMAF; the phone model for rungs up to 480p). Costs a small share of the encode."
        )
        self.nonconformant = QCheckBox("Publish even when a video breaks a rule players need")
        self.nonconformant.setChecked(settings.encode.publish_nonconformant)
        self.nonconformant.setToolTip(
            "Off (recommended): a video whose conformance report shows a failed MUST rule is encoded and "
            "kept, but not published (Details ▸ Conformance says why). On: it is published anyway, and "
            "its report records that."
        )

    def _preset_tip(self) -> None:
        advice = PRESET_ADVICE.get(self.preset.currentData(), "")
        self.preset.setToolTip(
            f"{advice[:1].upper()}{advice[1:]}.\n\n{PRESET_HELP}" if advice else PRESET_HELP
        )

    def _browse(self) -> None:
        start = self.output_dir.text() or str(default_output_dir())
        folder = QFileDialog.getExistingDirectory(self, "Output folder", start)
        if folder:
            self.output_dir.setText(folder)

    def show_toolchain(self, toolchain: Toolchain | None) -> None:
        """Grey out NVENC, with the reason as tooltip, when this machine cannot use it."""
        model = self.encoder.model()
        assert isinstance(model, QStandardItemModel)
        item = model.item(self.encoder.findData("nvenc"))
        usable = toolchain is not None and toolchain.capabilities.nvenc_usable
        reason = toolchain.capabilities.nvenc_reason if toolchain else "FFmpeg has not been checked yet"
        item.setEnabled(usable)
        item.setToolTip("" if usable else f"Not available on this computer: {reason}")
        self.encoder.setToolTip(TIPS["encoder"] if usable else f"{TIPS['encoder']}\n\nNVENC: {reason}")
        if toolchain is not None and not usable and self.encoder.currentData() == "nvenc":
            self.encoder.setCurrentIndex(self.encoder.findData("auto"))

    def values(self, settings: AppSettings) -> dict[str, Any]:
        """The AppSettings fields this page edits."""
        encode = settings.encode.model_copy(
            update={
                "segment_duration": self.segment.value(),
                "preset": self.preset.currentData(),
                "encoder": self.encoder.currentData(),
                "thumbnail_interval": self.thumbnails.value(),
                "publish_nonconformant": self.nonconformant.isChecked(),
                "subtitles": self.subtitles.isChecked(),
                "measure_quality": self.quality.isChecked(),
                "ladder_mode": self.ladder_mode.currentData(),
            }
        )
        return {
            "encode": encode,
            "output_dir": self.output_dir.text().strip(),
            "concurrent_jobs": self.concurrent.value(),
            "keep_local_after_publish": self.keep_local.isChecked(),
            "auto_publish": self.auto_publish.isChecked(),
            "default_content_type": self.content_type.currentData(),
        }
