"""Fixtures of the farm tests: a real Redis, real ``hlsstudio-worker`` processes, moto as the bucket.

``farm`` starts one loopback ``redis-server`` and two workers (one pool process each, serving the CPU
and I/O queues), waits until both answer, and gives the test a ``Farm``: the desktop's ``FarmClient``,
the store, the workers and Redis. Teardown stops the workers (SIGTERM, then SIGKILL for whatever is
left of them and their children) and Redis, and checks that no process of theirs outlived them.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from hlsstudio.core.settings import DestinationSettings
from hlsstudio.core.storage.base import Destination
from hlsstudio.core.storage.config import DESTINATION_ENV
from hlsstudio.farm.config import FarmConfig, load_config
from hlsstudio.farm.store import farm_store
from hlsstudio.farm.submit import FarmClient
from tests.farm.farmlab import FarmWorker, RedisServer, alive, farm_env, wait_until
from tests.mediasamples import MediaSet
from tests.s3server import inspector_client

ACCESS_KEY = "farm-test-key"
SECRET_KEY = "farm-test-secret-value"
PUBLIC_URL = "https://cdn.example.test"
WORKERS_UP = 120.0
FARM_CUTS = {"HLSSTUDIO_FARM_CHUNK": "6", "HLSSTUDIO_FARM_SPLIT_OVER": "5"}
"""Chunks of about 6 s, every title over 5 s split: the 20 s test title makes 4 chunks."""


@pytest.fixture(scope="module", autouse=True)
def _farm_parts() -> None:
    """Skip (or fail under CI) when redis-server is not installed."""
    if shutil.which("redis-server") or Path("/usr/bin/redis-server").exists():
        return
    if os.environ.get("CI"):
        pytest.fail("redis-server is missing: scripts/setup.sh --test installs it")
    pytest.skip("redis-server is not installed (scripts/setup.sh --test installs it)")


@dataclass
class Farm:
    """A running farm and the desktop's view of it."""

    redis: RedisServer
    workers: list[FarmWorker]
    client: FarmClient
    store: Destination
    config: FarmConfig
    bucket: str
    moto: Any
    env: dict[str, str]

    def keys(self, prefix: str = "") -> list[str]:
        """Every key in the bucket under ``prefix`` (read from moto directly)."""
        pages = self.moto.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix)
        return sorted(item["Key"] for page in pages for item in page.get("Contents", []))

    def ffmpeg_pids(self) -> set[int]:
        return {pid for worker in self.workers for pid in worker.ffmpeg_pids()}

    def logs(self) -> str:
        return "\n".join(f"--- {w.name}\n{w.log_text()[-4000:]}" for w in self.workers)


def s3_client(moto_server: tuple[str, int]) -> Any:
    """A boto3 client talking to moto directly (setting up and inspecting buckets)."""
    return inspector_client(moto_server)


def bucket_env(moto_server: tuple[str, int], bucket: str) -> dict[str, str]:
    host, port = moto_server
    return {
        "R2_PUBLIC_URL": PUBLIC_URL,
        "R2_BUCKET_NAME": bucket,
        "R2_ENDPOINT_URL": f"http://{host}:{port}",
        "R2_ACCESS_KEY_ID": ACCESS_KEY,
        "R2_SECRET_ACCESS_KEY": SECRET_KEY,
    }


@contextmanager
def started_farm(folder: Path, moto_server: tuple[str, int], moto_client: Any, **env: str) -> Iterator[Farm]:
    """Redis, two workers and the desktop's client in ``folder`` with a fresh bucket; all stopped (and
    checked gone) at the end."""
    bucket = f"farm-{uuid.uuid4().hex[:12]}"
    moto_client.create_bucket(Bucket=bucket)
    redis = RedisServer(folder / "redis").start()
    environ = farm_env(redis.url, bucket_env(moto_server, bucket), **env)
    config = load_config(environ=environ)
    store = farm_store(config, DestinationSettings(), environ=environ)
    workers = [FarmWorker(name, environ, folder) for name in ("alpha", "beta")]
    client = FarmClient(config, store)
    below: set[int] = set()
    try:
        for worker in workers:
            worker.start()
        wait_until(
            lambda: len(client.live_queues().get("cpu", [])) == 2, WORKERS_UP, "both workers to answer"
        )
        yield Farm(redis, workers, client, store, config, bucket, moto_client, environ)
    finally:
        for worker in workers:
            below |= worker.pids()
            worker.stop()
        client.close()
        redis.stop()
    left = {pid for pid in below if alive(pid)}
    assert not left, f"processes outlived the farm: {left}"


@contextmanager
def publishing_farm(folder: Path, moto_server: tuple[str, int]) -> Iterator[tuple[Farm, DestinationSettings]]:
    """A farm (``FARM_CUTS``) whose bucket is also where jobs publish: the app's home in ``folder``, no
    destination from the environment but the farm's ``R2_*`` (where a publisher finds the secret)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HLSSTUDIO_HOME", str(folder / "home"))
        mp.chdir(folder)
        for name in DESTINATION_ENV:
            mp.delenv(name, raising=False)
        with started_farm(folder, moto_server, inspector_client(moto_server), **FARM_CUTS) as farm:
            for name, value in farm.env.items():
                if name.startswith("R2_"):
                    mp.setenv(name, value)
            destination = DestinationSettings(
                bucket=farm.bucket, endpoint_url=farm.env["R2_ENDPOINT_URL"], access_key_id=ACCESS_KEY,
                public_url=PUBLIC_URL,
            )  # fmt: skip
            yield farm, destination


@pytest.fixture
def farm(
    tmp_path: Path, moto_server: tuple[str, int], moto_client: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Farm]:
    """A farm of its own for one test (see the module docstring)."""
    monkeypatch.chdir(tmp_path)  # no stray ./.env
    with started_farm(tmp_path, moto_server, moto_client, **FARM_CUTS) as running:
        yield running


@pytest.fixture(scope="session")
def title(media: MediaSet) -> Path:
    """The farm's test title: 20 s of 320x180 at 25 fps with a stereo tone."""
    return media.clip(duration=20.0, width=320, height=180, fps=25)
