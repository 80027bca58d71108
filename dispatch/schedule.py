"""What runs without anyone asking: the periodic jobs, and re-planning when jobs pile up.

The scheduler process (``fleetops scheduler``, part of ``fleetops run``) puts the periodic jobs on
the queue with RQ's cron scheduler: hold expiry, late EV returns, and a re-plan of every
operator's couriers. Between those, posting jobs requests a re-plan when a job found no courier
or when ``reoptimise_after_jobs`` jobs were posted since the last one. A request is enqueued
only if none of the operator's is already waiting (a Redis key, cleared when the job starts), so
a burst of jobs makes one re-plan, not one each.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import redis
from rq.job import Job

from config.settings import Settings
from dispatch import tasks
from dispatch.queue import enqueue

#: A waiting request is forgotten after this long even if its job never started (a lost queue).
PENDING_TTL_S = 900


def _pending_key(operator_id: str) -> str:
    return f"fleetops:replan:{operator_id}:pending"


def _posted_key(operator_id: str) -> str:
    return f"fleetops:replan:{operator_id}:posted"


def request_replan(
    connection: redis.Redis, operator_id: str, city: str, time_limit_s: float
) -> Job | None:
    """Enqueue a re-plan of the operator's couriers unless one is already waiting; the job, or
    ``None`` when one was waiting."""
    if not connection.set(_pending_key(operator_id), "1", nx=True, ex=PENDING_TTL_S):
        return None
    return enqueue(
        connection,
        tasks.reoptimise_deliveries,
        operator_id,
        city,
        time_limit_s,
        queue_name="dispatch",
    )


def replan_started(connection: redis.Redis, operator_id: str) -> None:
    """A re-plan is reading the plans now: later posts count towards (and may request) the
    next one."""
    connection.delete(_pending_key(operator_id), _posted_key(operator_id))


def job_posted(
    connection: redis.Redis,
    operator_id: str,
    city: str,
    settings: Settings,
    *,
    unassigned: bool,
) -> Job | None:
    """Count a posted job; request a re-plan if it found no courier or enough have piled up."""
    posted = int(connection.incr(_posted_key(operator_id)))
    connection.expire(_posted_key(operator_id), max(settings.reoptimise_every_s * 2, 60))
    if unassigned or posted >= settings.reoptimise_after_jobs:
        return request_replan(connection, operator_id, city, settings.reoptimise_time_limit_s)
    return None


@dataclass(frozen=True, slots=True)
class Periodic:
    """A job the scheduler enqueues every ``every_s`` seconds."""

    name: str
    func: Any
    queue_name: str
    every_s: int
    kwargs: dict[str, Any]


def periodic_jobs(settings: Settings, city: str) -> list[Periodic]:
    """The platform's periodic jobs for a city, from the ``[schedule]`` settings."""
    return [
        Periodic("expire-holds", tasks.expire_holds, "dispatch", settings.expire_holds_every_s, {}),
        Periodic(
            "late-returns",
            tasks.handle_late_returns,
            "dispatch",
            settings.late_returns_every_s,
            {"reserve_pct": settings.reserve_pct},
        ),
        Periodic(
            "replan-couriers",
            tasks.replan_all,
            "dispatch",
            settings.reoptimise_every_s,
            {"city": city, "time_limit_s": settings.reoptimise_time_limit_s},
        ),
    ]
