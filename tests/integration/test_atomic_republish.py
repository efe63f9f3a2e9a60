"""Republishing a live title is atomic: real packages (real ffmpeg) on a real S3 endpoint (moto on
loopback, through boto3) and in a local folder.

A viewer who started before a republish holds the old master and variant playlists: every key they
reference must keep returning the same bytes until the old build's grace period is over, while new
viewers get only the new build.
"""

from __future__ import annotations

import posixpath
import time
from pathlib import Path
from typing import Any

import pytest

pytest.register_assert_rewrite("tests.s3server")

from hlsstudio.cli import main  # noqa: E402
from hlsstudio.core.builds import BUILD_RE, INDEX_NAME, build_of_master  # noqa: E402
from hlsstudio.core.errors import StorageError  # noqa: E402
from hlsstudio.core.manage import list_published  # noqa: E402
from hlsstudio.core.models import ContentType  # noqa: E402
from hlsstudio.core.pipeline import transcode  # noqa: E402
from hlsstudio.core.publish import PublishOptions, publish_package  # noqa: E402
from hlsstudio.core.storage import LocalDestination  # noqa: E402
from hlsstudio.core.sweep import sweep_title  # noqa: E402
from hlsstudio.core.toolchain import Toolchain, locate_toolchain  # noqa: E402
from tests.integration.test_live_publish import LADDER, SETTINGS  # noqa: E402
from tests.s3server import S3Setup, always_fail_key, list_keys  # noqa: E402

TITLE = "hls/movies/film-7/"
DAY = 24 * 3600.0


@pytest.fixture(scope="module")
def toolchain() -> Toolchain:
    return locate_toolchain()


@pytest.fixture(scope="module")
def packages(tmp_path_factory: pytest.TempPathFactory, media: Any, toolchain: Toolchain) -> dict[str, Path]:
    """Two real packages of the same title from two different sources (A: 6 s, B: 8 s and larger)."""
    root = tmp_path_factory.mktemp("packages")
    sources = {"A": media.clip(duration=6.0, width=320, height=180), "B": media.clip(duration=8.0)}
    made = {}
    for name, source in sources.items():
        out = root / name
        transcode(Path(source), out, ladder=LADDER, settings=SETTINGS, toolchain=toolchain)
        made[name] = out
    return made


def get(client: Any, bucket: str, key: str) -> bytes:
    body: bytes = client.get_object(Bucket=bucket, Key=key)["Body"].read()
    return body


def viewer_keys(client: Any, bucket: str, master_key: str) -> dict[str, bytes]:
    """Every key a player fetches through ``master_key`` (master, variant playlists, segments) and
    the bytes it gets for each, resolving URIs the way a player does."""
    seen = {master_key: get(client, bucket, master_key)}
    base = posixpath.dirname(master_key)
    for line in seen[master_key].decode().splitlines():
        if not line or line.startswith("#"):
            continue
        playlist_key = posixpath.normpath(posixpath.join(base, line))
        seen[playlist_key] = get(client, bucket, playlist_key)
        for seg in seen[playlist_key].decode().splitlines():
            if seg and not seg.startswith("#"):
                key = posixpath.normpath(posixpath.join(posixpath.dirname(playlist_key), seg))
                seen[key] = get(client, bucket, key)
    return seen


def test_republish_never_changes_what_a_viewer_of_the_old_build_fetches(
    s3: S3Setup, moto_client: Any, packages: dict[str, Path]
) -> None:
    destination = s3.destination()
    first = publish_package(packages["A"], destination, ContentType.MOVIE, "film-7")
    assert first.master_key == TITLE + "master.m3u8"
    assert first.build and BUILD_RE.match(first.build)
    old = viewer_keys(moto_client, s3.bucket, first.master_key)
    old.pop(first.master_key)
    assert len(old) > 6 and all(k.startswith(TITLE + first.build + "/") for k in old)

    second = publish_package(packages["B"], destination, ContentType.MOVIE, "film-7")
    assert second.build != first.build
    assert (second.files_removed, second.old_builds_waiting) == (0, 1)
    for key, body in old.items():  # a viewer mid-stream still gets exactly the old bytes
        assert get(moto_client, s3.bucket, key) == body, key
    new = viewer_keys(moto_client, s3.bucket, second.master_key)
    assert build_of_master(new[second.master_key].decode()) == second.build
    assert not set(new) & set(old)  # new viewers get only the new build
    assert all(k.startswith(TITLE + str(second.build) + "/") for k in new if k != second.master_key)


