"""The farm inside a running desktop app or command line: the executor that sends farm jobs' encodes,
the farm job each job sent, leaving the farm's work running when the app closes, and following it
again on the next start.

``FarmSession`` wraps the front end's executor (``FarmExecutor``): with ``every_job`` (the command
line's ``--farm``) every job encodes on the farm, else only jobs whose place is the farm. The client
is made from the current settings when a farm job starts (``desktop.desktop_client``), so Settings ▸
Farm changes apply to the next job. ``close`` (before ``JobService.shutdown``) detaches: the farm
goes on, and each job keeps its farm job id; ``follow_again`` (after ``JobService.load``) runs
those jobs again, which downloads, checks and publishes what the farm made, or says why it cannot.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from hlsstudio.core.errors import TranscodeError
from hlsstudio.core.jobs.context import JobContext
from hlsstudio.core.settings import AppSettings
from hlsstudio.farm.desktop import desktop_client, redis_url
from hlsstudio.farm.progress import FarmBoard, FarmStatus
from hlsstudio.farm.remote import FarmEncode, FarmExecutor
from hlsstudio.farm.submit import FarmClient

log = logging.getLogger(__name__)
NOT_SET_UP = "this job is set to run on the farm, but no farm is set up (Settings ▸ Farm)"


class FarmSession:
    """A front end's farm (see the module docstring). ``service`` is its ``JobService``."""

    def __init__(
        self,
        service: Any,
        settings: Callable[[], AppSettings],
        *,
        every_job: bool = False,
        client: FarmClient | None = None,
    ) -> None:
        self.service, self.settings = service, settings
        self._client = client
        self._made_for: tuple[str, str] | None = None if client is None else self._key()
        self._lock = threading.Lock()
        self.encodes: list[FarmEncode] = []
        self.statuses: dict[str, FarmStatus] = {}  # farm job -> its latest status
        self.closing = False
        self._board: tuple[str, FarmBoard] | None = None
        self.executor = FarmExecutor(service.executor, self.encode, every_job=every_job)
        service.executor = self.executor  # the probe and publish lines keep the plain one: same lanes

    def _key(self) -> tuple[str, str]:
        settings = self.settings()
        return redis_url(settings), settings.destination.model_dump_json()

    def client(self) -> FarmClient:
        """The farm's client from the current settings (made again when they changed). Raises
        TranscodeError when no farm is set up, ConfigError when its settings are not valid."""
        key = self._key()
        with self._lock:
            if self._client is not None and self._made_for not in (None, key):
                self._client.close()
                self._client = None
            if self._client is None:
                self._client, self._made_for = desktop_client(self.settings()), key
            if self._client is None:
                raise TranscodeError(NOT_SET_UP)
            return self._client

    def reset(self) -> None:
        """The farm's settings changed: the next job makes a new client."""
        with self._lock:
            old, self._client = self._client, None
        if old is not None:
            old.close()

    def encode(self, ctx: JobContext) -> None:
        """The encode stage of a farm job (``FarmEncode``), kept so the app's close can detach it."""
        stage = FarmEncode(self.client(), on_status=self._seen, on_sent=self._sent)
        with self._lock:
            self.encodes.append(stage)
            if self.closing:
                stage.detach()
        try:
            stage(ctx)
        finally:
            with self._lock:
                self.encodes.remove(stage)

    def status(self, farm_job: str) -> FarmStatus | None:
        """A farm job's status read from the board now (None: unknown, or no farm set up). Raises
        redis errors. Blocks: call it off the GUI thread."""
        url = redis_url(self.settings())
        if not url:
            return None
        with self._lock:
            if self._board is None or self._board[0] != url:
                if self._board is not None:
                    self._board[1].close()
                self._board = (url, FarmBoard(url))
            board = self._board[1]
        return board.status(farm_job)

    def _seen(self, status: FarmStatus) -> None:
        self.statuses[status.job] = status

    def _sent(self, job: str, farm_job: str | None) -> None:
        if job.isdigit():
            self.service.farm_sent(int(job), farm_job)

    def close(self) -> None:
        """The app is closing: running farm jobs go on without it (call before the service's
        shutdown); their jobs keep their farm job ids for ``follow_again``."""
        with self._lock:
            self.closing = True
            for stage in self.encodes:
                stage.detach()

    def follow_again(self) -> tuple[list[int], list[int]]:
        """Run again the jobs whose farm jobs went on while the app was closed: (followed, gone).
        A job whose farm job the farm no longer has stays Interrupted, saying so. Reads the bucket:
        call it off the GUI thread."""
        left = self.service.farm_jobs_left()
        if not left:
            return [], []
        try:
            client = self.client()
        except Exception as exc:
            log.warning("farm jobs left from the last run cannot be followed: %s", exc)
            return [], []
        followed, gone = [], []
        for record in left:
            try:
                spec = client.job(record.farm_job)
            except Exception as exc:  # the bucket cannot be read now: left for a retry
                log.warning("job %s: its farm job cannot be checked now: %s", record.id, exc)
                continue
            if spec is None:
                self.service.farm_job_gone(record.id, f"the farm no longer has its work ({record.farm_job})")
                gone.append(record.id)
            else:
                followed.append(record.id)
        if followed:
            self.service.resume_farm_jobs(followed)
        return followed, gone
