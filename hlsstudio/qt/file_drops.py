"""Files dropped on the window or on a job's row: videos and folders become jobs, subtitle and audio
files are added to the job they were dropped on.

Which is which is told by the name alone (``tracks.attach.kind_of``), so nothing is read from disk
on the GUI thread; the files are looked at when they are attached, in a worker.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from hlsstudio.core.tracks.attach import kind_of
from hlsstudio.qt.queue_controller import QueueController


def split_drop(paths: Sequence[Path]) -> tuple[list[Path], list[Path]]:
    """(videos, folders and anything else to queue, subtitle and audio files to attach)."""
    tracks = [path for path in paths if kind_of(path) is not None]
    return [path for path in paths if kind_of(path) is None], tracks


def not_on_a_job(tracks: Sequence[Path]) -> str:
    """The status line for subtitle or audio files dropped where no job is."""
    names = ", ".join(path.name for path in tracks[:3]) + (" …" if len(tracks) > 3 else "")
    return f"Subtitle and audio files must be dropped on a job's row ({names} not added)"


def route_drop(controller: QueueController, paths: Sequence[Path], job_id: int | None) -> None:
    """Queue the videos and folders of a drop; add its subtitle and audio files to ``job_id`` (the
    row they were dropped on), or say they need one."""
    queued, tracks = split_drop(paths)
    refused = not_on_a_job(tracks) if tracks and job_id is None else ""
    if queued:
        controller.add_paths(queued, note=refused)
    elif refused:
        controller.message.emit(refused)
    if tracks and job_id is not None:
        controller.attach_files(job_id, tracks)
