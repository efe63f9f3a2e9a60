"""Publishing to a real S3 HTTP endpoint (moto's ThreadedMotoServer on loopback) through boto3,
behind a recording, fault-injecting proxy of the tests' own."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

pytest.register_assert_rewrite("tests.s3server")

from hlsstudio.core.builds import BUILD_RE, INDEX_NAME  # noqa: E402
from hlsstudio.core.errors import CancelledError, ConfigError, StorageError  # noqa: E402
from hlsstudio.core.manage import (  # noqa: E402
    convert_existing,
    delete_content,
    execute_delete,
    list_published,
    list_source_videos,
    plan_delete,
)
from hlsstudio.core.models import ContentType, JobResult, PublishResult  # noqa: E402
from hlsstudio.core.publish import PublishOptions, UploadProgress, publish_package  # noqa: E402
from hlsstudio.core.settings import DestinationSettings  # noqa: E402
from tests.s3server import (  # noqa: E402
    PUBLIC_URL,
    Recorded,
    Rule,
    S3Setup,
    always_fail_key,
    flaky_rule,
    list_keys,
    make_package,
    object_map,
)

MIB = 1024 * 1024
PREFIX = "hls/movies/title-1/"
MASTER = "master.m3u8"
SETTINGS = DestinationSettings()


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def published_master(pkg: Path, build: str) -> bytes:
    """The package's master as published: every URI line points into ``build``."""
    lines = (pkg / MASTER).read_text().splitlines()
    return "".join(
        f"{build}/{line}\n" if line and not line.startswith("#") else f"{line}\n" for line in lines
    ).encode()


def build_of(result: PublishResult | None) -> str:
    """The build a publish wrote into."""
    assert result is not None and result.build is not None
    return result.build


def key_of(name: str, build: str, prefix: str = PREFIX) -> str:
    """Where a package file is stored: the master at the title, everything else in the build."""
    return prefix + name if name == MASTER else f"{prefix}{build}/{name}"


def title_keys(names: list[str], build: str, prefix: str = PREFIX) -> list[str]:
    """Every key of a title holding one build of ``names``: the package and the build index."""
    return sorted([prefix + INDEX_NAME, *(key_of(n, build, prefix) for n in names)])


def builds_in(keys: list[str], prefix: str = PREFIX) -> list[str]:
    """The build ids found among ``keys``, sorted."""
    found = {k.removeprefix(prefix).split("/")[0] for k in keys if "/" in k.removeprefix(prefix)}
    assert all(BUILD_RE.match(b) for b in found), found
    return sorted(found)


def build_blind(rule: Rule) -> Rule:
    """``rule`` deciding on the request as if its key had no build id (which is random), so a seeded
    rule picks the same files on every run."""
    build_dir = re.compile(r"/b-\d{8}T\d{6}Z-[0-9a-f]+/")

    def blind(req: Recorded) -> str | None:
        return rule(dataclasses.replace(req, path=build_dir.sub("/", req.path)))

    return blind


def assert_build(
    client: Any, bucket: str, pkg: Path, names: list[str], build: str, *, prefix: str = PREFIX
) -> None:
    """The build holds exactly the package's files (all but the master), byte for byte."""
    files = [n for n in names if n != MASTER]
    assert list_keys(client, bucket, f"{prefix}{build}/") == sorted(key_of(n, build, prefix) for n in files)
    for name in files:
        body = client.get_object(Bucket=bucket, Key=key_of(name, build, prefix))["Body"].read()
        assert body == (pkg / name).read_bytes(), name


def assert_complete(
    client: Any, bucket: str, pkg: Path, names: list[str], build: str, *, prefix: str = PREFIX
) -> None:
    """The package is published as ``build`` and the title's master points into it."""
    assert BUILD_RE.match(build)
    assert_build(client, bucket, pkg, names, build, prefix=prefix)
    master = client.get_object(Bucket=bucket, Key=prefix + MASTER)["Body"].read()
    assert master == published_master(pkg, build)


