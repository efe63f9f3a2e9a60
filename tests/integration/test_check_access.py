"""Destination.check_access against a real loopback S3 endpoint and a local folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from hlsstudio.core.errors import StorageError
from hlsstudio.core.storage.local import LocalDestination
from tests.s3server import S3Setup


def test_reachable_bucket(s3: S3Setup) -> None:
    assert s3.bucket in s3.destination().check_access()


def test_missing_bucket_is_named(s3: S3Setup) -> None:
    with pytest.raises(StorageError, match="does not exist"):
        s3.destination(bucket="no-such-bucket-here").check_access()


def test_refused_request_gives_a_reason_without_the_secret(s3: S3Setup) -> None:
    s3.proxy.rule = lambda request: "403"
    with pytest.raises(StorageError) as info:
        s3.destination(max_attempts=1).check_access()
    assert info.value.message.startswith("connection failed:")
    assert s3.secret not in info.value.message + info.value.detail


def test_unreachable_endpoint(s3: S3Setup) -> None:
    with pytest.raises(StorageError, match="connection failed"):
        s3.destination(endpoint_url="http://127.0.0.1:9", max_attempts=1).check_access()


def test_local_folder_is_created_and_checked(tmp_path: Path) -> None:
    root = tmp_path / "published" / "here"
    assert "writable" in LocalDestination(root).check_access()
    assert root.is_dir() and list(root.iterdir()) == []
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(StorageError, match="cannot write"):
        LocalDestination(blocker / "sub").check_access()
