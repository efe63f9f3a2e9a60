"""Opening the job database: integrity, schema version and migrations, and why an open failed.

Only what SQLite itself reports as corrupt (or not a database at all: a failing ``PRAGMA
quick_check``, "file is not a database", "database disk image is malformed") is *damaged*
(DamagedStoreError): such a file may be moved aside and a new one started. A database that is
locked by another process, unreadable or read-only is only *unavailable* (StoreUnavailableError):
it holds the user's history and must be left exactly as it is. One written by a newer version of the
app (``PRAGMA user_version`` above ``SCHEMA_VERSION``) is refused (NewerStoreError), never migrated
down or overwritten.

The schema version is ``PRAGMA user_version``; ``MIGRATIONS`` bring an older database up to
``SCHEMA_VERSION`` in one transaction, like ``settings.MIGRATIONS`` do for the settings file.
Schema 2 added ``jobs.owner``: the process driving the job (see ``hlsstudio.core.jobowner``);
schema 4 added ``jobs.runs_on`` (``local`` or ``farm``) and ``jobs.farm_job`` (the farm job it sent).

A row of ``jobs`` reads as a ``JobRecord`` (``read_record``, the columns in ``COLUMNS``).
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from hlsstudio.core.errors import HlsStudioError
from hlsstudio.core.models import ContentType, JobResult, JobState, MediaInfo
from hlsstudio.core.tracks.choices import JobTracks

log = logging.getLogger(__name__)

SCHEMA_VERSION = 4
BUSY_TIMEOUT = 10.0
# SQLite's primary result codes for a file that is damaged or not a database at all
SQLITE_CORRUPT = 11
SQLITE_NOTADB = 26
CORRUPT_MESSAGES = ("file is not a database", "database disk image is malformed")
RUNS_ON = ("local", "farm")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    position INTEGER NOT NULL,
    source TEXT NOT NULL,
    state TEXT NOT NULL,
    content_type TEXT NOT NULL DEFAULT 'movie',
    content_id TEXT NOT NULL DEFAULT '',
    out_dir TEXT,
    info_json TEXT,
    result_json TEXT,
    error TEXT,
    error_detail TEXT,
    hls_url TEXT,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_position ON jobs(position);
CREATE TABLE IF NOT EXISTS transitions (
    job_id INTEGER NOT NULL,
    at REAL NOT NULL,
    state TEXT NOT NULL,
    error TEXT
);
CREATE INDEX IF NOT EXISTS transitions_job ON transitions(job_id)
"""


def _create_schema_1(db: sqlite3.Connection) -> None:
    # statement by statement: executescript would commit the migration's transaction
    for statement in _SCHEMA.split(";"):
        db.execute(statement)


def _add_owner(db: sqlite3.Connection) -> None:
    # NULL for every existing job: no process drives it (recovery treats it as a dead owner's)
    db.execute("ALTER TABLE jobs ADD COLUMN owner TEXT")
    db.execute("CREATE INDEX IF NOT EXISTS jobs_updated ON jobs(updated_at)")


def _add_tracks(db: sqlite3.Connection) -> None:
    # NULL: the job's tracks are found when it is probed (or planned)
    db.execute("ALTER TABLE jobs ADD COLUMN tracks_json TEXT")


def _add_placement(db: sqlite3.Connection) -> None:
    # every existing job encodes here; none was sent to a farm
    db.execute("ALTER TABLE jobs ADD COLUMN runs_on TEXT NOT NULL DEFAULT 'local'")
    db.execute("ALTER TABLE jobs ADD COLUMN farm_job TEXT")


Migration = Callable[[sqlite3.Connection], None]
# MIGRATIONS[n] turns a schema-n database into a schema-(n+1) one, inside the opening transaction.
# Version 0 is a new, empty file (or one from before versioning): it gets the schema-1 tables.
MIGRATIONS: dict[int, Migration] = {
    0: _create_schema_1,
    1: _add_owner,
    2: _add_tracks,
    3: _add_placement,
}

COLUMNS = (
    "id, position, source, state, content_type, content_id, out_dir, info_json, result_json, "
    "error, error_detail, hls_url, created_at, updated_at, owner, tracks_json, runs_on, farm_job"
)


class JobRecord(BaseModel):
    """One row of the queue: the source, where it is in its life, and what came of it.

    ``owner`` is the process driving the job (``jobowner.process_owner()`` of the app or a command
    line run), None when no process does.
    """

    id: int
    position: int
    source: str
    state: JobState
    content_type: ContentType = ContentType.MOVIE
    content_id: str = ""
    out_dir: str | None = None
    info: MediaInfo | None = None
    result: JobResult | None = None
    error: str | None = None
    error_detail: str | None = None
    hls_url: str | None = None
    created_at: float = 0.0
    updated_at: float = 0.0
    owner: str | None = None
    tracks: JobTracks | None = None
    """The audio and subtitle tracks the job carries (None: not found yet; the plan finds them)."""
    runs_on: str = "local"
    """Where the job encodes: ``local`` (this machine) or ``farm`` (the render farm's workers)."""
    farm_job: str | None = None
    """The farm job it sent and has not collected yet (followed again after the app restarts)."""

    @property
    def name(self) -> str:
        """The source's file name."""
        return Path(self.source).name