def test_keys_types_cache_headers_no_acl_and_master_last(
    s3: S3Setup, tmp_path: Path, moto_client: Any
) -> None:
    names = make_package(tmp_path / "pkg")
    result = publish_package(tmp_path / "pkg", s3.destination(), ContentType.MOVIE, "title-1")

    assert result.hls_url == f"{PUBLIC_URL}/{PREFIX}master.m3u8"
    assert result.master_key == PREFIX + "master.m3u8"
    assert (result.files_uploaded, result.files_skipped, result.files_removed) == (len(names), 0, 0)
    assert result.old_builds_waiting == 0
    stored = object_map(moto_client, s3.bucket, PREFIX)
    assert sorted(stored) == title_keys(names, build_of(result))
    expected_type = {
        ".m3u8": "application/vnd.apple.mpegurl",
        ".ts": "video/mp2t",
        ".jpg": "image/jpeg",
        ".json": "application/json",
    }
    for key, head in stored.items():
        suffix = Path(key).suffix
        assert head["ContentType"] == expected_type[suffix], key
        if key == PREFIX + INDEX_NAME:
            assert head["CacheControl"] == "no-cache"
            continue
        short = suffix == ".m3u8"
        assert head["CacheControl"] == (
            SETTINGS.playlist_cache_control if short else SETTINGS.segment_cache_control
        ), key
    assert stored[PREFIX + MASTER]["CacheControl"] == SETTINGS.playlist_cache_control
    assert (
        stored[f"{PREFIX}{build_of(result)}/stream_360p_000.ts"]["CacheControl"]
        == SETTINGS.segment_cache_control
    )
    assert "immutable" in SETTINGS.segment_cache_control
    assert_complete(moto_client, s3.bucket, tmp_path / "pkg", names, build_of(result))

    requests = s3.proxy.requests
    assert requests, "the proxy saw the traffic"
    assert not any(
        name.startswith("x-amz-acl") or name.startswith("x-amz-grant") for r in requests for name in r.headers
    )
    writes = s3.proxy.writes()
    assert len(writes) == len(names) + 1  # the package and the build index
    assert sorted(w.key for w in writes) == title_keys(names, build_of(result))
    master = [w for w in writes if w.key.endswith("/master.m3u8")]
    assert len(master) == 1 and master[0].key == PREFIX + MASTER
    package = [w for w in writes if w.key.startswith(f"{PREFIX}{build_of(result)}/")]
    assert len(package) == len(names) - 1
    others_done = max(w.done_seq for w in package)
    assert master[0].seq > others_done, "the master request started only after every other object was stored"


def test_configured_cache_control_is_used(s3: S3Setup, tmp_path: Path, moto_client: Any) -> None:
    make_package(tmp_path / "pkg", rungs=("360p",), segments=1)
    options = PublishOptions.from_settings(
        DestinationSettings(segment_cache_control="max-age=7", playlist_cache_control="no-cache")
    )
    result = publish_package(
        tmp_path / "pkg", s3.destination(), ContentType.MOVIE, "title-1", options=options
    )
    stored = object_map(moto_client, s3.bucket, PREFIX)
    assert stored[PREFIX + "master.m3u8"]["CacheControl"] == "no-cache"
    assert stored[f"{PREFIX}{build_of(result)}/stream_360p.m3u8"]["CacheControl"] == "no-cache"
    assert stored[f"{PREFIX}{build_of(result)}/stream_360p_000.ts"]["CacheControl"] == "max-age=7"
    assert stored[f"{PREFIX}{build_of(result)}/poster.jpg"]["CacheControl"] == "max-age=7"


