"""The farm as a desktop (or the command line) reaches it: its address from the settings and the
keyring, whether it is usable now, and its live workers in plain words.

The Redis URL comes from ``HLSSTUDIO_REDIS_URL`` when set, else from Settings ▸ Farm
(``AppSettings.farm.redis_url``, without the password) with the password from the keyring. The rest
of the farm's settings (chunk size, visibility timeout …) come from the environment or
``HLSSTUDIO_FARM_CONFIG`` as on the workers (``config.load_config``). The farm is offered only when
a worker serves an encode queue (gpu or cpu) and one serves the I/O queue (``usable``).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from hlsstudio.core import credentials
from hlsstudio.core.errors import HlsStudioError
from hlsstudio.core.settings import AppSettings
from hlsstudio.farm.config import ENV_KEYS, FarmConfig, load_config
from hlsstudio.farm.store import farm_store
from hlsstudio.farm.submit import FarmClient

QUEUE_WORDS = {"gpu": "GPU", "cpu": "CPU", "io": "I/O"}
ENCODE_QUEUES = ("gpu", "cpu")


def split_password(url: str) -> tuple[str, str]:
    """``redis://:secret@host:6379/0`` -> (``redis://host:6379/0``, ``secret``); no password: ''."""
    parts = urlsplit(url.strip())
    if parts.password is None:
        return url.strip(), ""
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    user = f"{quote(parts.username)}@" if parts.username else ""
    return urlunsplit(parts._replace(netloc=user + netloc)), unquote(parts.password)


def with_password(url: str, password: str) -> str:
    """``url`` with ``password`` put in (a password already in it is replaced)."""
    bare, _ = split_password(url)
    if not password:
        return bare
    parts = urlsplit(bare)
    user, _, host = parts.netloc.rpartition("@")
    return urlunsplit(parts._replace(netloc=f"{user}:{quote(password, safe='')}@{host}"))


def redis_url(settings: AppSettings, environ: Mapping[str, str] | None = None) -> str:
    """The farm's Redis URL with its password ('' when no farm is set up)."""
    env = os.environ if environ is None else environ
    from_env = env.get(ENV_KEYS["redis_url"], "").strip()
    if from_env:
        return from_env
    if not settings.farm.redis_url.strip():
        return ""
    return with_password(settings.farm.redis_url, credentials.load_farm_password() or "")


def desktop_config(settings: AppSettings, environ: Mapping[str, str] | None = None) -> FarmConfig | None:
    """The farm's settings for this desktop; None when no Redis URL is set. Raises ConfigError."""
    url = redis_url(settings, environ)
    return load_config(environ=environ, redis_url=url) if url else None


def desktop_client(settings: AppSettings, environ: Mapping[str, str] | None = None) -> FarmClient | None:
    """A client of the configured farm (its store: the app's bucket); None when no farm is set up.
    Raises ConfigError (no bucket, an invalid setting)."""
    config = desktop_config(settings, environ)
    if config is None:
        return None
    return FarmClient(config, farm_store(config, settings.destination, environ=environ))


@dataclass
class FarmCheck:
    """What asking the farm found: its live workers per queue, or why it could not be asked."""

    address: str = ""
    live: dict[str, list[str]] = field(default_factory=dict)
    problem: str = ""

    @property
    def usable(self) -> bool:
        """A worker serves an encode queue and one serves the I/O queue: jobs can go to the farm."""
        return not self.problem and "io" in self.live and any(q in self.live for q in ENCODE_QUEUES)

    def workers(self) -> dict[str, list[str]]:
        """Each live worker's host and the queues it serves."""
        served: dict[str, list[str]] = {}
        for queue in ("gpu", "cpu", "io"):
            for worker in self.live.get(queue, []):
                served.setdefault(worker, []).append(queue)
        return served

    def summary(self) -> str:
        """In plain words: "2 workers: vm-a (CPU, I/O), vm-b (CPU, I/O)", or why not."""
        if self.problem:
            return self.problem
        workers = self.workers()
        if not workers:
            return f"Redis at {self.address} answers, but no worker is running"
        labels = worker_labels(list(workers))
        shown = ", ".join(
            f"{labels[name]} ({', '.join(QUEUE_WORDS[q] for q in queues)})"
            for name, queues in sorted(workers.items())
        )
        count = f"{len(workers)} worker{'s' if len(workers) != 1 else ''}"
        missing = "" if self.usable else f" — {missing_queue(self.live)}"
        return f"{count}: {shown}{missing}"


def worker_labels(names: list[str]) -> dict[str, str]:
    """How each worker is shown: its machine (``vm-a``), or its whole name (``gpu1@vm-a``) when
    several workers run on that machine."""
    hosts = Counter(host_of(name) for name in names)
    return {name: host_of(name) if hosts[host_of(name)] == 1 else name for name in names}


def host_of(worker: str) -> str:
    """A Celery worker name (``celery@vm-a``) as people know the machine (``vm-a``)."""
    return worker.rpartition("@")[2] or worker


def missing_queue(live: dict[str, list[str]]) -> str:
    """Why the farm cannot take jobs with these live queues."""
    if "io" not in live:
        return "no worker serves the I/O queue, so the farm cannot take jobs"
    return "no worker can encode (none serves the CPU or GPU queue)"


def check_farm(config: FarmConfig | None, timeout: float = 2.0) -> FarmCheck:
    """Ask the farm's workers which queues they serve. Never raises: a problem is in ``problem``.
    Blocks for up to a few seconds: call it off the GUI thread."""
    if config is None:
        return FarmCheck(problem="no farm is set up (HLSSTUDIO_REDIS_URL, or Redis in Settings ▸ Farm)")
    check = FarmCheck(address=config.redis_address)
    client = FarmClient(config, store=None)  # type: ignore[arg-type]  # asking workers needs no store
    try:
        check.live = client.live_queues(timeout=timeout)
    except HlsStudioError as exc:
        check.problem = unreachable_words(config, exc.message)
    except Exception as exc:  # a malformed URL, a refused password: the farm cannot be used
        check.problem = unreachable_words(config, str(exc))
    finally:
        client.close()
    return check


def unreachable_words(config: FarmConfig, detail: str) -> str:
    """Why Redis cannot be used, in plain words."""
    text = detail.lower()
    if "refused" in text:
        return f"Redis at {config.redis_address} refused the connection"
    if "auth" in text or "password" in text:
        return f"Redis at {config.redis_address} did not accept the password"
    if "name or service" in text or "resolve" in text or "nodename" in text:
        return f"Redis at {config.redis_address}: that computer name is not known"
    return f"Redis at {config.redis_address} cannot be reached ({detail})"
