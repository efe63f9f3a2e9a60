"""Edge cases of intake, auto-publish and closing: a name that is not text, an invalid content id,
publish answers arriving after the job store was closed, and the webhook fields of the settings."""

from __future__ import annotations

import json
import os
import shutil
import threading
from pathlib import Path

import keyring
import pytest
from pytestqt.qtbot import QtBot

from hlsstudio.core import credentials as secrets
from hlsstudio.core.jobstore import JobStore, db_path
from hlsstudio.core.models import JobResult, JobState
from hlsstudio.core.settings import AppSettings, DestinationSettings, settings_path
from hlsstudio.qt.intake import BAD_NAME
from hlsstudio.qt.widgets.destination_page import SECRET_SAVED, WEBHOOK_SAVED
from tests.qt.helpers import WindowFactory, drop, record_named, wait_ready, wait_state
from tests.s3server import MemoryKeyring


@pytest.mark.skipif(os.name != "posix" or os.uname().sysname == "Darwin", reason="needs byte file names")
def test_a_dropped_folder_with_a_name_that_is_not_text_adds_the_rest(
    qtbot: QtBot, make_window: WindowFactory, good_clip: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "incoming"
    folder.mkdir()
    shutil.copy(good_clip, folder / "a.mp4")
    shutil.copy(good_clip, folder / "c.mp4")
    fd = os.open(os.fsencode(folder) + b"/bad\xff.mp4", os.O_WRONLY | os.O_CREAT, 0o644)
    os.write(fd, good_clip.read_bytes())
    os.close(fd)
    window = make_window()

    drop(window, [folder])

    model = window.controller.model
    qtbot.waitUntil(lambda: model.rowCount() == 3, timeout=30_000)
    assert [r.name for r in model.records()] == ["a.mp4", "bad\\xff.mp4", "c.mp4"]
    for name in ("a.mp4", "c.mp4"):
        wait_state(qtbot, window, record_named(window, name).id, JobState.READY)
    bad = record_named(window, "bad\\xff.mp4")
    assert bad.state is JobState.FAILED and bad.error == BAD_NAME
    assert "rename it" in BAD_NAME
    stored = window.controller.store.get(bad.id)
    assert stored is not None and stored.state is JobState.FAILED and stored.error == BAD_NAME


def test_auto_publish_with_an_invalid_content_id_says_why_in_the_row(
    qtbot: QtBot,
    make_window: WindowFactory,
    fast_settings: AppSettings,
    good_clip: Path,
    hlsstudio_home: Path,
) -> None:
    window = make_window(fast_settings.model_copy(update={"auto_publish": True}))
    c = window.controller
    job = c.add_files([good_clip])[0]
    wait_state(qtbot, window, job.id, JobState.READY)
    c.store.update(job.id, content_id="my film")  # e.g. from an older version: the table refuses such ids
    c.model.update_record(c.store.get(job.id))  # type: ignore[arg-type]
    wait_ready(qtbot, window)

    c.start()

    record = wait_state(qtbot, window, job.id, JobState.DONE, JobState.PUBLISH_FAILED, JobState.FAILED)
    expected = "not published: content id 'my film' is not valid: use 1-128 letters, digits, '-' or '_'"
    assert record.state is JobState.PUBLISH_FAILED and record.error == expected
    assert record.result is not None and record.result.output_dir  # the package was still made
    assert (Path(record.result.output_dir) / "master.m3u8").is_file()
    assert not (hlsstudio_home / "data" / "published" / "hls").exists()
    # a retry keeps the package and says what to fix before publishing
    c.retry([job.id])
    assert "content id" in window.statusBar().currentMessage()


class BlockingKeyring(MemoryKeyring):
    """Holds a read of one entry until released: a publish worker that is still busy at exit."""

    def __init__(self, user: str) -> None:
        super().__init__()
        self.user = user
        self.entered = threading.Event()
        self.release = threading.Event()

    def get_password(self, service: str, username: str) -> str | None:
        if username == self.user:
            self.entered.set()
            self.release.wait(30)
        return super().get_password(service, username)


def test_a_publish_answering_after_the_store_closed_writes_nothing(
    qtbot: QtBot, make_window: WindowFactory, fast_settings: AppSettings, tmp_path: Path
) -> None:
    blocking = BlockingKeyring("AKIDLATE")
    blocking.store[(secrets.SERVICE, "AKIDLATE")] = "late-publish-secret"
    keyring.set_keyring(blocking)
    destination = DestinationSettings(
        bucket="late",
        access_key_id="AKIDLATE",
        endpoint_url="http://127.0.0.1:9",
        public_url="https://x.test",
    )
    window = make_window(fast_settings.model_copy(update={"destination": destination}))
    c = window.controller
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "master.m3u8").write_text("#EXTM3U\n")
    job = c.store.add([str(tmp_path / "src.mp4")])[0]
    result = JobResult(status="completed", source=job.source, output_dir=str(package))
    c.model.append_records(c.store.transition_many([(job.id, JobState.DONE, {"result": result})]))

    assert c.publish([job.id]) == 1
    assert blocking.entered.wait(10)  # the worker is inside the keyring, i.e. still publishing
    real_shutdown = c.shutdown
    c.shutdown = lambda wait_ms=0: real_shutdown(wait_ms=200)  # type: ignore[method-assign]
    window.close()  # records the job as interrupted, then closes the store
    with pytest.raises(Exception, match="closed"):
        window.store.jobs()

    blocking.release.set()  # now the worker goes on, sees the cancel and answers
    assert c.pools.io.waitForDone(20_000)
    qtbot.wait(300)  # the queued answer is delivered (an exception there fails the test)

    store = JobStore.open(db_path(), recover=False)
    try:
        record = store.get(job.id)
        assert record is not None and record.state is JobState.INTERRUPTED
        assert record.error == "interrupted: the app was closed"
        assert [state for _, state, _ in store.history(job.id)][-1] is JobState.INTERRUPTED
    finally:
        store.close()


def test_the_webhook_url_and_secret_are_edited_through_the_keyring(
    qtbot: QtBot, make_window: WindowFactory, isolated_environment: MemoryKeyring
) -> None:
    url = "https://hooks.example.test/notify?token=qt-webhook-token-123"
    window = make_window()
    dialog = window.show_settings()
    page = dialog.destination
    qtbot.keyClicks(page.webhook_url, url)  # typed, as a user would
    page.webhook_secret.setText("qt-webhook-secret-456")

    with qtbot.waitSignal(
        window.controller.message, timeout=10_000, check_params_cb=lambda m: m == WEBHOOK_SAVED
    ):
        dialog.ok_button.click()

    assert isolated_environment.get_password(secrets.SERVICE, secrets.WEBHOOK_URL_USER) == url
    assert isolated_environment.get_password(secrets.SERVICE, secrets.WEBHOOK_USER) == "qt-webhook-secret-456"
    text = settings_path().read_text(encoding="utf-8")
    assert url not in text and "qt-webhook-secret-456" not in text
    assert json.loads(text)["destination"].get("webhook_url", "") == ""

    # opened again: the URL comes back from the keyring (in a worker), the secret is only announced
    qtbot.waitUntil(lambda: window._settings_dialog is None, timeout=5_000)
    again = window.show_settings().destination
    qtbot.waitUntil(lambda: again.webhook_url.text() == url, timeout=10_000)
    qtbot.waitUntil(lambda: again.webhook_secret.placeholderText() == SECRET_SAVED, timeout=10_000)
    assert again.webhook_secret.text() == "" and again.webhook_change() is None
