"""Package folders on disk: where an encode works, how a finished package moves into place, and the
names of the sub-folders several sources get.

An encode writes into a hidden working folder beside its package folder (same file system, so the
final move is a rename). Every folder made here carries the ownership marker
(``core.ownership``): only such folders are ever replaced or removed, and a package folder that
holds anything else is refused before any work starts.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Sequence
from pathlib import Path

from hlsstudio.core.ownership import (
    MARKER_NAME,
    FolderKind,
    check_output_target,
    is_empty_dir,
    is_ours,
    make_owned_temp,
    remove_owned,
    set_kind,
)

# Windows refuses these as file or folder names, with or without an extension (case-insensitive).
WINDOWS_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}
    | {f"COM{i}" for i in (*range(1, 10), "¹", "²", "³")}
    | {f"LPT{i}" for i in (*range(1, 10), "¹", "²", "³")}
)
UNSAFE_CHARS = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')
MAX_FOLDER_NAME = 120
FALLBACK_NAME = "video"


def work_dir_for(out_dir: Path, job: str) -> Path:
    """A fresh hidden working folder beside ``out_dir``, marked as the app's (for ``job``)."""
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    return make_owned_temp(out_dir.parent, f".{out_dir.name}.partial-", FolderKind.WORK, job)


def package_entries(folder: Path) -> list[Path]:
    """The files of a package folder that belong to the package (hidden files, the marker among them,
    left out), sorted."""
    return sorted(
        p
        for p in folder.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )


def install_package(work: Path, out_dir: Path, sources: Sequence[Path] = ()) -> None:
    """Move the finished package in ``work`` to ``out_dir``.

    ``out_dir`` may be missing, an empty folder, or an earlier package the app made (replaced: moved
    aside, then removed). Anything else is left untouched and FolderNotOursError is raised (the
    target is checked again here because it may have changed during a long encode).
    """
    check_output_target(out_dir, tuple(sources))
    old = None
    if out_dir.is_dir():
        if is_ours(out_dir):
            old = out_dir.parent / f".{out_dir.name}.old-{uuid.uuid4().hex[:8]}"
            set_kind(out_dir, FolderKind.OLD)
            out_dir.rename(old)
        elif is_empty_dir(out_dir):
            out_dir.rmdir()  # an empty folder: nothing of the user's is in it
    set_kind(work, FolderKind.PACKAGE)
    work.rename(out_dir)
    if old is not None:
        remove_owned(old)


def safe_folder_name(stem: str) -> str:
    """A folder name made from a file name that every OS accepts: no reserved characters or names
    (``con``, ``nul``, ``com1`` …), no trailing dots or spaces, no leading dot, valid text."""
    text = stem.encode("utf-8", "surrogateescape").decode("utf-8", "replace").replace("\ufffd", "_")
    text = unicodedata.normalize("NFC", UNSAFE_CHARS.sub("_", text)).strip()
    text = text.rstrip(". ").lstrip(".")[:MAX_FOLDER_NAME].rstrip(". ")
    if not text:
        return FALLBACK_NAME
    if text.split(".")[0].strip().upper() in WINDOWS_RESERVED:
        text = f"{text}_"
    return text


def _taken_on_disk(out: Path) -> dict[str, Path]:
    """Existing entries of ``out`` that are not packages the app made, by case-folded name."""
    if not out.is_dir():
        return {}
    return {p.name.casefold(): p for p in out.iterdir() if not is_ours(p)}


def package_dirs(sources: Sequence[Path], out: Path) -> list[Path]:
    """The package folder of each source when several go into one ``out`` folder: ``out/<name>``.

    Names come from the file names (``safe_folder_name``) and never collide with each other
    (case-insensitively, as on macOS and Windows) nor with a file or folder in ``out`` that is not
    a package the app made (those get ``-2``, ``-3`` …). A package the app made earlier under the
    same name is reused, so running a batch again replaces its own packages.
    """
    taken = _taken_on_disk(out)
    used: set[str] = set()
    dirs: list[Path] = []
    for source in sources:
        base = safe_folder_name(source.stem)
        candidate, n = base, 1
        while candidate.casefold() in used or candidate.casefold() in taken:
            n += 1
            candidate = f"{base}-{n}"
        used.add(candidate.casefold())
        dirs.append(out / candidate)
    return dirs


def clear_work_dir(work: Path) -> None:
    """Remove what a failed attempt wrote into the working folder ``work`` (its marker stays)."""
    for stale in work.iterdir():
        if stale.name != MARKER_NAME and stale.is_file():
            stale.unlink()
