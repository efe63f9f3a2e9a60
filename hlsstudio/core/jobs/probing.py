"""The probe line: every new source is probed on the executor's I/O lane, a few at a time.

Hundreds of files dropped at once must not take every core, so probes wait in a line and at most
``slots`` run at once (one core stays for the app), each ffprobe at a lower CPU priority. "Probing"
is shown, not stored (a restart probes again); answers are stored in batches, one transaction for
all the answers that arrived while other probes were still running.
"""

from __future__ import annotations

import functools
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hlsstudio.core.errors import HlsStudioError
from hlsstudio.core.jobs import work
from hlsstudio.core.jobs.executor import Executor, Lane
from hlsstudio.core.models import JobState, MediaInfo

MAX_PROBE_SLOTS = 4
BATCH_SECONDS = 0.1

Answer = tuple[int, JobState, dict[str, Any]]


def probe_slots() -> int:
    """How many probes run at once: all cores but one (at least 1, at most ``MAX_PROBE_SLOTS``)."""
    return max(1, min(MAX_PROBE_SLOTS, (os.cpu_count() or 1) - 1))


class ProbeLine:
    """Probes jobs in order on the I/O lane and hands their answers back in batches.

    ``wanted(job_id)`` says whether a job still waits for its probe (not cancelled or removed);
    ``started(job_id)`` is called when its probe begins; ``store(answers)`` gets each batch.
    """

    def __init__(
        self,
        executor: Executor,
        *,
        source_of: Callable[[int], Path | None],
        wanted: Callable[[int], bool],
        started: Callable[[int], None],
        store: Callable[[list[Answer]], None],
        ffprobe: Callable[[], str],
    ) -> None:
        self._executor = executor
        self._source_of, self._wanted, self._started, self._store = source_of, wanted, started, store
        self._ffprobe = ffprobe
        self._lock = threading.RLock()
        self._line: deque[int] = deque()
        self._running: set[int] = set()
        self._answers: list[Answer] = []
        self._last_store = 0.0
        self.slots = probe_slots()

    @property
    def probing(self) -> int:
        """Probes waiting or running."""
        with self._lock:
            return len(self._line) + len(self._running)

    def add(self, ids: list[int]) -> None:
        """Line these jobs up and start as many probes as there are slots."""
        with self._lock:
            self._line.extend(ids)
        self._fill()

    def _fill(self) -> None:
        while True:
            with self._lock:
                if not self._line or len(self._running) >= self.slots:
                    return
                job_id = self._line.popleft()
                source = self._source_of(job_id) if self._wanted(job_id) else None
                if source is None:
                    continue
                self._running.add(job_id)
            self._executor.submit(Lane.IO, functools.partial(self._probe, job_id, source))

    def _probe(self, job_id: int, source: Path) -> None:
        self._started(job_id)
        answer: Answer
        try:
            info: MediaInfo = work.probe_source(source, self._ffprobe())
            answer = (job_id, JobState.READY, {"info": info})
        except HlsStudioError as exc:
            answer = (job_id, JobState.FAILED, {"error": exc.message, "error_detail": exc.detail or None})
        except Exception as exc:  # a bug fails its own job, not the line
            answer = (job_id, JobState.FAILED, {"error": f"internal error: {type(exc).__name__}: {exc}"})
        self._answer(answer)

    def _answer(self, answer: Answer) -> None:
        with self._lock:
            self._running.discard(answer[0])
            self._answers.append(answer)
            last = not self._line and not self._running
            due = last or time.monotonic() - self._last_store >= BATCH_SECONDS
        self._fill()
        if due:
            self.flush()

    def flush(self) -> None:
        """Store the answers gathered so far (those of jobs still wanted), in one batch."""
        with self._lock:
            answers = [a for a in self._answers if self._wanted(a[0])]
            self._answers.clear()
            self._last_store = time.monotonic()
        if answers:
            self._store(answers)

    def clear(self) -> None:
        """Forget the probes that have not started (shutting down)."""
        with self._lock:
            self._line.clear()
