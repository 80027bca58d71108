"""Jobs of a worker killed on this machine go back to the queue within seconds, not a minute.

rq takes a started job as abandoned once its worker has not heartbeaten for 60 s past the
monitoring interval (``StartedJobRegistry.cleanup``), whatever the cause. When the worker was
killed on this machine (an OOM kill, a ``kill -9``, ``fleetops run`` restarting it), we can know
sooner: its process is gone. A job counts as abandoned here when its worker

- registered from this host, and no process of its pid is running here, nor of its work
  horse's (``fleetops worker`` records it: a worker killed alone can leave its horse running
  the job, in the worker's process group, until somebody kills the group); a process that
  ended but was never reaped (a zombie: a horse killed with its worker goes to PID 1, which in
  some containers never reaps) runs no more, and
- has not heartbeaten for ``STALE_AFTER_S`` (three missed beats of ``fleetops worker``), so a
  worker in another container that shares our hostname but not our process ids is never judged
  by a pid it does not have here, unless it also stopped beating.

Such a job's entry in the started registry is marked expired, and rq's own cleanup (retry while
retries are left, else failed, with its failure callbacks), which the worker runs next under
rq's maintenance lock, takes it up as it would a minute later. A worker whose process runs
here is never judged, however long it has been silent (a ``SimpleWorker`` does not beat while
its job runs); nor is one registered from another host.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import redis
from rq import Queue, Worker
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.registry import StartedJobRegistry

#: A worker silent this long (``dispatch.queue.worker.JOB_MONITORING_S`` is 5 s) and gone from
#: this machine's processes has died.
STALE_AFTER_S = 15
#: Scores are expiry times: any time long past marks an entry expired.
_EXPIRED = 1
#: Field of a worker's Redis hash where ``fleetops worker`` keeps its work horse's pid.
HORSE_PID_FIELD = "fleetops_horse_pid"


def _running_here(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: it exists
        pass
    return not _zombie(pid)


def _zombie(pid: int) -> bool:
    """Whether ``pid`` ended and waits to be reaped: a work horse killed with its worker is
    handed to PID 1, which in some containers never reaps it, and signal 0 still finds it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:  # no /proc (not Linux), or it just went
        return False
    fields = stat.rpartition(")")[2].split()  # the name, in parentheses, may hold spaces
    return bool(fields) and fields[0] == "Z"


def worker_died_here(
    connection: redis.Redis, worker_name: str, *, now: datetime, hostname: str
) -> bool:
    """Whether the worker ``worker_name`` ran on ``hostname`` and is dead (see the module)."""
    worker = Worker.find_by_key(Worker.redis_worker_namespace_prefix + worker_name, connection)
    if worker is None or worker.hostname != hostname or worker.pid is None:
        return False  # gone from Redis (rq's cleanup finds its jobs) or not ours to judge
    beat = worker.last_heartbeat
    if beat is None:
        return False
    if beat.tzinfo is None:
        beat = beat.replace(tzinfo=UTC)
    if now - beat <= timedelta(seconds=STALE_AFTER_S) or _running_here(worker.pid):
        return False
    horse = connection.hget(worker.key, HORSE_PID_FIELD)
    return horse is None or not _running_here(int(horse))


def mark_abandoned(
    queues: Iterable[Queue],
    connection: redis.Redis,
    *,
    now: datetime | None = None,
    hostname: str | None = None,
) -> list[str]:
    """Mark the started jobs of workers killed on this host expired for rq's cleanup; their
    ids."""
    now = now or datetime.now(UTC)
    hostname = hostname or socket.gethostname()
    marked: list[str] = []
    judged: dict[str, bool] = {}
    for queue in queues:
        registry = StartedJobRegistry(queue=queue)
        expired: list[str] = []
        for job_id, execution_id in registry.get_job_and_execution_ids(cleanup=False):
            try:
                job = Job.fetch(job_id, connection=connection)
            except NoSuchJobError:
                continue
            name = job.worker_name
            if not name or job.get_status(refresh=False) != JobStatus.STARTED:
                continue
            if name not in judged:
                judged[name] = worker_died_here(connection, name, now=now, hostname=hostname)
            if judged[name]:
                expired.append(f"{job_id}:{execution_id}")
                marked.append(job_id)
        if expired:  # xx: an entry its worker removed meanwhile stays removed
            connection.zadd(registry.key, dict.fromkeys(expired, _EXPIRED), xx=True)
    return marked
