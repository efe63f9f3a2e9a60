"""Publishing to a real S3 HTTP endpoint (moto's ThreadedMotoServer on loopback) through boto3,
behind a recording, fault-injecting proxy of the tests' own."""

from __future__ import annotations

import hashlib
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

pytest.register_assert_rewrite("tests.s3server")

from hlsstudio.core.errors import CancelledError, ConfigError, StorageError  # noqa: E402
from hlsstudio.core.manage import (  # noqa: E402
    convert_existing,
    delete_content,
    execute_delete,
    list_published,
    list_source_videos,
    plan_delete,
)
from hlsstudio.core.models import ContentType, JobResult  # noqa: E402
from hlsstudio.core.publish import PublishOptions, UploadProgress, publish_package  # noqa: E402
from hlsstudio.core.settings import DestinationSettings  # noqa: E402
from tests.s3server import (  # noqa: E402
    PUBLIC_URL,
    S3Setup,
    always_fail_key,
    flaky_rule,
    list_keys,
    make_package,
    object_map,
)

MIB = 1024 * 1024
PREFIX = "hls/movies/title-1/"
SETTINGS = DestinationSettings()


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def assert_complete(client: Any, bucket: str, pkg: Path, names: list[str], prefix: str = PREFIX) -> None:
    assert list_keys(client, bucket, prefix) == sorted(prefix + n for n in names)
    for name in names:
        body = client.get_object(Bucket=bucket, Key=prefix + name)["Body"].read()
        assert body == (pkg / name).read_bytes(), name


def test_keys_types_cache_headers_no_acl_and_master_last(
    s3: S3Setup, tmp_path: Path, moto_client: Any
) -> None:
    names = make_package(tmp_path / "pkg")
    result = publish_package(tmp_path / "pkg", s3.destination(), ContentType.MOVIE, "title-1")

    assert result.hls_url == f"{PUBLIC_URL}/{PREFIX}master.m3u8"
    assert result.master_key == PREFIX + "master.m3u8"
    assert (result.files_uploaded, result.files_skipped, result.files_removed) == (len(names), 0, 0)
    stored = object_map(moto_client, s3.bucket, PREFIX)
    assert sorted(stored) == [PREFIX + n for n in names]
    expected_type = {".m3u8": "application/vnd.apple.mpegurl", ".ts": "video/mp2t", ".jpg": "image/jpeg"}
    for key, head in stored.items():
        suffix = Path(key).suffix
        assert head["ContentType"] == expected_type[suffix], key
        short = suffix == ".m3u8"
        assert head["CacheControl"] == (
            SETTINGS.playlist_cache_control if short else SETTINGS.segment_cache_control
        ), key
    assert_complete(moto_client, s3.bucket, tmp_path / "pkg", names)

    requests = s3.proxy.requests
    assert requests, "the proxy saw the traffic"
    assert not any(
        name.startswith("x-amz-acl") or name.startswith("x-amz-grant") for r in requests for name in r.headers
    )
    writes = s3.proxy.writes()
    assert len(writes) == len(names)
    master = [w for w in writes if w.key.endswith("/master.m3u8")]
    assert len(master) == 1
    others_done = max(w.done_seq for w in writes if w is not master[0])
    assert master[0].seq > others_done, "the master request started only after every other object was stored"


def test_configured_cache_control_is_used(s3: S3Setup, tmp_path: Path, moto_client: Any) -> None:
    make_package(tmp_path / "pkg", rungs=("360p",), segments=1)
    options = PublishOptions.from_settings(
        DestinationSettings(segment_cache_control="max-age=7", playlist_cache_control="no-cache")
    )
    publish_package(tmp_path / "pkg", s3.destination(), ContentType.MOVIE, "title-1", options=options)
    stored = object_map(moto_client, s3.bucket, PREFIX)
    assert stored[PREFIX + "master.m3u8"]["CacheControl"] == "no-cache"
    assert stored[PREFIX + "stream_360p_000.ts"]["CacheControl"] == "max-age=7"


