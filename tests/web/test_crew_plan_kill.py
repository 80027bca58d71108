"""A crew plan job whose worker is killed with SIGKILL in the middle of planning is retried by
another worker, and the operator ends up with exactly one plan and one set of tasks."""

from __future__ import annotations

import os
import signal
import time

import pytest
from rq.job import Job, JobStatus
from sqlalchemy import func, select

from dispatch.ops.crew_input import PlanKind
from dispatch.queue.connection import connect
from dispatch.queue.crew_jobs import QueueCrewPlans
from fleet.crews import bucket_of
from fleet.db.tables import audit_log, ops_plans, ops_tasks
from tests.web.test_crew_plans import crew_demo  # noqa: F401 - the fixture
from tests.web.test_day_load import _wait, _worker
from tests.web.test_delivery_worker import worker_env

#: The planner searches this long, so the kill lands in the middle of it.
SEARCH_S = 6.0


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_a_plan_whose_worker_is_killed_is_retried_and_stored_once(
    crew_demo,  # noqa: F811
    clock,
    redis_url,
    cache_dir,
    tmp_path,
):
    app, summary = crew_demo
    engine = app.extensions["fleetops"].engine
    redis = connect(redis_url)
    # a short job timeout: rq takes a job for abandoned only after its heartbeat runs out
    plans = QueueCrewPlans(redis, SEARCH_S, timeout_margin_s=10)
    bucket = bucket_of(clock.now())
    jid = plans.request(summary.operator_id, PlanKind.BATTERY_SWAPS, {}, bucket)
    job = Job.fetch(jid, connection=redis)
    env = worker_env(engine, redis_url, cache_dir, tmp_path, clock)
    log = tmp_path / "worker.log"
    first = _worker(env, log)
    try:
        _wait(lambda: job.get_status(refresh=True) == JobStatus.STARTED, 120, "planning to start")
        _wait(
            lambda: job.get_meta(refresh=True).get("progress", {}).get("message") == "solving",
            60,
            "the solver to start",
        )
        time.sleep(1.0)  # the solver is searching
        os.killpg(first.pid, signal.SIGKILL)  # the worker and its work horse, mid-plan
        first.wait()
        with engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(ops_plans)).scalar_one() == 0
        second = _worker(env, log)
        try:
            _wait(
                lambda: job.get_status(refresh=True) == JobStatus.FINISHED,
                240,
                f"the retried plan to finish; worker log:\n{log.read_text()[-3000:]}",
            )
        finally:
            os.killpg(second.pid, signal.SIGTERM)
            second.wait(30)
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
    result = Job.fetch(jid, connection=redis).return_value()
    assert result["new"] is True
    # asked again in the same bucket: the finished job, not a new one
    assert plans.request(summary.operator_id, PlanKind.BATTERY_SWAPS, {}, bucket) == jid
    with engine.connect() as conn:
        stored = conn.execute(select(ops_plans.c.id)).scalars().all()
        proposed = conn.execute(
            select(func.count()).where(audit_log.c.action == "plan.propose")
        ).scalar_one()
        tasks = conn.execute(
            select(ops_tasks.c.shift_id, ops_tasks.c.sequence).where(
                ops_tasks.c.plan_id == result["plan_id"]
            )
        ).all()
    assert stored == [result["plan_id"]] and proposed == 1
    assert tasks and len(tasks) == len(set(tasks))  # no task twice
