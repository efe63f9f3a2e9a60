"""Terminal output helpers: one-line failures, JSON, and progress lines that only draw on a TTY."""

from __future__ import annotations

import json
import shutil
import sys
import threading
import time
from typing import Any, TextIO

from pydantic import BaseModel

from hlsstudio.core.jobs import events as ev
from hlsstudio.core.models import Progress
from hlsstudio.core.settings import AppSettings, load_settings_lenient

_warned: set[str] = set()


def load_settings() -> AppSettings:
    """The saved settings; a wrong value in the file is replaced by its default with one warning on
    stderr (once per run), instead of stopping the command."""
    settings, warnings = load_settings_lenient()
    for warning in warnings:
        if warning not in _warned:
            _warned.add(warning)
            print(f"warning: {warning}", file=sys.stderr)
    return settings


def fail(message: str, detail: str = "") -> int:
    """Print ``error: message`` (and detail, if any) on stderr; return exit status 1."""
    print(f"error: {message}", file=sys.stderr)
    if detail:
        print(detail.rstrip(), file=sys.stderr)
    return 1


def print_json(value: Any) -> None:
    """Print models, lists of models or plain data as indented JSON on stdout."""

    def plain(item: Any) -> Any:
        if isinstance(item, BaseModel):
            return item.model_dump(mode="json")
        if isinstance(item, list):
            return [plain(x) for x in item]
        if isinstance(item, dict):
            return {k: plain(v) for k, v in item.items()}
        return item

    print(json.dumps(plain(value), indent=2))


def format_seconds(seconds: float | None) -> str:
    """1:02:03 / 2:03 style, '--:--' when unknown."""
    if seconds is None or seconds < 0:
        return "--:--"
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def format_bytes(size: float) -> str:
    """Human size: 1.5 MB."""
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(size) < 1000 or unit == "TB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} TB"


class ProgressBar:
    """A one-line bar on a terminal; silent when the stream is not a TTY (pipes, CI, --json)."""

    def __init__(self, label: str, stream: TextIO | None = None, enabled: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.label = label
        self._drawn = False

    def update(self, progress: Progress, suffix: str = "") -> None:
        """Redraw the line for ``progress`` (``suffix`` is appended, e.g. upload figures)."""
        if not self.enabled:
            return
        width = max(10, min(40, shutil.get_terminal_size((80, 20)).columns - 60))
        filled = int(width * min(1.0, progress.fraction))
        speed = f"{progress.speed:.2f}x" if progress.speed else "--"
        line = (
            f"\r{self.label[:24]:24} [{'#' * filled}{'.' * (width - filled)}] "
            f"{progress.fraction * 100:5.1f}% {speed:>7} ETA {format_seconds(progress.eta)}"
            f"{' · ' + progress.detail if progress.detail else ''}{suffix}\x1b[K"
        )
        self.stream.write(line)
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False


class JobLine:
    """One terminal line for a job that encodes and uploads at once; thread-safe and throttled.

    ``encode`` and ``upload`` are the job callbacks (upload reports come from worker threads).
    """

    def __init__(self, label: str, enabled: bool | None = None, stream: TextIO | None = None) -> None:
        self._bar = ProgressBar(label, stream=stream, enabled=enabled)
        self._lock = threading.Lock()
        self._encode = Progress()
        self._upload: tuple[int, int, int, int] | None = None  # bytes sent, bytes, files done, files
        self._last = 0.0

    def encode(self, progress: Progress) -> None:
        with self._lock:
            self._encode = progress
            self._draw(progress.done)

    def upload(self, report: Any) -> None:
        with self._lock:
            self._upload = (
                report.overall_bytes_sent,
                report.overall_bytes,
                report.files_done,
                report.files_total,
            )
            self._draw(report.files_done == report.files_total)

    def _draw(self, force: bool) -> None:
        now = time.monotonic()
        if not self._bar.enabled or (not force and now - self._last < 0.2):
            return
        self._last = now
        suffix = ""
        if self._upload is not None:
            sent, total, done, files = self._upload
            suffix = f"  upload {done}/{files} files {format_bytes(sent)}/{format_bytes(total)}"
        self._bar.update(self._encode, suffix)

    def label(self, text: str) -> None:
        """Show ``text`` as the line's label from the next redraw on."""
        with self._lock:
            self._bar.label = text

    def close(self) -> None:
        with self._lock:
            self._bar.close()


class JobsView:
    """The progress of a batch of jobs from the job service's events, on one terminal line.

    When one job runs at a time, each job gets its own line (``label``, or the file name) with its
    encode and upload figures, as a single job always had; with several at once, one line for the
    whole batch. Silent when stderr is not a TTY (or ``enabled`` is False). Thread-safe.
    """

    def __init__(self, label: str | None = None, jobs: int = 1, enabled: bool | None = None) -> None:
        self._label, self._jobs = label, jobs
        self._enabled = enabled
        self._lock = threading.Lock()
        self._names: dict[int, str] = {}
        self._fractions: dict[int, float] = {}
        self._finished: set[int] = set()
        self._line: tuple[int, JobLine] | None = None
        self._batch: JobLine | None = None

    def on_event(self, event: ev.JobEvent) -> None:
        """A job service subscriber."""
        if isinstance(event, ev.JobsAdded):
            with self._lock:
                self._names.update({r.id: r.name for r in event.records})
        elif isinstance(event, ev.EncodeProgress):
            self._progress(event.job_id, event.progress)
        elif isinstance(event, ev.UploadReport):
            line = self._job_line(event.job_id)
            if line is not None:
                line.upload(event.report)
        elif isinstance(event, ev.JobsChanged):
            ended = {r.id for r in event.records if r.state.is_terminal and r.id in self._names}
            if ended:
                self._ended(ended)

    def _one_at_a_time(self) -> bool:
        return self._jobs == 1 or len(self._names) == 1

    def _job_line(self, job_id: int) -> JobLine | None:
        """The line of ``job_id`` when jobs get a line each (a new one closes the one before)."""
        if not self._one_at_a_time():
            return None
        with self._lock:
            if self._line is not None and self._line[0] == job_id:
                return self._line[1]
            if self._line is not None:
                self._line[1].close()
            line = JobLine(self._label or self._names.get(job_id, "job"), enabled=self._enabled)
            self._line = (job_id, line)
            return line

    def _progress(self, job_id: int, progress: Progress) -> None:
        line = self._job_line(job_id)
        if line is not None:
            line.encode(progress)
            return
        with self._lock:
            self._fractions[job_id] = progress.fraction
            self._draw_batch()

    def _draw_batch(self) -> None:
        total = len(self._names)
        if self._batch is None:
            self._batch = JobLine(f"{total} jobs", enabled=self._enabled)
        running = len(set(self._fractions) - self._finished)
        done = sum(1.0 if i in self._finished else self._fractions.get(i, 0.0) for i in self._names)
        self._batch.label(f"{len(self._finished)}/{total} done, {running} running")
        self._batch.encode(Progress(fraction=done / total if total else 1.0))

    def _ended(self, ids: set[int]) -> None:
        with self._lock:
            self._finished |= ids
            if self._line is not None and self._line[0] in ids:
                self._line[1].close()
                self._line = None
            elif self._batch is not None:
                self._draw_batch()

    def close(self) -> None:
        """End the line being drawn."""
        with self._lock:
            if self._line is not None:
                self._line[1].close()
                self._line = None
            if self._batch is not None:
                self._batch.close()
                self._batch = None
