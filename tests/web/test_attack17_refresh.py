"""Attack on the road-surface refresh on the queue (issue 17), on SQLite and PostgreSQL.

Requests at once must queue one run (eight at once queued it four times). A refresh whose worker
died (SIGKILL mid-run) must not block the next ones: the dead run stayed "started" until some
worker's maintenance (10 minutes) failed it without a retry, and every request meanwhile (a
manager's, the scheduler's) answered the dead run's id and ran nothing; seen with ``fleetops
worker`` killed while matching 211,226 samples on PostgreSQL."""

from __future__ import annotations

import threading

from rq.job import Job, JobStatus
from rq.registry import StartedJobRegistry

from dispatch.queue.connection import connect
from dispatch.queue.surface_jobs import JOB_ID, QUEUE, request_refresh
from dispatch.queue.worker import PlatformSimpleWorker


def _taken_and_abandoned(platform, connection) -> Job:
    """The queued refresh taken by a worker that then dies: started, its heartbeat run out."""
    dead = PlatformSimpleWorker(platform, connection)
    dead.register_birth()
    job, _queue = dead.dequeue_job_and_maintain_ttl(timeout=1)
    dead.prepare_execution(job)
    dead.prepare_job_execution(job)
    assert job.get_status(refresh=True) == JobStatus.STARTED
    registry = StartedJobRegistry(QUEUE, connection=connection)
    runs = connection.zrange(registry.key, 0, -1)
    assert runs
    connection.zadd(registry.key, dict.fromkeys(runs, 1))  # heartbeats long run out
    return job


def test_a_refresh_whose_worker_died_runs_again_when_asked(demo, redis_url):
    platform = demo[0].extensions["fleetops"]
    connection = connect(redis_url)
    assert request_refresh(connection) == JOB_ID
    job = _taken_and_abandoned(platform, connection)

    assert request_refresh(connection) == JOB_ID
    assert job.get_status(refresh=True) == JobStatus.QUEUED  # not the dead run's "started"
    PlatformSimpleWorker(platform, connection).work(burst=True)
    assert job.get_status(refresh=True) == JobStatus.FINISHED
    assert job.return_value() is not None


def _ask_at_once(redis_url: str, asking: int) -> list[str]:
    gate = threading.Barrier(asking)
    answers: list[str] = []

    def ask() -> None:
        own = connect(redis_url)
        gate.wait()
        answers.append(request_refresh(own))

    threads = [threading.Thread(target=ask) for _ in range(asking)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return answers


def test_requests_at_once_queue_one_run(redis_url):
    connection = connect(redis_url)
    for _round in range(10):  # the race is lost in some rounds only
        connection.delete(f"rq:queue:{QUEUE}", f"rq:job:{JOB_ID}")
        assert _ask_at_once(redis_url, 8) == [JOB_ID] * 8
        assert connection.lrange(f"rq:queue:{QUEUE}", 0, -1) == [JOB_ID.encode()]
