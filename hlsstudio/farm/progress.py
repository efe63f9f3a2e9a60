"""The farm's shared board in Redis: each job's parts, their progress, who won, and the cancel key.

Keys (all expire a week after the job's last change)::

    hlsstudio:farm:<job>                 hash: parts (comma list), weights (JSON), state, error, manifest,
                                         result (the key of a title finished and published by a worker)
    hlsstudio:farm:<job>:part:<part>     hash: state, host, device, encoder, fraction, speed, fps,
                                         attempts, retries, error, updated, cpu_seconds, encode_seconds
    hlsstudio:farm:<job>:winner:<part>   the attempt whose outputs count (first finished copy wins)
    hlsstudio:farm:<job>:done            set of finished parts
    hlsstudio:farm:<job>:stitch          set once, by whoever sends the stitch
    hlsstudio:farm:<job>:cancel          present: stop (tasks check it every half second)
    hlsstudio:farm:<job>:tasks           set of the Celery task ids sent (revoked on cancel)
    hlsstudio:farm:source:<key>          set of the farm jobs reading an uploaded source

Parts are the chunks (``c0000`` …) and ``audio``. Workers write their own part; the desktop reads.
A title a worker finishes and publishes itself has one more record, ``part:finish`` (not a part: the
stitch does not wait for it), with the step it is at and its upload's bytes and files.
"""

from __future__ import annotations

import json
import time
from typing import Any, Literal

import redis
from pydantic import BaseModel

ROOT = "hlsstudio:farm:"
TTL_SECONDS = 7 * 24 * 3600
AUDIO = "audio"
FINISH = "finish"
SOCKET_TIMEOUT = 5.0
PartState = Literal["queued", "running", "done", "failed", "cancelled"]
REDIS_ERRORS: tuple[type[Exception], ...] = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


def chunk_part(index: int) -> str:
    """The part name of chunk ``index``: ``c0003``."""
    return f"c{index:04d}"


class PartStatus(BaseModel):
    """One part of a farm job as the board shows it (the per-chunk grid's row)."""

    part: str
    state: PartState = "queued"
    host: str = ""
    device: str = ""  # "GPU" or "CPU"
    encoder: str = ""
    fraction: float = 0.0
    speed: float | None = None
    fps: float | None = None
    attempts: int = 0
    retries: int = 0
    error: str = ""
    updated: float = 0.0
    cpu_seconds: float = 0.0
    encode_seconds: float = 0.0
    upload_seconds: float = 0.0
    step: str = ""  # the finish: the job state it is in (validating, publishing)
    steps: str = ""  # the finish: every state it went through, in order ("validating,publishing")
    sent: float = 0.0  # the finish's upload: bytes sent of ``total``, files done of ``files``
    total: float = 0.0
    files_done: int = 0
    files: int = 0


class FarmStatus(BaseModel):
    """A whole farm job: its parts, overall progress, and whether it is stitched, failed or cancelled."""

    job: str
    parts: list[PartStatus]
    weights: dict[str, float] = {}
    state: str = "running"
    error: str = ""
    manifest: str = ""
    result: str = ""  # a title finished and published on the farm: its result's key
    finish: PartStatus | None = None  # the worker finishing and publishing it, when one does
    cancelled: bool = False
    resumed: int = 0  # times the job was rebuilt from the bucket after Redis forgot it

    @property
    def fraction(self) -> float:
        """How much of the job is done, each part weighted by its length (the stitch is the last 1%)."""
        if self.manifest:
            return 1.0
        total = sum(self.weights.get(p.part, 1.0) for p in self.parts) or 1.0
        done = sum(
            self.weights.get(p.part, 1.0) * (1.0 if p.state == "done" else p.fraction) for p in self.parts
        )
        return min(done / total, 1.0) * 0.99

    @property
    def chunks(self) -> list[PartStatus]:
        """The chunks' parts (not the sound)."""
        return [p for p in self.parts if p.part != AUDIO]

    @property
    def last_change(self) -> float:
        """When a part last reported (epoch seconds; 0: never)."""
        finish = [self.finish.updated] if self.finish is not None else []
        return max([p.updated for p in self.parts] + finish, default=0.0)

    def failed_part(self) -> PartStatus | None:
        """The first part that failed for good, if any."""
        return next((p for p in self.parts if p.state == "failed"), None)


def _typed(raw: dict[str, str]) -> dict[str, Any]:
    numbers = {"fraction", "speed", "fps", "updated", "cpu_seconds", "encode_seconds", "upload_seconds",
               "sent", "total"}  # fmt: skip
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key in numbers:
            out[key] = float(value) if value not in ("", "None") else None
        elif key in ("attempts", "retries", "files_done", "files"):
            out[key] = int(value or 0)
        else:
            out[key] = value
    out = {k: v for k, v in out.items() if v is not None or k in ("speed", "fps")}
    return out


