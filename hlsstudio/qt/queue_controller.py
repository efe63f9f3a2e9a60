"""The queue's brain on the GUI thread: takes files in, probes them, runs and publishes jobs.

Every state change goes to the job store first (one transaction) and then to the table model.
Work runs on the pools; results come back as queued signals and land here. Nothing in this class
blocks: scans, probes, encodes, uploads and toolchain checks all run in workers.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Literal

from PySide6.QtCore import QObject, Signal

from hlsstudio.core.errors import HlsStudioError
from hlsstudio.core.jobstore import JobRecord, JobStore, suggest_content_id
from hlsstudio.core.models import JobResult, JobState, Ladder, Progress, Rung
from hlsstudio.core.models import ladder_problems as find_ladder_problems
from hlsstudio.core.pipeline import JobRequest
from hlsstudio.core.publish import UploadProgress
from hlsstudio.core.settings import AppSettings
from hlsstudio.core.toolchain import Toolchain
from hlsstudio.qt import tasks
from hlsstudio.qt.intake import PROBE_STATES, Intake
from hlsstudio.qt.job_table_model import JobTableModel
from hlsstudio.qt.pools import Pools
from hlsstudio.qt.publisher import Publisher, content_id_problem, intact_package
from hlsstudio.qt.workers import CallWorker, JobWorker

log = logging.getLogger(__name__)

Move = Literal["up", "down", "top"]
WAITING = frozenset({JobState.QUEUED, JobState.PROBING, JobState.READY})
RETRYABLE = frozenset({JobState.FAILED, JobState.CANCELLED, JobState.INTERRUPTED})
FINAL = {"completed": JobState.DONE, "cancelled": JobState.CANCELLED}


class QueueController(QObject):
    """Owns the job store, the table model and the workers. Lives on (and is called from) the GUI thread."""

    running_changed = Signal(bool)
    queue_finished = Signal(int, int)  # jobs done, jobs failed in this run
    toolchain_changed = Signal()
    blockers_changed = Signal()
    message = Signal(str)
    job_updated = Signal(int)
    publish_started = Signal(int)
    upload_progress = Signal(int, object)
    publish_finished = Signal(int)

    def __init__(
        self, store: JobStore, settings: AppSettings, pools: Pools, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.settings = settings
        self.pools = pools
        self.model = JobTableModel(self)
        self.model.record_edited.connect(self._on_edited)
        self.intake = Intake(self)
        self.publisher = Publisher(self)
        self.publisher.started.connect(self.publish_started)
        self.publisher.upload.connect(self.upload_progress)
        self.publisher.finished.connect(self.publish_finished)
        self.toolchain: Toolchain | None = None
        self.toolchain_error: str | None = None
        self.ladder: Ladder | None = None
        self.ladder_problems: list[str] = []
        self.running = False
        self.closing = False
        self._shut = False  # after shutdown() the store is no longer written (it may be closed)
        self._encodes: dict[int, JobWorker] = {}
        self._calls: dict[int, CallWorker] = {}
        self._run_counts = [0, 0]
        self.set_ladder(list(settings.ladder))

    # ---- start-up

    def load(self) -> None:
        """Show the stored queue, probe what was never probed, and find the toolchain."""
        self.model.set_records(self.store.jobs())
        if self.store.recovered:
            n = len(self.store.recovered)
            self.message.emit(f"{n} job{'s' * (n != 1)} interrupted by the last exit: retry to run again")
        self.intake.probe_all([r for r in self.model.records() if r.state in PROBE_STATES])
        self.locate_toolchain()

    def locate_toolchain(self, refresh: bool = False) -> None:
        """Find ffmpeg/ffprobe and their capabilities in a worker."""
        self.toolchain_error = None
        worker = CallWorker(
            "toolchain", tasks.locate, self.settings.ffmpeg_path, self.settings.ffprobe_path, refresh
        )
        worker.signals.done.connect(self._on_toolchain)
        worker.signals.failed.connect(self._on_toolchain_failed)
        self.run_call(worker)

    def _on_toolchain(self, _tag: object, toolchain: Toolchain) -> None:
        self.toolchain, self.toolchain_error = toolchain, None
        self.toolchain_changed.emit()
        self.blockers_changed.emit()
        self.schedule()

    def _on_toolchain_failed(self, _tag: object, error: HlsStudioError) -> None:
        self.toolchain, self.toolchain_error = None, error.message
        self.toolchain_changed.emit()
        self.blockers_changed.emit()

    # ---- settings and ladder

    def apply_settings(self, settings: AppSettings) -> None:
        """Use new settings from now on (running jobs keep theirs)."""
        old, self.settings = self.settings, settings
        self.pools.encode.setMaxThreadCount(settings.concurrent_jobs)
        if (old.ffmpeg_path, old.ffprobe_path) != (settings.ffmpeg_path, settings.ffprobe_path):
            self.locate_toolchain()
        self.schedule()

    def set_ladder(self, rungs: list[Rung] | None, problems: list[str] | None = None) -> None:
        """Use these rungs for jobs started from now on; ``rungs=None`` with problems blocks Start."""
        if rungs is not None and problems is None:
            problems = find_ladder_problems(rungs)
        self.ladder_problems = list(problems or [])
        self.ladder = Ladder(rungs=rungs) if rungs is not None and not self.ladder_problems else None
        self.model.set_ladder(self.ladder)
        self.blockers_changed.emit()

    def start_blockers(self) -> list[str]:
        """Why Start is disabled (empty: it is enabled)."""
        reasons = [f"Ladder: {p}" for p in self.ladder_problems]
        if self.toolchain_error:
            reasons.append(self.toolchain_error)
        return reasons

    # ---- adding files

    def add_paths(self, paths: list[Path]) -> None:
        """Queue dropped or picked files and folders (folders are scanned in a worker)."""
        self.intake.add_paths(paths)

    def add_files(self, files: list[Path]) -> list[JobRecord]:
        """Append jobs for ``files`` (skipping ones already waiting or running) and probe them."""
        return self.intake.add_files(files)

    # ---- running the queue

    def start(self) -> bool:
        """Run READY jobs in queue order; False (with a message) when something blocks it."""
        blockers = self.start_blockers()
        if blockers:
            self.message.emit(f"Cannot start: {blockers[0]}")
            return False
        if not any(r.state in WAITING for r in self.model.records()) and not self._encodes:
            self.message.emit("Nothing to run: add files, or retry failed jobs")
        if not self.running:
            log.info("queue started")
            self.running = True
            self._run_counts = [0, 0]
            self.running_changed.emit(True)
        self.schedule()
        return True

    def pause(self) -> None:
        """Start no new job; running ones finish."""
        if self.running:
            self.running = False
            self.running_changed.emit(False)
            self.message.emit("Queue paused: running jobs finish, no new job starts")

    def schedule(self) -> None:
        """Start READY jobs while the queue runs and encode slots are free."""
        if self.closing or not self.running or self.toolchain is None or self.ladder is None:
            return
        while len(self._encodes) < self.settings.concurrent_jobs:
            # two jobs writing the same package folder at once would replace each other's work
            busy = {w.request.out_dir for w in self._encodes.values()}
            ready = (r for r in self.model.records() if r.state is JobState.READY)
            record = next((r for r in ready if self._out_dir(r) not in busy), None)
            if record is None:
                break
            self._launch(record)
        self.check_finished()

    def _out_dir(self, record: JobRecord) -> Path:
        """The package folder a job writes: the content id (or one made from the file name)."""
        valid_id = content_id_problem(record.content_id) is None
        folder_name = record.content_id if valid_id else suggest_content_id(record.source)
        return self.settings.resolved_output_dir() / folder_name

    def _launch(self, record: JobRecord) -> None:
        assert self.toolchain is not None and self.ladder is not None
        out_dir = self._out_dir(record)
        id_problem = content_id_problem(record.content_id) if self.settings.auto_publish else None
        publish = self.settings.auto_publish and id_problem is None
        request = JobRequest(
            source=Path(record.source),
            out_dir=out_dir,
            ladder=self.ladder,
            settings=self.settings.encode,
            content_type=record.content_type if publish else None,
            content_id=record.content_id if publish else None,
        )
        self.transition(record.id, JobState.TRANSCODING, out_dir=str(out_dir), result=None, hls_url=None)
        worker = JobWorker(
            record.id,
            request,
            toolchain=self.toolchain,
            info=record.info,
            destination_settings=self.settings.destination if publish else None,
            keep_local=self.settings.keep_local_after_publish,
            not_published=id_problem,
        )
        worker.signals.state.connect(self._on_job_state)
        worker.signals.progress.connect(self._on_job_progress)
        worker.signals.upload.connect(self._on_job_upload)
        worker.signals.finished.connect(self._on_job_finished)
        self._encodes[record.id] = worker
        self.pools.encode.start(worker)

    def _on_job_state(self, job_id: int, state: JobState) -> None:
        record = self.model.record(job_id)
        if record is None or self.closing or state.is_terminal or state is record.state:
            return  # the final state comes with the result
        self.transition(job_id, state)
        if state is JobState.PUBLISHING:
            self.publish_started.emit(job_id)

    def _on_job_progress(self, job_id: int, progress: Progress) -> None:
        self.model.set_progress(job_id, progress)

    def _on_job_upload(self, job_id: int, report: UploadProgress) -> None:
        self.model.set_upload(job_id, report)
        self.upload_progress.emit(job_id, report)

    def _on_job_finished(self, job_id: int, result: JobResult) -> None:
        self._encodes.pop(job_id, None)
        record = self.model.record(job_id)
        if record is None or self.closing:
            self.schedule()
            return
        was_publishing = record.state is JobState.PUBLISHING
        state = FINAL.get(result.status, JobState.FAILED)
        log.info(
            "job %s (%s) %s%s", job_id, record.name, state.value, f": {result.error}" if result.error else ""
        )
        self._run_counts[0 if state is JobState.DONE else 1] += 1
        self.transition(
            job_id,
            state,
            error=result.error,
            error_detail=result.error_detail,
            result=result,
            hls_url=result.hls_url,
            out_dir=result.output_dir or record.out_dir,
        )
        if was_publishing:
            self.publish_finished.emit(job_id)
        self.schedule()
        self.check_finished()

    def check_finished(self) -> None:
        """When the running queue has nothing left to do: stop and announce it."""
        if not self.running or self._encodes or self.publisher.busy:
            return
        if any(r.state in WAITING for r in self.model.records()):
            return
        self.running = False
        self.running_changed.emit(False)
        done, failed = self._run_counts
        if done or failed:
            self.queue_finished.emit(done, failed)

    # ---- row actions

    def transition(self, job_id: int, state: JobState, **fields: Any) -> JobRecord | None:
        """Store a state change (one transaction) and show it."""
        records = self.transition_many([(job_id, state, fields)])
        return records[0] if records else None

    def transition_many(self, changes: list[tuple[int, JobState, dict[str, Any]]]) -> list[JobRecord]:
        """Store several state changes in one transaction and show them (nothing after shutdown)."""
        if self._shut:  # a late answer from a worker: the store may be closed already
            return []
        records = self.store.transition_many(changes)
        for record in records:
            self.model.update_record(record)
        for record in records:
            self.job_updated.emit(record.id)
        return records

    def cancel(self, ids: list[int]) -> None:
        """Cancel jobs at whatever stage they are; waiting ones become Cancelled at once."""
        for job_id in ids:
            record = self.model.record(job_id)
            if record is None:
                continue
            if job_id in self._encodes:
                self._encodes[job_id].cancel.set()
            elif self.publisher.cancel(job_id):
                pass
            elif record.state in WAITING:
                self.transition(job_id, JobState.CANCELLED)
        self.check_finished()

    def retry(self, ids: list[int]) -> int:
        """Run failed, cancelled or interrupted jobs again (publish only when their package is intact)."""
        retried = 0
        for job_id in ids:
            record = self.model.record(job_id)
            if record is None or record.state not in RETRYABLE or job_id in self._encodes:
                continue
            retried += 1
            if intact_package(record) is not None:
                self.publisher.enqueue(record)
            elif record.info is not None:
                self.transition(job_id, JobState.READY, result=None, hls_url=None)
            else:
                self.transition(job_id, JobState.QUEUED, result=None, hls_url=None)
                self.intake.probe(record)
        self.schedule()
        return retried

    def publish(self, ids: list[int] | None = None) -> int:
        """Publish finished jobs (``None``: every finished, unpublished one); returns how many queued."""
        if ids is None:
            records = [r for r in self.model.records() if r.state is JobState.DONE and not r.hls_url]
        else:
            records = [r for r in (self.model.record(i) for i in ids) if r is not None]
        queued = 0
        for record in records:
            if record.state is not JobState.DONE:
                self.message.emit(f"{record.name}: only finished jobs can be published")
                continue
            queued += self.publisher.enqueue(record)
        return queued

    def remove(self, ids: list[int]) -> None:
        """Cancel what runs and take the jobs out of the queue and the history."""
        for job_id in ids:
            if job_id in self._encodes:
                self._encodes[job_id].cancel.set()
            self.publisher.cancel(job_id)
        self.store.remove(ids)
        self.model.remove_ids(set(ids))
        self.schedule()
        self.check_finished()

    def move(self, ids: list[int], where: Move) -> None:
        """Move jobs up, down or to the top of the queue (the queue runs top to bottom)."""
        order = [r.id for r in self.model.records()]
        chosen = set(ids)
        if where == "top":
            order = [i for i in order if i in chosen] + [i for i in order if i not in chosen]
        else:
            steps = range(1, len(order)) if where == "up" else range(len(order) - 2, -1, -1)
            for i in steps:
                j = i - 1 if where == "up" else i + 1
                if order[i] in chosen and order[j] not in chosen:
                    order[i], order[j] = order[j], order[i]
        self.model.reorder(order)
        self.store.reorder(order)

    def _on_edited(self, job_id: int, field: str, value: object) -> None:
        if self._shut:
            return
        self.store.update(job_id, **{field: value})
        self.job_updated.emit(job_id)

    # ---- helpers

    @property
    def active_count(self) -> int:
        """Jobs transcoding or publishing now."""
        return len(self._encodes) + (1 if self.publisher.busy else 0)

    def run_call(self, worker: CallWorker) -> None:
        """Run a CallWorker on the io pool, keeping it alive until its last signal arrives."""
        self._calls[worker.serial] = worker
        worker.signals.released.connect(self._release)
        self.pools.io.start(worker)

    def _release(self, serial: int) -> None:
        self._calls.pop(serial, None)

    def shutdown(self, wait_ms: int = 15_000) -> None:
        """Cancel everything, wait for the workers, and record running jobs as interrupted."""
        self.closing = True
        self.running = False
        running = list(self._encodes) + self.publisher.cancel_all()
        for worker in self._encodes.values():
            worker.cancel.set()
        self.pools.io.clear()
        self.pools.encode.clear()
        self.pools.wait(wait_ms)
        for job_id in running:
            self.store.transition(job_id, JobState.INTERRUPTED, error="interrupted: the app was closed")
        self._shut = True
        # "Probing" lives in the rows only: the store still says Queued, and the next start probes again
