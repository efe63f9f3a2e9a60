"""One job end to end with real ffmpeg: every kind of source gives a package the validator accepts."""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest

from hlsstudio.core.command import build_hls_command
from hlsstudio.core.errors import CancelledError
from hlsstudio.core.models import EncodeSettings, JobResult, Ladder, Progress, Rung
from hlsstudio.core.pipeline import JobCallbacks, JobRequest, run_job, transcode
from hlsstudio.core.planning import build_plan
from hlsstudio.core.probe import probe_file
from hlsstudio.core.toolchain import Toolchain, locate_toolchain
from tests.proctools import ffmpeg_children

SMALL_LADDER = Ladder(
    rungs=[
        Rung(name="90p", height=90, video_kbps=150, audio_kbps=64),
        Rung(name="144p", height=144, video_kbps=250, audio_kbps=64),
        Rung(name="180p", height=180, video_kbps=400, audio_kbps=96),
        Rung(name="360p", height=360, video_kbps=800, audio_kbps=128),
    ]
)
FAST = EncodeSettings(segment_duration=2.0, preset="ultrafast", thumbnail_interval=2.0, stall_timeout=60)


@pytest.fixture(scope="module")
def toolchain() -> Toolchain:
    return locate_toolchain()


def stream_facts(path: Path) -> dict[str, Any]:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_streams", "-of", "json", str(path)],
        capture_output=True, check=True, text=True,
    )  # fmt: skip
    streams: list[dict[str, Any]] = json.loads(out.stdout)["streams"]
    return streams[0]


def make_package(source: Path, out: Path, toolchain: Toolchain, **settings: Any) -> JobResult:
    return transcode(
        source, out, ladder=SMALL_LADDER, settings=FAST.model_copy(update=settings), toolchain=toolchain
    )


def assert_clean_parent(parent: Path) -> None:
    leftovers = [p.name for p in parent.iterdir() if ".partial-" in p.name or ".old-" in p.name]
    assert leftovers == []


@pytest.mark.parametrize(
    "sample",
    ["h264_1080p", "portrait_phone", "rotated_metadata", "odd_size", "hevc_hdr10", "interlaced_mpeg2",
     "vfr", "noaudio", "anamorphic", "two_audio", "hfr_120", "tiny"],
)  # fmt: skip
def test_every_kind_of_source_gives_a_valid_package(
    sample: str, media: Any, toolchain: Toolchain, tmp_path: Path
) -> None:
    source = media.sample(sample)
    out = tmp_path / "pkg"
    result = make_package(source, out, toolchain)
    assert result.status == "completed"
    assert result.validation is not None and result.validation.ok, result.validation
    assert {"master.m3u8", "poster.jpg", "thumb_000.jpg"} <= set(result.files)
    assert result.total_size_bytes == sum((out / f).stat().st_size for f in result.files)
    master = (out / "master.m3u8").read_text()
    for variant in result.variants:
        assert f"stream_{variant.quality}.m3u8" in master
        width, height = (int(x) for x in variant.resolution.split("x"))
        assert width % 2 == 0 and height % 2 == 0
        facts = stream_facts(out / f"stream_{variant.quality}_000.ts")
        assert (facts["width"], facts["height"]) == (width, height)
        assert facts["pix_fmt"] == "yuv420p"
        assert facts.get("sample_aspect_ratio", "1:1") in ("1:1", "N/A")
    assert_clean_parent(tmp_path)


def test_rotation_is_applied(media: Any, toolchain: Toolchain, tmp_path: Path) -> None:
    result = make_package(media.sample("rotated_metadata"), tmp_path / "p", toolchain)
    top = result.variants[-1]
    width, height = (int(x) for x in top.resolution.split("x"))
    assert height > width  # coded landscape, shown portrait: the output is upright portrait


def test_hdr_is_tone_mapped_to_bt709(media: Any, toolchain: Toolchain, tmp_path: Path) -> None:
    result = make_package(media.sample("hevc_hdr10"), tmp_path / "p", toolchain)
    facts = stream_facts(tmp_path / "p" / f"stream_{result.variants[0].quality}_000.ts")
    assert facts["codec_name"] == "h264" and facts["pix_fmt"] == "yuv420p"
    assert facts.get("color_transfer") in (None, "bt709")
    assert not any("washed" in w for w in result.warnings)


