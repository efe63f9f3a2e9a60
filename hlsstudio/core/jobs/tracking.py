"""A job's audio and subtitle tracks as the job service keeps them: found after the probe, edited by
the user, files attached.

Part of the job service (``JobService`` inherits these); kept apart so each module has one job.
Finding tracks and attaching files look at the file system (the source's folder, the files given),
so they run on the I/O lane or a front end's worker, never on a GUI thread; only the short check and
store happen under the service's lock. A change made from tracks that were changed meanwhile (a file
dropped on a row while its probe ends) is made again from the new ones, so no edit is lost.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from hlsstudio.core.jobs import events as ev
from hlsstudio.core.jobs.executor import Executor, Lane
from hlsstudio.core.jobs.publishing import PublishLine
from hlsstudio.core.jobstore import JobRecord, JobStore
from hlsstudio.core.models import JobState, MediaInfo
from hlsstudio.core.settings import AppSettings
from hlsstudio.core.subtitles.languages import normalize_language
from hlsstudio.core.tracks.attach import TrackFileError, attach_file
from hlsstudio.core.tracks.choices import JobTracks, TrackChoice
from hlsstudio.core.tracks.discover import complete_tracks

log = logging.getLogger(__name__)

Answer = tuple[int, JobState, dict[str, Any]]
Change = Callable[[JobTracks | None], JobTracks | None]

EDITABLE = frozenset(
    {
        JobState.QUEUED,
        JobState.READY,
        JobState.FAILED,
        JobState.CANCELLED,
        JobState.INTERRUPTED,
        JobState.DONE,
        JobState.PUBLISH_FAILED,
    }
)
RUNNING_REFUSAL = "its tracks can't change while it runs"
TRIES = 5  # a change is made again at most this often when the tracks changed meanwhile


def is_discovered(tracks: JobTracks | None) -> bool:
    """True when ``tracks`` already list the source's own tracks and its side files."""
    return tracks is not None and tracks.discovered


def _without_tracks(fields: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in fields.items() if name != "tracks"}


def _one_default(tracks: list[TrackChoice], required: bool) -> list[TrackChoice]:
    carried = [t for t in tracks if t.carried]
    chosen = next((t for t in carried if t.default), carried[0] if carried and required else None)
    return [t.model_copy(update={"default": t is chosen}) for t in tracks]


def _tidy(track: TrackChoice) -> TrackChoice:
    name = " ".join((track.name or "").split()) or None
    update: dict[str, Any] = {"language": normalize_language(track.language or ""), "name": name}
    if not track.usable:
        update["include"] = False
    if track.kind == "audio":
        update.update(forced=False, sdh=False)
    return track.model_copy(update=update)


def tidy_tracks(tracks: JobTracks) -> JobTracks:
    """``tracks`` as they may be stored: languages as BCP 47 tags (an unknown one becomes None),
    blank names None, tracks that cannot be carried left out, subtitle flags only on subtitles; one
    default among the carried audio (the first marked, else the first carried: a player needs one)
    and at most one among the carried subtitles (the first marked). A track not carried is never the
    default."""
    return tracks.model_copy(
        update={
            "audio": _one_default([_tidy(t) for t in tracks.audio], required=True),
            "subtitles": _one_default([_tidy(t) for t in tracks.subtitles], required=False),
        }
    )


