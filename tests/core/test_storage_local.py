"""The local-folder destination through the real publish, manage and convert code paths."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest

pytest.register_assert_rewrite("tests.s3server")

from hlsstudio.core.builds import BUILD_RE, INDEX_NAME  # noqa: E402
from hlsstudio.core.errors import CancelledError, ConfigError, StorageError  # noqa: E402
from hlsstudio.core.manage import (  # noqa: E402
    convert_existing,
    delete_content,
    list_published,
    list_source_videos,
)
from hlsstudio.core.models import ContentType, JobResult, PublishResult  # noqa: E402
from hlsstudio.core.publish import PublishOptions, UploadProgress, UploadState, publish_package  # noqa: E402
from hlsstudio.core.settings import DestinationSettings  # noqa: E402
from hlsstudio.core.storage import LocalDestination  # noqa: E402
from tests.s3server import make_package  # noqa: E402

MIB = 1024 * 1024
MASTER = "master.m3u8"


def stored_files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def published_master(package: Path, build: str) -> str:
    """The package's master as published: every URI line points into ``build``."""
    lines = (package / MASTER).read_text().splitlines()
    return "".join(
        f"{build}/{line}\n" if line and not line.startswith("#") else f"{line}\n" for line in lines
    )


def build_of(result: PublishResult | None) -> str:
    """The build a publish wrote into."""
    assert result is not None and result.build is not None
    return result.build


def title_files(build: str, names: list[str]) -> list[str]:
    """What a title holding one build of ``names`` stores, relative to the title folder."""
    return sorted([INDEX_NAME, MASTER, *(f"{build}/{n}" for n in names if n != MASTER)])


def test_publish_to_a_local_folder_has_the_bucket_layout(home: Path, tmp_path: Path) -> None:
    names = make_package(tmp_path / "pkg")
    root = tmp_path / "published"
    reports: list[UploadProgress] = []
    result = publish_package(
        tmp_path / "pkg", LocalDestination(root), ContentType.MOVIE, "film-1", on_progress=reports.append
    )
    title = root / "hls/movies/film-1"
    assert BUILD_RE.match(build_of(result))
    assert stored_files(root) == sorted(
        f"hls/movies/film-1/{f}" for f in title_files(build_of(result), names)
    )
    for name in names:
        if name != MASTER:
            assert (title / build_of(result) / name).read_bytes() == (tmp_path / "pkg" / name).read_bytes()
    assert (title / MASTER).read_text() == published_master(tmp_path / "pkg", build_of(result))
    index = json.loads((title / INDEX_NAME).read_text())
    assert list(index["live_at"]) == [build_of(result)] and index["retired_at"] == {}
    assert result.old_builds_waiting == 0
    assert result.hls_url == (root / "hls/movies/film-1/master.m3u8").resolve().as_uri()
    assert result.hls_url.startswith("file://")
    assert result.master_key == "hls/movies/film-1/master.m3u8"
    assert result.destination == f"local folder {root.resolve()}"
    assert (result.files_uploaded, result.files_skipped, result.files_removed) == (len(names), 0, 0)
    assert result.bytes_uploaded == sum((tmp_path / "pkg" / n).stat().st_size for n in names)
    done = [r for r in reports if r.state is UploadState.DONE]
    assert sorted(r.file for r in done) == names
    assert done[-1].file == "master.m3u8"  # written last
    assert reports[-1].files_done == reports[-1].files_total == len(names)
    assert reports[-1].overall_bytes_sent == reports[-1].overall_bytes == result.bytes_uploaded


def test_local_base_url_makes_http_urls(home: Path, tmp_path: Path) -> None:
    make_package(tmp_path / "pkg")
    destination = LocalDestination(tmp_path / "pub", base_url="http://localhost:8080/media/")
    result = publish_package(tmp_path / "pkg", destination, ContentType.EPISODE, "s01e01")
    assert result.hls_url == "http://localhost:8080/media/hls/episodes/s01e01/master.m3u8"