class FarmBoard:
    """Reads and writes the board of farm jobs in one Redis. Raises redis errors (``REDIS_ERRORS``)
    when Redis cannot be reached; callers decide whether that is fatal."""

    def __init__(self, redis_url: str) -> None:
        # Any: with decode_responses every answer is text, which redis-py's types cannot say
        self.redis: Any = redis.Redis.from_url(
            redis_url,
            decode_responses=True,
            socket_timeout=SOCKET_TIMEOUT,
            socket_connect_timeout=SOCKET_TIMEOUT,
            health_check_interval=10,
        )

    def close(self) -> None:
        """Drop the connections."""
        self.redis.close()

    @staticmethod
    def key(job: str, *parts: str) -> str:
        """The key of ``job`` (or of one of its sub-records)."""
        return ":".join([ROOT + job, *parts])

    def _touch(self, job: str, *keys: str) -> None:
        pipe = self.redis.pipeline()
        for key in (self.key(job), *keys):
            pipe.expire(key, TTL_SECONDS)
        pipe.execute()

    # ---- the desktop's side

    def create(self, job: str, weights: dict[str, float], resumed: int = 0) -> None:
        """Record a new job with its parts (all queued), replacing any earlier record of it;
        ``resumed``: how many times it was rebuilt after Redis forgot it."""
        parts = list(weights)
        pipe = self.redis.pipeline()
        pipe.delete(self.key(job), self.key(job, "done"), self.key(job, "stitch"), self.key(job, "cancel"))
        pipe.delete(self.key(job, "part", FINISH), self.key(job, "finish"))
        pipe.hset(self.key(job), mapping={"parts": ",".join(parts), "weights": json.dumps(weights)})
        pipe.hset(
            self.key(job), mapping={"state": "running", "created": f"{time.time():.3f}", "resumed": resumed}
        )
        for part in parts:
            pipe.delete(self.key(job, "part", part), self.key(job, "winner", part))
            pipe.hset(
                self.key(job, "part", part), mapping={"state": "queued", "updated": f"{time.time():.3f}"}
            )
            pipe.expire(self.key(job, "part", part), TTL_SECONDS)
        pipe.execute()
        self._touch(job)

    def exists(self, job: str) -> bool:
        """Whether Redis still knows the job (a Redis restarted without persistence forgets it)."""
        return bool(self.redis.exists(self.key(job)))

    def add_tasks(self, job: str, task_ids: list[str]) -> None:
        """Remember the Celery task ids sent for the job (revoked on cancel)."""
        if task_ids:
            self.redis.sadd(self.key(job, "tasks"), *task_ids)
            self._touch(job, self.key(job, "tasks"))

    def task_ids(self, job: str) -> list[str]:
        """Every task id sent for the job."""
        return sorted(self.redis.smembers(self.key(job, "tasks")))

    def cancel(self, job: str) -> None:
        """Ask every task of the job to stop (and none to start)."""
        self.redis.set(self.key(job, "cancel"), "1", ex=TTL_SECONDS)
        self.redis.hset(self.key(job), "state", "cancelled")

    def status(self, job: str) -> FarmStatus | None:
        """The job as the board shows it, or None when Redis does not know it."""
        head = self.redis.hgetall(self.key(job))
        if not head:
            return None
        parts = [p for p in head.get("parts", "").split(",") if p]
        pipe = self.redis.pipeline()
        for part in parts:
            pipe.hgetall(self.key(job, "part", part))
        pipe.hgetall(self.key(job, "part", FINISH))
        pipe.exists(self.key(job, "cancel"))
        *rows, finish, cancelled = pipe.execute()
        return FarmStatus(
            job=job,
            parts=[PartStatus(part=part, **_typed(row)) for part, row in zip(parts, rows, strict=True)],
            weights=json.loads(head.get("weights", "{}")),
            state=head.get("state", "running"),
            error=head.get("error", ""),
            manifest=head.get("manifest", ""),
            result=head.get("result", ""),
            finish=PartStatus(part=FINISH, **_typed(finish)) if finish else None,
            cancelled=bool(cancelled),
            resumed=int(head.get("resumed", 0) or 0),
        )

    def jobs(self) -> list[str]:
        """Every farm job Redis knows (running, or ended within the last hour), sorted."""
        return sorted(
            key[len(ROOT) :]
            for key in self.redis.scan_iter(match=ROOT + "*", count=500)
            if ":" not in key[len(ROOT) :]
        )

    def forget(self, job: str, after: float = 3600.0) -> None:
        """Let the job's keys expire ``after`` s from now (it has ended)."""
        keys = [self.key(job)] + [k for k in self.redis.scan_iter(match=self.key(job) + ":*", count=500)]
        pipe = self.redis.pipeline()
        for key in keys:
            pipe.expire(key, int(after))
        pipe.execute()

    # ---- the workers' side

    def cancelled(self, job: str) -> bool:
        """Whether the job was cancelled."""
        return bool(self.redis.exists(self.key(job, "cancel")))

    def is_done(self, job: str, part: str) -> bool:
        """Whether a copy of ``part`` has finished."""
        return bool(self.redis.sismember(self.key(job, "done"), part))

    def start_part(self, job: str, part: str, fields: dict[str, str]) -> int:
        """Mark ``part`` running on this worker; returns how many times it was started (this one too)."""
        key = self.key(job, "part", part)
        pipe = self.redis.pipeline()
        pipe.hincrby(key, "attempts", 1)
        pipe.hset(key, mapping={**fields, "state": "running", "fraction": "0", "error": ""})
        pipe.hset(key, "updated", f"{time.time():.3f}")
        pipe.expire(key, TTL_SECONDS)
        attempts = int(pipe.execute()[0])
        return attempts

    def report(self, job: str, part: str, **fields: object) -> None:
        """Update ``part``'s fields (progress, speed, error …) and its time of last report."""
        mapping = {k: "" if v is None else str(v) for k, v in fields.items()}
        mapping["updated"] = f"{time.time():.3f}"
        self.redis.hset(self.key(job, "part", part), mapping=mapping)

    def count_retry(self, job: str, part: str, error: str) -> None:
        """Record one retry of ``part`` after a passing (I/O) error."""
        key = self.key(job, "part", part)
        self.redis.hincrby(key, "retries", 1)
        self.report(job, part, error=error, state="queued")

    def finish_part(self, job: str, part: str, attempt: str, **fields: object) -> tuple[bool, bool]:
        """Record a finished copy of ``part``. Returns (this copy won: it is the first finished one,
        every part of the job is finished now)."""
        won = bool(self.redis.set(self.key(job, "winner", part), attempt, nx=True, ex=TTL_SECONDS))
        if won:
            self.report(job, part, state="done", fraction=1.0, error="", **fields)
        self.redis.sadd(self.key(job, "done"), part)
        self._touch(job, self.key(job, "done"))
        parts = [p for p in (self.redis.hget(self.key(job), "parts") or "").split(",") if p]
        done = self.redis.smembers(self.key(job, "done"))
        return won, bool(parts) and set(parts) <= done

    def winner(self, job: str, part: str) -> str | None:
        """The attempt of ``part`` whose outputs count (None: no copy finished yet)."""
        found: str | None = self.redis.get(self.key(job, "winner", part))
        return found

    def mark_done(self, job: str, part: str, attempt: str) -> None:
        """Record ``part`` as finished by ``attempt`` (known from the bucket after Redis lost it)."""
        self.redis.set(self.key(job, "winner", part), attempt, ex=TTL_SECONDS)
        self.redis.sadd(self.key(job, "done"), part)
        self.report(job, part, state="done", fraction=1.0)

    def claim_stitch(self, job: str) -> bool:
        """True for exactly one caller: the one that sends the stitch."""
        return bool(self.redis.set(self.key(job, "stitch"), "1", nx=True, ex=TTL_SECONDS))

    def set_stitched(self, job: str, manifest_key: str) -> None:
        """The stitch is written: the job's files are listed in ``manifest_key``."""
        self.redis.hset(self.key(job), mapping={"manifest": manifest_key, "state": "stitched"})

    def use_source(self, key: str, job: str) -> None:
        """Farm job ``job`` reads the uploaded source at ``key`` (before it is uploaded or reused)."""
        pipe = self.redis.pipeline()
        pipe.sadd(ROOT + "source:" + key, job)
        pipe.expire(ROOT + "source:" + key, TTL_SECONDS)
        pipe.execute()

    def release_source(self, key: str, job: str) -> bool:
        """Farm job ``job`` is done with the source at ``key``: True when no other job uses it."""
        pipe = self.redis.pipeline()
        pipe.srem(ROOT + "source:" + key, job)
        pipe.scard(ROOT + "source:" + key)
        return int(pipe.execute()[1]) == 0

    def claim_finish(self, job: str) -> bool:
        """True for exactly one caller: the one that sends the finish."""
        return bool(self.redis.set(self.key(job, "finish"), "1", nx=True, ex=TTL_SECONDS))

    def set_finished(self, job: str, result_key: str) -> None:
        """A worker finished and published the title (or ended its publish): its result is at
        ``result_key``."""
        self.redis.hset(self.key(job), mapping={"result": result_key, "state": "finished"})

    def fail_job(self, job: str, error: str) -> None:
        """The job cannot finish (a part failed for good, the stitch found a gap): say why."""
        self.redis.hset(self.key(job), mapping={"state": "failed", "error": error})
