"""A job's ladder as the Ladder tab shows it: a heading, one row per rung, sentences, points to plot.

Everything comes from the job's record already in memory: the result's per-title plan (predicted
bitrate and quality of the chosen rungs, every trial, the hull), its measured variants (average
bandwidth) and its quality report (each rung measured, VMAF or the SSIM stand-in). Nothing is read
from disk and nothing is run, so the panel can call it on every selection change. No widgets here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hlsstudio.core.jobstore import JobRecord
from hlsstudio.core.models import JobResult, JobState, QualityReport, RungQuality, VariantResult
from hlsstudio.core.pertitle.models import PerTitlePlan
from hlsstudio.core.quality.metric import PHONE_MAX_HEIGHT, Metric

NOTHING_SELECTED = "Select a finished job to see its rungs' measured quality."
NOT_MEASURED = "Quality was not measured (turned off in Settings)."
AGAIN = "These figures are from the last encode: the job is queued or being encoded again."
SSIM_PREFIX = "SSIM: "
PHONE_MARK = "*"
"""Marks a figure of the phone model (rungs up to 480p); the metric's words say so."""
Point = tuple[float, float]


def several_selected(count: int) -> str:
    """The heading while several jobs are selected."""
    return f"{count} jobs are selected: select one job to see its ladder and measured quality."


def metric_words(metric: Metric, note: str = "") -> str:
    """ "VMAF (* phone model, for rungs up to 480p)" or "SSIM (VMAF not available: <why>)"."""
    if metric == "vmaf":
        return f"VMAF ({PHONE_MARK} phone model, for rungs up to {PHONE_MAX_HEIGHT}p)"
    reason = note.removeprefix(SSIM_PREFIX).strip() or "no FFmpeg with libvmaf was found"
    return f"SSIM (VMAF not available: {reason})"


def quality_text(value: float, metric: Metric) -> str:
    """A quality figure as shown: VMAF with one decimal, SSIM with four."""
    return f"{value:.1f}" if metric == "vmaf" else f"{value:.4f}"


@dataclass(frozen=True)
class PlanRow:
    """One rung of the table; empty strings where a figure is not known."""

    name: str
    size: str
    planned_kbps: str = ""
    planned_quality: str = ""
    measured_kbps: str = ""
    measured_quality: str = ""
    low: str = ""  # the 5th percentile: 5 % of the frames score below it
    tip: str = ""  # the per-title reason, or how the figures were measured


@dataclass(frozen=True)
class PlotLine:
    """One named line of points (bitrate in kbit/s, quality)."""

    name: str
    points: list[Point]


@dataclass(frozen=True)
class Plot:
    """What the chart draws: trials per size, the hull and the chosen rungs; or the measured rungs."""

    metric: Metric
    x_title: str
    y_title: str
    sizes: list[PlotLine] = field(default_factory=list)  # one per candidate size, largest first
    hull: list[Point] = field(default_factory=list)
    chosen: list[Point] = field(default_factory=list)  # the chosen rungs' predicted figures
    measured: list[Point] = field(default_factory=list)  # a fixed ladder's measured rungs

    def all_points(self) -> list[Point]:
        """Every point drawn (the axes cover them all)."""
        return [p for line in self.sizes for p in line.points] + self.hull + self.chosen + self.measured


@dataclass(frozen=True)
class LadderView:
    """Everything the panel shows for one selection."""

    heading: str
    status: str = ""  # a plain sentence under the heading ("" for none)
    metric: str = ""  # the metric named, "" when nothing was measured
    per_title: bool = False
    rows: list[PlanRow] = field(default_factory=list)
    cost: list[str] = field(default_factory=list)  # what the analysis and the measuring cost, BD-rate
    notes: list[str] = field(default_factory=list)  # the analysis's notes, rungs not measured
    plot: Plot | None = None


def _size(width: int, height: int) -> str:
    return f"{width}×{height}"


def _measured_kbps(variant: VariantResult | None) -> str:
    if variant is None:
        return ""
    return f"{(variant.average_bandwidth or variant.bandwidth) / 1000:.0f}"


