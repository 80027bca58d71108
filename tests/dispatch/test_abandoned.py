"""A job whose worker was SIGKILLed on this machine is handed to rq's cleanup once the worker
has missed three heartbeats, not after rq's minute; a live worker's job never is, however old
its heartbeat, and neither is one of a worker registered from another host. Real rq workers in
their own processes, on the test Redis; the time of the check is passed in, never waited for."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import redis
from rq import Queue, Retry, Worker
from rq.job import Job, JobStatus
from rq.registry import StartedJobRegistry

from dispatch.queue.abandoned import HORSE_PID_FIELD, STALE_AFTER_S, mark_abandoned

#: A worker of rq's own (no platform needed) that beats every second while a job runs.
WORKER = """
import sys, redis
from rq import Queue, Worker
connection = redis.Redis.from_url(sys.argv[1])
Worker([Queue(sys.argv[2], connection=connection)], connection=connection,
       job_monitoring_interval=1).work()
"""


def _worker(redis_url: str, queue_name: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", WORKER, redis_url, queue_name],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _started(job: Job, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while job.get_status(refresh=True) != JobStatus.STARTED:
        if time.monotonic() > deadline:
            pytest.fail("the job never started")
        time.sleep(0.1)


@pytest.fixture
def queue(redis_url):
    connection = redis.Redis.from_url(redis_url)
    name = f"abandoned-{uuid.uuid4().hex[:8]}"
    queue = Queue(name, connection=connection)
    yield queue
    # the shared test Redis keeps no trace: the dead workers (the health check counts workers),
    # the jobs and everything keyed by the queue
    for worker in Worker.all(queue=queue):
        connection.srem(Worker.redis_workers_keys, worker.key)
        connection.delete(worker.key)
    ids = [
        key.decode().removeprefix("rq:job:")
        for key in connection.scan_iter("rq:job:*")
        if connection.type(key) == b"hash" and connection.hget(key, "origin") == name.encode()
    ]
    for pattern in [f"*{name}*", *(f"*{job_id}*" for job_id in ids)]:
        for key in connection.scan_iter(pattern):
            connection.delete(key)
    connection.close()


def test_a_killed_workers_job_is_retried_once_its_beats_are_missed(redis_url, queue):
    job = queue.enqueue(time.sleep, 120, retry=Retry(max=1), job_timeout=300)
    worker = _worker(redis_url, queue.name)
    try:
        _started(job)
        os.killpg(worker.pid, signal.SIGKILL)  # the worker and its work horse
        worker.wait()
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
    killed_at = datetime.now(UTC)
    registry = StartedJobRegistry(queue=queue)
    assert job.id in registry.get_job_ids(cleanup=False)
    # rq's own cleanup would wait for its minute: nothing of it has expired yet
    assert registry.get_expired_job_ids() == []
    # right after the kill its last beat is too recent to judge
    assert mark_abandoned([queue], queue.connection, now=killed_at) == []
    later = killed_at + timedelta(seconds=STALE_AFTER_S + 1)
    assert mark_abandoned([queue], queue.connection, now=later) == [job.id]
    registry.cleanup()  # what the worker's maintenance runs next
    assert job.get_status(refresh=True) == JobStatus.QUEUED  # retried, by rq's rule
    assert Job.fetch(job.id, connection=queue.connection).retries_left == 0
    assert job.id not in registry.get_job_ids(cleanup=False)


def test_a_job_whose_work_horse_still_runs_is_left_alone(redis_url, queue):
    job = queue.enqueue(time.sleep, 120, job_timeout=300)
    worker = _worker(redis_url, queue.name)
    try:
        _started(job)
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
    job.refresh()
    key = Worker.redis_worker_namespace_prefix + job.worker_name
    # as fleetops worker records it: here a horse that still runs (this test's own process)
    queue.connection.hset(key, HORSE_PID_FIELD, os.getpid())
    much_later = datetime.now(UTC) + timedelta(hours=1)
    assert mark_abandoned([queue], queue.connection, now=much_later) == []
    # a horse that ended but nobody reaped (a zombie): signal 0 still finds its pid
    zombie = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        _ended_unreaped(zombie.pid)
        queue.connection.hset(key, HORSE_PID_FIELD, zombie.pid)
        assert mark_abandoned([queue], queue.connection, now=much_later) == [job.id]
    finally:
        zombie.wait()
    queue.connection.hset(key, HORSE_PID_FIELD, worker.pid)  # gone with its worker
    assert mark_abandoned([queue], queue.connection, now=much_later) == [job.id]


def _ended_unreaped(pid: int, timeout_s: float = 30) -> None:
    """Wait until the child ``pid`` has ended, without reaping it."""
    deadline = time.monotonic() + timeout_s
    while os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None:
        if time.monotonic() > deadline:
            pytest.fail("the child never ended")
        time.sleep(0.05)
    os.kill(pid, 0)  # still there, for signal 0


def test_a_live_workers_job_and_another_hosts_are_left_alone(redis_url, queue):
    job = queue.enqueue(time.sleep, 120, job_timeout=300)
    worker = _worker(redis_url, queue.name)
    try:
        _started(job)
        much_later = datetime.now(UTC) + timedelta(hours=1)
        assert mark_abandoned([queue], queue.connection, now=much_later) == []  # it runs
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
        elsewhere = mark_abandoned(
            [queue], queue.connection, now=much_later, hostname="another-host"
        )
        assert elsewhere == []  # its pid means nothing on another machine
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
    assert job.get_status(refresh=True) == JobStatus.STARTED


def test_a_replan_lock_held_by_a_killed_worker_is_taken_over(redis_url, queue):
    from dispatch.queue.replans import take_running_lock

    connection = queue.connection
    operator = f"operator-{uuid.uuid4().hex[:8]}"
    key = f"fleetops:replan:{operator}:running"
    job = queue.enqueue(time.sleep, 120, job_timeout=300)
    worker = _worker(redis_url, queue.name)
    try:
        _started(job)
        job.refresh()
        connection.set(key, f"{job.id}|{job.worker_name}", ex=300)  # as its run took it
        much_later = datetime.now(UTC) + timedelta(hours=1)
        # its worker runs: nobody takes the lock over, however late
        assert not take_running_lock(connection, operator, "retry|w2", 60, now=much_later)
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
        killed_at = datetime.now(UTC)
        # just killed: its last beat is too recent to judge; another host cannot judge it
        assert not take_running_lock(connection, operator, "retry|w2", 60, now=killed_at)
        assert not take_running_lock(
            connection, operator, "retry|w2", 60, now=much_later, hostname="another-host"
        )
        later = killed_at + timedelta(seconds=STALE_AFTER_S + 1)
        assert take_running_lock(connection, operator, "retry|w2", 60, now=later)
        assert connection.get(key) == b"retry|w2" and 0 < connection.ttl(key) <= 60
        # the new holder's worker is not known dead (not even registered): its lock holds
        assert not take_running_lock(connection, operator, "third|w3", 60, now=much_later)
        # a lock that names no worker (an older version's) is never taken over
        connection.set(key, job.id, ex=300)
        assert not take_running_lock(connection, operator, "third|w3", 60, now=much_later)
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
        connection.delete(key)