def test_large_files_go_multipart_with_equal_parts_and_resume_recognises_them(
    s3: S3Setup, tmp_path: Path, moto_client: Any
) -> None:
    names = make_package(tmp_path / "pkg", rungs=("360p",), segments=1)
    (tmp_path / "pkg" / "stream_360p_big.ts").write_bytes(os.urandom(11 * MIB + 123))
    names.append("stream_360p_big.ts")
    options = PublishOptions(multipart_threshold=1 * MIB, multipart_chunksize=5 * MIB)
    destination = s3.destination()
    publish_package(tmp_path / "pkg", destination, ContentType.MOVIE, "title-1", options=options)

    head = moto_client.head_object(Bucket=s3.bucket, Key=PREFIX + "stream_360p_big.ts")
    assert head["ETag"].strip('"').endswith("-3")
    assert head["ContentType"] == "video/mp2t"
    parts = [r for r in s3.proxy.requests if "partNumber=" in r.query and r.status == 200]
    sizes = sorted(
        (int(r.query.split("partNumber=")[1].split("&")[0]), int(r.headers["content-length"])) for r in parts
    )
    assert [s for _, s in sizes] == [5 * MIB, 5 * MIB, MIB + 123]
    assert_complete(moto_client, s3.bucket, tmp_path / "pkg", names)

    s3.proxy.reset()
    again = publish_package(tmp_path / "pkg", destination, ContentType.MOVIE, "title-1", options=options)
    assert (again.files_uploaded, again.files_skipped) == (0, len(names))
    assert not [r for r in s3.proxy.requests if r.method in ("PUT", "POST")]


def test_flaky_endpoint_still_ends_with_a_complete_package(
    s3: S3Setup, tmp_path: Path, moto_client: Any
) -> None:
    names = make_package(tmp_path / "pkg", segments=4)
    (tmp_path / "pkg" / "stream_720p_big.ts").write_bytes(os.urandom(6 * MIB))
    names.append("stream_720p_big.ts")
    s3.proxy.rule = flaky_rule(seed=11, share=0.35)
    options = PublishOptions(multipart_threshold=1 * MIB, multipart_chunksize=5 * MIB)
    result = publish_package(
        tmp_path / "pkg", s3.destination(), ContentType.MOVIE, "title-1", options=options
    )
    faults = [r.fault for r in s3.proxy.requests if r.fault]
    assert len(faults) >= 5 and set(faults) == {"500", "503", "drop"}
    assert result.files_uploaded == len(names)
    assert_complete(moto_client, s3.bucket, tmp_path / "pkg", names)


def test_permanent_failure_leaves_no_master_then_resume_uploads_only_what_is_missing(
    s3: S3Setup, tmp_path: Path, moto_client: Any
) -> None:
    names = make_package(tmp_path / "pkg")
    destination = s3.destination()
    s3.proxy.rule = always_fail_key("/stream_720p_001.ts", "503")
    with pytest.raises(StorageError) as info:
        publish_package(tmp_path / "pkg", s3.destination(max_attempts=2), ContentType.MOVIE, "title-1")
    assert "stream_720p_001.ts" in info.value.message
    assert "master playlist not written" in info.value.message
    assert "\n" not in info.value.message
    stored = list_keys(moto_client, s3.bucket, PREFIX)
    assert PREFIX + "master.m3u8" not in stored
    assert PREFIX + "stream_720p_001.ts" not in stored
    assert not [r for r in s3.proxy.requests if r.key.endswith("master.m3u8") and r.method in ("PUT", "POST")]
    missing = [n for n in names if PREFIX + n not in stored]
    assert sorted(missing) == ["master.m3u8", "stream_720p_001.ts"]

    s3.proxy.rule = None
    s3.proxy.reset()
    result = publish_package(tmp_path / "pkg", destination, ContentType.MOVIE, "title-1")
    assert result.files_uploaded == len(missing)
    assert result.files_skipped == len(names) - len(missing) > 0
    puts = sorted(r.key for r in s3.proxy.requests if r.method == "PUT")
    assert puts == sorted(PREFIX + n for n in missing)
    assert_complete(moto_client, s3.bucket, tmp_path / "pkg", names)


