"""Test fixtures for publishing: a moto S3 server on loopback, a recording/fault-injecting proxy in
front of it, an in-memory keyring backend, and fake HLS packages with the real layout.

The root conftest registers it as a plugin (``pytest_plugins``). Subprocesses started from the
repository root use the keyring with ``PYTHON_KEYRING_BACKEND=tests.s3server.MemoryKeyring``.
"""

from __future__ import annotations

import http.client
import random
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError

from hlsstudio.core.storage.config import DESTINATION_ENV

ACCESS_KEY_ID = "AKIDHLSSTUDIOTEST"
PUBLIC_URL = "https://cdn.example.test"
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailers",
    "transfer-encoding",
    "upgrade",
    "expect",
    "content-length",
}


class MemoryKeyring(KeyringBackend):
    """A keyring backend that keeps passwords in a dict (never the OS keyring)."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.store.pop((service, username), None) is None:
            raise PasswordDeleteError("not found")


# --------------------------------------------------------------------------- recording proxy


@dataclass
class Recorded:
    """One request the proxy saw; ``status`` None when the connection was dropped."""

    seq: int
    method: str
    path: str
    query: str
    headers: dict[str, str]
    status: int | None = None
    done_seq: int = -1
    fault: str | None = None
    body: bytes = b""

    @property
    def key(self) -> str:
        """The object key for path-style requests (``/bucket/key``), else ''."""
        parts = self.path.lstrip("/").split("/", 1)
        return parts[1] if len(parts) == 2 else ""

    @property
    def is_object_write(self) -> bool:
        """PutObject or CompleteMultipartUpload (the requests that make an object visible)."""
        if self.method == "PUT" and "partNumber=" not in self.query and self.key:
            return True
        return self.method == "POST" and "uploadId=" in self.query

    @property
    def is_delete_objects(self) -> bool:
        return self.method == "POST" and "delete" in self.query.split("&")[0]


Rule = Callable[[Recorded], str | None]
"""Decides a fault for a request: None (forward), "500", "503", "403" or "drop"."""


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # dropped connections are on purpose


class FaultProxy:
    """A reverse HTTP proxy on 127.0.0.1 that forwards to moto, records requests and injects faults."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.requests: list[Recorded] = []
        self.rule: Rule | None = None
        self.error_body_extra = ""
        self._lock = threading.Lock()
        self._seq = 0
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                proxy.handle(self)

            def do_PUT(self) -> None:
                proxy.handle(self)

            def do_POST(self) -> None:
                proxy.handle(self)

            def do_DELETE(self) -> None:
                proxy.handle(self)

            def do_HEAD(self) -> None:
                proxy.handle(self)

        self.server = _QuietServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> FaultProxy:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def next_seq(self) -> int:
        with self._lock:
            self._seq += 1
            return self._seq

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()

    def handle(self, h: BaseHTTPRequestHandler) -> None:
        split = urlsplit(h.path)
        body = _read_body(h)
        record = Recorded(
            self.next_seq(),
            h.command,
            unquote(split.path),
            split.query,
            {k.lower(): v for k, v in h.headers.items()},
            body=body if h.command == "POST" else b"",
        )
        with self._lock:
            self.requests.append(record)
        record.fault = self.rule(record) if self.rule else None
        if record.fault == "drop":
            h.close_connection = True
            h.connection.shutdown(socket.SHUT_RDWR)
        elif record.fault:
            record.status = int(record.fault)
            _send_error(h, record.status, self.error_body_extra)
        else:
            record.status = self._forward(h, body)
        record.done_seq = self.next_seq()

    def _forward(self, h: BaseHTTPRequestHandler, body: bytes) -> int:
        conn = http.client.HTTPConnection(*self.upstream, timeout=60)
        headers = {k: v for k, v in h.headers.items() if k.lower() not in HOP_BY_HOP}
        if body or h.command in ("PUT", "POST"):
            headers["Content-Length"] = str(len(body))
        try:
            conn.request(h.command, h.path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
        finally:
            conn.close()
        h.send_response(response.status)
        for name, value in response.getheaders():
            if name.lower() not in HOP_BY_HOP or (h.command == "HEAD" and name.lower() == "content-length"):
                h.send_header(name, value)
        if h.command != "HEAD":
            h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        if h.command != "HEAD":
            h.wfile.write(data)
        return response.status

    # ---- helpers for assertions

    def writes(self) -> list[Recorded]:
        """Object-making requests that succeeded, in order of completion."""
        done = [r for r in self.requests if r.is_object_write and r.status == 200]
        return sorted(done, key=lambda r: r.done_seq)

    def headers_seen(self, name: str) -> list[str]:
        return [r.headers[name] for r in self.requests if name in r.headers]


def _read_body(h: BaseHTTPRequestHandler) -> bytes:
    if h.headers.get("Transfer-Encoding", "").lower() == "chunked":
        chunks = []
        while True:
            size = int(h.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while h.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                break
            chunks.append(h.rfile.read(size))
            h.rfile.readline()
        return b"".join(chunks)
    length = int(h.headers.get("Content-Length") or 0)
    return h.rfile.read(length) if length else b""


def _send_error(h: BaseHTTPRequestHandler, status: int, extra: str) -> None:
    code = {500: "InternalError", 503: "SlowDown", 403: "SignatureDoesNotMatch"}.get(status, "Error")
    body = (
        f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{code}</Code>"
        f"<Message>injected by the test proxy {extra}</Message></Error>"
    ).encode()
    h.send_response(status)
    h.send_header("Content-Type", "application/xml")
    h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    if h.command != "HEAD":
        h.wfile.write(body)


def flaky_rule(seed: int, share: float) -> Rule:
    """Fail a seeded share of requests once each; retries pass. The failures take turns being a
    500, a 503 and a dropped connection, so three or more failures show every kind."""
    failed: list[str] = []
    lock = threading.Lock()

    def rule(req: Recorded) -> str | None:
        identity = f"{req.method} {req.key}?{req.query}"  # the bucket name varies between runs
        if random.Random(f"{seed}:{identity}").random() >= share:
            return None
        with lock:
            if identity in failed:
                return None
            failed.append(identity)
            return ("500", "503", "drop")[(len(failed) - 1) % 3]

    return rule


def always_fail_key(suffix: str, action: str = "500") -> Rule:
    """Fail every request for an object whose key ends with ``suffix``."""
    return lambda req: action if req.key.endswith(suffix) else None


# --------------------------------------------------------------------------- packages


def make_package(
    folder: Path, rungs: tuple[str, ...] = ("360p", "720p"), segments: int = 3, seed: int = 1
) -> list[str]:
    """Write a fake package with the real layout; return the relative file names."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    names: list[str] = []
    master = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-INDEPENDENT-SEGMENTS"]
    for i, rung in enumerate(rungs):
        playlist = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-TARGETDURATION:6", "#EXT-X-PLAYLIST-TYPE:VOD"]
        for n in range(segments):
            name = f"stream_{rung}_{n:03d}.ts"
            (folder / name).write_bytes(rng.randbytes(2000 + 1000 * i + n))
            playlist += ["#EXTINF:6.000000,", name]
            names.append(name)
        playlist.append("#EXT-X-ENDLIST")
        (folder / f"stream_{rung}.m3u8").write_text("\n".join(playlist) + "\n")
        names.append(f"stream_{rung}.m3u8")
        master += [
            f"#EXT-X-STREAM-INF:BANDWIDTH={800000 * (i + 1)},RESOLUTION=640x360",
            f"stream_{rung}.m3u8",
        ]
    for n in range(2):
        (folder / f"thumb_{n:03d}.jpg").write_bytes(b"\xff\xd8\xff" + rng.randbytes(500))
        names.append(f"thumb_{n:03d}.jpg")
    (folder / "poster.jpg").write_bytes(b"\xff\xd8\xff" + rng.randbytes(900))
    (folder / "master.m3u8").write_text("\n".join(master) + "\n")
    return sorted([*names, "poster.jpg", "master.m3u8"])


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def moto_server() -> Iterator[tuple[str, int]]:
    """A ThreadedMotoServer on 127.0.0.1 (random port); yields (host, port)."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    yield server.get_host_and_port()
    server.stop()


@pytest.fixture
def home(hlsstudio_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The test's HLSSTUDIO_HOME, with no R2/webhook variables, a fresh in-memory keyring and the
    current directory in tmp (so no stray ``./.env`` is read)."""
    for name in DESTINATION_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    keyring.set_keyring(MemoryKeyring())
    return hlsstudio_home


@pytest.fixture
def moto_client(moto_server: tuple[str, int]) -> Any:
    """A boto3 client talking to moto directly (for setting up and inspecting buckets)."""
    return inspector_client(moto_server)


def inspector_client(moto_server: tuple[str, int]) -> Any:
    """A boto3 client talking to moto at ``moto_server`` directly (setting up and inspecting buckets)."""
    import boto3
    from botocore.config import Config

    host, port = moto_server
    return boto3.client(
        "s3",
        endpoint_url=f"http://{host}:{port}",
        aws_access_key_id="inspector",
        aws_secret_access_key="inspector-secret",
        region_name="us-east-1",
        config=Config(s3={"addressing_style": "path"}),
    )


@pytest.fixture
def bucket(moto_client: Any) -> str:
    """A fresh, empty bucket."""
    name = f"b-{uuid.uuid4().hex[:12]}"
    moto_client.create_bucket(Bucket=name)
    return name


@pytest.fixture
def proxy(moto_server: tuple[str, int]) -> Iterator[FaultProxy]:
    """A recording, fault-injecting proxy in front of moto."""
    p = FaultProxy(moto_server).start()
    yield p
    p.stop()


@dataclass
class S3Setup:
    """What a test needs to build destinations against the proxy."""

    bucket: str
    proxy: FaultProxy
    secret: str = field(default="s3cr3t-Zq9-HLS-unique-0xC0FFEE", repr=False)

    def destination(self, **kwargs: Any) -> Any:
        from hlsstudio.core.storage import S3Destination

        params: dict[str, Any] = {
            "bucket": self.bucket,
            "endpoint_url": self.proxy.url,
            "access_key_id": ACCESS_KEY_ID,
            "secret_access_key": self.secret,
            "region": "us-east-1",
            "public_url": PUBLIC_URL,
            "max_attempts": 3,
        }
        params.update(kwargs)
        return S3Destination(**params)

    def env(self) -> dict[str, str]:
        return {
            "R2_ACCESS_KEY_ID": ACCESS_KEY_ID,
            "R2_SECRET_ACCESS_KEY": self.secret,
            "R2_BUCKET_NAME": self.bucket,
            "R2_ENDPOINT_URL": self.proxy.url,
            "R2_PUBLIC_URL": PUBLIC_URL,
        }


@pytest.fixture
def s3(home: Path, bucket: str, proxy: FaultProxy) -> S3Setup:
    """Bucket + proxy + credentials, in an isolated home."""
    return S3Setup(bucket, proxy)


def object_map(client: Any, bucket: str, prefix: str = "") -> dict[str, dict[str, Any]]:
    """key -> head_object response of everything under ``prefix`` (read from moto directly)."""
    found: dict[str, dict[str, Any]] = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            found[item["Key"]] = client.head_object(Bucket=bucket, Key=item["Key"])
    return found


def list_keys(client: Any, bucket: str, prefix: str = "") -> list[str]:
    """Sorted keys under ``prefix`` (read from moto directly, listing only)."""
    keys: list[str] = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys += [item["Key"] for item in page.get("Contents", [])]
    return sorted(keys)