def test_interlaced_source_is_deinterlaced(media: Any, toolchain: Toolchain, tmp_path: Path) -> None:
    result = make_package(media.sample("interlaced_mpeg2"), tmp_path / "p", toolchain)
    facts = stream_facts(tmp_path / "p" / f"stream_{result.variants[-1].quality}_000.ts")
    assert facts.get("field_order", "progressive") == "progressive"
    assert "interlaced: will be deinterlaced" in result.warnings


def test_vfr_source_becomes_constant_rate(media: Any, toolchain: Toolchain, tmp_path: Path) -> None:
    result = make_package(media.sample("vfr"), tmp_path / "p", toolchain)
    segment = tmp_path / "p" / f"stream_{result.variants[0].quality}_000.ts"
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "packet=pts_time",
         "-of", "csv=p=0", str(segment)],
        capture_output=True, check=True, text=True,
    )  # fmt: skip
    times = sorted(float(t.strip(",")) for t in out.stdout.split() if t.strip(","))
    gaps = {round(b - a, 3) for a, b in itertools.pairwise(times)}
    assert len(gaps) == 1, gaps
    assert result.variants[0].frame_rate is not None


def test_one_second_clip(media: Any, toolchain: Toolchain, tmp_path: Path) -> None:
    result = make_package(media.clip(duration=1.0), tmp_path / "p", toolchain)
    assert result.validation is not None and result.validation.ok
    assert result.duration == pytest.approx(1.0, abs=0.1)


def test_progress_is_reported_and_ends_at_one(media: Any, toolchain: Toolchain, tmp_path: Path) -> None:
    seen: list[Progress] = []
    states: list[str] = []
    result = run_job(
        JobRequest(
            source=media.clip(duration=4.0), out_dir=tmp_path / "p", ladder=SMALL_LADDER, settings=FAST
        ),
        toolchain=toolchain,
        callbacks=JobCallbacks(on_progress=seen.append, on_state=lambda s: states.append(s.value)),
    )
    assert result.status == "completed"
    assert seen[-1].fraction == 1.0
    assert states == ["probing", "transcoding", "validating", "done"]


def test_cancel_mid_job_leaves_nothing(media: Any, toolchain: Toolchain, tmp_path: Path) -> None:
    source = media.clip(duration=30.0, width=640, height=360)
    cancel = threading.Event()

    def on_progress(progress: Progress) -> None:
        if progress.fraction > 0.05:
            cancel.set()

    out = tmp_path / "p"
    with pytest.raises(CancelledError):
        transcode(
            source, out, ladder=SMALL_LADDER, settings=FAST, toolchain=toolchain,
            callbacks=JobCallbacks(on_progress=on_progress), cancel=cancel,
        )  # fmt: skip
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []
    assert ffmpeg_children() == set()


@pytest.mark.parametrize(
    ("sample", "reason"),
    [
        ("empty", "empty file"),
        ("text_as_mp4", "not a media file"),
        ("audio_only", "audio only"),
        ("truncated", "moov atom"),
    ],
)
def test_bad_sources_fail_cleanly(
    sample: str, reason: str, media: Any, toolchain: Toolchain, tmp_path: Path
) -> None:
    out = tmp_path / "p"
    result = run_job(
        JobRequest(source=media.sample(sample), out_dir=out, ladder=SMALL_LADDER, settings=FAST),
        toolchain=toolchain,
    )
    assert result.status == "failed"
    assert result.error is not None and reason in result.error and "\n" not in result.error
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_truncated_data_is_never_a_silent_success(media: Any, toolchain: Toolchain, tmp_path: Path) -> None:
    source = media.sample("truncated_mkv")
    request = JobRequest(source=source, out_dir=tmp_path / "p", ladder=SMALL_LADDER, settings=FAST)
    result = run_job(request, toolchain=toolchain)
    if result.status == "completed":
        assert any("truncated" in w or "ends early" in w for w in result.warnings)
    else:
        assert result.error is not None and ("ends early" in result.error or "damaged" in result.error)
        assert not (tmp_path / "p").exists()
    accepted = run_job(
        request.model_copy(update={"settings": FAST.model_copy(update={"accept_truncated": True})}),
        toolchain=toolchain,
    )
    if result.status != "completed":
        assert accepted.status == "completed"
        assert any("ends early" in w for w in accepted.warnings)
        assert accepted.validation is not None and accepted.validation.ok


