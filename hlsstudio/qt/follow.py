"""Following the jobs another process (a command-line batch) adds or changes in the shared store.

Once a second the store is asked, in a worker, for what changed since the last look; the rows of
other processes' jobs are added, updated or removed in the table model on the GUI thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer

from hlsstudio.core.jobstore import JobRecord, JobStore
from hlsstudio.qt.job_table_model import JobTableModel
from hlsstudio.qt.workers import CallWorker

log = logging.getLogger(__name__)

FOLLOW_MS = 1000  # how often jobs other processes change are looked for
Found = tuple[list[JobRecord], set[int], float]


def others_changes(store: JobStore, since: float, owner: str) -> Found:
    """(jobs another process changed after ``since``, every job id, the newest change seen)."""
    changed = store.changed_since(since)
    newest = max([since, *(r.updated_at for r in changed)])
    return [r for r in changed if r.owner not in (None, owner)], store.ids(), newest


class StoreFollower(QObject):
    """Keeps the table model in step with other processes' jobs (``start`` after the first load)."""

    def __init__(
        self,
        store: JobStore,
        model: JobTableModel,
        owner: str,
        run_call: Callable[[CallWorker], None],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.store, self.model, self.owner, self.run_call = store, model, owner, run_call
        self.followed_until = 0.0
        self.stopped = False
        self._looking = False
        self._asked_about: set[int] = set()  # the rows when the store was asked (only those may go)
        self._timer = QTimer(self)
        self._timer.setInterval(FOLLOW_MS)
        self._timer.timeout.connect(self._look)

    def start(self, since: float) -> None:
        """Look for changes newer than ``since`` from now on."""
        self.followed_until = since
        self._timer.start()

    def stop(self) -> None:
        """Look no more (the store may be closed after this)."""
        self.stopped = True
        self._timer.stop()

    def _look(self) -> None:
        if self._looking or self.stopped:
            return
        self._looking = True
        self._asked_about = set(self.model.job_ids())
        worker = CallWorker("follow", others_changes, self.store, self.followed_until, self.owner)
        worker.signals.done.connect(self._on_found)
        worker.signals.failed.connect(self._on_failed)
        self.run_call(worker)

    def _on_found(self, _tag: object, found: Found) -> None:
        self._looking = False
        changed, ids, self.followed_until = found
        if self.stopped:
            return
        known = set(self.model.job_ids())
        self.model.append_records([r for r in changed if r.id not in known])
        for record in changed:
            if record.id in known:
                self.model.update_record(record)
        gone = (known & self._asked_about) - ids  # a row added since the store was asked stays
        if gone:
            self.model.remove_ids(gone)

    def _on_failed(self, _tag: object, error: object) -> None:
        self._looking = False
        log.warning("could not follow the job store: %s", error)
