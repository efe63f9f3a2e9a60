"""The render farm in the main window, wired from outside it: ``attach_farm(window)``.

* The job service's executor sends the encode of jobs whose place is the farm there
  (``FarmSession``); the window's close leaves them running (the controller's ``before_shutdown``)
  and the next start follows them again (in a worker, after the queue is loaded).
* The row menu gets "Run on the farm" and "Run locally" for the selection. "Run on the farm" is
  offered only when a farm is set up and a live worker serves the encode and I/O queues: asked in
  a worker, the answer kept for ``CHECK_SECONDS``.
* A "Farm" side tab shows the selected farm job's progress and per-chunk grid (``FarmPanel``).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QAction

from hlsstudio.core.errors import HlsStudioError
from hlsstudio.core.jobstore import JobRecord
from hlsstudio.farm.desktop import FarmCheck, check_farm, desktop_config
from hlsstudio.farm.session import FarmSession
from hlsstudio.qt.widgets.farm_panel import FarmPanel
from hlsstudio.qt.workers import CallWorker

log = logging.getLogger(__name__)
CHECK_SECONDS = 30.0
CHECKING = "Asking the farm which workers are running…"


def ask_farm(settings: Any) -> FarmCheck:
    """Whether the configured farm can take jobs now (blocks a few seconds: run it in a worker)."""
    try:
        return check_farm(desktop_config(settings))
    except HlsStudioError as exc:  # an invalid farm setting
        return FarmCheck(problem=exc.message)


class FarmWiring(QObject):
    """The farm's part of the main window (see the module docstring)."""

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window = window
        self.controller = controller = window.controller
        self.session = FarmSession(controller.service, lambda: controller.settings)
        controller.before_shutdown.append(self.session.close)
        self.check: FarmCheck | None = None
        self._checked_at = 0.0
        self._asking = False
        self.run_on_farm = QAction("Run on the farm", window)
        self.run_on_farm.setToolTip("Encode the selected jobs on the render farm's workers")
        self.run_on_farm.triggered.connect(lambda: self.place("farm"))
        self.run_locally = QAction("Run locally", window)
        self.run_locally.setToolTip("Encode the selected jobs on this computer")
        self.run_locally.triggered.connect(lambda: self.place("local"))
        self.panel = FarmPanel(controller.pools.io, self.session.status)
        window.side_tabs.addTab(self.panel, "Farm")
        window.table.selectionModel().selectionChanged.connect(self.on_selection)
        controller.job_updated.connect(self.on_job_updated)
        QTimer.singleShot(0, self.follow_again)

    # ---- where jobs run

    def place(self, where: str) -> list[JobRecord]:
        """Make the selected jobs run ``where`` (jobs that run now keep their place)."""
        changed = self.controller.service.set_runs_on(self.window.selected_ids(), where)
        if changed:
            words = "on the farm" if where == "farm" else "on this computer"
            self.controller.message.emit(f"{len(changed)} job(s) will encode {words}")
        self.update_actions()
        return list(changed)

    def update_actions(self) -> None:
        """Enable the actions that apply to the selection and the farm's last known state."""
        records = self.window.selected_records()
        usable = self.check is not None and self.check.usable
        self.run_on_farm.setEnabled(usable and any(r.runs_on != "farm" for r in records))
        self.run_on_farm.setToolTip(
            "Encode the selected jobs on the render farm's workers" if usable else self.why_not()
        )
        self.run_locally.setEnabled(any(r.runs_on == "farm" for r in records))

    def why_not(self) -> str:
        """Why jobs cannot go to the farm now."""
        if self.check is None:
            return CHECKING
        return self.check.summary()

    def farm_set_up(self) -> bool:
        """A Redis address is set (in the settings or the environment)."""
        from hlsstudio.farm.desktop import redis_url

        return bool(redis_url(self.controller.settings))

    # ---- asking the farm, in a worker

    def refresh_check(self, force: bool = False) -> None:
        """Ask the farm again when the last answer is older than ``CHECK_SECONDS`` (or ``force``)."""
        if self._asking or (not force and time.monotonic() - self._checked_at < CHECK_SECONDS):
            return
        self._asking = True
        worker = CallWorker("farm-check", ask_farm, self.controller.settings)
        worker.signals.done.connect(self._checked)
        worker.signals.failed.connect(self._check_failed)
        self.controller.run_call(worker)

    def _checked(self, _tag: object, check: FarmCheck) -> None:
        self._asking = False
        self.check, self._checked_at = check, time.monotonic()
        self.update_actions()

    def _check_failed(self, _tag: object, error: HlsStudioError) -> None:
        self._checked(_tag, FarmCheck(problem=error.message))

    # ---- the window's events

    def menu_actions(self) -> list[QAction]:
        """ "Run on the farm" / "Run locally" for the window's row menu, their states brought up to date."""
        self.refresh_check()
        self.update_actions()
        return [self.run_on_farm, self.run_locally]

    def on_selection(self, *_args: object) -> None:
        records = self.window.selected_records()
        self.panel.show_job(records[0] if records else None)
        if self.farm_set_up():
            self.refresh_check()
        self.update_actions()

    def on_job_updated(self, job_id: int) -> None:
        records = self.window.selected_records()
        if records and records[0].id == job_id:
            self.panel.show_job(records[0])

    def follow_again(self) -> None:
        """Follow the farm jobs left running when the app was last closed (in a worker)."""
        worker = CallWorker("farm-follow", self.session.follow_again)
        worker.signals.done.connect(self._followed)
        self.controller.run_call(worker)

    def _followed(self, _tag: object, outcome: tuple[list[int], list[int]]) -> None:
        followed, gone = outcome
        if followed:
            self.controller.message.emit(f"Following {len(followed)} job(s) still encoding on the farm")
        if gone:
            self.controller.message.emit(f"{len(gone)} farm job(s) were lost while the app was closed")


def attach_farm(window: Any) -> FarmWiring:
    """Wire the render farm into ``window`` (a ``MainWindow``); call before its queue loads."""
    return FarmWiring(window)
