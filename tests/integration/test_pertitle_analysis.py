"""Per-title analysis with the real FFmpeg and libvmaf on generated 640x360 clips and a tiny ladder.

A noisy test pattern (hard) and colour bars scrolling slowly (easy): the easy one must get fewer,
cheaper rungs; both plans stay under the fixed ladder's caps and rise in quality; a second analysis
is answered from the cache without running anything; a cancelled one stops its processes at once and
leaves no file behind.
"""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from hlsstudio.core.errors import CancelledError, TranscodeError
from hlsstudio.core.framerate import output_rate
from hlsstudio.core.ladder import plan_ladder
from hlsstudio.core.models import EncodeSettings, Ladder, MediaInfo, PlannedRung, Rung
from hlsstudio.core.pertitle import runs
from hlsstudio.core.pertitle.analysis import analyse_title
from hlsstudio.core.pertitle.cache import cache_path
from hlsstudio.core.pertitle.hull import is_cellular
from hlsstudio.core.pertitle.models import ChosenRung, PerTitlePlan
from hlsstudio.core.probe import probe_file
from hlsstudio.core.quality.metric import QualityTool, find_quality_tool
from tests.mediasamples import MediaSet
from tests.proctools import ffmpeg_children

LADDER = Ladder(
    rungs=[
        Rung(name="234p", height=234, video_kbps=80, audio_kbps=40),
        Rung(name="270p", height=270, video_kbps=400, audio_kbps=96),
        Rung(name="360p", height=360, video_kbps=900, audio_kbps=128),
    ]
)
SETTINGS = EncodeSettings(preset="veryfast")


@dataclass(frozen=True)
class Tools:
    ffmpeg: str
    ffprobe: str
    quality: QualityTool


@pytest.fixture(scope="module")
def tools(ffmpeg_bin: str, ffprobe_bin: str) -> Tools:
    return Tools(ffmpeg_bin, ffprobe_bin, find_quality_tool(ffmpeg_bin))


@pytest.fixture(scope="module")
def hard(media: MediaSet) -> Path:
    return media.clip(duration=20.0, width=640, height=360, source="testsrc2", audio=False,
                      vfilter="noise=alls=12:allf=t", video_args=["-crf", "20"])  # fmt: skip


@pytest.fixture(scope="module")
def easy(media: MediaSet) -> Path:
    # all-intra at a low CRF: the source's own bitrate must not cap the ladder
    return media.clip(duration=20.0, width=640, height=360, source="smptebars", audio=False,
                      vfilter="scroll=horizontal=0.0005", video_args=["-crf", "6", "-g", "1"])  # fmt: skip


@pytest.fixture(scope="module")
def half_noisy(media: MediaSet) -> Path:
    # 90 s of colour bars, noisy from 45 s on: long enough to be probed, and its hard half is known
    noisy = "noise=alls=40:allf=t:enable='gte(t,45)'"
    return media.clip(duration=90.0, width=320, height=180, source="smptebars", audio=False, vfilter=noisy,
                      video_args=["-crf", "20"])  # fmt: skip


def analyse(source: Path, tools: Tools) -> PerTitlePlan:
    info = probe_file(tools.ffprobe, source)
    return analyse_title(
        source, info, LADDER, SETTINGS, tools.ffmpeg, tools.quality, cancel=threading.Event()
    )


def caps_of(source: Path, ffprobe: str) -> list[PlannedRung]:
    info = probe_file(ffprobe, source)
    return plan_ladder(info, LADDER, float(output_rate(info.fps, info.vfr)))


def regular(plan: PerTitlePlan) -> list[ChosenRung]:
    return [r for r in plan.rungs if r.name != "234p"]


def check_plan(plan: PerTitlePlan, caps: list[PlannedRung]) -> None:
    top_cap = max(c.video_kbps for c in caps)
    assert plan.rungs[0].name == "234p" and plan.rungs[0].maxrate_kbps == 84
    for rung in regular(plan):
        cap = next(c for c in caps if (c.width, c.height) == (rung.width, rung.height) and not is_cellular(c))
        assert rung.predicted_kbps <= cap.video_kbps <= top_cap
        assert rung.maxrate_kbps <= cap.maxrate_kbps
        assert rung.bufsize_kbps == 2 * rung.maxrate_kbps
    qualities = [r.predicted_vmaf for r in plan.rungs]
    assert all(b > a for a, b in itertools.pairwise(qualities)), qualities
    assert len(plan.excerpts) == 3 and all(d == pytest.approx(2.0) for _, d in plan.excerpts)
    assert plan.points and plan.hull and plan.analysis_cpu_seconds > 0 and plan.key


