"""Settings in plain words: missing fields named as the dialog shows them, "Save anyway?" on OK,
the status-bar warning, the FFmpeg page's plain summary, and long texts that wrap."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from PySide6.QtWidgets import QLabel, QMessageBox
from pytestqt.qtbot import QtBot

from hlsstudio.core import credentials as secrets
from hlsstudio.core.settings import AppSettings, DestinationSettings, load_settings, settings_path
from hlsstudio.core.storage.config import FIELD_LABELS, destination_problem, missing_destination_fields
from hlsstudio.core.toolchain import Capabilities, Toolchain
from hlsstudio.qt.destination_status import WARNING_SIGN, DestinationStatus
from hlsstudio.qt.pools import SyncPool
from hlsstudio.qt.widgets.ffmpeg_page import FfmpegPage
from hlsstudio.qt.widgets.settings_dialog import SAVE_ANYWAY, SettingsDialog
from tests.qt.helpers import WindowFactory

ENV_NAME = re.compile(r"\b(R2|HLSSTUDIO|AWS)_[A-Z_]+")
INCOMPLETE = DestinationSettings(bucket="media")
COMPLETE = DestinationSettings(
    bucket="media", account_id="0123abcd", access_key_id="AKID", public_url="https://media.example.test"
)


class Answers:
    """Stands in for QMessageBox.question: gives the queued answers and records what was asked."""

    def __init__(self, *answers: QMessageBox.StandardButton) -> None:
        self.answers = list(answers)
        self.asked: list[tuple[str, str]] = []

    def __call__(self, _parent: Any, title: str, text: str, *_args: Any) -> QMessageBox.StandardButton:
        self.asked.append((title, text))
        if not self.answers:
            raise AssertionError(f"unexpected question: {title}: {text}")
        return self.answers.pop(0)


def plain(text: str) -> str:
    return text.replace("\u200b", "")


def form_labels(dialog: SettingsDialog) -> set[str]:
    return {label.text().rstrip(":") for label in dialog.destination.findChildren(QLabel)}


def test_missing_fields_are_named_as_the_dialog_shows_them(make_window: WindowFactory) -> None:
    dialog = make_window().show_settings()
    labels = form_labels(dialog)
    for name in ("account_id", "access_key_id", "secret_access_key", "bucket", "public_url", "endpoint_url"):
        assert FIELD_LABELS[name] in labels

    assert missing_destination_fields(INCOMPLETE, secret_known=False) == [
        "account_id",
        "access_key_id",
        "secret_access_key",
        "public_url",
    ]
    message = destination_problem(INCOMPLETE, secret_known=False)
    assert message == (
        "To publish to the bucket, fill in Account ID, Access key ID, Secret access key and Public URL."
    )
    dialog.destination.bucket.setText("media")
    problem = dialog.destination.problem()
    assert "Account ID" in problem and "Access key ID" in problem
    assert not ENV_NAME.search(problem), problem
    assert "fill in Account ID" in dialog.destination.mode.text()  # said before OK, too
    for name in ("account_id", "access_key_id", "public_url"):
        getattr(dialog.destination, name).setText(getattr(COMPLETE, name))
    dialog.destination.secret.setText("typed-secret-value-123")
    assert dialog.destination.mode.text() == "Videos are published to the bucket above."
    assert dialog.destination.problem() == ""
    assert destination_problem(DestinationSettings()) == ""  # a local folder is always fine
    assert destination_problem(COMPLETE, secret_known=True) == ""


def test_the_connection_test_names_missing_fields_without_variable_names(
    qtbot: QtBot, make_window: WindowFactory
) -> None:
    page = make_window().show_settings().destination
    page.bucket.setText("media")
    page.access_key_id.setText("AKIDPLAIN")

    page.test_button.click()
    qtbot.waitUntil(page.test_button.isEnabled, timeout=10_000)

    text = plain(page.result.text())
    assert text.startswith("✗ ") and "Account ID" in text and "Secret access key" in text, text
    assert not ENV_NAME.search(text), text


def test_ok_on_an_incomplete_bucket_asks_save_anyway(
    qtbot: QtBot, make_window: WindowFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = Answers(QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes)
    monkeypatch.setattr(QMessageBox, "question", answers)
    window = make_window()
    dialog = window.show_settings()
    dialog.tabs.setCurrentWidget(dialog.encoding)
    dialog.destination.bucket.setText("media")

    dialog.ok_button.click()  # No: nothing saved, the dialog stays open on the destination page

    assert len(answers.asked) == 1
    title, text = answers.asked[0]
    assert title == SAVE_ANYWAY and SAVE_ANYWAY in text
    assert "Account ID" in text and "Access key ID" in text
    assert not ENV_NAME.search(text), text
    assert dialog.isVisible()
    assert dialog.tabs.currentWidget() is dialog.destination
    assert not settings_path().exists()
    assert window.settings.destination.bucket == ""

    with qtbot.waitSignal(dialog.settings_accepted, timeout=5_000):
        dialog.ok_button.click()  # Yes: saved as typed

    assert len(answers.asked) == 2
    assert not dialog.isVisible()
    assert load_settings().destination.bucket == "media"


def test_a_local_folder_or_a_complete_bucket_saves_without_asking(
    qtbot: QtBot, make_window: WindowFactory, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    answers = Answers()  # any question fails the test
    monkeypatch.setattr(QMessageBox, "question", answers)
    window = make_window()
    dialog = window.show_settings()
    dialog.destination.local_dir.setText(str(tmp_path / "published"))
    with qtbot.waitSignal(dialog.settings_accepted, timeout=5_000):
        dialog.ok_button.click()
    assert load_settings().destination.local_dir == str(tmp_path / "published")

    qtbot.waitUntil(lambda: window._settings_dialog is None, timeout=5_000)
    page = window.show_settings().destination
    for name in ("account_id", "access_key_id", "bucket", "public_url"):
        getattr(page, name).setText(getattr(COMPLETE, name))
    page.secret.setText("typed-secret-value-123")
    with qtbot.waitSignal(window._settings_dialog.settings_accepted, timeout=5_000):  # type: ignore[union-attr]
        window._settings_dialog.ok_button.click()  # type: ignore[union-attr]
    assert answers.asked == []


def test_a_failed_connection_test_asks_save_anyway_until_the_fields_change(
    qtbot: QtBot,
    make_window: WindowFactory,
    monkeypatch: pytest.MonkeyPatch,
    moto_server: tuple[str, int],
    moto_client: Any,
) -> None:
    bucket = f"b-{uuid.uuid4().hex[:10]}"
    moto_client.create_bucket(Bucket=bucket)
    host, port = moto_server
    answers = Answers(QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes)
    monkeypatch.setattr(QMessageBox, "question", answers)
    dialog = make_window().show_settings()
    tested: list[tuple[bool, str]] = []
    dialog.connection_tested.connect(lambda ok, message: tested.append((ok, message)))
    page = dialog.destination
    page.access_key_id.setText("AKIDTEST")
    page.secret.setText("test-secret-value")
    page.bucket.setText(bucket + "-missing")
    page.endpoint_url.setText(f"http://{host}:{port}")
    assert page.problem() == ""
    page.test_button.click()
    qtbot.waitUntil(page.test_button.isEnabled, timeout=30_000)
    assert page.last_test() is not None and not page.last_test()[0]  # type: ignore[index]

    dialog.ok_button.click()  # No
    assert dialog.isVisible()
    assert "connection test failed" in answers.asked[0][1] and "does not exist" in answers.asked[0][1]

    page.bucket.setText(bucket + "-other")  # edited: the old test says nothing about it
    assert page.last_test() is None and page.problem() == "" and page.result.text() == ""
    page.bucket.setText(bucket + "-missing")
    page.test_button.click()
    qtbot.waitUntil(page.test_button.isEnabled, timeout=30_000)
    with qtbot.waitSignal(dialog.settings_accepted, timeout=5_000):
        dialog.ok_button.click()  # Yes
    assert len(answers.asked) == 2
    assert tested == [(False, f"connection failed: bucket {bucket}-missing does not exist")]


def test_status_warns_for_an_incomplete_bucket_and_not_for_a_local_folder(qtbot: QtBot) -> None:
    status = DestinationStatus(environ={}, dotenv={})
    qtbot.addWidget(status)

    status.show_settings(DestinationSettings())
    assert not status.warning and not status.is_warning()
    assert status.text().startswith("Publishing to local folder")
    assert status.styleSheet() == ""

    status.show_settings(INCOMPLETE)
    assert status.warning
    assert status.text().startswith(WARNING_SIGN) and "bucket media" in status.text()
    assert status.styleSheet() != ""
    assert "Account ID" in status.toolTip() and "Access key ID" in status.toolTip()
    assert not ENV_NAME.search(status.toolTip())
    assert status.reason == status.toolTip()

    status.show_settings(COMPLETE)
    assert not status.warning and status.text() == "Publishing to bucket media"
    assert status.reason == ""


def test_status_shows_an_unreachable_bucket_until_the_settings_change(qtbot: QtBot) -> None:
    status = DestinationStatus(environ={}, dotenv={})
    qtbot.addWidget(status)
    status.show_settings(COMPLETE)

    status.show_test_result(False, "connection failed: bucket media does not exist")
    assert status.warning and "unreachable" in status.text()
    assert "bucket media does not exist" in status.toolTip()
    assert "connection failed:" not in status.toolTip()
    status.show_settings(COMPLETE)  # the same settings: still unreachable
    assert status.warning
    status.show_test_result(True, "Connected: r2://media")
    assert not status.warning

    status.show_test_result(False, "connection failed: timed out")
    status.show_settings(COMPLETE.model_copy(update={"bucket": "other"}))
    assert not status.warning and "bucket other" in status.text()


def test_status_asks_the_keyring_for_the_secret_in_its_pool(qtbot: QtBot) -> None:
    status = DestinationStatus(SyncPool(), environ={}, dotenv={})
    qtbot.addWidget(status)
    status.show_settings(COMPLETE)
    assert status.warning and "Secret access key" in status.toolTip()

    secrets.save_secret_key("keyring-secret-value-1", "AKID")
    status.show_settings(COMPLETE.model_copy(update={"public_url": "https://cdn.example.test"}))
    assert not status.warning
    status.show_settings(COMPLETE.model_copy(update={"access_key_id": "OTHER"}), secret_known=True)
    assert not status.warning  # just typed: the keyring is not asked


def test_status_counts_a_secret_from_the_environment(qtbot: QtBot) -> None:
    status = DestinationStatus(SyncPool(), environ={"R2_SECRET_ACCESS_KEY": "env-secret-value"}, dotenv={})
    qtbot.addWidget(status)
    status.show_settings(COMPLETE)
    assert not status.warning


def nvenc_build(usable: bool) -> Toolchain:
    caps = Capabilities(
        version="7.1",
        encoders={"libx264": True, "libx265": True, "h264_nvenc": True, "hevc_nvenc": True},
        filters={"zscale": True, "tonemap": True, "libvmaf": False, "bwdif": True, "yadif": True},
        nvenc_usable=usable,
        nvenc_reason="" if usable else "no usable NVIDIA GPU/driver (Cannot load libcuda.so.1)",
    )
    return Toolchain(
        ffmpeg="/usr/bin/ffmpeg",
        ffprobe="/usr/bin/ffprobe",
        ffmpeg_source="PATH",
        ffprobe_source="PATH",
        ffprobe_version="7.1",
        capabilities=caps,
    )


def test_ffmpeg_page_says_first_that_gpu_encoding_is_not_available(qtbot: QtBot) -> None:
    page = FfmpegPage(AppSettings())
    qtbot.addWidget(page)
    page.show()

    page.show_toolchain(nvenc_build(usable=False), None)

    summary = plain(page.summary.text())
    first = summary.split(". ")[0]
    assert first == "GPU encoding: not available on this computer — encoding uses the CPU", summary
    assert "includes NVIDIA's encoder" in summary and "no usable NVIDIA graphics card" in summary
    report = page.report.toPlainText()
    assert "libx264 yes" in report
    assert "h264_nvenc yes" not in report and "hevc_nvenc yes" not in report
    assert "h264_nvenc built in (no usable GPU)" in report
    assert "built in, but no usable GPU found: no usable NVIDIA GPU/driver" in report
    assert page.report.isHidden()  # details on demand
    page.details.click()
    assert page.report.isVisible()

    page.show_toolchain(nvenc_build(usable=True), None)
    assert plain(page.summary.text()).startswith("GPU encoding: available")
    assert "h264_nvenc yes" in page.report.toPlainText()

    page.show_toolchain(None, "ffmpeg not found")
    assert "cannot be encoded" in page.summary.text()


def test_encoding_page_explains_technical_terms(make_window: WindowFactory) -> None:
    page = make_window().show_settings().encoding
    assert "x264 preset" in page.preset.toolTip()
    assert "Segment duration" in page.segment.toolTip()
    assert "thumbnails" in page.thumbnails.toolTip()
    assert page.preset.itemText(page.preset.findData("fast")) == "Balanced — recommended (fast)"


def test_long_texts_wrap_instead_of_widening_the_dialog(qtbot: QtBot, make_window: WindowFactory) -> None:
    dialog = make_window().show_settings()
    dialog.tabs.setCurrentWidget(dialog.destination)
    narrow = dialog.minimumSizeHint().width()
    long_folder = "/srv/media_exports/" + "Quarterly_Review_Final_Cut_" * 12
    long_reason = "access denied for key " + "K3Y" * 80

    dialog.destination.local_dir.setText(long_folder)
    dialog.destination._show_test(("test", -1), False, long_reason)
    dialog.ffmpeg.show_toolchain(None, f"ffmpeg not found at {long_folder}")

    assert plain(dialog.destination.mode.text()).endswith(f"{long_folder}.")
    assert plain(dialog.destination.result.text()) == f"✗ {long_reason}"
    assert dialog.minimumSizeHint().width() <= max(narrow, 720), (narrow, dialog.minimumSizeHint())
    assert dialog.width() <= 900


def test_the_window_status_bar_warns_about_a_destination_that_cannot_work(
    qtbot: QtBot, make_window: WindowFactory, fast_settings: AppSettings
) -> None:
    window = make_window(fast_settings)
    status = window.destination_label
    assert not status.warning and "Publishing to" in status.text()

    window.apply_settings(
        fast_settings.model_copy(update={"destination": DestinationSettings(bucket="my-bucket")})
    )

    assert status.warning and "⚠" in status.text()
    assert "Account ID" in status.toolTip() and "R2_" not in status.toolTip()