def test_nvenc_failure_at_start_falls_back_to_libx264(
    media: Any, toolchain: Toolchain, tmp_path: Path
) -> None:
    # this machine's ffmpeg lists h264_nvenc but has no GPU: pretend the trial passed, so the real
    # encode fails at start exactly as on a machine whose driver broke after the trial
    claims_gpu = toolchain.model_copy(
        update={"capabilities": toolchain.capabilities.model_copy(update={"nvenc_usable": True})}
    )
    result = transcode(
        media.clip(duration=2.0), tmp_path / "p", ladder=SMALL_LADDER,
        settings=FAST.model_copy(update={"encoder": "auto"}), toolchain=claims_gpu,
    )  # fmt: skip
    assert result.status == "completed" and result.encoder == "libx264"
    assert any(w.startswith("NVENC failed at start") for w in result.warnings)
    assert "h264_nvenc" not in result.command


def test_republish_replaces_and_failure_keeps_old_package(
    media: Any, toolchain: Toolchain, tmp_path: Path
) -> None:
    out = tmp_path / "p"
    make_package(media.clip(duration=2.0), out, toolchain)
    (out / "stray.txt").write_text("from an older run")
    make_package(media.clip(duration=2.0), out, toolchain)
    assert not (out / "stray.txt").exists()
    before = sorted(p.name for p in out.iterdir())
    failed = run_job(
        JobRequest(source=media.sample("text_as_mp4"), out_dir=out, ladder=SMALL_LADDER, settings=FAST),
        toolchain=toolchain,
    )
    assert failed.status == "failed"
    assert sorted(p.name for p in out.iterdir()) == before
    assert_clean_parent(tmp_path)


def test_cli_transcode_batch_goes_on_after_a_failure(media: Any, tmp_path: Path) -> None:
    cli = Path(shutil.which("hlsstudio-cli") or Path(__import__("sys").executable).with_name("hlsstudio-cli"))
    ladder = tmp_path / "ladder.json"
    ladder.write_text(
        json.dumps({"schema_version": 1, "name": "t", "rungs": [r.model_dump() for r in SMALL_LADDER.rungs]})
    )
    good = media.clip(duration=2.0)
    bad = media.sample("text_as_mp4")
    proc = subprocess.run(
        [str(cli), "transcode", str(bad), str(good), "--out", str(tmp_path / "out"), "--ladder", str(ladder),
         "--segment-duration", "2", "--preset", "ultrafast", "--json"],
        check=False, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr + proc.stdout
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1 and "not a media file" in errors[0]
    results = json.loads(proc.stdout)
    assert [r["status"] for r in results] == ["failed", "completed"]
    assert (tmp_path / "out" / good.stem / "master.m3u8").exists()
    assert not (tmp_path / "out" / bad.stem / "master.m3u8").exists()
    assert set(results[1]) >= {"status", "output_dir", "duration", "variants", "files", "total_size_bytes",
                               "processing_time_seconds", "encoder", "warnings", "validation"}  # fmt: skip


def test_the_encode_itself_writes_the_poster_frame(media: Any, toolchain: Toolchain, tmp_path: Path) -> None:
    """The one ffmpeg process makes the poster too (no second decode of the source)."""
    source = media.sample("h264_1080p")
    info = probe_file(toolchain.ffprobe, source)
    settings = FAST.model_copy(update={"poster_width": 200})
    caps = toolchain.capabilities
    plan, _ = build_plan(info, SMALL_LADDER, settings, caps, out_dir=tmp_path / "enc", encoder="libx264")
    plan.out_dir.mkdir()

    subprocess.run(build_hls_command(plan, toolchain.ffmpeg), check=True, capture_output=True)

    poster = stream_facts(plan.out_dir / "poster.jpg")
    assert (poster["codec_name"], poster["width"]) == ("mjpeg", 200)
    assert not list(plan.out_dir.glob("*.tmp"))  # written under a temporary name, then renamed