def test_easy_content_gets_fewer_cheaper_rungs_and_a_second_analysis_hits_the_cache(
    hard: Path, easy: Path, tools: Tools, monkeypatch: pytest.MonkeyPatch
) -> None:
    hard_plan = analyse(hard, tools)
    easy_plan = analyse(easy, tools)
    check_plan(hard_plan, caps_of(hard, tools.ffprobe))
    check_plan(easy_plan, caps_of(easy, tools.ffprobe))
    assert len(regular(easy_plan)) <= len(regular(hard_plan))
    assert regular(easy_plan)[-1].predicted_kbps * 3 < regular(hard_plan)[-1].predicted_kbps
    assert sum(r.predicted_kbps for r in regular(easy_plan)) * 3 < sum(
        r.predicted_kbps for r in regular(hard_plan)
    )
    assert cache_path(hard_plan.key).is_file()

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a cached analysis runs nothing")

    monkeypatch.setattr(runs, "spawn", refuse)
    again = analyse(hard, tools)
    assert again == hard_plan.model_copy(update={"reused": True})


def test_cancel_mid_analysis_stops_everything_and_leaves_nothing(
    hard: Path, tools: Tools, tmp_path: Path
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    cancel = threading.Event()
    cancelled_at: list[float] = []

    def progress(fraction: float) -> None:
        if fraction >= 0.2 and not cancel.is_set():  # the sample is cut: the first trials are encoding
            cancelled_at.append(time.monotonic())
            cancel.set()

    info = probe_file(tools.ffprobe, hard)
    with pytest.raises(CancelledError):
        analyse_title(hard, info, LADDER, SETTINGS, tools.ffmpeg, tools.quality, cancel=cancel,
                      on_progress=progress, work_dir=work)  # fmt: skip
    assert cancelled_at and time.monotonic() - cancelled_at[0] < 5.0
    assert list(work.iterdir()) == []
    assert ffmpeg_children() == set()
    assert list(cache_path("x").parent.glob("*.json")) == []


def test_a_source_ffmpeg_cannot_read_fails_with_one_line(tools: Tools, tmp_path: Path) -> None:
    source = tmp_path / "broken.mp4"
    source.write_bytes(b"\x00" * 4096)
    info = MediaInfo(path=str(source), container="mp4", duration=20.0, size=4096, video_codec="h264",
                     coded_width=640, coded_height=360, width=640, height=360, fps=25.0)  # fmt: skip
    work = tmp_path / "work"
    work.mkdir()
    with pytest.raises(TranscodeError) as caught:
        analyse_title(
            source,
            info,
            LADDER,
            SETTINGS,
            tools.ffmpeg,
            tools.quality,
            cancel=threading.Event(),
            work_dir=work,
        )
    assert caught.value.message.startswith("per-title analysis: the sample could not be cut")
    assert "\n" not in caught.value.message and caught.value.detail
    assert list(work.iterdir()) == []
    assert ffmpeg_children() == set()


def test_a_longer_title_is_probed_and_sampled_mostly_from_its_hard_part(
    half_noisy: Path, tools: Tools
) -> None:
    ladder = Ladder(
        rungs=[
            Rung(name="120p", height=120, video_kbps=120, audio_kbps=48),
            Rung(name="180p", height=180, video_kbps=400, audio_kbps=96),
        ]
    )
    info = probe_file(tools.ffprobe, half_noisy)
    plan = analyse_title(
        half_noisy, info, ladder, SETTINGS, tools.ffmpeg, tools.quality, cancel=threading.Event()
    )
    assert any("hardest" in note for note in plan.notes), plan.notes
    assert len(plan.excerpts) == 3
    assert sum(1 for start, _ in plan.excerpts if start >= 45.0) >= 2, plan.excerpts
    assert [r.name for r in plan.rungs] == ["120p", "180p"]
