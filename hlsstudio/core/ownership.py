"""Folders the app made, and the proof that it made them.

The app deletes or replaces a folder only when it created that folder itself. The proof is a small
marker file written into the folder at the moment of its creation (``.hlsstudio-folder.json``,
hidden, never published) holding what the folder is (a package, a working folder …) and the id of
the job or build that made it. A folder without a valid marker is the user's: it is never emptied,
replaced or removed, and a job that would have to is refused with a sentence that says what to do.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import time
import uuid
from enum import StrEnum
from pathlib import Path

from hlsstudio.core.errors import HlsStudioError

log = logging.getLogger(__name__)

MARKER_NAME = ".hlsstudio-folder.json"
MARKER_APP = "HLS Studio"
MAX_MARKER_BYTES = 4096


class FolderKind(StrEnum):
    """What an app-made folder is for."""

    PACKAGE = "package"
    """A finished HLS package (an output folder)."""
    WORK = "work"
    """A hidden working folder an encode writes before the package is moved into place."""
    OLD = "old"
    """A package moved aside while its replacement is moved into place."""
    TEMP = "temp"
    """A temporary folder (a downloaded source, a test encode)."""


class FolderNotOursError(HlsStudioError):
    """A folder the app would have to replace or remove holds files it did not make."""


def new_token() -> str:
    """A fresh id for a folder made outside any stored job (the CLI's one-off runs)."""
    return uuid.uuid4().hex[:12]


def write_marker(folder: Path, kind: FolderKind, job: str) -> None:
    """Mark ``folder`` (which the caller has just created) as made by the app for ``job``."""
    doc = {"app": MARKER_APP, "kind": kind.value, "job": job, "created_at": round(time.time(), 3)}
    (folder / MARKER_NAME).write_text(json.dumps(doc), encoding="utf-8")


def read_marker(folder: Path) -> dict[str, object] | None:
    """The marker of ``folder`` when it is a valid one written by the app, else None."""
    marker = folder / MARKER_NAME
    try:
        if marker.is_symlink() or not marker.is_file() or marker.stat().st_size > MAX_MARKER_BYTES:
            return None
        doc = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(doc, dict) or doc.get("app") != MARKER_APP or doc.get("kind") not in set(FolderKind):
        return None
    return doc


def is_ours(folder: Path) -> bool:
    """True when ``folder`` is a real folder (not a link) that carries the app's marker."""
    return folder.is_dir() and not folder.is_symlink() and read_marker(folder) is not None


def make_owned_dir(folder: Path, kind: FolderKind, job: str) -> Path:
    """Create ``folder`` (it must not exist) and mark it as the app's. Returns ``folder``.

    Raises FileExistsError when something is already there (nothing is touched then) and OSError
    when the folder cannot be made.
    """
    folder.parent.mkdir(parents=True, exist_ok=True)
    folder.mkdir()
    try:
        write_marker(folder, kind, job)
    except BaseException:
        with contextlib.suppress(OSError):
            folder.rmdir()
        raise
    return folder


def make_owned_temp(parent: Path, prefix: str, kind: FolderKind = FolderKind.TEMP, job: str = "") -> Path:
    """A new uniquely named folder under ``parent``, marked as the app's."""
    while True:
        candidate = parent / f"{prefix}{uuid.uuid4().hex[:8]}"
        try:
            return make_owned_dir(candidate, kind, job or new_token())
        except FileExistsError:
            continue


def set_kind(folder: Path, kind: FolderKind) -> None:
    """Re-mark an app-made ``folder`` (a working folder that became a package, say)."""
    doc = read_marker(folder)
    if doc is None:
        raise FolderNotOursError(f"{folder} is not a folder HLS Studio made")
    write_marker(folder, kind, str(doc.get("job", "")))


def remove_owned(folder: Path) -> bool:
    """Delete ``folder`` and everything in it, but only when the app made it (it carries the marker).

    Returns True when it was removed (or was already gone); False when it was left alone because it
    is not the app's, with a log line saying so. Never raises for a file-system error.
    """
    if not folder.exists() and not folder.is_symlink():
        return True
    if not is_ours(folder):
        log.warning("left %s alone: it is not a folder HLS Studio made", folder)
        return False
    shutil.rmtree(folder, ignore_errors=True)
    return not folder.exists()


def is_empty_dir(folder: Path) -> bool:
    """True for an existing folder with nothing in it."""
    try:
        with os.scandir(folder) as entries:
            return next(entries, None) is None
    except OSError:
        return False


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except (ValueError, OSError):
        return False
    return True


def shown(path: Path) -> str:
    """``path`` as people write it: ``~/Desktop`` for a folder under the home folder."""
    try:
        return "~/" + path.resolve().relative_to(Path.home().resolve()).as_posix()
    except (ValueError, RuntimeError, OSError):
        return str(path)


def check_output_target(out_dir: Path, sources: list[Path] | tuple[Path, ...] = ()) -> None:
    """Refuse a package folder the app may not replace; returns quietly when it may.

    A target is usable when it does not exist, is an empty folder, or is a package folder the app
    made, and it holds none of ``sources``. Raises FolderNotOursError with the sentence to show
    otherwise (nothing is touched).
    """
    for source in sources:
        if _inside(source, out_dir):
            raise FolderNotOursError(
                f"{shown(out_dir)} holds the source video {source.name}: choose another output folder",
                f"output folder {out_dir} contains the source {source}",
            )
    if out_dir.is_symlink() or (out_dir.exists() and not out_dir.is_dir()):
        raise FolderNotOursError(
            f"{shown(out_dir)} is not a folder HLS Studio made: choose an empty or new folder",
            f"{out_dir} exists and is a file or a link",
        )
    if not out_dir.exists() or is_empty_dir(out_dir) or is_ours(out_dir):
        return
    raise FolderNotOursError(
        f"{shown(out_dir)} already holds other files: choose an empty or new folder",
        f"{out_dir} exists, is not empty and has no {MARKER_NAME} marker, so HLS Studio did not make it",
    )
