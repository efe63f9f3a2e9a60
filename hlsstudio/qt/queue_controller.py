"""The desktop app's view of the job service: commands go to the service, its events come back here.

The service (``core.jobs.service``) decides every state, stores it and runs the work on the app's
QThreadPools (``pools.QtExecutor``). Its events arrive on whatever thread caused them; this class
hands them to the GUI thread (a queued signal) and updates the table model there. Nothing in this
class decides a state or blocks: scans, probes, encodes, uploads and toolchain checks all run in
workers.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from hlsstudio.core.errors import HlsStudioError
from hlsstudio.core.jobowner import process_owner
from hlsstudio.core.jobs import events as ev
from hlsstudio.core.jobs.actions import Move
from hlsstudio.core.jobs.service import JobService
from hlsstudio.core.jobstore import JobRecord, JobStore
from hlsstudio.core.models import JobState, Ladder, Rung
from hlsstudio.core.settings import AppSettings
from hlsstudio.core.toolchain import Toolchain
from hlsstudio.core.tracks.choices import JobTracks
from hlsstudio.core.uploads import UploadProgress
from hlsstudio.qt.follow import StoreFollower
from hlsstudio.qt.intake import Intake
from hlsstudio.qt.job_table_model import JobTableModel
from hlsstudio.qt.live_titles import Live, published_titles
from hlsstudio.qt.pools import Pools, QtExecutor
from hlsstudio.qt.workers import CallWorker, UploadThrottle

log = logging.getLogger(__name__)


class QueueController(QObject):
    """The queue as the window sees it. Lives on (and is called from) the GUI thread."""

    running_changed = Signal(bool)
    queue_finished = Signal(int, int)  # jobs done, jobs failed in this run
    toolchain_changed = Signal()
    blockers_changed = Signal()
    message = Signal(str)
    live_failed = Signal(str)  # the destination could not be listed: why
    live_listed = Signal()  # the destination was listed: it is reachable
    job_updated = Signal(int)
    publish_started = Signal(int)
    upload_progress = Signal(int, object)
    publish_finished = Signal(int)
    tracks_attached = Signal(int, list)  # job id, one line per file refused
    _event = Signal(object)  # a service event, delivered on the GUI thread

    def __init__(
        self, store: JobStore, settings: AppSettings, pools: Pools, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.pools = pools
        self.model = JobTableModel(self)
        self.model.record_edited.connect(self._on_edited)
        self._calls: dict[int, CallWorker] = {}
        self._throttles: dict[int, UploadThrottle] = {}
        self._throttle_lock = threading.Lock()
        self._shut = False  # after shutdown() the store is no longer written (it may be closed)
        self._event.connect(self._on_event)
        self.service = JobService(store, QtExecutor(pools), settings, owner=process_owner())
        self.service.subscribe(self._relay)
        self.intake = Intake(self.service, self.run_call, self.model.records, self)
        self.intake.message.connect(self.message)
        self.model.set_ladder(self.service.ladder)
        self.live: Live = {}
        """Titles published at the destination now, by (content type, id) (``refresh_live``)."""
        self.follower = StoreFollower(store, self.model, self.service.owner or "", self.run_call, self)
        self.model.reorder_requested.connect(self.reorder)
        self.pause_requested = False
        """True from Pause until Start: the queue shows "Pausing…", then "Paused"."""
        self.before_shutdown: list[Callable[[], None]] = []

    # ---- what the service knows, as the window reads it

    @property
    def settings(self) -> AppSettings:
        """The settings jobs that start now will use."""
        return self.service.settings

    @settings.setter
    def settings(self, settings: AppSettings) -> None:
        self.service.settings = settings

    @property
    def toolchain(self) -> Toolchain | None:
        """FFmpeg as located (None until found, or when missing)."""
        return self.service.toolchain

    @property
    def toolchain_error(self) -> str | None:
        """Why FFmpeg cannot be used (None when it can, or while looking)."""
        return self.service.toolchain_error

    @property
    def ladder(self) -> Ladder | None:
        """The ladder jobs that start now will use (None while it has problems)."""
        return self.service.ladder

    @property
    def ladder_problems(self) -> list[str]:
        """What is wrong with the edited ladder."""
        return self.service.ladder_problems

    @property
    def running(self) -> bool:
        """True while the queue runs."""
        return self.service.running

    @property
    def closing(self) -> bool:
        """True once the window is closing."""
        return self.service.closing

    @property
    def active_count(self) -> int:
        """Jobs transcoding or publishing now."""
        return self.service.active_count

    # ---- events: from any thread to the GUI thread

    def _relay(self, event: ev.JobEvent) -> None:
        if isinstance(event, ev.UploadReport):
            self._throttle(event.job_id)(event.report)
            return
        self._event.emit(event)

    def _throttle(self, job_id: int) -> UploadThrottle:
        """Upload reports of one job, passed on sparingly (every state change, bytes every 0.1 s)."""
        with self._throttle_lock:
            if job_id not in self._throttles:

                def emit(report: UploadProgress) -> None:
                    self._event.emit(ev.UploadReport(job_id, report))

                self._throttles[job_id] = UploadThrottle(emit)
            return self._throttles[job_id]

    def _on_event(self, event: ev.JobEvent) -> None:
        if self._shut:
            return
        handler = getattr(self, f"_on_{type(event).__name__}", None)
        if handler is not None:
            handler(event)

    def _on_JobsAdded(self, event: ev.JobsAdded) -> None:
        self.model.append_records(list(event.records))

    def _on_JobsChanged(self, event: ev.JobsChanged) -> None:
        for record in event.records:
            self.model.update_record(record)
        for record in event.records:
            self.job_updated.emit(record.id)

    def _on_JobsRemoved(self, event: ev.JobsRemoved) -> None:
        self.model.remove_ids(set(event.ids))

    def _on_JobsReordered(self, event: ev.JobsReordered) -> None:
        self.model.reorder(list(event.ids))

    def _on_EncodeProgress(self, event: ev.EncodeProgress) -> None:
        self.model.set_progress(event.job_id, event.progress)

    def _on_UploadReport(self, event: ev.UploadReport) -> None:
        self.model.set_upload(event.job_id, event.report)
        self.upload_progress.emit(event.job_id, event.report)

    def _on_PublishStarted(self, event: ev.PublishStarted) -> None:
        self.publish_started.emit(event.job_id)

    def _on_PublishFinished(self, event: ev.PublishFinished) -> None:
        with self._throttle_lock:
            self._throttles.pop(event.job_id, None)
        self.publish_finished.emit(event.job_id)
        self.refresh_live()

    def _on_QueueRunning(self, event: ev.QueueRunning) -> None:
        self.running_changed.emit(event.running)

    def _on_QueueFinished(self, event: ev.QueueFinished) -> None:
        self.queue_finished.emit(event.done, event.failed)

    def _on_ToolchainChanged(self, _event: ev.ToolchainChanged) -> None:
        self.toolchain_changed.emit()

    def _on_BlockersChanged(self, _event: ev.BlockersChanged) -> None:
        self.model.set_ladder(self.service.ladder)
        self.blockers_changed.emit()

    def _on_LogLine(self, event: ev.LogLine) -> None:
        self.message.emit(event.text)

    # ---- commands: each goes to the service

    def load(self) -> None:
        """Show the stored queue, probe what was never probed, and find the toolchain; from then on,
        follow the jobs another process (a command-line batch) adds or changes in the same store."""
        records = self.store.jobs()
        self.model.set_records(records)
        self.follower.start(max([0.0, *(r.updated_at for r in records)]))
        self.refresh_live()
        if self.store.recovered:
            n = len(self.store.recovered)
            self.message.emit(f"{n} job{'s' * (n != 1)} interrupted by the last exit: retry to run again")
        self.service.load()

    def locate_toolchain(self, refresh: bool = False) -> None:
        """Find ffmpeg/ffprobe and their capabilities in a worker."""
        self.service.locate_toolchain(refresh)

    def apply_settings(self, settings: AppSettings) -> None:
        """Use new settings for jobs that start from now on (running jobs keep theirs)."""
        self.service.apply_settings(settings)
        self.refresh_live()

    def refresh_live(self) -> None:
        """Read which titles are published at the destination now, in a worker."""
        worker = CallWorker("live", published_titles, self.settings.destination)
        worker.signals.done.connect(self._on_live)
        worker.signals.failed.connect(self._on_live_failed)
        self.run_call(worker)

    def _on_live(self, _tag: object, live: Live) -> None:
        if not self._shut:
            self.live = live
            self.model.set_live(frozenset(live))
            self.live_listed.emit()

    def _on_live_failed(self, _tag: object, error: object) -> None:
        log.info("cannot list the published titles: %s", error)
        if not self._shut:
            self.live_failed.emit(getattr(error, "message", None) or str(error))

    def set_ladder(self, rungs: list[Rung] | None, problems: list[str] | None = None) -> None:
        """Use these rungs for jobs started from now on; ``rungs=None`` with problems blocks Start."""
        self.service.set_ladder(rungs, problems)

    def start_blockers(self) -> list[str]:
        """Why Start is disabled (empty: it is enabled)."""
        return self.service.start_blockers()

    def add_paths(self, paths: list[Path], note: str = "") -> None:
        """Queue dropped or picked files and folders (folders are scanned in a worker); ``note`` ends
        the message that says what was added."""
        self.intake.add_paths(paths, note)

    def add_files(self, files: list[Path]) -> list[JobRecord]:
        """Append jobs for ``files`` (skipping ones already waiting or running) and probe them."""
        return self.intake.add_files(files)

    def start(self) -> bool:
        """Run READY jobs in queue order; False (with a message) when something blocks it."""
        self.pause_requested = False
        return self.service.start()

    def pause(self) -> None:
        """Start no new job; running ones finish ("Pausing after the current job", then "Paused")."""
        self.pause_requested = self.running or self.pause_requested
        self.service.pause()
        self.running_changed.emit(self.running)

    def queue_state(self) -> str:
        """A sentence on the queue as a whole while it is pausing or paused ('' otherwise)."""
        if self.running or not self.pause_requested:
            return ""
        working = (JobState.TRANSCODING, JobState.VALIDATING, JobState.PUBLISHING)
        if any(r.state in working and r.owner == self.service.owner for r in self.model.records()):
            return "Pausing after the current job: it finishes, then no new job starts. Start goes on."
        return "Paused: no new job starts. Press Start to go on."

    def allow_replace(self, ids: list[int]) -> None:
        """Let these jobs' publish replace the live title each names now (the user confirmed it)."""
        self.service.allow_replace(ids)

    def withhold_replace(self, ids: list[int]) -> None:
        """Take back an earlier yes to replacing a live title."""
        self.service.withhold_replace(ids)

    def schedule(self) -> None:
        """Start READY jobs while the queue runs and encode slots are free."""
        self.service.schedule()

    def check_finished(self) -> None:
        """When the running queue has nothing left to do: stop and announce it."""
        self.service.check_finished()

    def transition(self, job_id: int, state: JobState, **fields: Any) -> JobRecord | None:
        """Ask the service for a state change (refused unless the state table allows it)."""
        return self.service.transition(job_id, state, **fields)

    def transition_many(self, changes: list[tuple[int, JobState, dict[str, Any]]]) -> list[JobRecord]:
        """Several state changes in one transaction (see ``transition``)."""
        return self.service.transition_many(changes)

    def cancel(self, ids: list[int]) -> None:
        """Cancel jobs at whatever stage they are; waiting ones become Cancelled at once, running ones
        show "Cancelling…" until ffmpeg or the upload has stopped."""
        for job_id in ids:
            if self.service.is_encoding(job_id) or self.service.publishing.handles(job_id):
                self.model.mark_cancelling(job_id)
        self.service.cancel(ids)

    def retry(self, ids: list[int]) -> int:
        """Run failed, cancelled or interrupted jobs again (publish only when their package is intact);
        encodes start now when the queue runs, else the message says to press Start."""
        retried = self.service.retry(ids)
        waiting = [r for r in self.store.get_many(list(ids)) if r.state is JobState.READY]
        if waiting and not self.running:
            self.message.emit(f"{len(waiting)} job(s) ready to encode again: press Start to run them")
        return retried

    def publish(self, ids: list[int] | None = None) -> int:
        """Publish finished jobs (``None``: every finished, unpublished one); returns how many queued."""
        return self.service.publish(ids)

    def remove(self, ids: list[int]) -> None:
        """Cancel what runs and take the jobs out of the queue and the history."""
        self.service.remove(ids)

    def move(self, ids: list[int], where: Move) -> None:
        """Move jobs up, down or to the top of the queue (the queue runs top to bottom)."""
        self.service.move(ids, where)

    def reorder(self, ids: list[int]) -> None:
        """Give the queue this order (rows dragged to a new place)."""
        if not self._shut:
            self.service.reorder(ids)

    def set_tracks(self, job_id: int, tracks: JobTracks) -> JobRecord | None:
        """Store a job's edited audio and subtitle choices (refused, with a message, while it runs)."""
        return None if self._shut else self.service.set_tracks(job_id, tracks)

    def attach_files(self, job_id: int, paths: list[Path]) -> None:
        """Add subtitle and audio files to a job in a worker (it looks at the files); then
        ``tracks_attached(job_id, refused)`` and a message saying what was added and what was not."""
        if not paths or self._shut:
            return
        worker = CallWorker((job_id, list(paths)), self.service.attach_files, job_id, list(paths))
        worker.signals.done.connect(self._on_attached)
        worker.signals.failed.connect(self._on_attach_failed)
        self.run_call(worker)

    def _on_attached(self, tag: tuple[int, list[Path]], refused: list[str]) -> None:
        job_id, paths = tag
        record = self.model.record(job_id)
        if self._shut or record is None:
            return
        tracks = record.tracks or JobTracks()
        listed = {t.path for t in tracks.audio + tracks.subtitles}
        added = sum(1 for path in paths if str(path) in listed)
        parts = [f"{added} file{'s' * (added != 1)} added to {record.name}"] if added else []
        if refused:
            more = f" (and {len(refused) - 1} more)" if len(refused) > 1 else ""
            parts.append(f"{'not' if added else 'Not'} added: {refused[0]}{more}")
        self.message.emit("; ".join(parts))
        self.tracks_attached.emit(job_id, list(refused))

    def _on_attach_failed(self, tag: tuple[int, list[Path]], error: HlsStudioError) -> None:
        if not self._shut:
            self.message.emit(f"Not added: {error.message}")
            self.tracks_attached.emit(tag[0], [error.message])

    def _on_edited(self, job_id: int, field: str, value: object) -> None:
        if not self._shut:
            self.service.update(job_id, **{field: value})

    def run_call(self, worker: CallWorker) -> None:
        """Run a CallWorker on the io pool, keeping it alive until its last signal arrives."""
        self._calls[worker.serial] = worker
        worker.signals.released.connect(self._release)
        self.pools.io.start(worker)

    def _release(self, serial: int) -> None:
        self._calls.pop(serial, None)

    def shutdown(self, wait_ms: int = 15_000) -> None:
        """Cancel everything, wait for the workers, and record running jobs as interrupted (first
        ``before_shutdown``'s callbacks: the farm leaves its jobs running)."""
        for callback in self.before_shutdown:
            callback()
        self.follower.stop()
        self.service.shutdown(wait_ms / 1000)
        self._shut = True
