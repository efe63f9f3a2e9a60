"""``hlsstudio-worker doctor``: can this machine work for the farm? FFmpeg, NVENC, Redis, the bucket,
and (for a worker of the I/O queue, which finishes and publishes titles) how it measures quality.

Each check gives one line in plain words; NVENC is required only of a worker that serves the GPU
queue, and VMAF is never required (SSIM stands in, and the job's result says so). Nothing here
changes anything (the bucket check only lists and writes nothing).
"""

from __future__ import annotations

from dataclasses import dataclass

import redis

from hlsstudio.core.errors import HlsStudioError
from hlsstudio.core.quality.metric import find_quality_tool
from hlsstudio.core.toolchain import locate_toolchain
from hlsstudio.farm.config import FarmConfig
from hlsstudio.farm.store import farm_store


@dataclass(frozen=True)
class Check:
    """One doctor line: what was checked, whether it passed, what was found."""

    name: str
    ok: bool
    detail: str
    required: bool = True

    def line(self) -> str:
        """The line as printed: ``ok  FFmpeg: …`` or ``!!  Redis: …`` (``--`` when optional)."""
        mark = "ok" if self.ok else ("!!" if self.required else "--")
        return f"{mark}  {self.name}: {self.detail}"


def check_ffmpeg(queues: tuple[str, ...]) -> list[Check]:
    """FFmpeg and ffprobe found and runnable; NVENC really encoding (required for the GPU queue)."""
    try:
        toolchain = locate_toolchain()
    except HlsStudioError as exc:
        return [Check("FFmpeg", False, exc.message), Check("NVENC", False, "not checked", "gpu" in queues)]
    caps = toolchain.capabilities
    found = Check("FFmpeg", caps.encoders.get("libx264", False), f"{caps.version} at {toolchain.ffmpeg}")
    if not found.ok:
        found = Check("FFmpeg", False, f"{caps.version} at {toolchain.ffmpeg} has no libx264")
    nvenc = caps.nvenc_reason or ("works" if caps.nvenc_usable else "not available")
    return [found, Check("NVENC", caps.nvenc_usable, nvenc, required="gpu" in queues)]


def check_quality(ffmpeg: str) -> Check:
    """Which metric this worker measures a finished title with: VMAF, or SSIM standing in."""
    tool = find_quality_tool(ffmpeg)
    return Check("Quality", tool.metric == "vmaf", tool.note, required=False)


def check_redis(config: FarmConfig) -> Check:
    """The broker answers (its version)."""
    client = redis.Redis.from_url(config.redis_url, socket_timeout=5, socket_connect_timeout=5)
    try:
        info = client.info("server")
    except redis.exceptions.RedisError as exc:
        return Check("Redis", False, f"{config.redis_address} cannot be reached: {exc}")
    finally:
        client.close()
    return Check("Redis", True, f"{config.redis_address} answers (Redis {info.get('redis_version', '?')})")


def check_store(config: FarmConfig) -> Check:
    """The bucket (or shared folder) is reachable with these credentials."""
    try:
        store = farm_store(config)
        return Check("Bucket", True, store.check_access())
    except HlsStudioError as exc:
        return Check("Bucket", False, exc.message)


def run_doctor(config: FarmConfig, queues: tuple[str, ...]) -> list[Check]:
    """Every check, in order: FFmpeg, NVENC, Redis, the bucket; the quality measure for the I/O queue."""
    checks = [*check_ffmpeg(queues), check_redis(config), check_store(config)]
    if "io" in queues:
        try:
            checks.append(check_quality(locate_toolchain().ffmpeg))
        except HlsStudioError:
            checks.append(Check("Quality", False, "not checked: no FFmpeg", required=False))
    return checks


def healthy(checks: list[Check]) -> bool:
    """True when every required check passed."""
    return all(c.ok for c in checks if c.required)
