"""The farm's Celery app: Redis as broker, three queues, and the settings that make work survive a
lost worker.

* ``task_acks_late`` + ``task_reject_on_worker_lost``: a task is acknowledged when it ends, and a
  task whose pool process died goes back to the queue instead of being dropped.
* ``worker_prefetch_multiplier = 1``: a worker reserves one task at a time, so a long chunk never
  holds another one hostage.
* ``visibility_timeout`` (``FarmConfig``): Redis gives a task that was fetched and never acknowledged
  to another worker after this long (a worker killed with SIGKILL, a machine gone). It must be
  longer than the longest chunk, or a chunk still running is started twice (harmless, but twice the
  work), and the same on every client and worker. ``unacked_restore_interval`` is how often workers
  look for such tasks.
* No result backend: progress, winners and the stitched manifest live on the farm's own board
  (``progress``) and in the bucket.
"""

from __future__ import annotations

from typing import Any

from celery import Celery
from kombu.entity import Queue

from hlsstudio.farm.config import QUEUES, FarmConfig
from hlsstudio.farm.tasks import register


def transport_options(config: FarmConfig) -> dict[str, Any]:
    """The Redis transport's options: the visibility timeout and how often lost tasks are looked for."""
    return {
        "visibility_timeout": config.visibility_timeout,
        "unacked_restore_interval": config.restore_interval,
        "unacked_restore_throttle": 1,
        "socket_timeout": 10,
        "socket_connect_timeout": 10,
        "health_check_interval": 10,
    }


def make_app(config: FarmConfig) -> Any:
    """A Celery app for ``config`` with the farm's tasks registered (desktops and workers alike)."""
    app = Celery("hlsstudio-farm", broker=config.redis_url, set_as_current=False)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        broker_transport_options=transport_options(config),
        visibility_timeout=config.visibility_timeout,
        task_queues=[Queue(name) for name in QUEUES],  # type: ignore[no-untyped-call]
        task_default_queue="io",
        task_serializer="json",
        accept_content=["json"],
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,
        worker_cancel_long_running_tasks_on_connection_loss=False,
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
        enable_utc=True,
    )
    app.farm_config = config
    register(app)
    return app
