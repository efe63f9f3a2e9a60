"""The local-folder destination through the real publish, manage and convert code paths."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

pytest.register_assert_rewrite("tests.s3server")

from hlsstudio.core.errors import CancelledError, ConfigError, StorageError  # noqa: E402
from hlsstudio.core.manage import (  # noqa: E402
    convert_existing,
    delete_content,
    list_published,
    list_source_videos,
)
from hlsstudio.core.models import ContentType, JobResult  # noqa: E402
from hlsstudio.core.publish import PublishOptions, UploadProgress, UploadState, publish_package  # noqa: E402
from hlsstudio.core.storage import LocalDestination  # noqa: E402
from tests.s3server import make_package  # noqa: E402

MIB = 1024 * 1024


def stored_files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_publish_to_a_local_folder_has_the_bucket_layout(home: Path, tmp_path: Path) -> None:
    names = make_package(tmp_path / "pkg")
    root = tmp_path / "published"
    reports: list[UploadProgress] = []
    result = publish_package(
        tmp_path / "pkg", LocalDestination(root), ContentType.MOVIE, "film-1", on_progress=reports.append
    )
    assert stored_files(root) == sorted(f"hls/movies/film-1/{n}" for n in names)
    for name in names:
        assert (root / "hls/movies/film-1" / name).read_bytes() == (tmp_path / "pkg" / name).read_bytes()
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


def test_republish_skips_unchanged_and_removes_stale(home: Path, tmp_path: Path) -> None:
    root = tmp_path / "pub"
    destination = LocalDestination(root)
    make_package(tmp_path / "v1", rungs=("360p", "720p"), segments=3)
    publish_package(tmp_path / "v1", destination, ContentType.MOVIE, "m")
    other = publish_package(tmp_path / "v1", destination, ContentType.MOVIE, "m-other")
    new_names = make_package(tmp_path / "v2", rungs=("360p",), segments=2)
    (tmp_path / "v2" / "extra").mkdir()
    (tmp_path / "v2" / "extra" / "info.json").write_text("{}")
    again = publish_package(tmp_path / "v2", destination, ContentType.MOVIE, "m")
    # Same seed: the first 360p segments of v2 equal those of v1; other files changed or are new.
    unchanged = [
        n
        for n in new_names
        if (tmp_path / "v1" / n).is_file()
        and (tmp_path / "v1" / n).read_bytes() == (tmp_path / "v2" / n).read_bytes()
    ]
    assert "stream_360p_000.ts" in unchanged
    assert again.files_skipped == len(unchanged)
    assert again.files_uploaded == len(new_names) + 1 - len(unchanged)
    assert again.files_removed == 5  # stream_720p.m3u8, its 3 segments, stream_360p_002.ts
    assert stored_files(root / "hls/movies/m") == sorted([*new_names, "extra/info.json"])
    assert other.files_uploaded == len(stored_files(root / "hls/movies/m-other"))


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
    assert "hls/movies/c/big.ts" not in stored
    assert not [s for s in stored if ".hlsstudio-part-" in s]


def test_delete_and_dry_run(home: Path, tmp_path: Path) -> None:
    root = tmp_path / "pub"
    destination = LocalDestination(root)
    names = make_package(tmp_path / "pkg")
    publish_package(tmp_path / "pkg", destination, ContentType.EPISODE, "e1")
    publish_package(tmp_path / "pkg", destination, ContentType.EPISODE, "e10")
    size = sum((tmp_path / "pkg" / n).stat().st_size for n in names)
    dry = delete_content(destination, ContentType.EPISODE, "e1", dry_run=True)
    assert (dry.count, dry.total_bytes, dry.deleted) == (len(names), size, False)
    assert len(stored_files(root)) == 2 * len(names)
    report = delete_content(destination, ContentType.EPISODE, "e1")
    assert (report.count, report.total_bytes, report.deleted) == (len(names), size, True)
    assert not (root / "hls/episodes/e1").exists()  # empty folders pruned
    assert len(stored_files(root / "hls/episodes/e10")) == len(names)  # a longer id sharing the prefix stays
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