def test_large_files_go_multipart_with_equal_parts_and_resume_recognises_them(
    s3: S3Setup, tmp_path: Path, moto_client: Any
) -> None:
    names = make_package(tmp_path / "pkg", rungs=("360p",), segments=1)
    (tmp_path / "pkg" / "stream_360p_big.ts").write_bytes(os.urandom(11 * MIB + 123))
    names.append("stream_360p_big.ts")
    options = PublishOptions(multipart_threshold=1 * MIB, multipart_chunksize=5 * MIB)
    destination = s3.destination()
    # The master fails: every other file (the multipart one too) is stored in an unfinished build.
    s3.proxy.rule = always_fail_key("/master.m3u8", "403")
    with pytest.raises(StorageError, match=r"master\.m3u8"):
        publish_package(tmp_path / "pkg", destination, ContentType.MOVIE, "title-1", options=options)
    (build,) = builds_in(list_keys(moto_client, s3.bucket, PREFIX))

    head = moto_client.head_object(Bucket=s3.bucket, Key=f"{PREFIX}{build}/stream_360p_big.ts")
    assert head["ETag"].strip('"').endswith("-3")
    assert head["ContentType"] == "video/mp2t"
    parts = [r for r in s3.proxy.requests if "partNumber=" in r.query and r.status == 200]
    sizes = sorted(
        (int(r.query.split("partNumber=")[1].split("&")[0]), int(r.headers["content-length"])) for r in parts
    )
    assert [s for _, s in sizes] == [5 * MIB, 5 * MIB, MIB + 123]
    assert_build(moto_client, s3.bucket, tmp_path / "pkg", names, build)

    s3.proxy.rule = None
    s3.proxy.reset()
    again = publish_package(tmp_path / "pkg", destination, ContentType.MOVIE, "title-1", options=options)
    assert build_of(again) == build  # the unfinished build is resumed, not replaced
    assert (again.files_uploaded, again.files_skipped) == (1, len(names) - 1)  # only the master was missing
    writes = sorted(r.key for r in s3.proxy.requests if r.method in ("PUT", "POST"))
    assert writes == [PREFIX + INDEX_NAME, PREFIX + MASTER]
    assert_complete(moto_client, s3.bucket, tmp_path / "pkg", names, build)
    assert list_keys(moto_client, s3.bucket, PREFIX) == title_keys(names, build)


def test_flaky_endpoint_still_ends_with_a_complete_package(
    s3: S3Setup, tmp_path: Path, moto_client: Any
) -> None:
    names = make_package(tmp_path / "pkg", segments=4)
    (tmp_path / "pkg" / "stream_720p_big.ts").write_bytes(os.urandom(6 * MIB))
    names.append("stream_720p_big.ts")
    s3.proxy.rule = build_blind(flaky_rule(seed=11, share=0.35))
    options = PublishOptions(multipart_threshold=1 * MIB, multipart_chunksize=5 * MIB)
    result = publish_package(
        tmp_path / "pkg", s3.destination(), ContentType.MOVIE, "title-1", options=options
    )
    faults = [r.fault for r in s3.proxy.requests if r.fault]
    assert len(faults) >= 5 and set(faults) == {"500", "503", "drop"}
    assert result.files_uploaded == len(names)
    assert_complete(moto_client, s3.bucket, tmp_path / "pkg", names, build_of(result))
    assert list_keys(moto_client, s3.bucket, PREFIX) == title_keys(names, build_of(result))


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
    (build,) = builds_in(stored)
    assert PREFIX + "master.m3u8" not in stored
    assert PREFIX + INDEX_NAME not in stored
    assert f"{PREFIX}{build}/stream_720p_001.ts" not in stored
    assert not [r for r in s3.proxy.requests if r.key.endswith("master.m3u8") and r.method in ("PUT", "POST")]
    missing = [n for n in names if key_of(n, build) not in stored]
    assert sorted(missing) == ["master.m3u8", "stream_720p_001.ts"]
    assert len(stored) == len(names) - len(missing)

    s3.proxy.rule = None
    s3.proxy.reset()
    result = publish_package(tmp_path / "pkg", destination, ContentType.MOVIE, "title-1")
    assert build_of(result) == build  # the retry goes on in the build the failed attempt wrote into
    assert result.files_uploaded == len(missing)
    assert result.files_skipped == len(names) - len(missing) > 0
    puts = sorted(r.key for r in s3.proxy.requests if r.method == "PUT")
    assert puts == sorted([*(key_of(n, build) for n in missing), PREFIX + INDEX_NAME])
    assert_complete(moto_client, s3.bucket, tmp_path / "pkg", names, build)
    assert list_keys(moto_client, s3.bucket, PREFIX) == title_keys(names, build)


