"""The RQ queues of the platform and how to reach them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import redis
from rq import Queue, Retry
from rq.job import Job

#: Queue names, most urgent first: a worker drains them in this order.
QUEUES = ("dispatch", "operations", "default")

DEFAULT_RETRY = Retry(max=3, interval=[10, 60, 300])


def connect(url: str, *, timeout_s: float | None = None) -> redis.Redis:
    """A Redis client for ``url`` (RQ needs raw bytes, so no response decoding). ``timeout_s``
    bounds every call (the web's client: a hung Redis must not hang a request); a worker's
    client has none, as its blocking pop waits on purpose."""
    return redis.Redis.from_url(url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s)


def queue(connection: redis.Redis, name: str = "default") -> Queue:
    """The named queue on ``connection``."""
    if name not in QUEUES:
        msg = f"unknown queue {name!r}; queues: {', '.join(QUEUES)}"
        raise ValueError(msg)
    return Queue(name, connection=connection)


def enqueue(
    connection: redis.Redis,
    func: Callable[..., Any],
    *args: Any,
    queue_name: str = "default",
    retry: Retry | None = DEFAULT_RETRY,
    **kwargs: Any,
) -> Job:
    """Put ``func(*args)`` on a queue with the platform's retry policy."""
    return queue(connection, queue_name).enqueue(func, *args, retry=retry, **kwargs)
