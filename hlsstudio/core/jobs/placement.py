"""Where each job encodes: on this machine (Local) or on the render farm (Farm), and the farm jobs a
job sent, so the app can follow them again after it was closed.

Part of the job service (``JobService`` inherits these); kept apart so each module has one job. The
core knows no farm: a job's ``runs_on`` goes into its request, and an executor that knows a farm
(``hlsstudio.farm.remote.FarmExecutor``) sends the encode of a ``farm`` job there. The farm's
encode stage reports the farm job it sent (``farm_sent``) and stored with the job; a job stopped by
the app closing keeps it (``farm_jobs_running``: the jobs whose farm work goes on when the app
closes now), and ``resume_farm_jobs`` runs such jobs again, which follows the sent farm job instead
of sending a new one (``JobRequest.farm_job``). Only those jobs run: the queue itself waits for
Start as the user left it (``JobService.let_run``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from hlsstudio.core.jobs import events as ev
from hlsstudio.core.jobstore import JobRecord, JobStore
from hlsstudio.core.models import JobState
from hlsstudio.core.settings import AppSettings

PLACES = ("local", "farm")
PLACE_WORDS = {"local": "this computer", "farm": "the farm"}


class JobPlacement:
    """Local or Farm per job (see the module docstring); the attributes below are the service's."""

    store: JobStore
    settings: AppSettings
    bus: ev.EventBus
    _encodes: dict[int, tuple[threading.Event, Path]]
    _lock: threading.RLock
    _say: Callable[..., None]
    update: Callable[..., JobRecord | None]
    transition: Callable[..., JobRecord | None]
    retry: Callable[[Sequence[int]], int]
    let_run: Callable[[Sequence[int]], None]

    def set_runs_on(self, ids: Sequence[int], where: str) -> list[JobRecord]:
        """Make these jobs encode ``where`` (``local`` or ``farm``) from their next start. A job that
        runs keeps its place (a log line says so). Returns the changed records."""
        if where not in PLACES:
            raise ValueError(f"a job runs on {' or '.join(PLACES)}, not {where!r}")
        changed: list[JobRecord] = []
        for record in self.store.get_many(list(ids)):
            if record.runs_on == where:
                continue
            if record.id in self._encodes or record.state.is_active:
                self._say(f"{record.name}: it runs now; it can move to {PLACE_WORDS[where]} once it ends",
                          record.id)  # fmt: skip
                continue
            found = self.update(record.id, runs_on=where, farm_job=None)
            if found is not None:
                changed.append(found)
        return changed

    def place_new(self, records: Sequence[JobRecord]) -> list[JobRecord]:
        """New jobs go to the farm when the settings say so (``farm.send_new_jobs_to_farm``)."""
        if not self.settings.farm.send_new_jobs_to_farm or not records:
            return list(records)
        placed = {r.id: r for r in self.set_runs_on([r.id for r in records], "farm")}
        return [placed.get(r.id, r) for r in records]

    def farm_sent(self, job_id: int, farm_job: str | None) -> None:
        """Store the farm job a job sent (None: collected or given up): what a restart follows again."""
        self.update(job_id, farm_job=farm_job)

    def farm_jobs_left(self) -> list[JobRecord]:
        """Jobs that were stopped while their farm job went on (the app was closed): to follow again."""
        stopped = (JobState.INTERRUPTED,)
        return [r for r in self.store.jobs() if r.farm_job and r.runs_on == "farm" and r.state in stopped]

    def farm_jobs_running(self) -> list[int]:
        """Jobs encoding now whose farm job was sent (their work goes on on the farm when the app
        closes, and the next start follows it again); the rest of the running jobs stop."""
        with self._lock:
            running = list(self._encodes)
        records = self.store.get_many(running)
        return [r.id for r in records if r.runs_on == "farm" and r.farm_job and r.state.is_active]

    def resume_farm_jobs(self, ids: Sequence[int]) -> int:
        """Run these jobs again, following their farm jobs: only them, the queue does not start (it
        stays as the user left it). How many."""
        resumed = self.retry(ids)
        if resumed:
            self._say(f"Following {resumed} job(s) still encoding on the farm")
            self.let_run(ids)
        return resumed

    def farm_job_gone(self, job_id: int, reason: str) -> None:
        """The farm no longer has the job's farm job: it stays Interrupted, saying why."""
        fields: dict[str, Any] = {"error": f"{reason}; retry to encode it again", "farm_job": None}
        self.transition(job_id, JobState.INTERRUPTED, **fields)
