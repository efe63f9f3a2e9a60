"""Short human strings for durations, sizes, rates, states and planned rungs (no Qt)."""

from __future__ import annotations

from hlsstudio.core.errors import HlsStudioError
from hlsstudio.core.ladder import plan_ladder
from hlsstudio.core.models import JobState, Ladder, MediaInfo, PlannedRung, Progress
from hlsstudio.core.publish import UploadProgress

STATE_LABELS = {
    JobState.QUEUED: "Queued",
    JobState.PROBING: "Checking file",
    JobState.ANALYSING: "Analysing picture",
    JobState.READY: "Ready",
    JobState.TRANSCODING: "Encoding",
    JobState.VALIDATING: "Checking package",
    JobState.PUBLISHING: "Publishing",
    JobState.DONE: "Finished",
    JobState.PUBLISH_FAILED: "Publish failed",
    JobState.FAILED: "Failed",
    JobState.CANCELLED: "Cancelled",
    JobState.INTERRUPTED: "Interrupted",
}


def clock(seconds: float | None) -> str:
    """``1:02:03`` / ``2:03`` for a number of seconds; '' for None."""
    if seconds is None:
        return ""
    total = max(0, round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def size(num_bytes: int | None) -> str:
    """``1.4 GB`` style sizes (decimal units)."""
    if num_bytes is None:
        return ""
    value = float(num_bytes)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} TB"


def resolution(info: MediaInfo | None) -> str:
    """``1920×1080`` plus the frame rate, e.g. ``1920×1080 25p``."""
    if info is None:
        return ""
    scan = "i" if info.interlaced else "p"
    return f"{info.width}×{info.height} {info.fps:g}{scan}"


def transcode_progress_text(progress: Progress) -> str:
    """``42% · 3.1× · ETA 0:12`` for an encode."""
    parts = [f"{progress.fraction * 100:.0f}%"]
    if progress.speed:
        parts.append(f"{progress.speed:.1f}×")
    if progress.eta is not None and not progress.done:
        parts.append(f"ETA {clock(progress.eta)}")
    if progress.detail and not progress.done:
        parts.append(progress.detail)
    return " · ".join(parts)


def upload_progress_text(report: UploadProgress) -> str:
    """``63% · 12/20 files`` for a publish."""
    return f"{report.fraction * 100:.0f}% · {report.files_done}/{report.files_total} files"


def planned_rungs(info: MediaInfo | None, ladder: Ladder | None) -> list[PlannedRung]:
    """The rungs the ladder gives this source ([] when unknown or impossible)."""
    if info is None or ladder is None:
        return []
    try:
        return plan_ladder(info, ladder)
    except HlsStudioError:
        return []


def rungs_summary(rungs: list[PlannedRung]) -> str:
    """``360p, 480p, 720p`` or ``360p–1080p (4)`` when there are many."""
    if not rungs:
        return ""
    if len(rungs) <= 3:
        return ", ".join(r.name for r in rungs)
    return f"{rungs[0].name}–{rungs[-1].name} ({len(rungs)})"


def rung_line(rung: PlannedRung) -> str:
    """``720p  1280×720  2800 kbps (max 3080) + 192 kbps audio``."""
    return (
        f"{rung.name}  {rung.width}×{rung.height}  {rung.video_kbps} kbps "
        f"(max {rung.maxrate_kbps}) + {rung.audio_kbps} kbps audio, {rung.profile}@{rung.level}"
    )
