"""The road-surface refresh on the queue (docs/road-surface.md): ``refresh_surface`` matches the
bikes' and kickboards' new telemetry to the bike network and makes the index afresh; requested
from a shell (``fleetops road-surface refresh --queue``; there is no HTTP endpoint for it) or every
``schedule.road_surface_every_s`` by the scheduler.

One refresh at a time for the city (its job id is fixed): asking while one waits or runs finds
that one. A refresh killed midway leaves the matches it committed; the next picks up the rest.
A refresh whose worker died (SIGKILL, a lost machine) is retried once rq finds it abandoned (its
heartbeat ran out), and asking finds it so rather than taking the dead run for a running one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import redis
from rq import Retry, get_current_job
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.registry import StartedJobRegistry

from dispatch.ops.surface import refresh
from dispatch.platform import Platform
from dispatch.queue.connection import queue
from dispatch.queue.jobs import job_state, platform_job, report_progress
from fleet.exceptions import NotFound

QUEUE = "operations"
JOB_ID = "road-surface-refresh"
RESULT_TTL_S = 24 * 3600
FAILURE_TTL_S = 7 * 24 * 3600
#: A refresh that has not finished after this long is killed by rq (the next one goes on).
JOB_TIMEOUT_S = 1800
#: A refresh whose worker died is run again (it resumes from the matches it committed) at once.
RETRY = Retry(max=2)
PENDING = frozenset({JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED})


def _progress(done: int, total: int) -> None:
    report_progress(done=done, total=total)


@platform_job
def refresh_surface(platform: Platform) -> dict[str, Any]:
    """Match and refresh; what was done (see :class:`dispatch.ops.surface.Refreshed`)."""
    done = refresh(platform.engine, platform.clock, platform.routers, progress=_progress)
    return {
        "matched": done.matched,
        "unmatched": done.unmatched,
        "readings": done.readings,
        "roads": done.roads,
        "ranked": done.ranked,
        "network_changed": done.network_changed,
    }


#: Requests take turns on this lock: two at once both found no run pending and both queued the
#: job (eight at once queued it four times, and rq runs an id each time it is in the queue).
REQUEST_LOCK = f"{JOB_ID}:request"


def request_refresh(connection: redis.Redis) -> str:
    """Enqueue a refresh unless one is pending already; its job id either way."""
    with connection.lock(REQUEST_LOCK, timeout=30, blocking_timeout=30):
        return _request(connection)


def _request(connection: redis.Redis) -> str:
    # A run whose worker died stays "started" until some worker's maintenance (every 10 minutes)
    # finds it: look now, so a dead run is retried (or failed) instead of answering for a live one.
    StartedJobRegistry(QUEUE, connection=connection).cleanup()
    try:
        found = Job.fetch(JOB_ID, connection=connection)
        if found.get_status(refresh=True) in PENDING:
            return JOB_ID
    except NoSuchJobError:
        pass
    job = queue(connection, QUEUE).enqueue(
        refresh_surface,
        job_id=JOB_ID,
        job_timeout=JOB_TIMEOUT_S,
        retry=RETRY,
        result_ttl=RESULT_TTL_S,
        failure_ttl=FAILURE_TTL_S,
        meta={"kind": "road-surface"},
    )
    return str(job.id)


@dataclass(frozen=True, slots=True)
class QueueSurface:
    """Requests refreshes on the ``operations`` queue and reads their status (the web's door to
    the queue, :class:`dispatch.ops.surface_map.SurfaceQueue`)."""

    connection: redis.Redis

    def request(self) -> str:
        """Enqueue a refresh unless one waits or runs; its job id either way."""
        return request_refresh(self.connection)

    def status(self, jid: str) -> dict[str, Any]:
        """The refresh job's status, progress (``done`` of ``total``) and result.

        Raises
        ------
        NotFound
            No refresh job of that id (or its result has expired).
        """
        job = None
        if jid == JOB_ID:
            try:
                job = Job.fetch(jid, connection=self.connection)
            except NoSuchJobError:
                job = None
        if job is None:
            msg = f"no road-surface refresh job {jid}"
            raise NotFound(msg)
        state = job_state(job)
        failed = state.status == JobStatus.FAILED.value
        return {
            "id": job.id,
            "kind": job.meta.get("kind"),
            "status": state.status,
            "progress": job.meta.get("progress", {"done": 0, "total": 0}),
            "result": state.result if isinstance(state.result, dict) else None,
            "error": state.error or ("failed" if failed else None),
        }


@platform_job
def scheduled_refresh(platform: Platform) -> str:
    """The scheduler's refresh: request one (the job id), so it never runs twice at once."""
    job = get_current_job()
    if job is None:
        msg = "scheduled_refresh runs on the queue: it enqueues the refresh"
        raise RuntimeError(msg)
    return request_refresh(job.connection)
