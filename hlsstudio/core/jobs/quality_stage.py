"""The quality stage: measure every rung of the validated package against its source.

It runs after validation and before the package is installed, when ``EncodeSettings.measure_quality``
is on. A rung that cannot be measured, or no VMAF-capable FFmpeg, is a warning: the job never
fails for want of a figure. The cost is reported next to the figures, as a share of the encode.
"""

from __future__ import annotations

from pathlib import Path

from hlsstudio.core.command import normalise_chain
from hlsstudio.core.jobs.context import JobContext
from hlsstudio.core.quality.metric import find_quality_tool
from hlsstudio.core.quality.rungs import PackageToMeasure, measure_package


def measure_quality(ctx: JobContext, source: Path | str | None = None) -> None:
    """Measure the rungs (skipped when the settings say so); the report goes to ``ctx.quality``.
    ``source``: where ffmpeg reads the source when not the plan's file (a render farm worker's URL).

    Raises CancelledError when the job is cancelled meanwhile.
    """
    if not ctx.request.settings.measure_quality:
        return
    plan = ctx.need_plan()
    tool = find_quality_tool(ctx.toolchain.ffmpeg)
    package = PackageToMeasure(
        package_dir=plan.out_dir,
        source=plan.source if source is None else source,
        duration=ctx.expected_duration,
        rungs=plan.rungs,
        reference_chain=normalise_chain(plan),
    )
    report = measure_package(package, tool, ctx.cancel)
    share = round(report.cpu_seconds / ctx.encode_cpu_seconds, 3) if ctx.encode_cpu_seconds > 0 else None
    ctx.quality = report.model_copy(update={"share_of_encode": share})
    if tool.metric != "vmaf":
        ctx.trace.warnings.append(f"quality measured as {tool.note}")
    ctx.trace.warnings.extend(f"quality not measured for {problem}" for problem in report.problems)