def test_republish_writes_a_new_build_and_removes_the_old_one_without_grace(
    home: Path, tmp_path: Path
) -> None:
    root = tmp_path / "pub"
    destination = LocalDestination(root)
    old_names = make_package(tmp_path / "v1", rungs=("360p", "720p"), segments=3)
    first = publish_package(tmp_path / "v1", destination, ContentType.MOVIE, "m")
    other = publish_package(tmp_path / "v1", destination, ContentType.MOVIE, "m-other")
    new_names = make_package(tmp_path / "v2", rungs=("360p",), segments=2)
    (tmp_path / "v2" / "extra").mkdir()
    (tmp_path / "v2" / "extra" / "info.json").write_text("{}")
    options = PublishOptions.from_settings(DestinationSettings(build_grace_hours=0))
    again = publish_package(tmp_path / "v2", destination, ContentType.MOVIE, "m", options=options)
    # Same seed: the first 360p segments of v2 equal those of v1, yet they go into the new build too
    # (the keys of a build that was live are never shared with, or rewritten by, another build).
    unchanged = [
        n
        for n in new_names
        if (tmp_path / "v1" / n).is_file()
        and (tmp_path / "v1" / n).read_bytes() == (tmp_path / "v2" / n).read_bytes()
    ]
    assert "stream_360p_000.ts" in unchanged
    assert BUILD_RE.match(build_of(again)) and build_of(again) != build_of(first)
    assert (again.files_uploaded, again.files_skipped) == (len(new_names) + 1, 0)
    # every object of the old build is removed right after the new master (no grace)
    assert again.files_removed == len(old_names) - 1
    assert again.old_builds_waiting == 0
    assert stored_files(root / "hls/movies/m") == title_files(
        build_of(again), [*new_names, "extra/info.json"]
    )
    for name in [*new_names, "extra/info.json"]:
        if name != MASTER:
            assert (root / "hls/movies/m" / build_of(again) / name).read_bytes() == (
                tmp_path / "v2" / name
            ).read_bytes()
    assert (root / "hls/movies/m" / MASTER).read_text() == published_master(tmp_path / "v2", build_of(again))
    index = json.loads((root / "hls/movies/m" / INDEX_NAME).read_text())
    assert list(index["live_at"]) == [build_of(again)] and index["retired_at"] == {}
    assert stored_files(root / "hls/movies/m-other") == title_files(build_of(other), old_names)
    assert other.files_uploaded == len(stored_files(root / "hls/movies/m-other")) - 1  # + the build index


def test_republish_keeps_the_replaced_build_during_its_grace_period(home: Path, tmp_path: Path) -> None:
    root = tmp_path / "pub"
    destination = LocalDestination(root)
    old_names = make_package(tmp_path / "v1", rungs=("360p", "720p"), segments=3)
    first = publish_package(tmp_path / "v1", destination, ContentType.MOVIE, "m")
    new_names = make_package(tmp_path / "v2", rungs=("360p",), segments=2, seed=2)
    again = publish_package(tmp_path / "v2", destination, ContentType.MOVIE, "m")  # saved settings: 24 h
    assert build_of(again) != build_of(first)
    assert (again.files_uploaded, again.files_skipped) == (len(new_names), 0)
    assert (again.files_removed, again.old_builds_waiting) == (0, 1)
    title = root / "hls/movies/m"
    assert stored_files(title) == sorted(
        {*title_files(build_of(first), old_names), *title_files(build_of(again), new_names)}
    )
    for name in old_names:  # viewers of the old build still get all of its bytes
        if name != MASTER:
            assert (title / build_of(first) / name).read_bytes() == (tmp_path / "v1" / name).read_bytes()
    assert (title / MASTER).read_text() == published_master(tmp_path / "v2", build_of(again))
    index = json.loads((title / INDEX_NAME).read_text())
    assert set(index["live_at"]) == {build_of(first), build_of(again)}
    assert list(index["retired_at"]) == [build_of(first)]


def test_unsafe_id_is_refused_before_touching_the_folder(home: Path, tmp_path: Path) -> None:
    make_package(tmp_path / "pkg")
    root = tmp_path / "pub"
    root.mkdir()
    for bad in ("../x", "", "a b", "a/../../b"):
        with pytest.raises(ConfigError):
            publish_package(tmp_path / "pkg", LocalDestination(root), ContentType.MOVIE, bad)
        with pytest.raises(ConfigError):
            delete_content(LocalDestination(root), ContentType.MOVIE, bad, dry_run=True)
    assert list(root.iterdir()) == []
    assert not (tmp_path / "x").exists()


def test_missing_master_is_refused(home: Path, tmp_path: Path) -> None:
    make_package(tmp_path / "pkg")
    (tmp_path / "pkg" / "master.m3u8").unlink()
    with pytest.raises(StorageError, match=r"no master\.m3u8"):
        publish_package(tmp_path / "pkg", LocalDestination(tmp_path / "pub"), ContentType.MOVIE, "a")


