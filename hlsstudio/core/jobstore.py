"""The job queue and its history in SQLite: every state transition is one committed transaction.

The database lives at ``paths.data_dir() / "jobs.sqlite3"`` in WAL mode, so a crash or a kill
leaves it consistent at the last committed transition. The desktop app and command line runs may
share it: a job records its owner, the process driving it (``jobowner``; ``claim``/``release``), and
others follow its changes (``changed_since``, ``ids``). Opening the store recovers jobs that were
active (probing, transcoding, …) under an owner no longer alive: they become INTERRUPTED and the
partial folders their encodes left are removed (only those with the app's marker, see ``ownership``).

Opening checks, migrates and sorts out an unusable database (``hlsstudio.core.jobdb``). The store
is safe to share between threads (one connection guarded by a lock).
"""

from __future__ import annotations

import logging
import re
import sqlite3
import threading
import time
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from hlsstudio.core import jobdb, paths
from hlsstudio.core.jobdb import JobRecord
from hlsstudio.core.jobowner import owner_alive
from hlsstudio.core.models import ContentType, JobState
from hlsstudio.core.ownership import remove_owned

__all__ = [
    "ACTIVE_STATES",
    "DB_NAME",
    "SETTLED_STATES",
    "JobRecord",
    "JobStore",
    "db_path",
    "partial_folders",
    "remove_partials",
    "suggest_content_id",
]

log = logging.getLogger(__name__)

DB_NAME = "jobs.sqlite3"
ACTIVE_STATES = tuple(s.value for s in JobState if s.is_active)
SETTLED_STATES = tuple(s.value for s in JobState if not s.is_active)
CONTENT_ID_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")
DASH_RUNS = re.compile(r"-{2,}")
MAX_CONTENT_ID = 128


def db_path() -> Path:
    """The job database file under the data dir."""
    return paths.data_dir() / DB_NAME


def suggest_content_id(source: str | Path, taken: Iterable[str] = ()) -> str:
    """A content id from a file name: letters, digits, '-' and '_' only, unique among ``taken``.

    ``"My Film (2024) - cut.mov"`` becomes ``"My-Film-2024-cut"``, ``"été.mp4"`` ``"ete"``; a clash gets
    ``-2``, ``-3`` …
    """
    stem = unicodedata.normalize("NFKD", Path(source).stem).encode("ascii", "ignore").decode("ascii")
    base = DASH_RUNS.sub("-", CONTENT_ID_UNSAFE.sub("-", stem)).strip("-_")[: MAX_CONTENT_ID - 4] or "video"
    used = set(taken)
    candidate, n = base, 1
    while candidate in used:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def partial_folders(out_dir: Path) -> list[Path]:
    """The hidden working folders an encode for ``out_dir`` leaves beside it (``.<name>.partial-*``)."""
    if not out_dir.parent.is_dir():
        return []
    return sorted(out_dir.parent.glob(f".{out_dir.name}.partial-*"))


def remove_partials(out_dir: Path) -> list[Path]:
    """Delete the partial folders of ``out_dir`` that the app made; returns the ones removed.

    A folder with a matching name but without the app's marker is left alone (``remove_owned``
    logs it): it may be the user's.
    """
    return [folder for folder in partial_folders(out_dir) if remove_owned(folder)]


