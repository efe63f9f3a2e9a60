"""The completion webhook against a loopback HTTP server of the test's own that checks the HMAC."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

pytest.register_assert_rewrite("tests.s3server")

from hlsstudio.core.models import ContentType  # noqa: E402
from hlsstudio.core.publish import PublishOptions, publish_package  # noqa: E402
from hlsstudio.core.settings import AppSettings, DestinationSettings, load_settings, save_settings  # noqa: E402
from hlsstudio.core.storage import LocalDestination, save_webhook_secret  # noqa: E402
from tests.s3server import S3Setup, make_package  # noqa: E402

SECRET = "whsec-loopback-7f3a9"


@dataclass
class Receiver:
    """What the webhook server got, and how it answers (statuses are used in order, then 200)."""

    secret: str
    statuses: list[int] = field(default_factory=list)
    received: list[tuple[bytes, dict[str, str]]] = field(default_factory=list)
    valid_signatures: int = 0
    url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(SECRET)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            headers = {k.lower(): v for k, v in self.headers.items()}
            expected = "sha256=" + hmac.new(state.secret.encode(), body, hashlib.sha256).hexdigest()
            with state.lock:
                state.received.append((body, headers))
                if hmac.compare_digest(headers.get("x-hlsstudio-signature", ""), expected):
                    state.valid_signatures += 1
                status = state.statuses.pop(0) if state.statuses else 200
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/published"
    yield state
    server.shutdown()
    server.server_close()


def options(url: str, secret: str | None = SECRET, **kw: Any) -> PublishOptions:
    return PublishOptions(webhook_url=url, webhook_secret=secret, webhook_backoff=0.01, **kw)


def test_webhook_gets_the_result_with_a_valid_signature(
    s3: S3Setup, tmp_path: Path, receiver: Receiver
) -> None:
    make_package(tmp_path / "pkg", rungs=("360p",), segments=1)
    result = publish_package(
        tmp_path / "pkg", s3.destination(), ContentType.EPISODE, "ep-7", options=options(receiver.url)
    )
    assert result.webhook == "delivered"
    assert len(receiver.received) == 1 and receiver.valid_signatures == 1
    body, headers = receiver.received[0]
    doc = json.loads(body)
    assert headers["content-type"] == "application/json"
    assert doc["event"] == "hls.published"
    assert (doc["content_type"], doc["content_id"]) == ("episode", "ep-7")
    assert doc["hls_url"] == result.hls_url and doc["master_key"] == result.master_key
    assert doc["files_uploaded"] == result.files_uploaded
    assert doc["build"] == result.build and doc["old_builds_waiting"] == 0
    assert doc["renditions"] == []  # a package of video variants only
    assert SECRET not in body.decode()
    assert SECRET not in repr(options(receiver.url)) and SECRET not in options(receiver.url).model_dump_json()


def add_renditions(package: Path) -> None:
    """Give a fake package a French audio rendition and an English SDH subtitle rendition."""
    for name, segment in (("audio_fr.m3u8", "audio_fr_000.ts"), ("subs_s0.m3u8", "subs_s0_000.vtt")):
        (package / segment).write_bytes(b"WEBVTT\n\n" if segment.endswith(".vtt") else bytes(188))
        playlist = ["#EXTM3U", "#EXT-X-TARGETDURATION:6", "#EXTINF:6.000000,", segment, "#EXT-X-ENDLIST"]
        (package / name).write_text("\n".join(playlist) + "\n")
    media = [
        '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",NAME="Français",LANGUAGE="fr",DEFAULT=YES,AUTOSELECT=YES,'
        'CHANNELS="2",URI="audio_fr.m3u8"',
        '#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="English (SDH)",LANGUAGE="en",DEFAULT=NO,'
        "AUTOSELECT=YES,FORCED=NO,CHARACTERISTICS="
        '"public.accessibility.describes-music-and-sound,public.accessibility.transcribes-spoken-dialog",'
        'URI="subs_s0.m3u8"',
    ]
    lines = (package / "master.m3u8").read_text().splitlines()
    (package / "master.m3u8").write_text("\n".join([*lines[:3], *media, *lines[3:]]) + "\n")


def test_webhook_lists_the_renditions_with_their_published_urls(
    s3: S3Setup, tmp_path: Path, receiver: Receiver
) -> None:
    make_package(tmp_path / "pkg", rungs=("360p",), segments=1)
    add_renditions(tmp_path / "pkg")
    result = publish_package(
        tmp_path / "pkg", s3.destination(), ContentType.MOVIE, "dubbed", options=options(receiver.url)
    )
    assert result.webhook == "delivered" and receiver.valid_signatures == 1
    doc = json.loads(receiver.received[0][0])
    build = f"https://cdn.example.test/hls/movies/dubbed/{result.build}/"
    assert doc["renditions"] == [
        {"type": "audio", "group": "aud", "language": "fr", "name": "Français", "default": True,
         "forced": False, "sdh": False, "channels": 2, "bitrate": None, "playlist": "audio_fr.m3u8",
         "url": build + "audio_fr.m3u8"},
        {"type": "subtitles", "group": "subs", "language": "en", "name": "English (SDH)", "default": False,
         "forced": False, "sdh": True, "channels": None, "bitrate": None, "playlist": "subs_s0.m3u8",
         "url": build + "subs_s0.m3u8"},
    ]  # fmt: skip
    assert doc["renditions"] == [r.model_dump(mode="json") for r in result.renditions]


def test_a_wrong_secret_does_not_verify(home: Path, tmp_path: Path, receiver: Receiver) -> None:
    make_package(tmp_path / "pkg", rungs=("360p",), segments=1)
    result = publish_package(
        tmp_path / "pkg",
        LocalDestination(tmp_path / "pub"),
        ContentType.MOVIE,
        "m",
        options=options(receiver.url, secret="not-the-shared-secret"),
    )
    assert result.webhook == "delivered"  # the receiver answers 200 but the signature is wrong
    assert len(receiver.received) == 1 and receiver.valid_signatures == 0


def test_server_errors_are_retried(home: Path, tmp_path: Path, receiver: Receiver) -> None:
    make_package(tmp_path / "pkg", rungs=("360p",), segments=1)
    receiver.statuses = [503, 500]
    result = publish_package(
        tmp_path / "pkg",
        LocalDestination(tmp_path / "pub"),
        ContentType.MOVIE,
        "m",
        options=options(receiver.url),
    )
    assert result.webhook == "delivered"
    assert len(receiver.received) == 3 and receiver.valid_signatures == 3
    assert len({body for body, _ in receiver.received}) == 1


def test_a_failing_webhook_is_reported_not_fatal(home: Path, tmp_path: Path, receiver: Receiver) -> None:
    make_package(tmp_path / "pkg", rungs=("360p",), segments=1)
    receiver.statuses = [500] * 10
    result = publish_package(
        tmp_path / "pkg",
        LocalDestination(tmp_path / "pub"),
        ContentType.MOVIE,
        "m",
        options=options(receiver.url),
    )
    assert result.webhook == "failed: HTTP 500"
    assert len(receiver.received) == 3
    assert (tmp_path / "pub/hls/movies/m/master.m3u8").is_file()
    receiver.statuses = [404]
    result = publish_package(
        tmp_path / "pkg",
        LocalDestination(tmp_path / "pub"),
        ContentType.MOVIE,
        "m",
        options=options(receiver.url),
    )
    assert result.webhook == "failed: HTTP 404"
    assert len(receiver.received) == 4  # client errors are not retried


def test_webhook_from_environment_with_keyring_secret(
    home: Path, tmp_path: Path, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_package(tmp_path / "pkg", rungs=("360p",), segments=1)
    save_webhook_secret(SECRET)
    monkeypatch.setenv("HLSSTUDIO_WEBHOOK_URL", receiver.url)
    opts = PublishOptions.from_settings(DestinationSettings()).model_copy(update={"webhook_backoff": 0.01})
    result = publish_package(
        tmp_path / "pkg", LocalDestination(tmp_path / "pub"), ContentType.MOVIE, "m", options=opts
    )
    assert result.webhook == "delivered"
    assert receiver.valid_signatures == 1


def test_the_saved_settings_apply_through_the_options_the_front_ends_pass(
    s3: S3Setup, tmp_path: Path, receiver: Receiver, moto_client: Any
) -> None:
    make_package(tmp_path / "pkg", rungs=("360p",), segments=1)
    save_webhook_secret(SECRET)
    save_settings(
        AppSettings(
            destination=DestinationSettings(
                playlist_cache_control="no-store",
                segment_cache_control="max-age=99",
                webhook_url=receiver.url,
            )
        )
    )
    options = PublishOptions.from_settings(load_settings().destination)  # what the front ends pass
    result = publish_package(tmp_path / "pkg", s3.destination(), ContentType.MOVIE, "saved", options=options)
    assert result.webhook == "delivered" and receiver.valid_signatures == 1
    head = moto_client.head_object(Bucket=s3.bucket, Key="hls/movies/saved/master.m3u8")
    assert head["CacheControl"] == "no-store"
    build = f"hls/movies/saved/{result.build}/"
    head = moto_client.head_object(Bucket=s3.bucket, Key=build + "stream_360p.m3u8")
    assert head["CacheControl"] == "no-store"
    head = moto_client.head_object(Bucket=s3.bucket, Key=build + "stream_360p_000.ts")
    assert head["CacheControl"] == "max-age=99"
