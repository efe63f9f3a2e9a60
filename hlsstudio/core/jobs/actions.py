"""What people do to jobs in the queue: cancel, retry, publish, remove, reorder.

Part of the job service (``JobService`` inherits these); kept apart so each module has one job.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

from hlsstudio.core.errors import CancelledError, HlsStudioError, LiveTitleError, NonconformantPackage
from hlsstudio.core.hls.report import allow_anyway, publish_refusal
from hlsstudio.core.jobs import events as ev
from hlsstudio.core.jobs import work
from hlsstudio.core.jobs.executor import Executor
from hlsstudio.core.jobs.probing import ProbeLine
from hlsstudio.core.jobs.publishing import PublishLine, described
from hlsstudio.core.jobstore import JobRecord, JobStore
from hlsstudio.core.models import JobState, PublishResult
from hlsstudio.core.settings import AppSettings

Move = Literal["up", "down", "top"]
WAITING = frozenset({JobState.QUEUED, JobState.PROBING, JobState.READY})
RETRYABLE = frozenset({JobState.FAILED, JobState.PUBLISH_FAILED, JobState.CANCELLED, JobState.INTERRUPTED})
PUBLISHABLE = frozenset({JobState.DONE, JobState.PUBLISH_FAILED})
PUBLISH_CANCELLED = "publishing cancelled: the encoded package is kept"


class JobActions:
    """The row actions of ``JobService``; the attributes below are the service's."""

    store: JobStore
    owner: str | None
    executor: Executor
    bus: ev.EventBus
    settings: AppSettings
    probes: ProbeLine
    publishing: PublishLine
    closing: bool
    _encodes: dict[int, tuple[threading.Event, Path]]
    _probing_now: set[int]
    _awaiting: dict[int, JobRecord]
    _let_run: set[int]
    _replace_ok: dict[int, tuple[str, str]]
    replace_live: bool
    await_probe: Callable[[Sequence[JobRecord]], None]
    find_missing_tracks: Callable[[Sequence[JobRecord]], None]
    transition: Callable[..., JobRecord | None]
    record: Callable[[int], JobRecord | None]
    schedule: Callable[[], None]
    check_finished: Callable[[], None]
    _say: Callable[..., None]
    _mine: Callable[[JobRecord], bool]

    def cancel(self, ids: Sequence[int]) -> None:
        """Cancel jobs at whatever stage they are; waiting ones become Cancelled at once."""
        for job_id in ids:
            self._let_run.discard(job_id)  # a cancelled job never starts by itself again
            record = self.record(job_id)
            if record is None:
                continue
            if not self._mine(record):
                self._say(f"{record.name}: another HLS Studio runs this job; cancel it there", job_id)
            elif job_id in self._encodes:
                self._encodes[job_id][0].set()
            elif not self._cancel_publish(job_id) and record.state in WAITING:
                self._probing_now.discard(job_id)
                self._awaiting.pop(job_id, None)
                self.transition(job_id, JobState.CANCELLED)
        self.check_finished()

    def retry(self, ids: Sequence[int]) -> int:
        """Run failed, cancelled or interrupted jobs again: publish only when their package is intact,
        else start again (probing first when they were never probed). Returns how many."""
        retried = 0
        for job_id in ids:
            record = self.store.get(job_id)
            if record is None or record.state not in RETRYABLE or job_id in self._encodes:
                continue
            if not self._mine(record):
                self._say(f"{record.name}: another HLS Studio runs this job; retry it there", job_id)
                continue
            retried += 1
            if work.intact_package(record) is not None:
                self._queue_publish(record)
            elif record.info is not None:  # its stored tracks are kept (found now if it has none)
                self.transition(job_id, JobState.READY, result=None, hls_url=None)
                self.find_missing_tracks([record])
            else:
                self.transition(job_id, JobState.QUEUED, result=None, hls_url=None)
                self.await_probe([record])
        self.schedule()
        return retried

    def publish(self, ids: Sequence[int] | None = None) -> int:
        """Publish finished jobs (``None``: every finished, unpublished one); returns how many queued."""
        if ids is None:
            records = [r for r in self.store.jobs() if r.state in PUBLISHABLE and not r.hls_url]
        else:
            records = [r for r in map(self.store.get, ids) if r is not None]
        queued = 0
        for record in records:
            if record.state not in PUBLISHABLE:
                self._say(f"{record.name}: only encoded jobs can be published", record.id)
                continue
            queued += self._queue_publish(record)
        return queued

    def _queue_publish(self, record: JobRecord) -> bool:
        problem = work.publish_problem(record)
        if problem:
            self._say(f"{record.name}: {problem}", record.id)
            return False
        if self.publishing.handles(record.id):
            return False
        self.transition(record.id, JobState.PUBLISHING, owner=self.owner)
        self.publishing.add(record.id)
        return True

    def _publish_work(self, job_id: int, cancel: threading.Event) -> PublishResult:
        record = self.store.get(job_id)
        folder = work.intact_package(record) if record is not None else None
        if record is None:
            raise CancelledError("the job is gone")
        if folder is None:
            raise HlsStudioError("the local package is gone: retry to encode it again")
        self.bus.emit(ev.PublishStarted(job_id))
        settings = self.settings
        report = record.result.conformance if record.result is not None else None
        if report is not None and report.must_failures and not settings.encode.publish_nonconformant:
            raise publish_refusal(report)  # Publish and Retry keep the rule the encode kept
        return work.publish_finished(
            folder,
            settings.destination,
            (record.content_type, record.content_id),
            keep_local=settings.keep_local_after_publish,
            on_progress=lambda report: self.bus.emit(ev.UploadReport(job_id, report)),
            cancel=cancel,
            replace_live=self.may_replace(record),
        )

    def _published(self, job_id: int, outcome: PublishResult | BaseException) -> None:
        if self.closing:
            return  # shut down: the job was recorded as interrupted, the store may be closed
        record = self.store.get(job_id)
        if record is not None:
            if isinstance(outcome, PublishResult):
                update: dict[str, Any] = {"publish": outcome, "hls_url": outcome.hls_url}
                report = record.result.conformance if record.result is not None else None
                if report is not None and report.must_failures:  # published anyway: recorded
                    update["conformance"] = allow_anyway(report, True)
                if not self.settings.keep_local_after_publish:
                    update["output_dir"] = None
                result = record.result.model_copy(update=update) if record.result else None
                self.transition(job_id, JobState.DONE, result=result, hls_url=outcome.hls_url)
            elif isinstance(outcome, CancelledError):
                self.transition(job_id, JobState.DONE, error=PUBLISH_CANCELLED)
            else:
                message, detail = described(outcome)
                live = isinstance(outcome, LiveTitleError | NonconformantPackage)
                self.transition(
                    job_id,
                    JobState.PUBLISH_FAILED,
                    error=message if live else f"publishing failed: {message}",
                    error_detail=detail,
                )
            self.bus.emit(ev.PublishFinished(job_id))
        self.check_finished()

    def may_replace(self, record: JobRecord) -> bool:
        """Whether this job's publish may replace a live title: allowed for every job (``--replace``),
        confirmed for this job and the title it names now, or the title is this job's own earlier
        publish (its URL is that title's)."""
        key = (record.content_type.value, record.content_id)
        confirmed = self._replace_ok.get(record.id) == key
        return self.replace_live or confirmed or work.publishes_own_title(record)

    def allow_replace(self, ids: Sequence[int]) -> None:
        """Let these jobs' publish replace the live title each names now (the user confirmed it); a
        job whose content type or id changes afterwards must be confirmed again. Without it, a publish
        stops before replacing a live title ("not published")."""
        for record in self.store.get_many(list(ids)):
            self._replace_ok[record.id] = (record.content_type.value, record.content_id)

    def withhold_replace(self, ids: Sequence[int]) -> None:
        """Take back an earlier yes: these jobs' publish may no longer replace a live title."""
        for job_id in ids:
            self._replace_ok.pop(job_id, None)

    def remove(self, ids: Sequence[int]) -> None:
        """Cancel what runs and take the jobs out of the queue and the history."""
        for job_id in ids:
            if job_id in self._encodes:
                self._encodes[job_id][0].set()
            self._cancel_publish(job_id)
            self._awaiting.pop(job_id, None)
            self._let_run.discard(job_id)
        self.store.remove(list(ids))
        self.bus.emit(ev.JobsRemoved(frozenset(ids)))
        self.schedule()
        self.check_finished()

    def _cancel_publish(self, job_id: int) -> bool:
        waiting = self.publishing.waiting(job_id)
        if not self.publishing.cancel(job_id):
            return False
        if waiting:
            self.transition(job_id, JobState.DONE, error=PUBLISH_CANCELLED)
            self.bus.emit(ev.PublishFinished(job_id))
        return True

    def move(self, ids: Sequence[int], where: Move) -> list[int]:
        """Move jobs up, down or to the top of the queue (the queue runs top to bottom); the new order."""
        order = [r.id for r in self.store.jobs()]
        chosen = set(ids)
        if where == "top":
            order = [i for i in order if i in chosen] + [i for i in order if i not in chosen]
        else:
            steps = range(1, len(order)) if where == "up" else range(len(order) - 2, -1, -1)
            for i in steps:
                j = i - 1 if where == "up" else i + 1
                if order[i] in chosen and order[j] not in chosen:
                    order[i], order[j] = order[j], order[i]
        self.reorder(order)
        return order

    def reorder(self, ids: Sequence[int]) -> None:
        """Give the queue this order (jobs not listed keep theirs, after these)."""
        self.store.reorder(list(ids))
        self.bus.emit(ev.JobsReordered(tuple(r.id for r in self.store.jobs())))

    @property
    def active_count(self) -> int:
        """Jobs encoding or publishing now."""
        return len(self._encodes) + self.publishing.running

    def is_encoding(self, job_id: int) -> bool:
        """True while the job's encode runs."""
        return job_id in self._encodes

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until every submitted work has ended (the command line waits here)."""
        return self.executor.wait(timeout)
