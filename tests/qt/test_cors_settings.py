"""Settings ▸ Destination: "Test connection" also says whether web players may load from the bucket
(CORS), and "Set CORS rule" adds the rule in a worker or shows the JSON to paste (moto on loopback)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError
from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot

from hlsstudio.core.storage.cors import PLAYER_RULE_ID
from hlsstudio.qt.widgets.destination_page import DestinationPage
from tests.qt.helpers import WindowFactory
from tests.s3server import FaultProxy

MISSING = "⚠ Web players cannot load your videos: the bucket has no CORS rule allowing GET from any site."
LOADABLE = "Web players on any site can load your videos."


def plain(text: str) -> str:
    return text.replace("\u200b", "")


def new_bucket(moto_client: Any) -> str:
    bucket = f"b-{uuid.uuid4().hex[:10]}"
    moto_client.create_bucket(Bucket=bucket)
    return bucket


def destination_page(make_window: WindowFactory) -> DestinationPage:
    dialog = make_window().show_settings()
    dialog.tabs.setCurrentWidget(dialog.destination)
    return dialog.destination


def bucket_page(make_window: WindowFactory, bucket: str, endpoint: str) -> DestinationPage:
    page = destination_page(make_window)
    page.access_key_id.setText("AKIDCORS")
    page.secret.setText("cors-test-secret-value")
    page.bucket.setText(bucket)
    page.endpoint_url.setText(endpoint)
    return page


def press_test(qtbot: QtBot, page: DestinationPage) -> None:
    page.test_button.click()
    qtbot.waitUntil(page.test_button.isEnabled, timeout=30_000)


def test_the_cors_line_appears_after_a_test_and_the_button_sets_the_rule(
    qtbot: QtBot, make_window: WindowFactory, moto_server: tuple[str, int], moto_client: Any
) -> None:
    bucket = new_bucket(moto_client)
    host, port = moto_server
    page = bucket_page(make_window, bucket, f"http://{host}:{port}")
    assert page.cors.isHidden() and page.cors_button.isHidden()

    press_test(qtbot, page)

    assert page.result.text().startswith("✓ Connected"), page.result.text()
    assert plain(page.cors.text()) == MISSING
    assert page.cors.isVisible() and page.cors_button.isVisible() and page.cors_paste.isHidden()
    assert page.last_test() == (True, plain(page.result.text()).removeprefix("✓ "))

    page.cors_button.click()  # runs in a worker: the GUI thread only shows that it is busy
    assert plain(page.cors.text()) == "Setting the CORS rule…" and not page.cors_button.isEnabled()
    qtbot.waitUntil(lambda: "set." in page.cors.text(), timeout=30_000)

    assert plain(page.cors.text()) == f"✓ CORS rule {PLAYER_RULE_ID} set. {LOADABLE}"
    assert page.cors_button.isHidden() and page.cors_paste.isHidden()
    rules = moto_client.get_bucket_cors(Bucket=bucket)["CORSRules"]
    assert [r["ID"] for r in rules] == [PLAYER_RULE_ID]

    press_test(qtbot, page)
    assert plain(page.cors.text()) == f"✓ {LOADABLE}"
    assert page.cors_button.isHidden()

    page.bucket.setText(bucket + "-other")  # an edit makes the verdict meaningless
    assert page.cors.isHidden() and page.cors_button.isHidden()


def test_a_refused_rule_is_shown_to_paste_and_copy(
    qtbot: QtBot, make_window: WindowFactory, moto_client: Any, proxy: FaultProxy
) -> None:
    bucket = new_bucket(moto_client)
    proxy.rule = lambda r: "403" if r.method == "PUT" and r.query.split("=")[0] == "cors" else None
    page = bucket_page(make_window, bucket, proxy.url)
    press_test(qtbot, page)
    assert plain(page.cors.text()) == MISSING

    page.cors_button.click()
    qtbot.waitUntil(page.cors_paste.isVisible, timeout=30_000)

    text = plain(page.cors.text())
    assert text.startswith("⚠ The storage server refused to set the CORS rule: access denied"), text
    assert "this JSON" in text
    pasted = json.loads(page.cors_paste.toPlainText())
    assert pasted[0]["AllowedOrigins"] == ["*"] and pasted[0]["AllowedMethods"] == ["GET", "HEAD"]
    assert page.cors_paste.isReadOnly() and page.cors_copy.isVisible()
    assert page.cors_button.isVisible() and page.cors_button.isEnabled()  # may be tried again
    page.cors_copy.click()
    assert QGuiApplication.clipboard().text() == page.cors_paste.toPlainText()
    with pytest.raises(ClientError, match="NoSuchCORSConfiguration"):  # nothing was changed
        moto_client.get_bucket_cors(Bucket=bucket)


def test_a_local_folder_needs_no_cors(qtbot: QtBot, make_window: WindowFactory, tmp_path: Any) -> None:
    page = destination_page(make_window)
    page.local_dir.setText(str(tmp_path / "published"))

    press_test(qtbot, page)

    assert page.result.text().startswith("✓ No bucket configured")
    assert plain(page.cors.text()) == "CORS rules are not needed (local folder)."
    assert page.cors_button.isHidden()