def test_failed_republish_keeps_the_previous_master(s3: S3Setup, tmp_path: Path, moto_client: Any) -> None:
    make_package(tmp_path / "v1", rungs=("360p", "720p"))
    destination = s3.destination()
    publish_package(tmp_path / "v1", destination, ContentType.MOVIE, "title-1")
    make_package(tmp_path / "v2", rungs=("360p", "1080p"), seed=2)
    s3.proxy.rule = always_fail_key("/stream_1080p_002.ts", "drop")
    with pytest.raises(StorageError, match=r"stream_1080p_002\.ts"):
        publish_package(tmp_path / "v2", destination, ContentType.MOVIE, "title-1")
    body = moto_client.get_object(Bucket=s3.bucket, Key=PREFIX + "master.m3u8")["Body"].read()
    assert body == (tmp_path / "v1" / "master.m3u8").read_bytes()
    # Nothing was removed either: the old package is still whole.
    assert PREFIX + "stream_720p_002.ts" in list_keys(moto_client, s3.bucket, PREFIX)


def test_republish_removes_stale_objects_after_the_new_master(
    s3: S3Setup, tmp_path: Path, moto_client: Any
) -> None:
    old = make_package(tmp_path / "v1", rungs=("360p", "720p"), segments=3)
    destination = s3.destination()
    publish_package(tmp_path / "v1", destination, ContentType.MOVIE, "title-1")
    publish_package(tmp_path / "v1", destination, ContentType.MOVIE, "title-10")
    new = make_package(tmp_path / "v2", rungs=("360p",), segments=2, seed=3)
    s3.proxy.reset()
    result = publish_package(tmp_path / "v2", destination, ContentType.MOVIE, "title-1")
    assert result.files_removed == len(set(old) - set(new))
    assert_complete(moto_client, s3.bucket, tmp_path / "v2", new)
    assert len(list_keys(moto_client, s3.bucket, "hls/movies/title-10/")) == len(old)
    master = next(w for w in s3.proxy.writes() if w.key.endswith("master.m3u8"))
    deletes = [r for r in s3.proxy.requests if r.is_delete_objects]
    assert len(deletes) == 1 and deletes[0].seq > master.done_seq


def test_unsafe_ids_are_refused_before_any_request(s3: S3Setup, tmp_path: Path) -> None:
    make_package(tmp_path / "pkg")
    destination = s3.destination()
    for bad in ("../x", "", "a b", "a/b", "x" * 129, "title?1"):
        with pytest.raises(ConfigError):
            publish_package(tmp_path / "pkg", destination, ContentType.MOVIE, bad)
        with pytest.raises(ConfigError):
            delete_content(destination, ContentType.EPISODE, bad, dry_run=True)
        with pytest.raises(ConfigError):
            delete_content(destination, ContentType.EPISODE, bad)
    assert s3.proxy.requests == []


def test_delete_dry_run_and_batches_of_at_most_1000(s3: S3Setup, moto_client: Any) -> None:
    prefix = "hls/episodes/big-one/"
    keys = [f"{prefix}stream_360p_{i:04d}.ts" for i in range(1003)] + [prefix + "master.m3u8"]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda k: moto_client.put_object(Bucket=s3.bucket, Key=k, Body=b"abc"), keys))
    moto_client.put_object(Bucket=s3.bucket, Key="hls/episodes/big-one2/master.m3u8", Body=b"keep")
    destination = s3.destination()

    dry = delete_content(destination, ContentType.EPISODE, "big-one", dry_run=True)
    assert (dry.count, dry.total_bytes, dry.deleted) == (len(keys), 3 * len(keys), False)
    assert sorted(dry.keys) == sorted(keys)
    assert not [r for r in s3.proxy.requests if r.method in ("POST", "DELETE")]
    assert len(list_keys(moto_client, s3.bucket, prefix)) == len(keys)

    report = execute_delete(destination, plan_delete(destination, ContentType.EPISODE, "big-one"))
    assert (report.count, report.deleted) == (len(keys), True)
    batches = [r for r in s3.proxy.requests if r.is_delete_objects]
    assert [b.body.count(b"<Key>") for b in batches] == [1000, len(keys) - 1000]
    assert b"master.m3u8" in batches[0].body  # the master goes first
    assert list_keys(moto_client, s3.bucket, prefix) == []
    assert list_keys(moto_client, s3.bucket, "hls/episodes/") == ["hls/episodes/big-one2/master.m3u8"]


