"""Settings round-trip through the dialog: saved as AppSettings JSON, the secret in the keyring only."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QStandardItemModel
from pytestqt.qtbot import QtBot

from hlsstudio.core import credentials as secrets
from hlsstudio.core.settings import load_settings, settings_path
from hlsstudio.qt.widgets.destination_page import SECRET_SAVED
from hlsstudio.qt.widgets.settings_dialog import SettingsDialog
from tests.qt.helpers import WindowFactory, wait_ready
from tests.s3server import MemoryKeyring

SECRET = "Zq9-settings-secret-0xBEEF"


def fill(dialog: SettingsDialog, out_dir: Path) -> None:
    page = dialog.encoding
    page.segment.setValue(4.0)
    page.preset.setCurrentIndex(page.preset.findData("medium"))
    page.encoder.setCurrentIndex(page.encoder.findData("libx264"))
    page.thumbnails.setValue(20.0)
    page.output_dir.setText(str(out_dir))
    page.concurrent.setValue(2)
    page.keep_local.setChecked(False)
    page.auto_publish.setChecked(True)
    page.content_type.setCurrentIndex(page.content_type.findData("episode"))
    page.ladder_mode.setCurrentIndex(page.ladder_mode.findData("per-title"))
    page.quality.setChecked(False)
    dest = dialog.destination
    dest.account_id.setText("0123456789abcdef")
    dest.access_key_id.setText("AKIDSETTINGS")
    dest.secret.setText(SECRET)
    dest.bucket.setText("media")
    dest.public_url.setText("https://media.example.test")
    dest.endpoint_url.setText("")
    dialog.ffmpeg.ffmpeg.setText(shutil.which("ffmpeg") or "")


def test_settings_round_trip_through_the_dialog(
    qtbot: QtBot, make_window: WindowFactory, isolated_environment: MemoryKeyring, tmp_path: Path
) -> None:
    window = make_window()
    wait_ready(qtbot, window)
    dialog = window.show_settings()
    assert not dialog.isModal()
    fill(dialog, tmp_path / "packages")

    dialog.ok_button.click()

    saved = load_settings()
    assert saved.encode.segment_duration == 4.0
    assert saved.encode.preset == "medium"
    assert saved.encode.encoder == "libx264"
    assert saved.encode.thumbnail_interval == 20.0
    assert saved.output_dir == str(tmp_path / "packages")
    assert saved.concurrent_jobs == 2
    assert not saved.keep_local_after_publish
    assert saved.auto_publish
    assert saved.default_content_type == "episode"
    assert (saved.encode.ladder_mode, saved.encode.measure_quality) == ("per-title", False)
    assert saved.destination.bucket == "media"
    assert saved.destination.access_key_id == "AKIDSETTINGS"
    assert saved.ffmpeg_path == shutil.which("ffmpeg")
    assert saved.schema_version >= 1
    assert SECRET not in settings_path().read_text(encoding="utf-8")
    qtbot.waitUntil(lambda: secrets.load_secret_key("AKIDSETTINGS") == SECRET, timeout=10_000)
    assert ("HLSStudio", "AKIDSETTINGS") in isolated_environment.store
    assert window.controller.pools.encode.maxThreadCount() == 2
    assert "bucket media" in window.destination_label.text().lower()

    qtbot.waitUntil(lambda: window._settings_dialog is None, timeout=5_000)
    again = window.show_settings()
    assert again is not dialog
    assert again.encoding.segment.value() == 4.0
    assert again.encoding.preset.currentData() == "medium"
    assert again.encoding.concurrent.value() == 2
    assert again.encoding.content_type.currentData() == "episode"
    assert again.encoding.ladder_mode.currentData() == "per-title" and not again.encoding.quality.isChecked()
    assert again.destination.bucket.text() == "media"
    assert again.destination.secret.text() == ""
    qtbot.waitUntil(lambda: again.destination.secret.placeholderText() == SECRET_SAVED, timeout=10_000)


def test_cancel_keeps_the_old_settings(qtbot: QtBot, make_window: WindowFactory, tmp_path: Path) -> None:
    window = make_window()
    before = window.settings
    dialog = window.show_settings()
    fill(dialog, tmp_path)

    dialog.reject()

    assert window.settings == before
    assert not settings_path().exists() or load_settings().encode.preset == before.encode.preset


def test_preset_advice_and_nvenc_greyed_out_with_the_reason(qtbot: QtBot, make_window: WindowFactory) -> None:
    window = make_window()
    wait_ready(qtbot, window)
    dialog = window.show_settings()
    preset = dialog.encoding.preset

    def advice(name: str) -> Any:
        return preset.itemData(preset.findData(name), Qt.ItemDataRole.ToolTipRole)

    assert advice("ultrafast") == "fastest encode, largest files — drafts only"
    assert advice("veryfast") == "quick turnaround, ~20% larger files"
    assert advice("fast") == "the default: good balance"
    assert advice("medium") == "x264's default: smaller files, ~1.5x slower"
    assert advice("veryslow") == "best compression for final masters, much slower"
    caps = window.controller.toolchain.capabilities  # type: ignore[union-attr]
    encoder = dialog.encoding.encoder
    model = encoder.model()
    assert isinstance(model, QStandardItemModel)
    nvenc = model.item(encoder.findData("nvenc"))
    assert nvenc.isEnabled() == caps.nvenc_usable
    if not caps.nvenc_usable:
        assert caps.nvenc_reason in nvenc.toolTip()
    report = dialog.ffmpeg.report.toPlainText()
    assert caps.version in report and "libx264 yes" in report and "NVENC" in report


def test_without_a_bucket_the_local_folder_is_announced(qtbot: QtBot, make_window: WindowFactory) -> None:
    window = make_window()
    dialog = window.show_settings()

    assert "local folder" in window.destination_label.text()
    assert "local folder" in window.publish_panel.destination.text()
    assert "No bucket" in dialog.destination.mode.text()
    dialog.destination.bucket.setText("b")
    assert "bucket above" in dialog.destination.mode.text()


def test_connection_test_reports_success_and_failure(
    qtbot: QtBot, make_window: WindowFactory, moto_server: tuple[str, int], moto_client: Any
) -> None:
    bucket = f"b-{uuid.uuid4().hex[:10]}"
    moto_client.create_bucket(Bucket=bucket)
    host, port = moto_server
    window = make_window()
    page = window.show_settings().destination
    page.access_key_id.setText("AKIDTEST")
    page.secret.setText("test-secret-value")
    page.bucket.setText(bucket)
    page.endpoint_url.setText(f"http://{host}:{port}")

    page.test_button.click()
    qtbot.waitUntil(page.test_button.isEnabled, timeout=30_000)
    assert page.result.text().startswith("✓ Connected"), page.result.text()

    page.bucket.setText(bucket + "-missing")
    page.test_button.click()
    qtbot.waitUntil(page.test_button.isEnabled, timeout=30_000)
    assert page.result.text() == f"✗ connection failed: bucket {bucket}-missing does not exist"
    assert not settings_path().exists()  # testing saves nothing