def test_failed_republish_keeps_the_previous_master(s3: S3Setup, tmp_path: Path, moto_client: Any) -> None:
    old = make_package(tmp_path / "v1", rungs=("360p", "720p"))
    destination = s3.destination()
    first = publish_package(tmp_path / "v1", destination, ContentType.MOVIE, "title-1")
    make_package(tmp_path / "v2", rungs=("360p", "1080p"), seed=2)
    s3.proxy.reset()
    s3.proxy.rule = always_fail_key("/stream_1080p_002.ts", "drop")
    with pytest.raises(StorageError, match=r"stream_1080p_002\.ts"):
        publish_package(tmp_path / "v2", destination, ContentType.MOVIE, "title-1")
    body = moto_client.get_object(Bucket=s3.bucket, Key=PREFIX + "master.m3u8")["Body"].read()
    assert body == published_master(tmp_path / "v1", build_of(first))  # still the old build's master
    # Nothing was removed either: the old build is still whole.
    assert not [r for r in s3.proxy.requests if r.is_delete_objects or r.method == "DELETE"]
    assert_complete(moto_client, s3.bucket, tmp_path / "v1", old, build_of(first))
    assert f"{PREFIX}{build_of(first)}/stream_720p_002.ts" in list_keys(moto_client, s3.bucket, PREFIX)
    assert not [w for w in s3.proxy.writes() if w.key in (PREFIX + MASTER, PREFIX + INDEX_NAME)]
    assert all(w.key.startswith(PREFIX + "b-") and build_of(first) not in w.key for w in s3.proxy.writes())


def test_republish_without_grace_removes_the_old_build_after_the_new_master(
    s3: S3Setup, tmp_path: Path, moto_client: Any
) -> None:
    old = make_package(tmp_path / "v1", rungs=("360p", "720p"), segments=3)
    destination = s3.destination()
    first = publish_package(tmp_path / "v1", destination, ContentType.MOVIE, "title-1")
    other = publish_package(tmp_path / "v1", destination, ContentType.MOVIE, "title-10")
    new = make_package(tmp_path / "v2", rungs=("360p",), segments=2, seed=3)
    s3.proxy.reset()
    options = PublishOptions(build_grace_seconds=0)
    result = publish_package(tmp_path / "v2", destination, ContentType.MOVIE, "title-1", options=options)
    assert build_of(result) != build_of(first)
    assert result.files_removed == len(old) - 1  # every object of the old build
    assert result.old_builds_waiting == 0
    assert_complete(moto_client, s3.bucket, tmp_path / "v2", new, build_of(result))
    assert list_keys(moto_client, s3.bucket, PREFIX) == title_keys(new, build_of(result))
    assert list_keys(moto_client, s3.bucket, "hls/movies/title-10/") == title_keys(
        old, build_of(other), "hls/movies/title-10/"
    )
    master = next(w for w in s3.proxy.writes() if w.key.endswith("master.m3u8"))
    deletes = [r for r in s3.proxy.requests if r.is_delete_objects]
    assert len(deletes) == 1 and deletes[0].seq > master.done_seq
    assert deletes[0].body.count(b"<Key>") == len(old) - 1
    assert deletes[0].body.count(f"<Key>{PREFIX}{build_of(first)}/".encode()) == len(old) - 1


def test_republish_keeps_the_old_build_during_its_grace_period(
    s3: S3Setup, tmp_path: Path, moto_client: Any
) -> None:
    old = make_package(tmp_path / "v1", rungs=("360p", "720p"), segments=3)
    destination = s3.destination()
    first = publish_package(tmp_path / "v1", destination, ContentType.MOVIE, "title-1")
    new = make_package(tmp_path / "v2", rungs=("360p",), segments=2, seed=3)
    s3.proxy.reset()
    result = publish_package(tmp_path / "v2", destination, ContentType.MOVIE, "title-1")  # 24 h grace
    assert build_of(result) != build_of(first)
    assert (result.files_uploaded, result.files_skipped) == (len(new), 0)
    assert (result.files_removed, result.old_builds_waiting) == (0, 1)
    assert not [r for r in s3.proxy.requests if r.is_delete_objects or r.method == "DELETE"]
    assert_complete(moto_client, s3.bucket, tmp_path / "v2", new, build_of(result))
    assert_build(
        moto_client, s3.bucket, tmp_path / "v1", old, build_of(first)
    )  # old viewers keep their bytes
    assert list_keys(moto_client, s3.bucket, PREFIX) == sorted(
        {*title_keys(old, build_of(first)), *title_keys(new, build_of(result))}
    )


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
    assert not [k for k in stored if k.endswith("/huge.ts")]
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