def test_list_published_titles(s3: S3Setup, tmp_path: Path) -> None:
    make_package(tmp_path / "pkg", rungs=("360p",), segments=1)
    destination = s3.destination()
    publish_package(tmp_path / "pkg", destination, ContentType.EPISODE, "show-s01e01")
    publish_package(tmp_path / "pkg", destination, ContentType.MOVIE, "film")
    titles = list_published(destination)
    assert [(str(t.content_type), t.content_id, t.hls_url) for t in titles] == [
        ("movie", "film", f"{PUBLIC_URL}/hls/movies/film/master.m3u8"),
        ("episode", "show-s01e01", f"{PUBLIC_URL}/hls/episodes/show-s01e01/master.m3u8"),
    ]


def test_cancel_within_a_multipart_upload(s3: S3Setup, tmp_path: Path, moto_client: Any) -> None:
    make_package(tmp_path / "pkg", rungs=("360p",), segments=1)
    (tmp_path / "pkg" / "huge.ts").write_bytes(os.urandom(16 * MIB))
    cancel = threading.Event()

    def on_progress(report: UploadProgress) -> None:
        if report.file == "huge.ts" and report.bytes_sent > 0:
            cancel.set()

    options = PublishOptions(multipart_threshold=5 * MIB, multipart_chunksize=5 * MIB)
    with pytest.raises(CancelledError):
        publish_package(
            tmp_path / "pkg",
            s3.destination(),
            ContentType.MOVIE,
            "title-1",
            options=options,
            on_progress=on_progress,
            cancel=cancel,
        )
    stored = list_keys(moto_client, s3.bucket, PREFIX)
    assert PREFIX + "master.m3u8" not in stored
    assert PREFIX + "huge.ts" not in stored
    assert moto_client.list_multipart_uploads(Bucket=s3.bucket).get("Uploads", []) == []


def test_convert_existing_downloads_from_the_bucket(s3: S3Setup, tmp_path: Path, moto_client: Any) -> None:
    payload = os.urandom(3 * MIB)
    moto_client.put_object(Bucket=s3.bucket, Key="videos/trailer.mp4", Body=payload)
    moto_client.put_object(Bucket=s3.bucket, Key="videos/notes.txt", Body=b"x")
    moto_client.put_object(Bucket=s3.bucket, Key="other/clip.mov", Body=b"x")
    destination = s3.destination()
    assert [v.key for v in list_source_videos(destination)] == ["videos/trailer.mp4"]
    assert [v.key for v in list_source_videos(destination, "other/")] == ["other/clip.mov"]

    seen: list[Path] = []

    def run(path: Path) -> JobResult:
        seen.append(path)
        assert path.read_bytes() == payload
        return JobResult(status="completed", source=str(path))

    received: list[int] = []
    result = convert_existing(
        "videos/trailer.mp4",
        destination,
        work_dir=tmp_path / "work",
        run=run,
        on_download=lambda p: received.append(p.bytes_received),
    )
    assert result.status == "completed"
    assert received[-1] == len(payload)
    assert not seen[0].exists()
    assert list((tmp_path / "work").iterdir()) == []

    with pytest.raises(StorageError, match="no source video"):
        convert_existing("videos/gone.mp4", destination, work_dir=tmp_path / "work", run=run)
    s3.proxy.rule = always_fail_key("/trailer.mp4", "500")
    with pytest.raises(StorageError, match=r"trailer\.mp4"):
        convert_existing("videos/trailer.mp4", destination, work_dir=tmp_path / "work", run=run)
    assert list((tmp_path / "work").iterdir()) == []