def _phone(rung: RungQuality) -> bool:
    return rung.metric == "vmaf" and rung.height <= PHONE_MAX_HEIGHT and rung.phone_mean is not None


def _measured(rung: RungQuality | None) -> tuple[str, str, str]:
    """(figure shown, 5th percentile, tooltip) of a measured rung; empty when not measured."""
    if rung is None:
        return "", "", ""
    if rung.metric == "ssim":  # the SSIM summary is a mean: no percentile
        return quality_text(rung.shown, "ssim"), "—", f"SSIM {rung.mean:.4f}"
    if _phone(rung):
        low = rung.phone_p5 if rung.phone_p5 is not None else rung.p5
        tip = f"phone model {rung.shown:.1f} (used up to {PHONE_MAX_HEIGHT}p); default model {rung.mean:.1f}"
        return f"{rung.shown:.1f}{PHONE_MARK}", f"{low:.1f}{PHONE_MARK}", tip
    return f"{rung.shown:.1f}", f"{rung.p5:.1f}", f"default model {rung.mean:.1f}"


def _rows(result: JobResult) -> list[PlanRow]:
    """One row per rung: the plan's when there is one, else the measured variants (or rungs)."""
    variants = {v.quality: v for v in result.variants}
    measured = {r.rung: r for r in result.quality.rungs} if result.quality else {}
    plan = result.per_title
    rows = []
    if plan is not None:
        for rung in plan.rungs:
            figure, low, how = _measured(measured.get(rung.name))
            planned = rung.predicted_kbps + rung.audio_kbps
            tip = f"{rung.reason}\nplanned: {rung.predicted_kbps} kb/s video + {rung.audio_kbps} kb/s sound"
            rows.append(
                PlanRow(
                    rung.name, _size(rung.width, rung.height), f"{planned}",
                    quality_text(rung.predicted_vmaf, plan.metric), _measured_kbps(variants.get(rung.name)),
                    figure, low, f"{tip}\nmeasured: {how}" if how else tip,
                )
            )  # fmt: skip
        return rows
    names = list(variants) or list(measured)
    for name in names:
        variant, rung_quality = variants.get(name), measured.get(name)
        figure, low, how = _measured(rung_quality)
        size = variant.resolution.replace("x", "×") if variant else ""
        if not size and rung_quality is not None:
            size = _size(rung_quality.width, rung_quality.height)
        kbps = _measured_kbps(variant)
        rows.append(PlanRow(name, size, measured_kbps=kbps, measured_quality=figure, low=low, tip=how))
    return rows


def _took(seconds: float, encode_seconds: float | None) -> str:
    """ "41 % of the encode's CPU time" when the encode's is known, else "12 s of CPU time"."""
    if encode_seconds:
        return f"{seconds / encode_seconds:.0%} of the encode's CPU time".replace("%", " %")
    return f"{seconds:.0f} s of CPU time"


def _encode_cpu(report: QualityReport | None) -> float | None:
    """The encode's CPU seconds, from the measuring's cost and its share of the encode (when known)."""
    if report is None or not report.share_of_encode or report.cpu_seconds <= 0:
        return None
    return report.cpu_seconds / report.share_of_encode


def _excerpts_words(excerpts: list[tuple[float, float]]) -> str:
    count = len(excerpts)
    longest = max((duration for _, duration in excerpts), default=0.0)
    return f"{count} excerpt{'s' if count != 1 else ''} of {longest:.0f} s"


def bd_rate_words(bd_rate: float) -> str:
    """ "Predicted to need 21 % fewer bits than the fixed ladder for the same quality (BD-rate −21.3 %)"."""
    more_or_fewer = "fewer" if bd_rate < 0 else "more"
    sign = "−" if bd_rate < 0 else "+"
    return (
        f"Predicted to need {abs(bd_rate):.0f} % {more_or_fewer} bits than the fixed ladder for the same"
        f" quality (BD-rate {sign}{abs(bd_rate):.1f} %)."
    )


