"""The queue's health for ``/api/v1/health``: Redis answers, a worker and the scheduler have
sent a heartbeat lately, and how many jobs wait on each queue."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import redis
from redis.exceptions import RedisError
from rq import Queue
from rq.registry import FailedJobRegistry, ScheduledJobRegistry

from dispatch.queue.connection import QUEUES

#: The scheduler process writes this key every ``SCHEDULER_BEAT_S`` seconds, living
#: ``SCHEDULER_STALE_S``: when it is gone, the scheduler is down.
SCHEDULER_KEY = "fleetops:heartbeat:scheduler"
SCHEDULER_BEAT_S = 5
SCHEDULER_STALE_S = 20
#: A worker heartbeats at least every ``WORKER_TTL_S - 15`` seconds (rq's rule, see
#: ``dispatch.queue.worker``); older than this, it is taken for dead.
WORKER_STALE_S = 45

Probe = Callable[[], dict[str, Any]]


def redis_check(connection: redis.Redis) -> dict[str, Any]:
    """``{"ok": True}`` when Redis answers a ping, else the error's name."""
    try:
        return {"ok": bool(connection.ping())}
    except RedisError as exc:
        return {"ok": False, "message": type(exc).__name__}


def no_redis() -> dict[str, Any]:
    """The check when no Redis is configured."""
    return {"ok": False, "message": "REDIS_URL is not set"}


def scheduler_beat(connection: redis.Redis) -> None:
    """The scheduler process is alive (called every ``SCHEDULER_BEAT_S`` seconds)."""
    connection.set(SCHEDULER_KEY, str(time.time()), ex=SCHEDULER_STALE_S)


def beat_in_background(connection: redis.Redis) -> threading.Thread:
    """Beat for the scheduler from a daemon thread (rq's cron sleeps until its next job is
    due, too long for a health check). While Redis is down it keeps trying."""

    def beat() -> None:
        while True:
            with contextlib.suppress(RedisError):
                scheduler_beat(connection)
            time.sleep(SCHEDULER_BEAT_S)

    thread = threading.Thread(target=beat, name="scheduler-heartbeat", daemon=True)
    thread.start()
    return thread


def worker_check(connection: redis.Redis, now_s: float | None = None) -> dict[str, Any]:
    """Up when at least one worker sent a heartbeat in the last ``WORKER_STALE_S`` seconds.

    Read from the workers' own keys, not rq's set of registered workers: a Redis that lost its
    data (restarted without persistence) loses the set, while a live worker's next heartbeat
    writes its key again."""
    try:
        beats = [
            beat
            for key in connection.scan_iter(match="rq:worker:*", count=200)
            if key.count(b":") == 2  # rq:worker:<name>, not its executions
            for beat, death in [connection.hmget(key, ["last_heartbeat", "death"])]
            if death is None  # a worker that stopped says so
        ]
    except RedisError as exc:
        return {"ok": False, "message": f"Redis: {type(exc).__name__}"}
    now_s = time.time() if now_s is None else now_s
    alive = 0
    for beat in beats:
        if beat is None:
            continue
        try:
            text = beat.decode() if isinstance(beat, bytes) else str(beat)
            at = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
        except ValueError:
            continue
        alive += now_s - at.timestamp() < WORKER_STALE_S
    if not alive:
        return {"ok": False, "message": "no worker has sent a heartbeat lately", "workers": 0}
    return {"ok": True, "workers": alive}


def scheduler_check(connection: redis.Redis) -> dict[str, Any]:
    """Up when the scheduler's heartbeat key is there."""
    try:
        beat = connection.get(SCHEDULER_KEY)
    except RedisError as exc:
        return {"ok": False, "message": f"Redis: {type(exc).__name__}"}
    if beat is None:
        return {"ok": False, "message": f"no scheduler heartbeat in {SCHEDULER_STALE_S} s"}
    return {"ok": True, "age_s": round(max(time.time() - float(beat), 0.0), 1)}


def queue_check(connection: redis.Redis) -> dict[str, Any]:
    """Jobs waiting per queue, scheduled (retries with back-off among them) and failed."""
    try:
        depth = {name: Queue(name, connection=connection).count for name in QUEUES}
        scheduled = sum(_count(ScheduledJobRegistry, name, connection) for name in QUEUES)
        failed = sum(_count(FailedJobRegistry, name, connection) for name in QUEUES)
    except RedisError as exc:
        return {"ok": False, "message": f"Redis: {type(exc).__name__}"}
    return {"ok": True, "depth": depth, "scheduled": scheduled, "failed": failed}


def _count(registry: Any, name: str, connection: redis.Redis) -> int:
    return int(registry(name, connection=connection).count)


def queue_probes(connection: redis.Redis | None) -> dict[str, Probe]:
    """The queue's checks by name, for the platform's probes (called in this order)."""
    if connection is None:
        return {"redis": no_redis}
    last: dict[str, bool] = {"ok": True}

    def redis_probe() -> dict[str, Any]:
        result = redis_check(connection)
        last["ok"] = bool(result["ok"])
        return result

    def after_redis(check: Callable[[redis.Redis], dict[str, Any]]) -> Probe:
        # Redis just failed its ping: the checks that read it would each wait out the timeout
        def probe() -> dict[str, Any]:
            if not last["ok"]:
                return {"ok": False, "message": "Redis: not checked while Redis is down"}
            return check(connection)

        return probe

    return {
        "redis": redis_probe,
        "worker": after_redis(worker_check),
        "scheduler": after_redis(scheduler_check),
        "queue": after_redis(queue_check),
    }