class JobTracking:
    """The track commands of ``JobService``; the attributes below are the service's."""

    store: JobStore
    executor: Executor
    bus: ev.EventBus
    settings: AppSettings
    publishing: PublishLine
    closing: bool
    _lock: threading.RLock
    _encodes: dict[int, tuple[threading.Event, Path]]
    record: Callable[[int], JobRecord | None]
    _say: Callable[..., None]

    def set_tracks(self, job_id: int, tracks: JobTracks) -> JobRecord | None:
        """Store the user's track choices for a job that does not run (tidied: ``tidy_tracks``) and
        announce them (``JobsChanged``). Returns the new record; None, with a log line saying why,
        when the job is gone or runs."""
        tidy = tidy_tracks(tracks)
        record, reason = self._change_tracks(job_id, lambda _stored: tidy)
        if record is None and reason:
            self._say(reason, job_id)
        return record

    def attach_files(self, job_id: int, paths: Sequence[Path]) -> list[str]:
        """Add subtitle and audio files to a job that does not run (labelled from their names after
        the job's source) and store them. Returns one line per file refused (not a subtitle or audio
        file, missing), or one line saying why nothing could be attached.

        Looks at the files: call it on the I/O lane or a worker, never on a GUI thread.
        """
        problems: list[str] = []
        source = self.store.get(job_id)

        def attach(stored: JobTracks | None) -> JobTracks | None:
            problems.clear()
            tracks = stored or JobTracks()
            for path in paths:
                try:
                    tracks = attach_file(tracks, Path(path), source=Path(source.source) if source else None)
                except TrackFileError as exc:
                    problems.append(exc.message)
            return tracks if len(problems) < len(paths) else None

        record, reason = self._change_tracks(job_id, attach)
        return [reason] if record is None and reason else problems

    def find_tracks(self, ids: Sequence[int]) -> None:
        """Store the tracks of these probed jobs that have none found yet (from their probe and the
        files beside their source). Reads folders: on the I/O lane."""
        for record in self.store.get_many(list(ids)):
            if record.info is not None and not is_discovered(record.tracks):
                self._change_tracks(record.id, functools.partial(self._undiscovered_found, info=record.info))

    def find_missing_tracks(self, records: Sequence[JobRecord]) -> None:
        """``find_tracks`` on the I/O lane for those of ``records`` that were probed but have no
        tracks found yet (jobs stored before tracks were kept, a retry that does not probe again)."""
        ids = [r.id for r in records if r.info is not None and not is_discovered(r.tracks)]
        if ids:
            self.executor.submit(Lane.IO, lambda: self.find_tracks(ids))

    def _undiscovered_found(self, stored: JobTracks | None, info: MediaInfo) -> JobTracks | None:
        return None if is_discovered(stored) else self._found(stored, info)

    def _found(self, stored: JobTracks | None, info: MediaInfo) -> JobTracks | None:
        try:
            found = complete_tracks(stored, info, self.settings.encode)
        except Exception:  # a bug here must not fail the probe: the plan finds the tracks again
            log.exception("finding the tracks of %s failed", info.path)
            return None
        return found.model_copy(update={"discovered": True})

    def _runs(self, record: JobRecord) -> bool:
        job_id = record.id
        return record.state not in EDITABLE or job_id in self._encodes or self.publishing.handles(job_id)

    def _change_tracks(self, job_id: int, change: Change) -> tuple[JobRecord | None, str]:
        """Store ``change(stored tracks)`` unless the job runs or the change gives None. The change
        runs outside the lock (it may read files) and again when the tracks changed meanwhile.
        Returns the stored record, or None and why not ('' when the change gave nothing)."""
        for _ in range(TRIES):
            if self.closing:
                return None, ""  # shut down: the store may be closed
            before = self.store.get(job_id)
            if before is None:
                return None, "the job is no longer in the queue"
            if self._runs(before):
                return None, f"{before.name}: {RUNNING_REFUSAL}"
            tracks = change(before.tracks)
            if tracks is None:
                return None, ""
            with self._lock:  # launching a job takes the lock too: no job starts between check and store
                now = self.store.get(job_id)
                if now is None or self._runs(now) or now.tracks != before.tracks:
                    continue  # look again
                self.store.update(job_id, tracks=tracks)
            shown = self.record(job_id)
            if shown is not None:
                self.bus.emit(ev.JobsChanged((shown,)))
            return shown, ""
        return None, f"job {job_id}: its tracks kept changing; try again"

    def _tracks_found(self, answers: list[Answer]) -> tuple[list[Answer], dict[int, JobTracks | None]]:
        """Probe answers with the tracks of each probed job that has none found yet, and the stored
        tracks each was found from. Reads the sources' folders: before the service's lock."""
        infos = {i: f["info"] for i, state, f in answers if state is JobState.READY and f.get("info")}
        bases = {r.id: r.tracks for r in self.store.get_many(list(infos)) if not is_discovered(r.tracks)}
        found = {i: self._found(base, infos[i]) for i, base in bases.items()}
        answers = [(i, s, {**f, "tracks": found[i]} if found.get(i) else f) for i, s, f in answers]
        return answers, {i: base for i, base in bases.items() if found[i] is not None}

    def _tracks_kept(
        self, answers: list[Answer], bases: dict[int, JobTracks | None]
    ) -> tuple[list[Answer], list[int]]:
        """With the lock held: the answers whose job's tracks changed since they were found lose the
        found tracks; their ids come back, to be found again (``find_tracks``) after the store."""
        now = {r.id: r.tracks for r in self.store.get_many(list(bases))}
        stale = {i for i, base in bases.items() if i in now and now[i] != base}
        kept = [(i, s, _without_tracks(f) if i in stale else f) for i, s, f in answers]
        return kept, sorted(stale)
