"""Re-plans are requested when jobs pile up (once per burst), and the scheduler enqueues the
periodic jobs: on the Redis server here, with RQ's own queues."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from rq import Queue

from dispatch.queue import jobs, replans
from dispatch.queue.connection import QUEUES, connect

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def empty_queues(redis_url):
    """The claimed Redis database serves the whole test run: start these tests on empty queues
    and leave them empty."""

    def empty() -> None:
        redis = connect(redis_url)
        for name in QUEUES:
            Queue(name, connection=redis).empty()
        for key in redis.scan_iter("fleetops:replan:*"):
            redis.delete(key)

    empty()
    yield
    empty()


def scheduler_once(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``fleetops scheduler --once`` in a process of its own."""
    return subprocess.run(
        [sys.executable, "-m", "cli.main", "scheduler", "--once"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_posted_jobs_request_one_replan_per_burst(redis_url):
    redis = connect(redis_url)
    queue = Queue("dispatch", connection=redis)

    def post(operator_id: str = "op-1", unassigned: bool = False):
        return replans.job_posted(
            redis, operator_id, after_jobs=3, every_s=300, unassigned=unassigned
        )

    assert post() is None and post() is None and queue.count == 0
    third = post()
    assert third is not None and queue.count == 1  # three piled up: one re-plan
    assert third.func_name == "dispatch.queue.replans.reoptimise_deliveries"
    assert third.args == ("op-1",)  # the worker's platform knows the city and the limits
    assert post() is None and post(unassigned=True) is None  # one is waiting already
    assert queue.count == 1
    replans.replan_started(redis, "op-1")  # the worker took it: the count starts again
    assert post(unassigned=True) is not None  # a job no courier could take: at once
    assert queue.count == 2
    other = post("op-2", unassigned=True)
    assert other is not None and queue.count == 3  # operators are counted apart


def test_the_scheduler_enqueues_the_periodic_jobs(redis_url, settings, tmp_path, cache_dir):
    env = {
        **os.environ,
        "REDIS_URL": redis_url,
        "FLEETOPS_CITY": "synthetic",
        "FLEETOPS_CACHE_DIR": str(cache_dir),
        "FLEETOPS_VAR_DIR": str(tmp_path / "var"),
        "FLEETOPS_REOPTIMISE_EVERY_S": "120",
    }
    result = scheduler_once(env)
    assert result.returncode == 0, result.stderr
    assert "every 120 s: replan-couriers" in result.stderr
    assert "every 3600 s: forecast-refresh" in result.stderr
    queued = Queue("dispatch", connection=connect(redis_url)).get_jobs()
    assert sorted(j.func_name for j in queued) == sorted(
        f"{f.__module__}.{f.__name__}"
        for f in (
            jobs.expire_holds,
            jobs.handle_late_returns,
            replans.replan_all,
            jobs.forecast_refresh,
        )
    )
    assert all(j.args == () and j.kwargs == {} for j in queued)  # the worker's platform has all


def test_the_scheduler_needs_redis(tmp_path, cache_dir):
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env |= {"FLEETOPS_VAR_DIR": str(tmp_path / "var"), "FLEETOPS_CACHE_DIR": str(cache_dir)}
    result = scheduler_once(env)
    assert result.returncode != 0 and "REDIS_URL is unset" in result.stderr
