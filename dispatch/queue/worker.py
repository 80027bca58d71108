"""The worker: RQ's, handing each platform job the platform it was started with.

``fleetops worker`` builds the platform once (the composition root) and runs a
:class:`PlatformWorker`; tests run a :class:`PlatformSimpleWorker` in their own process. A job
function marked ``@platform_job`` is called as ``func(platform, *args)``; nothing is installed in
a global.
"""

from __future__ import annotations

from typing import Any

import redis
from rq import Queue, SimpleWorker, Worker
from rq.job import Job

from dispatch.platform import Platform
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


class PlatformWorker(_HandsPlatform, Worker):
    """The forking worker of ``fleetops worker``."""

    def __init__(self, platform: Platform, connection: redis.Redis, **kwargs: Any) -> None:
        self.platform = platform
        queues = [Queue(name, connection=connection) for name in QUEUES]
        super().__init__(queues, connection=connection, job_class=PlatformJob, **kwargs)

    def main_work_horse(self, job: Job, queue: Queue) -> None:
        after_fork(self.platform.engine)  # the parent's pooled connections are not the horse's
        super().main_work_horse(job, queue)


class PlatformSimpleWorker(_HandsPlatform, SimpleWorker):
    """A worker that runs jobs in its own process (tests, one-off drains)."""

    def __init__(self, platform: Platform, connection: redis.Redis, **kwargs: Any) -> None:
        self.platform = platform
        queues = [Queue(name, connection=connection) for name in QUEUES]
        super().__init__(queues, connection=connection, job_class=PlatformJob, **kwargs)
