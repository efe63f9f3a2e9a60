"""What the queue needs before a job can start: FFmpeg found, a valid ladder, the settings in force,
and why it cannot start when one is missing (``start_blockers``).

Part of the job service (``JobService`` inherits these); kept apart so each module has one job.
Locating FFmpeg runs on the I/O lane; once it is found, waiting jobs may start (``schedule``).
"""

from __future__ import annotations

from collections.abc import Callable

from hlsstudio.core.jobs import events as ev
from hlsstudio.core.jobs.executor import Executor, Lane
from hlsstudio.core.models import Ladder, Rung, ladder_problems
from hlsstudio.core.settings import AppSettings
from hlsstudio.core.toolchain import Toolchain, locate_toolchain


class JobReadiness:
    """FFmpeg, the ladder and the settings of ``JobService``; the attributes below are the service's."""

    settings: AppSettings
    executor: Executor
    bus: ev.EventBus
    toolchain: Toolchain | None
    toolchain_error: str | None
    ladder: Ladder | None
    ladder_problems: list[str]
    schedule: Callable[[], None]

    def locate_toolchain(self, refresh: bool = False) -> None:
        """Find ffmpeg/ffprobe and their capabilities on the I/O lane."""
        self.toolchain_error = None
        paths = (self.settings.ffmpeg_path or None, self.settings.ffprobe_path or None)

        def find() -> None:
            try:
                toolchain, error = locate_toolchain(*paths, refresh=refresh), None
            except Exception as exc:
                toolchain, error = None, getattr(exc, "message", str(exc))
            self.toolchain, self.toolchain_error = toolchain, error
            self.bus.emit(ev.ToolchainChanged(toolchain, error))
            self.bus.emit(ev.BlockersChanged(tuple(self.start_blockers())))
            if toolchain is not None:
                self.schedule()

        self.executor.submit(Lane.IO, find)

    def apply_settings(self, settings: AppSettings) -> None:
        """Use new settings for jobs that start from now on (running jobs keep their snapshot)."""
        old, self.settings = self.settings, settings
        self.executor.set_capacity(Lane.ENCODE, settings.concurrent_jobs)
        if (old.ffmpeg_path, old.ffprobe_path) != (settings.ffmpeg_path, settings.ffprobe_path):
            self.locate_toolchain()
        self.schedule()

    def set_ladder(self, rungs: list[Rung] | None, problems: list[str] | None = None) -> None:
        """Use these rungs for jobs that start from now on; ``rungs=None`` with problems blocks Start."""
        if rungs is not None and problems is None:
            problems = ladder_problems(rungs)
        self.ladder_problems = list(problems or [])
        self.ladder = Ladder(rungs=rungs) if rungs is not None and not self.ladder_problems else None
        self.bus.emit(ev.BlockersChanged(tuple(self.start_blockers())))

    def start_blockers(self) -> list[str]:
        """Why the queue cannot start (empty: it can)."""
        reasons = list(self.ladder_problems)
        if self.toolchain_error:
            reasons.append(self.toolchain_error)
        return reasons
