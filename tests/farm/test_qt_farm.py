"""The farm in the desktop app (offscreen): Settings ▸ Farm's "Test connection" against a real Redis
and two real workers, the row actions "Run on the farm" / "Run locally", the "Runs on" column, and
the Farm tab's per-chunk grid following a real farm job to a valid package.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from pytestqt.qtbot import QtBot

from hlsstudio.core.models import JobState
from hlsstudio.core.settings import AppSettings, FarmSettings
from hlsstudio.qt.actions import row_menu
from hlsstudio.qt.columns import Column
from hlsstudio.qt.main_window import MainWindow
from hlsstudio.qt.pools import thread_pools
from hlsstudio.qt.widgets.farm_page import FarmPage
from tests.farm.conftest import Farm
from tests.farm.farmjobs import RUNGS, encode_settings
from tests.farm.farmlab import free_port
from tests.qt.helpers import select_ids, wait_ready, wait_state
from tests.s3server import MemoryKeyring

WAIT_MS = 60_000


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    memory = MemoryKeyring()
    keyring.set_keyring(memory)
    yield memory
    keyring.set_keyring(previous)


def use_farm(farm: Farm, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in farm.env.items():
        if name.startswith(("R2_", "HLSSTUDIO_")):
            monkeypatch.setenv(name, value)


def test_the_farm_page_keeps_the_password_out_of_the_address(qtbot: QtBot) -> None:
    pools = thread_pools()
    page = FarmPage(FarmSettings(), pools.io)
    qtbot.addWidget(page)
    page.redis_url.setText("redis://:s3cret@farm-redis:6379/0")
    page.send_new.setChecked(True)
    farm = page.values()["farm"]
    assert farm == FarmSettings(redis_url="redis://farm-redis:6379/0", send_new_jobs_to_farm=True)
    assert page.typed_password() == "s3cret"
    page.redis_url.setText(f"redis://127.0.0.1:{free_port()}/0")
    page.show()
    page.test_button.click()
    qtbot.waitUntil(lambda: "refused the connection" in page.result.text(), timeout=WAIT_MS)
    assert page.result.text().startswith("✗ Redis at 127.0.0.1:")


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_the_desktop_sends_a_job_to_the_farm_and_shows_its_chunks(
    farm: Farm, title: Path, tmp_path: Path, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    pools = thread_pools()
    page = FarmPage(FarmSettings(redis_url=farm.redis.url), pools.io)
    qtbot.addWidget(page)
    page.show()
    page.test_button.click()
    qtbot.waitUntil(lambda: "2 workers:" in page.result.text(), timeout=WAIT_MS)
    assert "(CPU, I/O)" in page.result.text() and page.result.text().startswith("✓")

    use_farm(farm, monkeypatch)
    settings = AppSettings(encode=encode_settings(), ladder=RUNGS, output_dir=str(tmp_path / "out"))
    window = MainWindow(settings, remember=False)
    window.confirm = lambda *_args: True  # type: ignore[method-assign]
    qtbot.addWidget(window)
    wiring = window.farm  # the window wires the farm in itself
    window.show()
    try:
        job = window.controller.add_files([title])[0]
        wait_state(qtbot, window, job.id, JobState.READY)
        wait_ready(qtbot, window)
        select_ids(window, [job.id])
        wiring.refresh_check(force=True)
        qtbot.waitUntil(lambda: wiring.check is not None, timeout=WAIT_MS)
        assert wiring.check is not None and wiring.check.usable, wiring.check
        assert wiring.run_on_farm.isEnabled() and not wiring.run_locally.isEnabled()
        menu = row_menu(window, window.commands, wiring.menu_actions()).actions()  # the row menu offers it
        assert wiring.run_on_farm in menu and wiring.run_locally in menu
        assert [window.side_tabs.tabText(i) for i in range(window.side_tabs.count())].count("Farm") == 1
        wiring.run_on_farm.trigger()
        row = window.controller.model.row_of(job.id)
        model = window.controller.model
        qtbot.waitUntil(lambda: model.index(row, Column.RUNS_ON).data() == "Farm", timeout=WAIT_MS)
        assert wiring.run_locally.isEnabled() and not wiring.run_on_farm.isEnabled()

        window.side_tabs.setCurrentWidget(wiring.panel)
        window.controller.start()
        qtbot.waitUntil(lambda: wiring.panel.grid.rowCount() >= 5, timeout=WAIT_MS * 2)  # 4 chunks + sound
        names = {wiring.panel.grid.item(r, 0).text() for r in range(wiring.panel.grid.rowCount())}
        assert {"chunk 1", "chunk 4", "sound"} <= names
        qtbot.waitUntil(lambda: "Encod" in wiring.panel.headline.text(), timeout=WAIT_MS)

        def hosts() -> set[str]:
            grid = wiring.panel.grid
            return {grid.item(r, 1).text() for r in range(grid.rowCount()) if grid.item(r, 1)} - {""}

        qtbot.waitUntil(lambda: bool(hosts()), timeout=WAIT_MS * 2)  # a worker took a part
        assert hosts() == {socket.gethostname()}  # both workers run on this machine
        devices = {wiring.panel.grid.item(r, 2).text() for r in range(wiring.panel.grid.rowCount())}
        assert "CPU" in devices
        record = wait_state(qtbot, window, job.id, JobState.DONE, JobState.FAILED, timeout=WAIT_MS * 5)
        assert record.state is JobState.DONE, (record.error, farm.logs())
        assert record.result is not None and record.result.validation is not None
        assert record.result.validation.ok and record.farm_job is None
        assert farm.keys("farm/") == []
    finally:
        window.close()