def test_cache_headers_immutable_only_inside_a_build(
    s3: S3Setup, moto_client: Any, packages: dict[str, Path]
) -> None:
    result = publish_package(packages["A"], s3.destination(), ContentType.MOVIE, "film-7")
    for key in list_keys(moto_client, s3.bucket, TITLE):
        cache = moto_client.head_object(Bucket=s3.bucket, Key=key)["CacheControl"]
        if key.startswith(f"{TITLE}{result.build}/") and key.endswith((".ts", ".jpg", ".vtt")):
            assert "immutable" in cache, key
        else:
            assert "immutable" not in cache, key
            assert key in (TITLE + "master.m3u8", TITLE + INDEX_NAME) or key.endswith(".m3u8")


def test_old_builds_are_swept_only_after_their_grace_period(
    s3: S3Setup, moto_client: Any, packages: dict[str, Path]
) -> None:
    destination = s3.destination()
    first = publish_package(packages["A"], destination, ContentType.MOVIE, "film-7")
    swapped = time.time()
    second = publish_package(packages["B"], destination, ContentType.MOVIE, "film-7")
    old_prefix = f"{TITLE}{first.build}/"
    old_count = len(list_keys(moto_client, s3.bucket, old_prefix))

    early = sweep_title(destination, TITLE, grace_seconds=DAY, now=swapped + DAY - 60)
    assert early.removed == [] and list(early.waiting) == [first.build]
    assert len(list_keys(moto_client, s3.bucket, old_prefix)) == old_count

    dry = sweep_title(destination, TITLE, grace_seconds=DAY, now=swapped + DAY + 60, dry_run=True)
    assert dry.removed == [first.build] and dry.keys_removed == old_count
    assert len(list_keys(moto_client, s3.bucket, old_prefix)) == old_count

    late = sweep_title(destination, TITLE, grace_seconds=DAY, now=swapped + DAY + 60)
    assert late.removed == [first.build] and late.keys_removed == old_count
    assert list_keys(moto_client, s3.bucket, old_prefix) == []
    assert viewer_keys(moto_client, s3.bucket, second.master_key)  # the live build is whole
    assert build_of_master(get(moto_client, s3.bucket, second.master_key).decode()) == second.build


def test_a_later_publish_sweeps_with_the_configured_grace(
    s3: S3Setup, moto_client: Any, packages: dict[str, Path]
) -> None:
    destination = s3.destination()
    first = publish_package(packages["A"], destination, ContentType.MOVIE, "film-7")
    publish_package(packages["B"], destination, ContentType.MOVIE, "film-7")
    third = publish_package(
        packages["A"], destination, ContentType.MOVIE, "film-7", options=PublishOptions(build_grace_seconds=0)
    )
    builds = {k.removeprefix(TITLE).split("/")[0] for k in list_keys(moto_client, s3.bucket, TITLE)}
    assert builds == {third.build, "master.m3u8", INDEX_NAME}
    assert third.files_removed > 0 and third.old_builds_waiting == 0
    assert first.build not in builds


