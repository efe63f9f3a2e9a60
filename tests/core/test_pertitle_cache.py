"""The per-title plan cache: what the key depends on, round trips, unreadable entries, cache hits."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from hlsstudio.core import paths
from hlsstudio.core.ladder import default_ladder
from hlsstudio.core.models import EncodeSettings, Ladder, MediaInfo, Rung
from hlsstudio.core.pertitle import runs
from hlsstudio.core.pertitle.analysis import analyse_title
from hlsstudio.core.pertitle.cache import cache_key, cache_path, load_plan, store_plan
from hlsstudio.core.pertitle.models import ChosenRung, PerTitlePlan, PerTitleTargets, TrialPoint
from hlsstudio.core.quality.metric import QualityTool

TARGETS = PerTitleTargets()
TOOL = QualityTool(ffmpeg="/nowhere/ffmpeg", metric="vmaf", note="VMAF")


def key_of(source: Path, **changes: object) -> str:
    ladder = changes.pop("ladder", default_ladder())
    settings = changes.pop("settings", EncodeSettings())
    options = {"metric": "vmaf", "targets": TARGETS, "picture_chain": "fps=25,format=yuv420p", **changes}
    return cache_key(source, ladder, settings, **options)  # type: ignore[arg-type]


def a_plan(key: str) -> PerTitlePlan:
    return PerTitlePlan(
        metric="vmaf",
        rungs=[
            ChosenRung(
                name="720p",
                width=1280,
                height=720,
                crf=23.5,
                maxrate_kbps=2000,
                bufsize_kbps=2000,
                predicted_kbps=1400,
                predicted_vmaf=94.1,
                audio_kbps=192,
                reason="cheapest",
            )
        ],
        points=[TrialPoint(height=720, width=1280, crf=23.5, kbps=1400.0, vmaf=94.1, vmaf_phone=99.0)],
        excerpts=[(1.0, 2.0)],
        analysis_cpu_seconds=12.5,
        key=key,
        notes=["a note"],
    )


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "film.mp4"
    path.write_bytes(b"not really a film")
    return path


def test_the_key_is_stable_and_names_the_file_by_its_absolute_path(
    source: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = key_of(source)
    assert len(key) == 64 and key == key_of(source)
    monkeypatch.chdir(source.parent)
    assert key_of(Path(source.name)) == key


@pytest.mark.parametrize(
    "change",
    [
        {"settings": EncodeSettings(preset="slow")},
        {"settings": EncodeSettings(segment_duration=4.0)},
        {"ladder": Ladder(rungs=[Rung(name="720p", height=720, video_kbps=2800, audio_kbps=192)])},
        {"metric": "ssim"},
        {"targets": PerTitleTargets(top_vmaf=95)},
        {"picture_chain": "yadif,fps=25,format=yuv420p"},
        {"version": 999},
    ],
)
def test_the_key_changes_with_what_the_plan_depends_on(source: Path, change: dict[str, object]) -> None:
    assert key_of(source, **change) != key_of(source)


def test_the_key_changes_when_the_file_does(source: Path) -> None:
    before = key_of(source)
    stat = source.stat()
    os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    touched = key_of(source)
    source.write_bytes(b"not really a film, longer")
    assert len({before, touched, key_of(source)}) == 3


def test_plans_round_trip_through_the_cache(source: Path) -> None:
    key = key_of(source)
    assert load_plan(key) is None
    path = store_plan(a_plan(key))
    assert path == cache_path(key) and path.parent == paths.cache_dir() / "pertitle"
    assert load_plan(key) == a_plan(key)
    assert [p.name for p in path.parent.iterdir()] == [f"{key}.json"]  # no temporary file left


def test_unreadable_or_foreign_entries_are_ignored(source: Path) -> None:
    key = key_of(source)
    cache_path(key).write_text("{ not json", encoding="utf-8")
    assert load_plan(key) is None
    cache_path(key).write_text(a_plan("another key").model_dump_json(), encoding="utf-8")
    assert load_plan(key) is None
    with pytest.raises(ValueError):
        store_plan(a_plan(""))


def test_a_cached_plan_is_returned_without_running_anything(
    source: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("nothing may run on a cache hit")

    monkeypatch.setattr(runs, "spawn", refuse)
    info = MediaInfo(path=str(source), container="mp4", duration=600.0, size=17, video_codec="h264",
                     coded_width=1280, coded_height=720, width=1280, height=720, fps=25.0)  # fmt: skip
    settings = EncodeSettings()
    key = cache_key(source, default_ladder(), settings, metric="vmaf", targets=TARGETS,
                    picture_chain="fps=25,format=yuv420p")  # fmt: skip
    store_plan(a_plan(key))
    seen: list[float] = []
    plan = analyse_title(source, info, default_ladder(), settings, "/nowhere/ffmpeg", TOOL,
                         cancel=threading.Event(), on_progress=seen.append)  # fmt: skip
    assert plan == a_plan(key).model_copy(update={"reused": True})  # the stored plan, marked as reused
    assert seen == [1.0]
