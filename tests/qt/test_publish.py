"""Publishing to a real loopback S3 endpoint (moto) through the app's own destination code."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot

from hlsstudio.core import credentials as secrets
from hlsstudio.core.models import JobState
from hlsstudio.core.publish import UploadProgress, UploadState
from hlsstudio.core.settings import AppSettings, DestinationSettings
from hlsstudio.qt.job_table_model import Column, ProgressRole
from hlsstudio.qt.widgets.publish_panel import PROGRESS_COLUMN
from tests.qt.helpers import WindowFactory, run_until, select_ids, wait_ready, wait_state

PUBLIC_URL = "https://cdn.example.test"
ACCESS_KEY = "AKIDQTPUBLISH"


@pytest.fixture
def s3_settings(fast_settings: AppSettings, moto_server: tuple[str, int], moto_client: Any) -> AppSettings:
    """Settings whose destination is a fresh bucket on the moto server (secret in the test keyring)."""
    bucket = f"b-{uuid.uuid4().hex[:12]}"
    moto_client.create_bucket(Bucket=bucket)
    host, port = moto_server
    secrets.save_secret_key("qt-publish-secret-value", ACCESS_KEY)
    destination = DestinationSettings(
        access_key_id=ACCESS_KEY, bucket=bucket, endpoint_url=f"http://{host}:{port}", public_url=PUBLIC_URL
    )
    return fast_settings.model_copy(update={"destination": destination})


def test_publish_button_shows_every_file_and_ends_with_the_url(
    qtbot: QtBot, make_window: WindowFactory, s3_settings: AppSettings, good_clip: Path, moto_client: Any
) -> None:
    settings = s3_settings
    window = make_window(settings)
    assert "bucket" in window.destination_label.text()
    job = run_until(qtbot, window, good_clip, JobState.DONE, JobState.FAILED)
    assert job.state is JobState.DONE and not job.hls_url
    reports: list[UploadProgress] = []
    window.controller.upload_progress.connect(lambda _job, report: reports.append(report))
    select_ids(window, [job.id])
    assert window.commands.publish.isEnabled()

    with qtbot.waitSignal(window.controller.publish_finished, timeout=60_000):
        window.commands.publish.trigger()

    record = window.controller.model.record(job.id)
    assert record is not None and record.state is JobState.DONE, record.error
    expected_url = f"{PUBLIC_URL}/hls/movies/{job.content_id}/master.m3u8"
    assert record.hls_url == expected_url
    assert record.result is not None and record.result.publish is not None
    files = set(record.result.files)
    assert {r.file for r in reports} == files
    assert {r.state for r in reports} >= {UploadState.QUEUED, UploadState.UPLOADING, UploadState.DONE}
    assert reports[-1].files_done == reports[-1].files_total == len(files)

    panel = window.publish_panel
    qtbot.waitUntil(lambda: panel.files.topLevelItemCount() == len(files), timeout=5_000)
    shown = {panel.files.topLevelItem(i).text(0): panel.files.topLevelItem(i) for i in range(len(files))}
    assert set(shown) == files
    assert all(item.data(PROGRESS_COLUMN, ProgressRole)[0] == 1.0 for item in shown.values())
    assert panel.overall.value() == panel.overall.maximum()
    assert panel.url.text() == expected_url
    assert panel.copy_button.isEnabled()
    panel.copy_button.click()
    assert QGuiApplication.clipboard().text() == expected_url
    stored = moto_client.list_objects_v2(Bucket=settings.destination.bucket)["Contents"]
    title = f"hls/movies/{job.content_id}/"
    build = record.result.publish.build
    master = {f"{title}master.m3u8"}
    assert build and {o["Key"] for o in stored} == (
        master | {f"{title}{build}/{f}" for f in files if f != "master.m3u8"} | {f"{title}_builds.json"}
    )


def test_auto_publish_publishes_after_transcoding_and_can_drop_the_local_copy(
    qtbot: QtBot, make_window: WindowFactory, s3_settings: AppSettings, good_clip: Path
) -> None:
    settings = s3_settings.model_copy(update={"auto_publish": True, "keep_local_after_publish": False})
    window = make_window(settings)
    job = window.controller.add_files([good_clip])[0]
    window.controller.model.setData(window.controller.model.index(0, Column.CONTENT_TYPE), "episode")
    wait_state(qtbot, window, job.id, JobState.READY)
    wait_ready(qtbot, window)

    with qtbot.waitSignal(window.controller.publish_finished, timeout=60_000):
        window.controller.start()

    record = wait_state(qtbot, window, job.id, JobState.DONE, JobState.FAILED)
    assert record.state is JobState.DONE, record.error
    assert record.hls_url == f"{PUBLIC_URL}/hls/episodes/{job.content_id}/master.m3u8"
    assert record.out_dir and not Path(record.out_dir).exists()
    qtbot.waitUntil(lambda: window.publish_panel.url.text() == record.hls_url, timeout=5_000)


def test_publishing_without_a_valid_content_id_is_refused_with_the_reason(
    qtbot: QtBot, make_window: WindowFactory, good_clip: Path
) -> None:
    window = make_window()
    job = run_until(qtbot, window, good_clip)
    model = window.controller.model
    assert not model.setData(model.index(0, Column.CONTENT_ID), "bad id/../x")
    window.controller.store.update(job.id, content_id="")
    window.controller.model.update_record(window.controller.store.get(job.id))  # type: ignore[arg-type]

    assert window.controller.publish([job.id]) == 0

    assert "content id" in window.statusBar().currentMessage()
    assert window.controller.model.record(job.id).state is JobState.DONE  # type: ignore[union-attr]


def test_publishing_to_the_local_folder_when_no_bucket_is_configured(
    qtbot: QtBot, make_window: WindowFactory, good_clip: Path, hlsstudio_home: Path
) -> None:
    window = make_window()
    job = run_until(qtbot, window, good_clip)

    with qtbot.waitSignal(window.controller.publish_finished, timeout=60_000):
        window.controller.publish(None)

    record = window.controller.model.record(job.id)
    assert record is not None and record.hls_url
    master = hlsstudio_home / "data" / "published" / "hls" / "movies" / job.content_id / "master.m3u8"
    assert master.is_file()
    assert window.publish_panel.url.text() == record.hls_url
