"""The farm's settings (file < environment < command line), its store, and ``hlsstudio-worker doctor``
run as a real process against a real Redis and the moto bucket."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from hlsstudio.core.errors import ConfigError
from hlsstudio.core.settings import DestinationSettings
from hlsstudio.core.storage.local import LocalDestination
from hlsstudio.core.storage.s3 import S3Destination
from hlsstudio.farm.app import make_app
from hlsstudio.farm.config import FarmConfig, load_config
from hlsstudio.farm.store import farm_store, source_key
from tests.farm.conftest import bucket_env
from tests.farm.farmlab import WORKER, RedisServer, farm_env, free_port


def test_environment_beats_the_file_and_the_command_line_beats_both(tmp_path: Path) -> None:
    file = tmp_path / "farm.toml"
    file.write_text('[farm]\nredis_url = "redis://file:6379/0"\nchunk_seconds = 30\nqueues = "gpu,io"\n')
    env = {
        "HLSSTUDIO_FARM_CONFIG": str(file),
        "HLSSTUDIO_FARM_CHUNK": "45",
        "HLSSTUDIO_FARM_CONCURRENCY": "3",
    }
    config = load_config(environ=env, concurrency=2)
    assert config.redis_url == "redis://file:6379/0"
    assert config.chunk_seconds == 45
    assert config.concurrency == 2
    assert config.queues == ("gpu", "io")
    assert config.visibility_timeout == 7200  # the default: longer than any chunk


def test_a_bad_setting_names_its_variable() -> None:
    with pytest.raises(ConfigError, match="HLSSTUDIO_FARM_QUEUES"):
        load_config(environ={"HLSSTUDIO_FARM_QUEUES": "cpu,video"})
    with pytest.raises(ConfigError, match="HLSSTUDIO_FARM_VISIBILITY"):
        load_config(environ={"HLSSTUDIO_FARM_VISIBILITY": "soon"})


def test_the_redis_address_never_shows_the_password() -> None:
    config = FarmConfig(redis_url="redis://:s3cret@farm.example:6380/2")
    assert config.redis_address == "farm.example:6380/2"


def test_the_celery_app_carries_the_reliability_settings() -> None:
    config = FarmConfig(redis_url="redis://127.0.0.1:1/0", visibility_timeout=900, restore_interval=5)
    conf = make_app(config).conf
    assert conf.task_acks_late and conf.task_reject_on_worker_lost
    assert conf.worker_prefetch_multiplier == 1
    assert conf.broker_transport_options["visibility_timeout"] == 900
    assert conf.broker_transport_options["unacked_restore_interval"] == 5
    assert {q.name for q in conf.task_queues} == {"gpu", "cpu", "io"}


def test_the_store_is_the_bucket_or_a_shared_folder(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="needs the bucket"):
        farm_store(FarmConfig(), DestinationSettings(), environ={})
    assert isinstance(farm_store(FarmConfig(folder=str(tmp_path)), environ={}), LocalDestination)
    env = {"R2_BUCKET_NAME": "b", "R2_ENDPOINT_URL": "http://127.0.0.1:9", "R2_ACCESS_KEY_ID": "k",
           "R2_SECRET_ACCESS_KEY": "s"}  # fmt: skip
    assert isinstance(farm_store(FarmConfig(), DestinationSettings(), environ=env), S3Destination)


def test_a_source_is_keyed_by_name_size_and_time(tmp_path: Path) -> None:
    source = tmp_path / "My Film (2024).mov"
    source.write_bytes(b"x" * 10)
    key = source_key(source)
    assert key.startswith("sources/") and key.endswith("/My_Film_2024_.mov")
    assert source_key(source) == key
    source.write_bytes(b"y" * 11)
    assert source_key(source) != key


def doctor(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(WORKER), "doctor"], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_doctor_checks_ffmpeg_redis_and_the_bucket(
    tmp_path: Path, moto_server: tuple[str, int], bucket: str, moto_client: Any
) -> None:
    redis = RedisServer(tmp_path / "redis").start()
    try:
        healthy = doctor(farm_env(redis.url, bucket_env(moto_server, bucket), HLSSTUDIO_FARM_QUEUES="cpu,io"))
    finally:
        redis.stop()
    assert healthy.returncode == 0, healthy.stdout + healthy.stderr
    lines = healthy.stdout.splitlines()
    assert [line[:2] for line in lines] == ["ok", "--", "ok", "ok", "ok"], lines  # NVENC: not needed for cpu
    assert lines[0].startswith("ok  FFmpeg: ") and lines[2].startswith("ok  Redis: 127.0.0.1:")
    assert lines[4].startswith("ok  Quality: VMAF")  # an I/O worker measures what it publishes

    nobody = f"redis://127.0.0.1:{free_port()}/0"
    broken = doctor(
        farm_env(nobody, bucket_env(moto_server, "no-such-bucket"), HLSSTUDIO_FARM_QUEUES="gpu,io")
    )
    assert broken.returncode == 1
    marks = {line.split(":")[0] for line in broken.stdout.splitlines()}
    assert {"!!  NVENC", "!!  Redis", "!!  Bucket"} <= marks, broken.stdout