def test_resume_after_a_failed_publish_reuses_the_unfinished_build(
    s3: S3Setup, moto_client: Any, packages: dict[str, Path]
) -> None:
    live = publish_package(packages["A"], s3.destination(), ContentType.MOVIE, "film-7")
    s3.proxy.rule = always_fail_key("/stream_180p_002.ts", "503")
    with pytest.raises(StorageError):
        publish_package(packages["B"], s3.destination(max_attempts=1), ContentType.MOVIE, "film-7")
    unfinished = {k.removeprefix(TITLE).split("/")[0] for k in list_keys(moto_client, s3.bucket, TITLE)}
    unfinished -= {live.build, "master.m3u8", INDEX_NAME}
    assert len(unfinished) == 1
    assert build_of_master(get(moto_client, s3.bucket, live.master_key).decode()) == live.build
    s3.proxy.rule = None
    retry = publish_package(packages["B"], s3.destination(), ContentType.MOVIE, "film-7")
    assert retry.build == unfinished.pop()
    assert retry.files_uploaded == 2  # the failed segment and the master
    assert retry.files_skipped > 5


def test_a_title_published_before_builds_is_replaced_atomically(
    s3: S3Setup, moto_client: Any, packages: dict[str, Path]
) -> None:
    package = packages["A"]
    flat = {}
    for path in sorted(package.iterdir()):
        if not path.name.startswith("."):
            moto_client.put_object(Bucket=s3.bucket, Key=TITLE + path.name, Body=path.read_bytes())
            flat[TITLE + path.name] = path.read_bytes()
    result = publish_package(packages["B"], s3.destination(), ContentType.MOVIE, "film-7")
    assert result.old_builds_waiting == 1
    for key, body in flat.items():
        if not key.endswith("master.m3u8"):
            assert get(moto_client, s3.bucket, key) == body
    gone = sweep_title(s3.destination(), TITLE, grace_seconds=0)
    assert gone.removed == [""] and gone.keys_removed == len(flat) - 1
    assert viewer_keys(moto_client, s3.bucket, result.master_key)


def test_local_folder_has_the_same_semantics(tmp_path: Path, packages: dict[str, Path]) -> None:
    root = tmp_path / "published"
    destination = LocalDestination(root)
    first = publish_package(packages["A"], destination, ContentType.EPISODE, "ep-1")
    old_files = {p: p.read_bytes() for p in (root / "hls/episodes/ep-1" / str(first.build)).iterdir()}
    second = publish_package(packages["B"], destination, ContentType.EPISODE, "ep-1")
    assert all(p.read_bytes() == body for p, body in old_files.items())
    master = (root / "hls/episodes/ep-1/master.m3u8").read_text()
    assert build_of_master(master) == second.build
    assert all(
        (root / "hls/episodes/ep-1" / line).is_file() for line in master.splitlines() if line[:1] == "b"
    )
    (title,) = list_published(destination)
    assert (title.live_build, title.old_builds) == (second.build, 1)
    sweep_title(destination, "hls/episodes/ep-1/", grace_seconds=0)
    assert not (root / "hls/episodes/ep-1" / str(first.build)).exists()


def test_cli_gc_list_and_delete(
    s3: S3Setup,
    packages: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    moto_client: Any,
) -> None:
    for name, value in s3.env().items():
        monkeypatch.setenv(name, value)
    for package in ("A", "B"):
        args = ["publish", str(packages[package]), "--content-type", "movie", "--content-id", "film-7"]
        assert main([*args, "--replace"]) == 0
    capsys.readouterr()
    assert main(["list"]) == 0
    assert "1 old build(s) kept" in capsys.readouterr().out
    assert main(["gc"]) == 0  # the default grace (24 h) keeps the old build
    assert "1 old build kept" in capsys.readouterr().out
    before = list_keys(moto_client, s3.bucket, TITLE)
    assert main(["gc", "--grace-hours", "0", "--dry-run"]) == 0
    assert "would remove 1 old build" in capsys.readouterr().out
    assert list_keys(moto_client, s3.bucket, TITLE) == before
    assert main(["gc", "--grace-hours", "0", "--content-type", "movie", "--content-id", "film-7"]) == 0
    assert "removed 1 old build" in capsys.readouterr().out
    assert len(list_keys(moto_client, s3.bucket, TITLE)) < len(before)
    assert main(["delete", "--content-type", "movie", "--content-id", "film-7", "--yes"]) == 0
    assert list_keys(moto_client, s3.bucket, TITLE) == []
