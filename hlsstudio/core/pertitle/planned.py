"""A per-title plan as the rungs the command builder reads (capped CRF per rung)."""

from __future__ import annotations

from hlsstudio.core.ladder import h264_level
from hlsstudio.core.models import PlannedRung
from hlsstudio.core.pertitle.models import PerTitlePlan

HIGH_PROFILE_MIN_SIDE = 720
"""The profile rule of ``ladder.plan_ladder``: High from 720 lines (short side) up, Main below."""


def profile_for(width: int, height: int) -> str:
    """The H.264 profile ``plan_ladder`` gives a rung of this size: High from 720 lines up, else Main."""
    return "high" if min(width, height) >= HIGH_PROFILE_MIN_SIDE else "main"


def to_planned_rungs(plan: PerTitlePlan, fps: float) -> tuple[list[PlannedRung], dict[str, float]]:
    """The plan's rungs as ``PlannedRung`` objects (lowest first) and each rung's CRF by name.

    ``video_kbps`` is the predicted average, ``maxrate_kbps``/``bufsize_kbps`` come from the plan, the
    profile follows ``plan_ladder``'s rule and the level is ``ladder.h264_level`` at ``fps`` (the
    output frame rate) and the rung's maxrate. Raises nothing.
    """
    planned: list[PlannedRung] = []
    crfs: dict[str, float] = {}
    for rung in plan.rungs:
        profile = profile_for(rung.width, rung.height)
        planned.append(
            PlannedRung(
                name=rung.name,
                width=rung.width,
                height=rung.height,
                video_kbps=rung.predicted_kbps,
                audio_kbps=rung.audio_kbps,
                maxrate_kbps=rung.maxrate_kbps,
                bufsize_kbps=rung.bufsize_kbps,
                profile=profile,
                level=h264_level(rung.width, rung.height, fps, rung.maxrate_kbps, profile),
            )
        )
        crfs[rung.name] = rung.crf
    return planned, crfs
