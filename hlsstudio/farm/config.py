"""The farm's settings, the same on every desktop and worker: from the environment, else a TOML file.

=============================  ===================  ==================================================
environment                    file key             meaning (default)
=============================  ===================  ==================================================
``HLSSTUDIO_REDIS_URL``        ``redis_url``        broker and coordination store (redis://localhost:6379/0)
``HLSSTUDIO_FARM_QUEUES``      ``queues``           queues a worker serves: gpu, cpu, io (gpu,io with a
                                                    working NVENC, else cpu,io)
``HLSSTUDIO_FARM_CONCURRENCY`` ``concurrency``      tasks one worker runs at once (1)
``HLSSTUDIO_FARM_POOL``        ``pool``             prefork or solo (prefork)
``HLSSTUDIO_FARM_VISIBILITY``  ``visibility_timeout`` s before an unacknowledged task is given to another
                                                    worker; longer than the longest chunk (7200)
``HLSSTUDIO_FARM_RESTORE``     ``restore_interval`` s between sweeps for such tasks (30)
``HLSSTUDIO_FARM_CHUNK``       ``chunk_seconds``    about how long a chunk is (60)
``HLSSTUDIO_FARM_SPLIT_OVER``  ``split_over``       titles longer than this are split (300)
``HLSSTUDIO_FARM_ATTEMPTS``    ``max_attempts``     starts of one chunk before the job fails (3)
``HLSSTUDIO_FARM_GRACE``       ``redis_grace``      s a desktop waits for an unreachable Redis (120)
``HLSSTUDIO_FARM_FOLDER``      ``folder``           a shared folder instead of the bucket (unset)
=============================  ===================  ==================================================

The file is ``HLSSTUDIO_FARM_CONFIG`` (or ``hlsstudio-worker --config FILE``); the environment wins.
The bucket is the app's own: the ``R2_*`` variables (``core.storage.config``). The visibility timeout
must be the same on every client and worker: Redis redelivers a task held longer than it.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from hlsstudio.core.errors import ConfigError

CONFIG_ENV = "HLSSTUDIO_FARM_CONFIG"
QUEUES = ("gpu", "cpu", "io")
ENV_KEYS: dict[str, str] = {
    "redis_url": "HLSSTUDIO_REDIS_URL",
    "queues": "HLSSTUDIO_FARM_QUEUES",
    "concurrency": "HLSSTUDIO_FARM_CONCURRENCY",
    "pool": "HLSSTUDIO_FARM_POOL",
    "visibility_timeout": "HLSSTUDIO_FARM_VISIBILITY",
    "restore_interval": "HLSSTUDIO_FARM_RESTORE",
    "chunk_seconds": "HLSSTUDIO_FARM_CHUNK",
    "split_over": "HLSSTUDIO_FARM_SPLIT_OVER",
    "max_attempts": "HLSSTUDIO_FARM_ATTEMPTS",
    "redis_grace": "HLSSTUDIO_FARM_GRACE",
    "folder": "HLSSTUDIO_FARM_FOLDER",
}


class FarmConfig(BaseModel):
    """How to reach the farm and how it cuts and runs work (see the module docstring)."""

    model_config = ConfigDict(frozen=True)

    redis_url: str = "redis://localhost:6379/0"
    queues: tuple[str, ...] = ()  # none: decided by the worker (``worker.default_queues``)
    concurrency: int = Field(default=1, ge=1, le=64)
    pool: Literal["prefork", "solo"] = "prefork"
    visibility_timeout: int = Field(default=7200, ge=5)
    restore_interval: float = Field(default=30.0, gt=0)
    chunk_seconds: float = Field(default=60.0, ge=1.0)
    split_over: float = Field(default=300.0, ge=0.0)
    max_attempts: int = Field(default=3, ge=1, le=20)
    redis_grace: float = Field(default=120.0, ge=1.0)
    folder: str = ""

    @field_validator("queues", mode="before")
    @classmethod
    def _queue_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        unknown = [name for name in value if name not in QUEUES]
        if unknown:
            raise ValueError(f"unknown queue {unknown[0]!r}; the queues are {', '.join(QUEUES)}")
        return tuple(value)

    @property
    def redis_address(self) -> str:
        """The Redis server as people name it (host:port/db), never the password."""
        rest = self.redis_url.split("://", 1)[-1]
        return rest.rsplit("@", 1)[-1]


def read_file(path: Path) -> dict[str, Any]:
    """The settings in a TOML file (a ``[farm]`` table or top-level keys). Raises ConfigError."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read the farm settings {path}: {exc}") from None
    table = data.get("farm", data)
    return dict(table) if isinstance(table, dict) else {}


def load_config(
    path: Path | None = None, *, environ: Mapping[str, str] | None = None, **overrides: Any
) -> FarmConfig:
    """The farm settings: ``overrides`` > environment > the file (``path`` or ``HLSSTUDIO_FARM_CONFIG``).

    Raises ConfigError naming the setting that is not valid.
    """
    env = os.environ if environ is None else environ
    file = path or (Path(env[CONFIG_ENV]) if env.get(CONFIG_ENV) else None)
    values: dict[str, Any] = read_file(file) if file is not None else {}
    values.update({key: env[name] for key, name in ENV_KEYS.items() if env.get(name, "").strip()})
    values.update({key: value for key, value in overrides.items() if value is not None})
    try:
        return FarmConfig(**values)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]) if first["loc"] else "setting"
        shown = ENV_KEYS.get(name, name)
        raise ConfigError(f"farm setting {shown} is not valid: {first['msg']}", str(exc)) from None
