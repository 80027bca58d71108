"""The worker: RQ's, handing each platform job the platform it was started with.

``fleetops worker`` builds the platform once (the composition root) and runs a
:class:`PlatformWorker`; tests run a :class:`PlatformSimpleWorker` in their own process. A job
function marked ``@platform_job`` is called as ``func(platform, *args)``; nothing is installed in
a global.
"""

from __future__ import annotations

import os
from typing import Any

import redis
from rq import Queue, SimpleWorker, Worker
from rq.job import Job

from dispatch.platform import Platform
from dispatch.queue.abandoned import HORSE_PID_FIELD, mark_abandoned
from dispatch.queue.connection import QUEUES
from dispatch.queue.jobs import PLATFORM_ARG
from fleet.db.engine import after_fork


class PlatformJob(Job):
    """A job that passes its worker's platform to platform jobs."""

    platform: Platform | None = None

    def _execute(self) -> Any:
        if getattr(self.func, PLATFORM_ARG, False):
            if self.platform is None:
                msg = f"{self.func_name} needs the platform: run it in `fleetops worker`"
                raise RuntimeError(msg)
            return self.func(self.platform, *self.args, **self.kwargs)
        return super()._execute()


class _HandsPlatform:
    """What both workers add: the platform, given to every job before it runs."""

    platform: Platform

    def perform_job(self, job: Job, queue: Queue, execution: Any) -> bool:
        if isinstance(job, PlatformJob):
            job.platform = self.platform
        return super().perform_job(job, queue, execution)  # type: ignore[misc, no-any-return]


#: How long a worker's registration lives without a heartbeat; idle, it heartbeats every
#: ``WORKER_TTL_S - 15`` s (rq's rule), so the health check sees a dead one within a minute.
WORKER_TTL_S = 30
#: While a job runs the worker heartbeats this often; a job whose worker stops for 60 s more is
#: taken as abandoned and retried (rq's StartedJobRegistry), or after ``STALE_AFTER_S`` when the
#: worker ran on this machine and its process is gone (``dispatch.queue.abandoned``).
JOB_MONITORING_S = 5
#: How often a worker looks for abandoned jobs (rq's default is ten minutes).
MAINTENANCE_S = 15


class PlatformWorker(_HandsPlatform, Worker):
    """The forking worker of ``fleetops worker``: short heartbeats, a frequent look for jobs
    abandoned by a killed worker, and its work horse in its own process group."""

    def __init__(self, platform: Platform, connection: redis.Redis, **kwargs: Any) -> None:
        self.platform = platform
        queues = [Queue(name, connection=connection) for name in QUEUES]
        kwargs.setdefault("worker_ttl", WORKER_TTL_S)
        kwargs.setdefault("job_monitoring_interval", JOB_MONITORING_S)
        kwargs.setdefault("maintenance_interval", MAINTENANCE_S)
        super().__init__(queues, connection=connection, job_class=PlatformJob, **kwargs)

    def clean_registries(self) -> None:
        # jobs of a worker killed on this machine are abandoned now, not after rq's minute
        mark_abandoned(self.queues, self.connection)
        super().clean_registries()  # type: ignore[no-untyped-call]

    def fork_work_horse(self, job: Job, queue: Queue) -> None:
        # rq moves the horse to a process group of its own; ours stays in the worker's, so that
        # killing or stopping the worker's group (as `fleetops run` does) takes a running job
        # with it, to be retried, instead of leaving an orphan writing plans.
        pid = os.fork()
        os.environ["RQ_WORKER_ID"] = self.name
        os.environ["RQ_JOB_ID"] = job.id
        if pid == 0:
            self.main_work_horse(job, queue)
            os._exit(0)
        self._horse_pid = pid
        # for dispatch.queue.abandoned: a job is not abandoned while its horse runs
        self.connection.hset(self.key, HORSE_PID_FIELD, pid)

    def main_work_horse(self, job: Job, queue: Queue) -> None:
        after_fork(self.platform.engine)  # the parent's pooled connections are not the horse's
        super().main_work_horse(job, queue)


class PlatformSimpleWorker(_HandsPlatform, SimpleWorker):
    """A worker that runs jobs in its own process (tests, one-off drains)."""

    def __init__(self, platform: Platform, connection: redis.Redis, **kwargs: Any) -> None:
        self.platform = platform
        queues = [Queue(name, connection=connection) for name in QUEUES]
        super().__init__(queues, connection=connection, job_class=PlatformJob, **kwargs)
