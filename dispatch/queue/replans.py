"""Re-plans of an operator's couriers on the queue: requested when jobs pile up or a job found
no courier, and by the scheduler for every operator with open work. A request is enqueued only
if none of the operator's is already waiting (a Redis key, cleared when the job starts), so a
burst of jobs makes one re-plan, not one each."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import redis
from redis.exceptions import RedisError
from rq import get_current_job
from rq.job import Job

from dispatch.couriers.replan import reoptimise
from dispatch.platform import Platform
from dispatch.queue.connection import enqueue
from dispatch.queue.jobs import platform_job
from fleet.db import couriers as couriers_db
from fleet.db.engine import reading

log = logging.getLogger(__name__)

#: A waiting request is forgotten after this long even if its job never started (a lost queue).
PENDING_TTL_S = 900


def _pending_key(operator_id: str) -> str:
    return f"fleetops:replan:{operator_id}:pending"


def _posted_key(operator_id: str) -> str:
    return f"fleetops:replan:{operator_id}:posted"


@platform_job
def reoptimise_deliveries(platform: Platform, operator_id: str) -> dict[str, int]:
    """Re-plan the operator's couriers with OR-Tools (``dispatch.couriers.replan``)."""
    job = get_current_job()
    if job is not None:
        replan_started(job.connection, operator_id)
    return reoptimise(platform.couriers, operator_id)


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