class JobStore:
    """SQLite-backed queue and history. Open with ``JobStore.open()``; close when done."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self._db = connection
        self._lock = threading.RLock()
        self.path = path
        self.recovered: list[int] = []

    @classmethod
    def open(
        cls, path: Path | None = None, *, recover: bool = True, busy_timeout: float | None = None
    ) -> JobStore:
        """Open (creating or migrating if needed) the store at ``path`` (default ``db_path()``).

        With ``recover``, jobs left active by an owner no longer alive become INTERRUPTED and their
        partial output folders are removed (``recover_interrupted``); ids in ``store.recovered``. Waits up to
        ``busy_timeout`` s (default ``jobdb.BUSY_TIMEOUT``) for a lock held by another connection.
        Raises DamagedStoreError (SQLite reports the file corrupt or not a database),
        StoreUnavailableError (locked, unreadable, read-only) or NewerStoreError (written by a
        newer app); the file is never changed or moved then.
        """
        path = path or db_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        timeout = jobdb.BUSY_TIMEOUT if busy_timeout is None else busy_timeout
        try:
            connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=timeout)
        except sqlite3.Error as exc:
            raise jobdb.classify_error(exc, path) from exc
        try:
            connection.row_factory = sqlite3.Row
            jobdb.prepare(connection, path)
            store = cls(connection, path)
            if recover:
                store.recovered = store.recover_interrupted()
        except jobdb.JobStoreError:
            connection.close()
            raise
        except sqlite3.Error as exc:
            connection.close()
            raise jobdb.classify_error(exc, path) from exc
        except BaseException:
            connection.close()
            raise
        return store

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _select(self, where: str = "", args: Sequence[Any] = ()) -> list[JobRecord]:
        with self._lock:
            rows = self._db.execute(
                f"SELECT {jobdb.COLUMNS} FROM jobs {where} ORDER BY position, id", args
            ).fetchall()
        return [jobdb.read_record(r) for r in rows]

    def recover_interrupted(self) -> list[int]:
        """Mark jobs left active by a dead owner INTERRUPTED and clean their partial folders; their ids.

        Only jobs whose owner is not alive (``jobowner.owner_alive``; no owner counts as dead) are
        recovered, and lose their owner: those another running app or command line drives are left
        exactly as they are. A job in a state this version does not know (the database was used by a
        newer version) is treated the same way. Only partial folders the app made are removed.
        """
        marks = ",".join("?" * len(SETTLED_STATES))
        with self._transaction() as db:
            now = time.time()
            rows = db.execute(
                f"SELECT id, state, out_dir, owner FROM jobs WHERE state NOT IN ({marks})", SETTLED_STATES
            ).fetchall()
            stale = [
                (job_id, stored, out_dir) for job_id, stored, out_dir, owner in rows if not owner_alive(owner)
            ]
            for job_id, stored, _ in stale:
                if stored in ACTIVE_STATES:
                    message = f"interrupted while {stored}: the app stopped; retry to run it again"
                else:
                    message = jobdb.unknown_state_message(stored)
                db.execute(
                    "UPDATE jobs SET state=?, error=?, error_detail=NULL, owner=NULL, updated_at=?"
                    " WHERE id=?",
                    (JobState.INTERRUPTED.value, message, now, job_id),
                )
                db.execute(
                    "INSERT INTO transitions(job_id, at, state, error) VALUES (?,?,?,?)",
                    (job_id, now, JobState.INTERRUPTED.value, message),
                )
        for job_id, _, out_dir in stale:
            if out_dir:
                for folder in remove_partials(Path(out_dir)):
                    log.info("removed partial output %s of interrupted job %s", folder, job_id)
        return [job_id for job_id, _, _ in stale]

    def add(
        self,
        sources: Sequence[str | Path],
        content_type: ContentType = ContentType.MOVIE,
        *,
        owner: str | None = None,
    ) -> list[JobRecord]:
        """Append QUEUED jobs for ``sources`` (one transaction), each with a suggested content id.

        ``owner`` (``jobowner.process_owner()``) is the process that will drive them, if any.
        """
        ids: list[int] = []
        with self._transaction() as db:
            now = time.time()
            taken = {r[0] for r in db.execute("SELECT content_id FROM jobs")}
            top = db.execute("SELECT COALESCE(MAX(position), 0) FROM jobs").fetchone()[0]
            for offset, source in enumerate(sources, start=1):
                content_id = suggest_content_id(source, taken)
                taken.add(content_id)
                cursor = db.execute(
                    "INSERT INTO jobs(position, source, state, content_type, content_id, created_at,"
                    " updated_at, owner) VALUES (?,?,?,?,?,?,?,?)",
                    (
                        top + offset,
                        str(source),
                        JobState.QUEUED.value,
                        content_type.value,
                        content_id,
                        now,
                        now,
                        owner,
                    ),
                )
                assert cursor.lastrowid is not None
                ids.append(cursor.lastrowid)
                db.execute(
                    "INSERT INTO transitions(job_id, at, state) VALUES (?,?,?)",
                    (cursor.lastrowid, now, JobState.QUEUED.value),
                )
        return self.get_many(ids)

    def get(self, job_id: int) -> JobRecord | None:
        """The job with ``job_id``, or None."""
        return next(iter(self._select("WHERE id=?", (job_id,))), None)

    def get_many(self, ids: Sequence[int]) -> list[JobRecord]:
        """The jobs with these ids, in queue order (unknown ids are skipped)."""
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        return self._select(f"WHERE id IN ({marks})", list(ids))

    def jobs(self) -> list[JobRecord]:
        """Every job, in queue order."""
        return self._select()

    def transition(
        self,
        job_id: int,
        state: JobState,
        *,
        error: str | None = None,
        error_detail: str | None = None,
        **fields: Any,
    ) -> JobRecord | None:
        """Move a job to ``state`` (one transaction, logged in ``transitions``); returns the new record.

        ``error``/``error_detail`` replace the stored ones (None clears them). Extra ``fields`` may be
        ``out_dir``, ``info`` (MediaInfo), ``result`` (JobResult) or ``hls_url``.
        """
        fields.update(error=error, error_detail=error_detail)
        found = self.transition_many([(job_id, state, fields)])
        return found[0] if found else None

    def transition_many(self, changes: Sequence[tuple[int, JobState, dict[str, Any]]]) -> list[JobRecord]:
        """Several ``transition`` calls in ONE transaction: (job id, state, fields incl. ``error``…).

        Returns the new records of the jobs that exist, in queue order.
        """
        with self._transaction() as db:
            now = time.time()
            for job_id, state, fields in changes:
                self._apply_transition(db, now, job_id, state, dict(fields))
        return self.get_many([job_id for job_id, _, _ in changes])

    def _apply_transition(
        self, db: sqlite3.Connection, now: float, job_id: int, state: JobState, fields: dict[str, Any]
    ) -> None:
        error = fields.pop("error", None)
        columns = {"state": state.value, "error": error, "error_detail": fields.pop("error_detail", None)}
        columns.update(self._field_columns(fields))
        assignments = ", ".join(f"{name}=?" for name in columns)
        cursor = db.execute(
            f"UPDATE jobs SET {assignments}, updated_at=? WHERE id=?", (*columns.values(), now, job_id)
        )
        if cursor.rowcount:
            db.execute(
                "INSERT INTO transitions(job_id, at, state, error) VALUES (?,?,?,?)",
                (job_id, now, state.value, error),
            )

    def update(self, job_id: int, **fields: Any) -> JobRecord | None:
        """Change fields other than the state: ``content_type``, ``content_id``, ``out_dir``, ``info`` …"""
        columns = self._field_columns(fields)
        if columns:
            with self._transaction() as db:
                assignments = ", ".join(f"{name}=?" for name in columns)
                db.execute(
                    f"UPDATE jobs SET {assignments}, updated_at=? WHERE id=?",
                    (*columns.values(), time.time(), job_id),  # stamped under the write lock
                )
        return self.get(job_id)

    @staticmethod
    def _field_columns(fields: dict[str, Any]) -> dict[str, Any]:
        columns: dict[str, Any] = {}
        for name, value in fields.items():
            if name in ("info", "result", "tracks"):
                columns[f"{name}_json"] = jobdb.dump(value)
            elif name == "content_type":
                columns[name] = ContentType(value).value
            elif name in ("content_id", "out_dir", "hls_url", "owner", "runs_on", "farm_job"):
                columns[name] = value
            else:
                raise TypeError(f"unknown job field {name!r}")
        return columns

    def remove(self, ids: Sequence[int]) -> None:
        """Delete jobs and their transition history (one transaction)."""
        with self._transaction() as db:
            for job_id in ids:
                db.execute("DELETE FROM jobs WHERE id=?", (job_id,))
                db.execute("DELETE FROM transitions WHERE job_id=?", (job_id,))

    def reorder(self, ids: Sequence[int]) -> None:
        """Give the jobs the queue order of ``ids`` (positions 1..n; jobs not listed go after them)."""
        with self._transaction() as db:
            listed = set(ids)
            rest = [
                r[0] for r in db.execute("SELECT id FROM jobs ORDER BY position, id") if r[0] not in listed
            ]
            now = time.time()
            for position, job_id in enumerate([*ids, *rest], start=1):
                db.execute(
                    "UPDATE jobs SET position=?, updated_at=? WHERE id=? AND position!=?",
                    (position, now, job_id, position),
                )

    def claim(self, ids: Sequence[int], owner: str) -> list[int]:
        """Make ``owner`` the owner of those of the jobs ``ids`` that are free; returns their ids.

        In one transaction: a job is taken when it has no owner, is ``owner``'s already, or its owner
        is not alive (``jobowner.owner_alive``). Jobs another live process drives, or another
        machine's, are left to it. Unknown ids are skipped; the result is in queue order.
        """
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        with self._transaction() as db:
            now = time.time()
            rows = db.execute(
                f"SELECT id, owner FROM jobs WHERE id IN ({marks}) ORDER BY position, id", list(ids)
            ).fetchall()
            claimed = [job_id for job_id, current in rows if current == owner or not owner_alive(current)]
            for job_id in claimed:
                db.execute("UPDATE jobs SET owner=?, updated_at=? WHERE id=?", (owner, now, job_id))
        return claimed

    def release(self, ids: Sequence[int], owner: str) -> None:
        """Give up ``owner``'s hold on the jobs ``ids`` (those another owner holds are left alone)."""
        with self._transaction() as db:
            now = time.time()
            for job_id in ids:
                db.execute(
                    "UPDATE jobs SET owner=NULL, updated_at=? WHERE id=? AND owner=?", (now, job_id, owner)
                )

    def changed_since(self, updated_after: float) -> list[JobRecord]:
        """The jobs changed (or added) after ``updated_after`` (a unix time), in queue order.

        Every change stamps ``updated_at`` while it holds the write lock, so a poller that passes the
        newest ``updated_at`` it has seen misses nothing later commits change (removals: ``ids``).
        """
        return self._select("WHERE updated_at > ?", (updated_after,))

    def ids(self) -> set[int]:
        """The id of every job (cheap: to notice jobs another process removed)."""
        return set(self.states())

    def states(self, ids: Sequence[int] | None = None) -> dict[int, JobState]:
        """The state of the jobs ``ids`` (None: every job) and nothing else: no document is read."""
        where = f" WHERE id IN ({','.join('?' * len(ids))})" if ids is not None else ""
        with self._lock:
            rows = self._db.execute(f"SELECT id, state FROM jobs{where}", list(ids or ())).fetchall()
        return {r[0]: jobdb.read_state(r[1]) for r in rows}

    def history(self, job_id: int) -> list[tuple[float, JobState, str | None]]:
        """The job's state transitions, oldest first: (unix time, state, error)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT at, state, error FROM transitions WHERE job_id=? ORDER BY at, rowid", (job_id,)
            ).fetchall()
        return [(r["at"], jobdb.read_state(r["state"]), r["error"]) for r in rows]
