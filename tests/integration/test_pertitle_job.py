"""A per-title job end to end: the analysis chooses the rungs, the encode uses capped CRF, the package
is valid, the result carries the plan, and the command line's ``--ladder per-title`` does the same.

The source is a 12 s 640x360 clip (testsrc2: moving detail) with sound; the ladder is the default one
(234p cellular and 360p fit this source)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hlsstudio.cli import main
from hlsstudio.core.ladder import default_ladder, plan_ladder
from hlsstudio.core.models import EncodeSettings
from hlsstudio.core.pipeline import transcode
from hlsstudio.core.probe import probe_file
from hlsstudio.core.toolchain import locate_toolchain
from tests.mediagen import make_video

SETTINGS = EncodeSettings(
    segment_duration=4.0,
    preset="ultrafast",
    thumbnail_interval=5.0,
    ladder_mode="per-title",
    stall_timeout=60,
)


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_video(tmp_path_factory.mktemp("src") / "clip.mp4", width=640, height=360, duration=12.0)


def test_the_analysis_chooses_capped_crf_rungs_under_the_fixed_caps(clip: Path, tmp_path: Path) -> None:
    toolchain = locate_toolchain()
    result = transcode(
        clip, tmp_path / "pkg", ladder=default_ladder(), settings=SETTINGS, toolchain=toolchain
    )
    assert result.status == "completed" and result.validation is not None and result.validation.ok
    plan = result.per_title
    assert plan is not None and plan.rungs and plan.points and plan.key
    caps = {r.name: r for r in plan_ladder(probe_file(toolchain.ffprobe, clip), default_ladder(), 25.0)}
    for rung in plan.rungs:
        size = rung.name.split("-")[0]  # a second rung of one size is named "360p-420k"
        assert size in caps and rung.maxrate_kbps <= caps[size].maxrate_kbps
    assert [v.quality for v in result.variants] == [r.name for r in plan.rungs]
    crfs = [result.command[i + 1] for i, arg in enumerate(result.command) if arg.startswith("-crf:v:")]
    assert crfs, result.command  # the regular rungs are capped CRF
    assert result.quality is not None and len(result.quality.rungs) == len(plan.rungs)

    again = transcode(
        clip, tmp_path / "again", ladder=default_ladder(), settings=SETTINGS, toolchain=toolchain
    )
    assert again.per_title == plan.model_copy(update={"reused": True})  # the cached plan, nothing run again


def test_the_command_line_takes_per_title_as_its_ladder(
    clip: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "cli"
    args = ["transcode", str(clip), "--out", str(out), "--ladder", "per-title", "--preset", "ultrafast"]
    assert main([*args, "--segment-duration", "4", "--no-quality", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["status"] == "completed" and doc["per_title"]["rungs"] and doc["quality"] is None
