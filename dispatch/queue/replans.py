"""Re-plans of an operator's couriers on the queue: requested when jobs pile up or a job found
no courier, and by the scheduler for every operator with open work. A request is enqueued only
if none of the operator's is already waiting (a Redis key, cleared when the job starts), so a
burst of jobs makes one re-plan, not one each. And only one runs per operator at a time (a
second Redis key, the running lock): a re-plan that finds another running puts itself back on
the queue a few seconds later, still the one waiting."""

from __future__ import annotations

import logging
import socket
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import redis
from redis.exceptions import RedisError
from rq import get_current_job
from rq.job import Job

from dispatch.couriers.replan import reoptimise
from dispatch.platform import Platform
from dispatch.queue.abandoned import worker_died_here
from dispatch.queue.connection import DEFAULT_RETRY, enqueue, queue
from dispatch.queue.jobs import platform_job
from fleet.db import couriers as couriers_db
from fleet.db.engine import reading

log = logging.getLogger(__name__)

#: A waiting request is forgotten after this long even if its job never started (a lost queue).
PENDING_TTL_S = 900
#: A re-plan that finds another of its operator's running tries again this much later.
BUSY_RETRY_S = 5
#: The running lock outlives the solver's time limit by this much: a stopped worker whose job
#: rq took for abandoned still holds it while its work horse runs, so the retry waits instead of
#: running the same re-plan twice. A run whose worker died on this machine gives it up sooner
#: (:func:`take_running_lock`).
RUNNING_MARGIN_S = 60

# Release the running lock only if this run still holds it.
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""
# Take the lock over from the holder ARGV[1] (found dead) unless somebody else did meanwhile.
_TAKE_OVER = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('set', KEYS[1], ARGV[2], 'EX', ARGV[3]) and 1 or 0
end
return 0
"""


def _pending_key(operator_id: str) -> str:
    return f"fleetops:replan:{operator_id}:pending"


def _posted_key(operator_id: str) -> str:
    return f"fleetops:replan:{operator_id}:posted"


def _running_key(operator_id: str) -> str:
    return f"fleetops:replan:{operator_id}:running"


@platform_job
def reoptimise_deliveries(platform: Platform, operator_id: str) -> dict[str, int]:
    """Re-plan the operator's couriers with OR-Tools (``dispatch.couriers.replan``), unless
    another re-plan of theirs is running: then this one is enqueued again ``BUSY_RETRY_S``
    later and returns ``{"deferred": 1}``."""
    job = get_current_job()
    if job is None:
        return reoptimise(platform.couriers, operator_id)
    connection = job.connection
    ttl_s = int(platform.couriers.limits.time_limit_s) + RUNNING_MARGIN_S
    holder = _holder(job.id, job.worker_name)
    if not take_running_lock(connection, operator_id, holder, ttl_s):
        # Still the operator's waiting request: later posts must not enqueue another.
        connection.set(_pending_key(operator_id), "1", ex=PENDING_TTL_S)
        queue(connection, job.origin).enqueue_in(
            timedelta(seconds=BUSY_RETRY_S), reoptimise_deliveries, operator_id, retry=DEFAULT_RETRY
        )
        return {"deferred": 1}
    try:
        replan_started(connection, operator_id)
        return reoptimise(platform.couriers, operator_id)
    finally:
        connection.eval(_RELEASE, 1, _running_key(operator_id), holder)


def _holder(job_id: str, worker_name: str | None) -> str:
    """The running lock's value: the job and the worker running it."""
    return f"{job_id}|{worker_name or ''}"


def take_running_lock(
    connection: redis.Redis,
    operator_id: str,
    holder: str,
    ttl_s: int,
    *,
    now: datetime | None = None,
    hostname: str | None = None,
) -> bool:
    """Take the operator's running lock for ``holder`` (``job id|worker name``); whether it is
    now the holder's. A held lock is taken over only when the worker holding it died on this
    machine (``dispatch.queue.abandoned.worker_died_here``: it and its work horse are gone and
    it missed its beats), as when rq retries a killed run; else nobody takes it, not even a
    retry of the same job, whose first run may still be going on a worker stopped, not killed.
    A lock held by a worker that cannot be judged expires on its own."""
    key = _running_key(operator_id)
    if connection.set(key, holder, nx=True, ex=ttl_s):
        return True
    held = connection.get(key)
    if held is None:  # expired between the two calls
        return bool(connection.set(key, holder, nx=True, ex=ttl_s))
    text = held.decode() if isinstance(held, bytes) else str(held)
    _, bar, worker_name = text.rpartition("|")
    worker_name = worker_name if bar else ""  # a lock of an older version names no worker
    when, host = now or datetime.now(UTC), hostname or socket.gethostname()
    if not worker_name or not worker_died_here(connection, worker_name, now=when, hostname=host):
        return False
    log.warning("re-plan lock of %s taken over from a dead worker: %s", operator_id, text)
    return bool(connection.eval(_TAKE_OVER, 1, key, held, holder, ttl_s))


@platform_job
def replan_all(platform: Platform) -> list[str]:
    """Request a re-plan for every operator with a courier on shift and a job still open (the
    scheduler's periodic job); the operators it was requested for."""
    job = get_current_job()
    if job is None:
        msg = "replan_all runs on the queue: it enqueues a re-plan per operator"
        raise RuntimeError(msg)
    with reading(platform.engine) as conn:
        operators = couriers_db.operators_with_open_work(conn, platform.clock.now())
    return [op for op in operators if request_replan(job.connection, op)]


def request_replan(connection: redis.Redis, operator_id: str) -> Job | None:
    """Enqueue a re-plan of the operator's couriers unless one is already waiting; the job, or
    ``None`` when one was waiting."""
    if not connection.set(_pending_key(operator_id), "1", nx=True, ex=PENDING_TTL_S):
        return None
    return enqueue(connection, reoptimise_deliveries, operator_id, queue_name="dispatch")


def replan_started(connection: redis.Redis, operator_id: str) -> None:
    """A re-plan is reading the plans now: later posts count towards (and may request) the
    next one."""
    connection.delete(_pending_key(operator_id), _posted_key(operator_id))


def job_posted(
    connection: redis.Redis, operator_id: str, *, after_jobs: int, every_s: int, unassigned: bool
) -> Job | None:
    """Count a posted job; request a re-plan if it found no courier or ``after_jobs`` have
    piled up (the count lives twice the periodic re-plan's interval)."""
    posted = int(connection.incr(_posted_key(operator_id)))
    connection.expire(_posted_key(operator_id), max(every_s * 2, 60))
    if unassigned or posted >= after_jobs:
        return request_replan(connection, operator_id)
    return None


@dataclass(frozen=True, slots=True)
class QueueReplans:
    """The platform's re-plan requester: counts posted jobs in Redis and enqueues re-plans.
    When Redis cannot be reached the job stays stored and the periodic re-plan takes it up."""

    connection: redis.Redis
    after_jobs: int
    every_s: int

    def job_posted(self, operator_id: str, *, unassigned: bool) -> None:
        """Count the job and maybe request a re-plan (see :func:`job_posted`)."""
        try:
            job_posted(
                self.connection,
                operator_id,
                after_jobs=self.after_jobs,
                every_s=self.every_s,
                unassigned=unassigned,
            )
        except RedisError:
            log.warning("could not request a re-plan of operator %s", operator_id)

    def roads_changed(self, operator_id: str) -> None:
        """Request a re-plan now (one already waiting will read the new roads too)."""
        try:
            request_replan(self.connection, operator_id)
        except RedisError:
            log.warning("could not request a re-plan of operator %s", operator_id)
