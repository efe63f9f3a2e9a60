"""The table follows other processes' jobs in the shared store, and never drops a row it did not ask
about: a job added here while the store was being read (in a worker) stays in the queue."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pytestqt.qtbot import QtBot

from hlsstudio.core.jobstore import JobStore
from hlsstudio.qt.follow import StoreFollower, others_changes
from hlsstudio.qt.job_table_model import JobTableModel


def test_a_job_added_while_the_store_is_read_is_not_removed(qtbot: QtBot, tmp_path: Path) -> None:
    store = JobStore.open(tmp_path / "jobs.db")
    try:
        model = JobTableModel()
        model.append_records(store.add([tmp_path / "first.mp4"], owner="me"))
        asked: list[Any] = []
        follower = StoreFollower(store, model, "me", asked.append)
        follower._look()  # the question goes to a worker (held here)
        answer = others_changes(store, 0.0, "me")  # what the worker reads: the store as it is now
        model.append_records(store.add([tmp_path / "second.mp4"], owner="me"))  # added meanwhile
        follower._on_found(None, answer)
        assert len(model.job_ids()) == 2  # the new job is still in the queue
        other = store.add([tmp_path / "gone.mp4"], owner="batch")[0]
        model.append_records([other])
        follower._look()
        store.remove([other.id])  # another process removed its job
        follower._on_found(None, others_changes(store, 0.0, "me"))
        assert other.id not in model.job_ids() and len(model.job_ids()) == 2
        assert len(asked) == 2
    finally:
        store.close()