def test_cancel_within_a_file_leaves_no_partial_file_and_no_master(home: Path, tmp_path: Path) -> None:
    make_package(tmp_path / "pkg")
    (tmp_path / "pkg" / "big.ts").write_bytes(os.urandom(8 * MIB))
    root = tmp_path / "pub"
    cancel = threading.Event()

    def on_progress(report: UploadProgress) -> None:
        if report.file == "big.ts" and 0 < report.bytes_sent < report.size:
            cancel.set()

    options = PublishOptions(upload_concurrency=1)
    with pytest.raises(CancelledError):
        publish_package(
            tmp_path / "pkg",
            LocalDestination(root),
            ContentType.MOVIE,
            "c",
            options=options,
            on_progress=on_progress,
            cancel=cancel,
        )
    stored = stored_files(root)
    assert "hls/movies/c/master.m3u8" not in stored
    assert not [s for s in stored if s.endswith("/big.ts")]
    assert not [s for s in stored if s.endswith(INDEX_NAME)]
    assert not [s for s in stored if ".hlsstudio-part-" in s]


def test_delete_and_dry_run(home: Path, tmp_path: Path) -> None:
    root = tmp_path / "pub"
    destination = LocalDestination(root)
    names = make_package(tmp_path / "pkg")
    e1 = publish_package(tmp_path / "pkg", destination, ContentType.EPISODE, "e1")
    publish_package(tmp_path / "pkg", destination, ContentType.EPISODE, "e10")
    count = len(names) + 1  # the package (its master rewritten to point into the build) + the build index
    size = (
        sum((tmp_path / "pkg" / n).stat().st_size for n in names if n != MASTER)
        + len(published_master(tmp_path / "pkg", build_of(e1)).encode())
        + (root / "hls/episodes/e1" / INDEX_NAME).stat().st_size
    )
    dry = delete_content(destination, ContentType.EPISODE, "e1", dry_run=True)
    assert (dry.count, dry.total_bytes, dry.deleted) == (count, size, False)
    assert len(stored_files(root)) == 2 * count
    report = delete_content(destination, ContentType.EPISODE, "e1")
    assert (report.count, report.total_bytes, report.deleted) == (count, size, True)
    assert report.keys[0] == "hls/episodes/e1/master.m3u8"  # the master goes first
    assert not (root / "hls/episodes/e1").exists()  # empty folders pruned
    assert len(stored_files(root / "hls/episodes/e10")) == count  # a longer id sharing the prefix stays
    assert [t.content_id for t in list_published(destination)] == ["e10"]


def test_list_published_and_source_videos(home: Path, tmp_path: Path) -> None:
    root = tmp_path / "pub"
    destination = LocalDestination(root)
    make_package(tmp_path / "pkg")
    publish_package(tmp_path / "pkg", destination, ContentType.EPISODE, "ep")
    publish_package(tmp_path / "pkg", destination, ContentType.MOVIE, "mov")
    titles = list_published(destination)
    assert [(str(t.content_type), t.content_id) for t in titles] == [("movie", "mov"), ("episode", "ep")]
    assert titles[0].hls_url == (root / "hls/movies/mov/master.m3u8").resolve().as_uri()
    (root / "videos").mkdir()
    (root / "videos" / "a.mp4").write_bytes(b"1")
    (root / "videos" / "b.MOV").write_bytes(b"22")
    (root / "videos" / "readme.txt").write_text("no")
    assert [(v.key, v.size) for v in list_source_videos(destination)] == [
        ("videos/a.mp4", 1),
        ("videos/b.MOV", 2),
    ]


def test_convert_existing_downloads_runs_and_cleans_up(home: Path, tmp_path: Path) -> None:
    root = tmp_path / "pub"
    destination = LocalDestination(root)
    (root / "videos").mkdir(parents=True)
    (root / "videos" / "clip.mp4").write_bytes(b"video-bytes" * 1000)
    work = tmp_path / "work"
    seen: list[Path] = []

    def run(path: Path) -> JobResult:
        seen.append(path)
        assert path.read_bytes() == b"video-bytes" * 1000
        assert path.name == "clip.mp4"
        return JobResult(status="completed", source=str(path))

    progress: list[int] = []
    result = convert_existing(
        "videos/clip.mp4",
        destination,
        work_dir=work,
        run=run,
        on_download=lambda p: progress.append(p.bytes_received),
    )
    assert result.status == "completed"
    assert progress[-1] == 11000
    assert not seen[0].exists() and list(work.iterdir()) == []

    def broken(path: Path) -> JobResult:
        seen.append(path)
        raise RuntimeError("transcode blew up")

    with pytest.raises(RuntimeError):
        convert_existing("videos/clip.mp4", destination, work_dir=work, run=broken)
    assert not seen[-1].exists() and list(work.iterdir()) == []
    with pytest.raises(StorageError, match="no source video"):
        convert_existing("videos/missing.mp4", destination, work_dir=work, run=run)
    with pytest.raises(ConfigError, match="not a video"):
        convert_existing("videos/readme.txt", destination, work_dir=work, run=run)
