"""A measured quality report in words, the same for the command line and the app."""

from __future__ import annotations

from hlsstudio.core.models import QualityReport, RungQuality
from hlsstudio.core.quality.metric import PHONE_MAX_HEIGHT


def metric_label(report: QualityReport) -> str:
    """ "VMAF (phone model up to 480p)" or "SSIM, not VMAF: <why>"."""
    if report.metric == "vmaf":
        return f"VMAF (phone model up to {PHONE_MAX_HEIGHT}p)"
    why = report.note.removeprefix("SSIM:").strip()
    return f"SSIM, not VMAF: {why}" if why else "SSIM, not VMAF"


def rung_figure(rung: RungQuality) -> str:
    """ "75.2" (VMAF, with " phone" under 480p) or "0.9876" (SSIM), and the 5th percentile."""
    if rung.metric == "vmaf":
        model = " phone" if rung.height <= PHONE_MAX_HEIGHT and rung.phone_mean is not None else ""
        low = rung.phone_p5 if model and rung.phone_p5 is not None else rung.p5
        return f"{rung.shown:.1f}{model} (5 % below {low:.1f})"
    return f"{rung.shown:.4f}"


def cost_words(report: QualityReport) -> str:
    """ "3 excerpts of 4 s, 0.35× the encode's CPU" (how and at what cost it was measured)."""
    count = len(report.excerpts)
    seconds = max((duration for _, duration in report.excerpts), default=0.0)
    sample = f"{count} excerpt{'s' if count != 1 else ''} of {seconds:g} s"
    if report.share_of_encode is None:
        return f"{sample}, {report.cpu_seconds:.0f} s of CPU"
    return f"{sample}, {report.share_of_encode:.2f}× the encode's CPU"


def quality_lines(report: QualityReport) -> list[str]:
    """One line for the figures, one for how they were measured, one per rung not measured."""
    figures = " · ".join(f"{r.rung} {rung_figure(r)}" for r in report.rungs)
    lines = [f"quality, {metric_label(report)}: {figures or 'none measured'}"]
    lines.append(f"  measured at {report.compared_at} on {cost_words(report)}")
    lines += [f"  not measured: {problem}" for problem in report.problems]
    return lines
