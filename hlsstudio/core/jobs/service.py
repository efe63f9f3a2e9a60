"""The job service: the one authority on a job's life, shared by the desktop app and the command line.

It owns the queue (order, concurrency, pause, cancel, retry, retry that only publishes; jobs let run
while the queue does not, ``let_run``), decides every state change (checked against
``states.TRANSITIONS``, stored in the job store first, then announced as an event), and runs the
work through an executor. Front ends call its commands and subscribe to its events; none of them
decides a state. Safe to call from any thread; events come on the thread that caused them (a GUI
hands them to its own).
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from hlsstudio.core.jobowner import owner_alive
from hlsstudio.core.jobs import events as ev
from hlsstudio.core.jobs import work
from hlsstudio.core.jobs.actions import WAITING, JobActions
from hlsstudio.core.jobs.context import JobCallbacks, JobRequest
from hlsstudio.core.jobs.executor import Executor, JobWork, Lane
from hlsstudio.core.jobs.placement import JobPlacement
from hlsstudio.core.jobs.probing import Answer, ProbeLine
from hlsstudio.core.jobs.publishing import PublishLine
from hlsstudio.core.jobs.readiness import JobReadiness
from hlsstudio.core.jobs.states import check_transition
from hlsstudio.core.jobs.tracking import JobTracking
from hlsstudio.core.jobstore import JobRecord, JobStore, suggest_content_id
from hlsstudio.core.models import ContentType, JobResult, JobState, Ladder
from hlsstudio.core.settings import AppSettings
from hlsstudio.core.toolchain import Toolchain

log = logging.getLogger(__name__)

Change = tuple[int, JobState, dict[str, Any]]


class JobService(JobActions, JobTracking, JobPlacement, JobReadiness):
    """Queue, state machine, persistence and execution of jobs. See the module docstring."""

    def __init__(
        self,
        store: JobStore,
        executor: Executor,
        settings: AppSettings,
        *,
        owner: str | None = None,
        adopt: bool = True,
    ) -> None:
        """``adopt``: also drive waiting jobs no live process drives (the app's queue); False: only the
        jobs this service added (a command line batch leaves the rest of the queue alone)."""
        self.store, self.executor, self.settings, self.owner = store, executor, settings, owner
        self.adopt = adopt
        self.replace_live = False  # True: any job may replace a live title (``--replace``)
        self._replace_ok: dict[int, tuple[str, str]] = {}  # job -> the title it may replace
        self.bus = ev.EventBus()
        self._lock = threading.RLock()
        self._encodes: dict[int, tuple[threading.Event, Path]] = {}
        self._pinned_out: dict[int, Path] = {}
        self._probing_now: set[int] = set()
        self._awaiting: dict[int, JobRecord] = {}  # jobs waiting for their probe, as queued
        self._let_run: set[int] = set()  # waiting jobs that start even while the queue does not run
        self.toolchain: Toolchain | None = None
        self.toolchain_error: str | None = None  # why FFmpeg cannot be used
        self.ladder: Ladder | None = None
        self.ladder_problems: list[str] = []
        self.running = self.closing = False
        self.run_counts = [0, 0]
        self.probes = ProbeLine(
            executor,
            source_of=self._source_of,
            wanted=self._probe_wanted,
            started=self._probe_started,
            store=self._store_answers,
            ffprobe=lambda: self.settings.ffprobe_path,
        )
        self.publishing = PublishLine(executor, self._publish_work, self._published)
        self.set_ladder(list(settings.ladder))

    # ---- events and state

    def subscribe(self, subscriber: ev.Subscriber) -> Callable[[], None]:
        """Receive every event from now on; returns the function that stops it."""
        return self.bus.subscribe(subscriber)

    def _say(self, text: str, job_id: int | None = None) -> None:
        self.bus.emit(ev.LogLine(text, job_id))

    def record(self, job_id: int) -> JobRecord | None:
        """The job as the service sees it (stored state, or Probing while its probe runs)."""
        found = self.store.get(job_id)
        if found is not None and job_id in self._probing_now and found.state is JobState.QUEUED:
            return found.model_copy(update={"state": JobState.PROBING})
        return found

    def transition_many(self, changes: Sequence[Change]) -> list[JobRecord]:
        """Store state changes in one transaction (each checked against the table), then announce them.

        Raises IllegalTransition (nothing stored) when one of them is not allowed.
        """
        if not changes or self.closing:
            return []
        with self._lock:
            # each job's state as the batch leaves it so far
            expected = self.store.states(list({job_id for job_id, _, _ in changes}))
            for job_id, state, _ in changes:
                if job_id not in expected:
                    continue
                if expected[job_id] is not state:
                    check_transition(expected[job_id], state)
                expected[job_id] = state
            records = self.store.transition_many(list(changes))
        self.bus.emit(ev.JobsChanged(tuple(records)))
        return records

    def transition(self, job_id: int, state: JobState, **fields: Any) -> JobRecord | None:
        """One ``transition_many`` change; ``error``/``error_detail`` fields replace the stored ones."""
        found = self.transition_many([(job_id, state, fields)])
        return found[0] if found else None

    def update(self, job_id: int, **fields: Any) -> JobRecord | None:
        """Change a job's fields other than its state (content type and id, tracks)."""
        with self._lock:  # a probe's answer checks and stores its tracks under the lock too
            record = self.store.update(job_id, **fields)
        if record is not None:
            self.bus.emit(ev.JobsChanged((record,)))
        return record

    # ---- start-up (FFmpeg, the ladder and the settings: ``readiness``)

    def load(self) -> list[JobRecord]:
        """The stored queue; probes what was never probed and locates FFmpeg."""
        records = self.store.jobs()
        waiting = (JobState.QUEUED, JobState.PROBING)
        self.await_probe([r for r in records if r.state in waiting and self._mine(r)])
        self.find_missing_tracks([r for r in records if r.state is JobState.READY and self._mine(r)])
        self.locate_toolchain()
        return records

    # ---- adding and probing

    def add(
        self,
        sources: Sequence[str | Path],
        content_type: ContentType | None = None,
        *,
        failed: dict[str, str] | None = None,
        out_dirs: Sequence[Path] | None = None,
    ) -> list[JobRecord]:
        """Append QUEUED jobs for ``sources`` (one transaction) and probe them. ``failed`` maps sources
        that cannot be used at all (e.g. an undecodable name) to the reason they fail with at once.
        ``out_dirs`` (one per source, in order) are the package folders the jobs write instead of
        output folder / content id (the command line's ``--out``)."""
        kind = content_type or ContentType(self.settings.default_content_type)
        records = self.place_new(self.store.add([str(s) for s in sources], kind, owner=self.owner))
        if out_dirs is not None:
            with self._lock:
                self._pinned_out.update((r.id, Path(d)) for r, d in zip(records, out_dirs, strict=True))
        self.bus.emit(ev.JobsAdded(tuple(records)))
        failed = failed or {}
        bad = [(r.id, JobState.FAILED, {"error": failed[r.source]}) for r in records if r.source in failed]
        changed = {r.id: r for r in self.transition_many(bad)}
        records = [changed.get(r.id, r) for r in records]
        self.await_probe([r for r in records if r.source not in failed])
        return records

    def await_probe(self, records: Sequence[JobRecord]) -> None:
        """Line these (QUEUED) jobs up for their probe."""
        with self._lock:
            self._awaiting.update((r.id, r) for r in records)
        self.probes.add([r.id for r in records])

    def _source_of(self, job_id: int) -> Path | None:
        record = self._awaiting.get(job_id)
        return Path(record.source) if record is not None else None

    def _probe_wanted(self, job_id: int) -> bool:
        return not self.closing and job_id in self._awaiting

    def _probe_started(self, job_id: int) -> None:
        self._probing_now.add(job_id)
        queued = self._awaiting.get(job_id)
        if queued is not None and not self.closing:  # shown, not stored: a restart probes again
            self.bus.emit(ev.JobsChanged((queued.model_copy(update={"state": JobState.PROBING}),)))

    def _store_answers(self, answers: list[Answer]) -> None:
        answers, bases = self._tracks_found(answers)  # reads the sources' folders: not in the lock
        with self._lock:  # no attached file lands between the tracks' check and their store
            for job_id, _, _ in answers:
                self._probing_now.discard(job_id)
                self._awaiting.pop(job_id, None)
            answers, stale = self._tracks_kept(answers, bases)
            self.transition_many(answers)
        self.find_tracks(stale)
        if any(state is JobState.READY for _, state, _ in answers):
            self.schedule()
        self.check_finished()

    # ---- running the queue

    def start(self) -> bool:
        """Run READY jobs in queue order; False (with a message) when something blocks it."""
        blockers = self.start_blockers()
        if blockers:
            self._say(f"Cannot start: {blockers[0]}")
            return False
        if not any(r.state in WAITING for r in self.store.jobs()) and not self._encodes:
            self._say("Nothing to run: add files, or retry failed jobs")
        if not self.running:
            log.info("queue started")
            self.running, self.run_counts = True, [0, 0]
            self.bus.emit(ev.QueueRunning(True))
        self.schedule()
        return True

    def pause(self) -> None:
        """Start no new job; running ones finish."""
        if self.running:
            self.running = False
            self.bus.emit(ev.QueueRunning(False))
            self._say("Queue paused: running jobs finish, no new job starts")

    def let_run(self, ids: Sequence[int]) -> None:
        """Let these waiting jobs start even while the queue does not run (each once, when an encode
        slot is free); the rest of the queue waits for Start, and the queue's running state stays."""
        with self._lock:
            self._let_run.update(ids)
        self.schedule()

    def schedule(self) -> None:
        """Start READY jobs (queue order) while encode slots are free: any while the queue runs, else
        only those let run (``let_run``)."""
        while True:
            with self._lock:
                if self.closing or self.toolchain is None or self.ladder is None:
                    return
                if not self.running and not self._still_let_run():
                    return
                if len(self._encodes) >= self.settings.concurrent_jobs:
                    break
                busy = {out for _, out in self._encodes.values()}
                allowed = (r for r in self._in_state(JobState.READY) if self.running or r.id in self._let_run)
                ready = (r for r in allowed if self._out_dir(r) not in busy)
                record = next((r for r in ready if self._take(r)), None)
                if record is None:
                    break
                job, cancel = self._launch(record)
            run = JobWork(functools.partial(self._run, job, cancel), job.request.runs_on)
            self.executor.submit(Lane.ENCODE, run)
        self.check_finished()

    def _still_let_run(self) -> bool:
        """Forget jobs let run that no longer wait (cancelled, removed, publishing); whether any is left."""
        if self._let_run:
            states = self.store.states(list(self._let_run))
            self._let_run.intersection_update(i for i, state in states.items() if state in WAITING)
        return bool(self._let_run)

    def _in_state(self, *states: JobState) -> list[JobRecord]:
        """The jobs in one of ``states``, in queue order (only their rows are read in full)."""
        return self.store.get_many([i for i, state in self.store.states().items() if state in states])

    def _take(self, record: JobRecord) -> bool:
        """Whether this service may start the job (a dead owner's is taken over in one transaction,
        so two processes never both start it)."""
        owner = self.owner
        if not self._mine(record) or owner is None or record.owner == owner:
            return self._mine(record)
        return bool(self.store.claim([record.id], owner))

    def _mine(self, record: JobRecord) -> bool:
        """Whether this service may drive the job: nobody else (a live app or command line) does."""
        if not self.adopt:
            return self.owner is not None and record.owner == self.owner
        if self.owner is None or record.owner in (None, self.owner):
            return True
        return not owner_alive(record.owner)

    def _out_dir(self, record: JobRecord) -> Path:
        """The package folder a job writes: the one it was added with, else the content id (or one
        made from the file name) in the output folder."""
        if record.id in self._pinned_out:
            return self._pinned_out[record.id]
        valid_id = work.content_id_problem(record.content_id) is None
        folder_name = record.content_id if valid_id else suggest_content_id(record.source)
        return self.settings.resolved_output_dir() / folder_name

    def _launch(self, record: JobRecord) -> tuple[work.EncodeJob, threading.Event]:
        assert self.ladder is not None
        snapshot = work.JobSnapshot.of(self.settings, self.ladder)
        out_dir = self._out_dir(record)
        id_problem = work.content_id_problem(record.content_id) if snapshot.auto_publish else None
        publish = snapshot.auto_publish and id_problem is None
        request = JobRequest(
            source=Path(record.source),
            out_dir=out_dir,
            ladder=snapshot.ladder,
            settings=snapshot.encode,
            content_type=record.content_type if publish else None,
            content_id=record.content_id if publish else None,
            job=str(record.id),
            replace_live=self.may_replace(record),
            tracks=record.tracks,
            runs_on=record.runs_on,
            farm_job=record.farm_job,
        )
        cancel = threading.Event()
        self._encodes[record.id] = (cancel, out_dir)
        self._let_run.discard(record.id)
        fields = {"out_dir": str(out_dir), "result": None, "hls_url": None, "owner": self.owner}
        self.transition(record.id, JobState.TRANSCODING, **fields)
        job = work.EncodeJob(request, record.info, snapshot, snapshot.auto_publish, id_problem)
        return job, cancel

    def _run(self, job: work.EncodeJob, cancel: threading.Event) -> None:
        job_id = int(job.request.job)
        assert self.toolchain is not None
        callbacks = JobCallbacks(
            on_state=lambda state: self._on_job_state(job_id, state),
            on_progress=lambda progress: self.bus.emit(ev.EncodeProgress(job_id, progress)),
            on_upload=lambda report: self.bus.emit(ev.UploadReport(job_id, report)),
        )
        result = work.run_encode_job(job, self.toolchain, callbacks, cancel)
        self._finished(job_id, result)

    def _on_job_state(self, job_id: int, state: JobState) -> None:
        record = None if self.closing else self.store.get(job_id)
        if record is None or state.is_terminal or state is record.state:
            return  # the final state comes with the result
        self.transition(job_id, state)
        if state is JobState.PUBLISHING:
            self.bus.emit(ev.PublishStarted(job_id))

    def _finished(self, job_id: int, result: JobResult) -> None:
        if self.closing:
            with self._lock:
                self._encodes.pop(job_id, None)
            return  # shut down: the job was recorded as interrupted, the store may be closed
        record = self.store.get(job_id)
        if record is not None:
            state = work.final_state(result)
            error = f": {result.error}" if result.error else ""
            log.info("job %s (%s) %s%s", job_id, record.name, state.value, error)
            self.run_counts[0 if state is JobState.DONE and not result.error else 1] += 1
            fields = {"error": result.error, "error_detail": result.error_detail, "result": result}
            fields.update(hls_url=result.hls_url, out_dir=result.output_dir or record.out_dir)
            self.transition(job_id, state, **fields)
            if record.state is JobState.PUBLISHING:
                self.bus.emit(ev.PublishFinished(job_id))
        with self._lock:  # the slot is freed only once the final state is stored
            self._encodes.pop(job_id, None)
        self.schedule()

    def check_finished(self) -> None:
        """When the running queue has nothing left to do: stop and announce it."""
        with self._lock:
            if not self.running or self._encodes or self.publishing.busy:
                return
            if self.probes.probing or any(self._mine(r) for r in self._in_state(*WAITING)):
                return
            self.running = False
        self.bus.emit(ev.QueueRunning(False))
        if any(self.run_counts):
            self.bus.emit(ev.QueueFinished(*self.run_counts))

    def shutdown(self, wait_s: float = 15.0) -> None:
        """Cancel everything, wait for the work, and record running jobs as interrupted."""
        self.running = False
        running = list(self._encodes) + self.publishing.cancel_all()
        for cancel, _ in list(self._encodes.values()):
            cancel.set()
        self.probes.clear()
        self.executor.discard_pending()
        self.closing = True
        self.executor.wait(wait_s)
        for job_id in running:
            self.store.transition(job_id, JobState.INTERRUPTED, error="interrupted: the app was closed")