def dump(model: BaseModel | None) -> str | None:
    """A model as stored in a ``*_json`` column (None stays NULL)."""
    return model.model_dump_json() if model is not None else None


def _load(model: type[Any], text: str | None) -> Any:
    if not text:
        return None
    try:
        return model.model_validate_json(text)
    except ValidationError:
        log.warning("ignoring an unreadable %s in the job store", model.__name__)
        return None


def read_record(row: sqlite3.Row) -> JobRecord:
    """The job a row of ``SELECT {COLUMNS} FROM jobs`` holds; unknown states read as INTERRUPTED."""
    try:
        content_type = ContentType(row["content_type"])
    except ValueError:
        content_type = ContentType.MOVIE
    state = read_state(row["state"])
    error = row["error"]
    if state.value != row["state"] and not error:
        error = unknown_state_message(row["state"])
    return JobRecord(
        id=row["id"],
        position=row["position"],
        source=row["source"],
        state=state,
        content_type=content_type,
        content_id=row["content_id"],
        out_dir=row["out_dir"],
        info=_load(MediaInfo, row["info_json"]),
        result=_load(JobResult, row["result_json"]),
        error=error,
        error_detail=row["error_detail"],
        hls_url=row["hls_url"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        owner=row["owner"],
        tracks=_load(JobTracks, row["tracks_json"]),
        runs_on=row["runs_on"] if row["runs_on"] in RUNS_ON else "local",
        farm_job=row["farm_job"],
    )


class JobStoreError(HlsStudioError):
    """The job database cannot be opened; ``message`` says why and what to do."""


class DamagedStoreError(JobStoreError, sqlite3.DatabaseError):
    """SQLite reports the file corrupt or not a database: it may be moved aside for a new one.

    Also a ``sqlite3.DatabaseError``, which is what opening such a file has always raised.
    """


class StoreUnavailableError(JobStoreError):
    """The database is locked by another process, unreadable or read-only: leave it as it is."""


class NewerStoreError(JobStoreError):
    """The database was written by a newer version of the app: it is neither migrated nor replaced."""


def classify_error(exc: sqlite3.Error, path: Path) -> JobStoreError:
    """What a failure to open the database at ``path`` means: damaged, or only unavailable now.

    Only what SQLite itself reports as corrupt (or not a database) is damaged; a lock, a
    permission, a full or read-only disk are not reasons to give up the user's history.
    """
    code = getattr(exc, "sqlite_errorcode", None)
    text = str(exc)
    corrupt = (isinstance(code, int) and code & 0xFF in (SQLITE_CORRUPT, SQLITE_NOTADB)) or any(
        message in text.lower() for message in CORRUPT_MESSAGES
    )
    if corrupt:
        return DamagedStoreError(f"the job history {path.name} is damaged ({text})", str(path))
    if "locked" in text.lower() or "busy" in text.lower():
        return StoreUnavailableError(
            f"the job history is in use by another program ({text}): close it and start HLS Studio again",
            str(path),
        )
    return StoreUnavailableError(
        f"the job history {path} cannot be opened ({text}): check that you may read and write it",
        str(path),
    )


def read_state(stored: str) -> JobState:
    """A stored job state; one this version does not know (a newer one wrote it) reads as INTERRUPTED."""
    try:
        return JobState(stored)
    except ValueError:
        return JobState.INTERRUPTED


def unknown_state_message(stored: str) -> str:
    """The error shown for a job whose stored state this version does not know."""
    return f"stored as {stored!r}, a state this version of HLS Studio does not know: retry to run it again"


def prepare(db: sqlite3.Connection, path: Path) -> None:
    """WAL mode, an integrity check and the schema brought up to ``SCHEMA_VERSION`` (migrated)."""
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    problems = [row[0] for row in db.execute("PRAGMA quick_check")]
    if problems != ["ok"]:
        raise DamagedStoreError(
            f"the job history {path.name} is damaged (its integrity check failed)",
            "\n".join(str(p) for p in problems),
        )
    version = _user_version(db)
    if version > SCHEMA_VERSION:
        raise NewerStoreError(
            f"the job history was written by a newer HLS Studio (schema {version}, this version knows "
            f"{SCHEMA_VERSION}): update the app",
            str(path),
        )
    if version == SCHEMA_VERSION:
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        version = _user_version(db)  # another process may have migrated it meanwhile
        while version < SCHEMA_VERSION:
            MIGRATIONS[version](db)
            version += 1
            db.execute(f"PRAGMA user_version={version}")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def _user_version(db: sqlite3.Connection) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])
