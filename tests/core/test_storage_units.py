"""Storage building blocks: content types, cache headers, content ids, ETags, configuration, secrets."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import pytest

pytest.register_assert_rewrite("tests.s3server")

from hlsstudio.core.errors import ConfigError  # noqa: E402
from hlsstudio.core.logs import redact  # noqa: E402
from hlsstudio.core.models import ContentType  # noqa: E402
from hlsstudio.core.settings import AppSettings, DestinationSettings, save_settings  # noqa: E402
from hlsstudio.core.storage import (  # noqa: E402
    LocalDestination,
    S3Destination,
    cache_control_for,
    content_prefix,
    content_type_for,
    destination_from_settings,
    load_secret_key,
    load_webhook_secret,
    resolve_r2_config,
    resolve_webhook,
    save_secret_key,
    save_webhook_secret,
    validate_content_id,
)
from hlsstudio.core.storage.hashing import etag_matches, md5_file, multipart_etag  # noqa: E402
from hlsstudio.core.webhook import send_webhook, sign  # noqa: E402

MIB = 1024 * 1024


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("master.m3u8", "application/vnd.apple.mpegurl"),
        ("stream_360p_000.ts", "video/mp2t"),
        ("STREAM_360P_000.TS", "video/mp2t"),
        ("seg_001.m4s", "video/iso.segment"),
        ("init.mp4", "video/mp4"),
        ("thumbs.vtt", "text/vtt"),
        ("thumb_000.jpg", "image/jpeg"),
        ("manifest.json", "application/json"),
        ("notes.xyz", "application/octet-stream"),
        ("no_extension", "application/octet-stream"),
    ],
)
def test_content_types_come_from_the_explicit_map(name: str, expected: str) -> None:
    assert content_type_for(name) == expected


def test_cache_control_short_for_playlists_long_for_segments_and_images() -> None:
    kw = {"segment_cache_control": "long", "playlist_cache_control": "short"}
    assert cache_control_for("master.m3u8", **kw) == "short"
    assert cache_control_for("stream_720p.m3u8", **kw) == "short"
    assert cache_control_for("stream_720p_003.ts", **kw) == "long"
    assert cache_control_for("thumb_000.jpg", **kw) == "long"
    assert cache_control_for("poster.jpg", **kw) == "long"


@pytest.mark.parametrize("good", ["a", "Movie_2024-final", "x" * 128, "0"])
def test_safe_content_ids_pass(good: str) -> None:
    assert validate_content_id(good) == good


@pytest.mark.parametrize("bad", ["", "../x", "a b", "a/b", "x" * 129, "é", "a.b", "..", "a\nb", " a"])
def test_unsafe_content_ids_are_refused(bad: str) -> None:
    with pytest.raises(ConfigError) as info:
        content_prefix(ContentType.MOVIE, bad)
    assert "invalid content id" in info.value.message


def test_content_prefix_uses_the_type_folder() -> None:
    assert content_prefix(ContentType.MOVIE, "abc") == "hls/movies/abc/"
    assert content_prefix(ContentType.EPISODE, "s01e02") == "hls/episodes/s01e02/"


def test_single_and_multipart_etags_are_computed_locally(tmp_path: Path) -> None:
    data = bytes(range(256)) * (44 * 1024)  # 11 MiB
    path = tmp_path / "big.bin"
    path.write_bytes(data)
    parts = [data[i : i + 5 * MIB] for i in range(0, len(data), 5 * MIB)]
    expected = hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest() + "-3"
    assert multipart_etag(path, 5 * MIB) == expected
    assert etag_matches(f'"{expected}"', path, len(data), 5 * MIB)
    assert etag_matches(hashlib.md5(data).hexdigest(), path, len(data), 5 * MIB)
    assert md5_file(path) == hashlib.md5(data).hexdigest()
    assert not etag_matches(expected.replace("-3", "-2"), path, len(data), 5 * MIB)
    assert not etag_matches("", path, len(data), 5 * MIB)
    # A part size below the S3 minimum is raised to 5 MiB, exactly as the uploader does.
    assert etag_matches(expected, path, len(data), 1 * MIB)


def test_no_bucket_means_the_local_folder(home: Path) -> None:
    destination = destination_from_settings(DestinationSettings())
    assert isinstance(destination, LocalDestination)
    assert destination.root == (home / "data" / "published").resolve()
    custom = destination_from_settings(
        DestinationSettings(local_dir=str(home / "pub"), local_base_url="http://x/")
    )
    assert isinstance(custom, LocalDestination)
    assert custom.public_url("hls/movies/a/master.m3u8") == "http://x/hls/movies/a/master.m3u8"


def test_environment_beats_dotenv_beats_settings_per_field(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = DestinationSettings(
        bucket="from-settings",
        account_id="acct-settings",
        access_key_id="KEY-SETTINGS",
        public_url="https://s",
    )
    (Path.cwd() / ".env").write_text("R2_BUCKET_NAME=from-dotenv\nR2_SECRET_ACCESS_KEY=dotenv-secret-value\n")
    (home / "config").mkdir(exist_ok=True)
    (home / "config" / ".env").write_text("R2_BUCKET_NAME=from-config-dotenv\nR2_PUBLIC_URL=https://cfg\n")
    monkeypatch.setenv("R2_ACCESS_KEY_ID", "KEY-ENV")
    config = resolve_r2_config(settings)
    assert config is not None
    assert config.bucket == "from-dotenv"  # ./.env before the config dir's .env
    assert config.public_url == "https://cfg"
    assert config.access_key_id == "KEY-ENV"
    assert config.account_id == "acct-settings"
    assert config.secret_access_key == "dotenv-secret-value"
    assert config.endpoint_url == "https://acct-settings.r2.cloudflarestorage.com"
    assert config.region == "auto"
    assert config.sources == {
        "bucket": ".env",
        "public_url": ".env",
        "access_key_id": "environment",
        "account_id": "settings",
        "secret_access_key": ".env",
    }
    assert "dotenv-secret-value" not in repr(config)
    monkeypatch.setenv("R2_BUCKET_NAME", "from-env")
    assert resolve_r2_config(settings).bucket == "from-env"  # type: ignore[union-attr]


def test_secret_key_comes_from_the_keyring_when_not_in_the_environment(home: Path) -> None:
    settings = DestinationSettings(bucket="b", endpoint_url="http://127.0.0.1:9", access_key_id="AKID1")
    with pytest.raises(ConfigError) as info:
        resolve_r2_config(settings)
    assert "Secret access key" in info.value.message
    save_secret_key("keyring-secret-123456", "AKID1")
    config = resolve_r2_config(settings)
    assert config is not None
    assert config.secret_access_key == "keyring-secret-123456"
    assert config.sources["secret_access_key"] == "keyring"
    assert config.region == "us-east-1"  # not an R2 endpoint
    destination = destination_from_settings(settings)
    assert isinstance(destination, S3Destination)
    assert "keyring-secret-123456" not in repr(destination)


def test_incomplete_bucket_configuration_is_a_config_error(home: Path) -> None:
    with pytest.raises(ConfigError, match="Account ID"):
        resolve_r2_config(DestinationSettings(bucket="b"))
    with pytest.raises(ConfigError, match="Access key ID"):
        resolve_r2_config(DestinationSettings(bucket="b", account_id="a"))


def test_secrets_live_in_the_keyring_and_are_redacted(home: Path) -> None:
    import keyring

    assert load_secret_key("AKID") is None
    save_secret_key("first-secret-value")  # no access key id yet: the fallback user
    assert keyring.get_password("HLSStudio", "r2-secret") == "first-secret-value"
    assert load_secret_key("AKID") == "first-secret-value"
    save_secret_key("per-key-secret-value", "AKID")
    assert keyring.get_password("HLSStudio", "AKID") == "per-key-secret-value"
    assert load_secret_key("AKID") == "per-key-secret-value"
    save_webhook_secret("hook-secret-value")
    assert load_webhook_secret() == "hook-secret-value"
    assert redact("x per-key-secret-value hook-secret-value") == "x *** ***"
    # Nothing of it in the settings file.
    path = save_settings(AppSettings())
    assert "secret-value" not in path.read_text()


def test_webhook_config_resolution(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert resolve_webhook(DestinationSettings()).url == ""
    save_webhook_secret("kr-hook-secret")
    hook = resolve_webhook(DestinationSettings(webhook_url="http://127.0.0.1:9/hook"))
    assert (hook.url, hook.secret) == ("http://127.0.0.1:9/hook", "kr-hook-secret")
    assert "kr-hook-secret" not in repr(hook)
    monkeypatch.setenv("HLSSTUDIO_WEBHOOK_URL", "http://127.0.0.1:9/env")
    monkeypatch.setenv("HLSSTUDIO_WEBHOOK_SECRET", "env-hook-secret")
    hook = resolve_webhook(DestinationSettings(webhook_url="http://127.0.0.1:9/hook"))
    assert (hook.url, hook.secret) == ("http://127.0.0.1:9/env", "env-hook-secret")


def test_signature_is_hmac_sha256_of_the_body() -> None:
    body = b'{"a":1}'
    assert sign(body, "k3y") == "sha256=" + hmac.new(b"k3y", body, hashlib.sha256).hexdigest()


def test_unreachable_webhook_is_retried_then_reported_not_raised() -> None:
    import socket

    with socket.socket() as s:  # a port that was free a moment ago: connection refused
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    waits: list[float] = []
    outcome = send_webhook(f"http://127.0.0.1:{port}/h", {"x": 1}, secret="s", attempts=3, sleep=waits.append)
    assert outcome.startswith("failed: connection error")
    assert waits == [0.5, 1.0]
    assert send_webhook("ftp://example.test/h", {}).startswith("failed:")


def test_destinations_with_the_same_settings_share_one_client() -> None:
    def destination(secret: str = "s3cret-one", attempts: int = 5) -> S3Destination:
        return S3Destination(
            bucket="media",
            endpoint_url="http://127.0.0.1:9/",
            access_key_id="AKIA-SHARED",
            secret_access_key=secret,
            max_attempts=attempts,
        )

    first, again = destination(), destination()
    assert first.client is again.client  # the second publish reuses the pool of the first
    assert destination(secret="s3cret-two").client is not first.client
    assert destination(attempts=2).client is not first.client
