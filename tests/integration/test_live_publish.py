"""Publishing while encoding, against a real S3 endpoint on loopback (moto behind a recording proxy)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hlsstudio.core.builds import BUILD_RE, INDEX_NAME
from hlsstudio.core.models import (
    ContentType,
    EncodeSettings,
    JobState,
    Ladder,
    Progress,
    PublishResult,
    Rung,
)
from hlsstudio.core.pipeline import JobCallbacks, JobRequest, run_job
from hlsstudio.core.probe import probe_file
from hlsstudio.core.toolchain import Toolchain, locate_toolchain
from tests.proctools import ffmpeg_children
from tests.s3server import S3Setup, list_keys

PREFIX = "hls/movies/live-1/"
MASTER = "master.m3u8"
LADDER = Ladder(
    rungs=[
        Rung(name="90p", height=90, video_kbps=80, audio_kbps=40),  # the cellular rung
        Rung(name="180p", height=180, video_kbps=400, audio_kbps=96),
    ]
)
SETTINGS = EncodeSettings(segment_duration=2.0, preset="ultrafast", thumbnail_interval=2.0)


@pytest.fixture(scope="module")
def toolchain() -> Toolchain:
    return locate_toolchain()


@pytest.fixture
def source(media: Any) -> Path:
    # heavy enough (720p, 20 s, 3 rungs at veryfast) that ffmpeg runs for seconds on any machine
    return Path(media.clip(duration=20.0, width=1280, height=720))


def package_names(folder: Path) -> list[str]:
    """The files of a finished package that get published (hidden bookkeeping files never are)."""
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))


def build_of(result: PublishResult | None) -> str:
    """The build a publish wrote into."""
    assert result is not None and result.build is not None
    return result.build


def title_keys(build: str, names: list[str]) -> list[str]:
    """Every key of the title holding one build of ``names``: the package and the build index."""
    return sorted(
        [PREFIX + INDEX_NAME, *(PREFIX + n if n == MASTER else f"{PREFIX}{build}/{n}" for n in names)]
    )


def package_writes(s3: S3Setup) -> list[str]:
    """The keys the proxy saw stored, in order, without the build index (bookkeeping after the master)."""
    return [r.key for r in s3.proxy.writes() if r.key != PREFIX + INDEX_NAME]


class Watch:
    """What the proxy had stored while ffmpeg was still encoding, and when the encode ended."""

    def __init__(self, s3: S3Setup, read_master: Callable[[], bytes | None] | None = None) -> None:
        self.s3 = s3
        self.read_master = read_master
        self.segments_mid_encode = 0
        self.writes_when_encoded: list[str] | None = None
        self.master_when_encoded: bytes | None = None
        self.states: list[JobState] = []

    def on_progress(self, progress: Progress) -> None:
        if progress.fraction < 0.95 and not progress.done:
            self.segments_mid_encode = len([r for r in self.s3.proxy.writes() if r.key.endswith(".ts")])

    def on_state(self, state: JobState) -> None:
        self.states.append(state)
        if state is JobState.VALIDATING and self.writes_when_encoded is None:
            self.writes_when_encoded = [r.key for r in self.s3.proxy.writes()]
            if self.read_master is not None:
                self.master_when_encoded = self.read_master()

    def callbacks(self, **extra: Any) -> JobCallbacks:
        return JobCallbacks(on_state=self.on_state, on_progress=self.on_progress, **extra)


def request(source: Path, out: Path, **extra: Any) -> JobRequest:
    fields: dict[str, Any] = {"ladder": LADDER, "settings": SETTINGS, **extra}
    return JobRequest(
        source=source, out_dir=out, content_type=ContentType.MOVIE, content_id="live-1", **fields
    )


def test_segments_upload_while_encoding_and_master_goes_last(
    s3: S3Setup, moto_client: Any, source: Path, toolchain: Toolchain, tmp_path: Path
) -> None:
    watch = Watch(s3)
    uploads: list[Any] = []
    heavier = Ladder(rungs=[*LADDER.rungs, Rung(name="360p", height=360, video_kbps=800, audio_kbps=128)])
    result = run_job(
        request(
            source,
            tmp_path / "out",
            ladder=heavier,
            settings=SETTINGS.model_copy(update={"preset": "veryfast"}),
        ),
        toolchain=toolchain,
        destination=s3.destination(),
        callbacks=watch.callbacks(on_upload=uploads.append),
    )
    assert result.status == "completed", result.error
    assert watch.segments_mid_encode > 0, "no segment was stored while ffmpeg was still encoding"
    assert watch.writes_when_encoded is not None
    assert not any(k.endswith(".m3u8") for k in watch.writes_when_encoded)
    assert result.publish is not None
    build = build_of(result.publish)
    assert BUILD_RE.match(build)
    assert all(k.startswith(f"{PREFIX}{build}/") for k in watch.writes_when_encoded)
    writes = package_writes(s3)
    assert writes[-1] == PREFIX + "master.m3u8"
    package = package_names(tmp_path / "out")
    assert list_keys(moto_client, s3.bucket, PREFIX) == title_keys(build, package)
    assert result.publish.files_uploaded == len(package)
    master = moto_client.get_object(Bucket=s3.bucket, Key=PREFIX + MASTER)["Body"].read().decode()
    assert f"{build}/stream_90p.m3u8" in master and f"{build}/stream_360p.m3u8" in master
    assert result.hls_url and result.hls_url.endswith(PREFIX + "master.m3u8")
    assert {u.file for u in uploads} == set(package)
    assert watch.states[-1] is JobState.DONE


def test_sequential_mode_uploads_nothing_before_validation(
    s3: S3Setup, moto_client: Any, media: Any, toolchain: Toolchain, tmp_path: Path
) -> None:
    watch = Watch(s3)
    result = run_job(
        request(Path(media.clip(duration=6.0)), tmp_path / "out", publish_while_encoding=False),
        toolchain=toolchain,
        destination=s3.destination(),
        callbacks=watch.callbacks(),
    )
    assert result.status == "completed"
    assert watch.writes_when_encoded == []
    writes = package_writes(s3)
    assert writes[-1] == PREFIX + "master.m3u8"
    assert result.publish is not None
    package = package_names(tmp_path / "out")
    assert sorted(writes) == sorted(
        k for k in title_keys(build_of(result.publish), package) if not k.endswith(INDEX_NAME)
    )


def test_cancel_mid_encode_removes_what_was_uploaded(
    s3: S3Setup, moto_client: Any, media: Any, toolchain: Toolchain, tmp_path: Path
) -> None:
    cancel = threading.Event()
    source = Path(media.clip(duration=40.0, width=640, height=360))

    def on_progress(progress: Progress) -> None:
        stored = [r for r in s3.proxy.writes() if r.key.endswith(".ts") and r.status == 200]
        if stored or progress.fraction > 0.8:
            cancel.set()

    result = run_job(
        request(source, tmp_path / "out"),
        toolchain=toolchain,
        destination=s3.destination(),
        callbacks=JobCallbacks(on_progress=on_progress),
        cancel=cancel,
    )
    assert result.status == "cancelled"
    uploaded_early = [r.key for r in s3.proxy.writes() if r.key.endswith(".ts")]
    assert uploaded_early, "the cancel came before any segment was uploaded: the test proves nothing"
    assert list_keys(moto_client, s3.bucket, PREFIX) == []
    assert any("uploaded while encoding were removed" in w for w in result.warnings)
    assert not (tmp_path / "out").exists()
    assert ffmpeg_children() == set()


def test_failure_after_encode_publishes_no_master_and_removes_segments(
    s3: S3Setup, moto_client: Any, source: Path, toolchain: Toolchain, tmp_path: Path
) -> None:
    info = probe_file(toolchain.ffprobe, source)
    # the probe claims three times the real length: the package comes out "truncated" and fails
    inflated = info.model_copy(update={"duration": info.duration * 3})
    result = run_job(
        request(source, tmp_path / "out"), toolchain=toolchain, destination=s3.destination(), info=inflated
    )
    assert result.status == "failed" and result.error and "ends early" in result.error
    assert [r.key for r in s3.proxy.writes() if r.key.endswith(".ts")], "nothing was streamed"
    assert list_keys(moto_client, s3.bucket, PREFIX) == []
    assert any("removed again" in w for w in result.warnings)


def test_a_live_title_is_replaced_only_after_validation(
    s3: S3Setup, moto_client: Any, media: Any, toolchain: Toolchain, tmp_path: Path
) -> None:
    first = run_job(request(Path(media.clip(duration=6.0)), tmp_path / "a"), toolchain=toolchain,
                    destination=s3.destination())  # fmt: skip
    assert first.status == "completed" and first.publish is not None
    old_build = build_of(first.publish)
    old_master = moto_client.get_object(Bucket=s3.bucket, Key=PREFIX + MASTER)["Body"].read()
    old_keys = list_keys(moto_client, s3.bucket, f"{PREFIX}{old_build}/")
    assert old_keys == [f"{PREFIX}{old_build}/{n}" for n in package_names(tmp_path / "a") if n != MASTER]
    s3.proxy.reset()

    def read_master() -> bytes:
        return bytes(moto_client.get_object(Bucket=s3.bucket, Key=PREFIX + MASTER)["Body"].read())

    watch = Watch(s3, read_master)
    second = run_job(
        request(Path(media.clip(duration=8.0)), tmp_path / "b"),
        toolchain=toolchain,
        destination=s3.destination(),
        callbacks=watch.callbacks(),
    )
    assert second.status == "completed" and second.publish is not None
    build = build_of(second.publish)
    assert build != old_build
    # The old package stayed intact during the encode: whatever was streamed went into the new build,
    # and players were still given the old master.
    assert watch.writes_when_encoded is not None
    assert all(k.startswith(f"{PREFIX}{build}/") for k in watch.writes_when_encoded)
    assert watch.master_when_encoded == old_master
    assert f"{old_build}/" in old_master.decode()
    assert not [r for r in s3.proxy.requests if r.is_delete_objects or r.method == "DELETE"]
    # After it, the master points into the new build; the old one is kept for its grace period.
    package = package_names(tmp_path / "b")
    new_keys = title_keys(build, package)
    assert list_keys(moto_client, s3.bucket, PREFIX) == sorted({*new_keys, *old_keys})
    assert list_keys(moto_client, s3.bucket, f"{PREFIX}{old_build}/") == old_keys
    assert (second.publish.files_removed, second.publish.old_builds_waiting) == (0, 1)
    master = read_master().decode()
    assert f"{build}/stream_90p.m3u8" in master and old_build not in master