def _cost(result: JobResult) -> list[str]:
    """What the analysis and the measuring cost, as shares of the encode's CPU time when known."""
    plan, report = result.per_title, result.quality
    encode = _encode_cpu(report)
    lines = []
    if plan is not None and plan.analysis_cpu_seconds > 0:
        took = _took(plan.analysis_cpu_seconds, encode)
        on = _excerpts_words(plan.excerpts)
        if plan.reused:
            lines.append(f"The plan was reused: this file was analysed before with the same settings ({on}).")
        else:
            lines.append(f"The analysis took {took}, on {on} (done once per file and settings).")
    if report is not None:
        took, on = _took(report.cpu_seconds, encode), _excerpts_words(report.excerpts)
        at = report.compared_at.replace("x", "×")
        lines.append(f"Quality measured on {on} at {at}: {took}.")
    if plan is not None and plan.predicted_bd_rate is not None:
        lines.append(bd_rate_words(plan.predicted_bd_rate))
    return lines


def _plan_plot(plan: PerTitlePlan) -> Plot | None:
    if not plan.points and not plan.rungs:
        return None
    heights = sorted({p.height for p in plan.points}, reverse=True)
    sizes = [
        PlotLine(f"{h}p", sorted((p.kbps, p.vmaf) for p in plan.points if p.height == h)) for h in heights
    ]
    y_title = "VMAF (default model)" if plan.metric == "vmaf" else "SSIM"
    return Plot(
        metric=plan.metric,
        x_title="Video bitrate (kbit/s)",
        y_title=y_title,
        sizes=sizes,
        hull=sorted((p.kbps, p.vmaf) for p in plan.hull),
        chosen=[(float(r.predicted_kbps), r.predicted_vmaf) for r in plan.rungs],
    )


def _measured_plot(result: JobResult) -> Plot | None:
    report = result.quality
    if report is None:
        return None
    variants = {v.quality: v for v in result.variants}
    points = sorted(
        ((variants[r.rung].average_bandwidth or variants[r.rung].bandwidth) / 1000, r.mean)
        for r in report.rungs
        if r.rung in variants
    )
    if not points:
        return None
    y_title = "VMAF (default model)" if report.metric == "vmaf" else "SSIM"
    return Plot(metric=report.metric, x_title="Bitrate with sound (kbit/s)", y_title=y_title, measured=points)


def _metric_named(result: JobResult) -> str:
    if result.quality is not None:
        return metric_words(result.quality.metric, result.quality.note)
    plan = result.per_title
    if plan is None:
        return ""
    said = next((n for n in plan.notes if n.startswith("quality measured as ")), "")
    return metric_words(plan.metric, said.removeprefix("quality measured as "))


def _not_encoded(record: JobRecord) -> str:
    name = record.name
    if record.state is JobState.ANALYSING:
        return f"{name}: the per-title analysis is choosing its rungs; they appear here once it is encoded."
    if record.state.is_active:
        return f"{name} is being encoded: its rungs' quality appears here once it is finished."
    if record.state in (JobState.QUEUED, JobState.READY):
        return f"{name} is not encoded yet: its rungs' quality appears here once it is finished."
    return f"{name} was not encoded, so nothing was measured."


def ladder_view(record: JobRecord | None, selected: int = 1) -> LadderView:
    """What the Ladder tab shows for ``record`` (None: nothing selected) among ``selected`` jobs."""
    if selected > 1:
        return LadderView(several_selected(selected))
    if record is None:
        return LadderView(NOTHING_SELECTED)
    result = record.result
    if result is None or (result.per_title is None and not result.variants):
        return LadderView(_not_encoded(record))
    plan = result.per_title
    heading = f"{'Per-title plan' if plan is not None else 'Fixed ladder'} for {record.name}"
    status = ""
    if result.status != "completed":
        status = f"Not encoded ({result.status}): only the plan's predictions are shown."
    elif not record.state.is_terminal:
        status = AGAIN
    elif result.quality is None:
        status = NOT_MEASURED
    notes = list(plan.notes) if plan is not None else []
    if result.quality is not None:
        notes += [f"Not measured: {problem}" for problem in result.quality.problems]
    return LadderView(
        heading,
        status=status,
        metric=_metric_named(result),
        per_title=plan is not None,
        rows=_rows(result),
        cost=_cost(result),
        notes=notes,
        plot=_plan_plot(plan) if plan is not None else _measured_plot(result),
    )
