"""A small operating day on PostgreSQL and SQLite: merchants posting at once while re-plans run
give no 5xx, no deadlock, and no job lost, stored twice or assigned without stops; and a worker
killed with SIGKILL in the middle of a re-plan has that re-plan retried to completion."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest
from rq import Queue
from rq.job import Job, JobStatus
from rq.registry import FinishedJobRegistry
from sqlalchemy import func, select

from dispatch.couriers.replan import reoptimise
from dispatch.couriers.service import SolverLimits
from dispatch.queue.connection import QUEUES, connect
from dispatch.queue.replans import request_replan
from fleet.db.tables import audit_log, delivery_jobs
from tests.dispatch.test_concurrency import _url as database_url
from tests.web.test_bookings import available, login
from tests.web.test_committed import operator_of
from tests.web.test_delivery import window
from tests.web.test_plan_versions import check_plans_whole

ROOT = Path(__file__).resolve().parents[2]
#: A small day for make test; benchmarks/couriers.py runs the full lunch peak (240 posts at
#: concurrency 20 over HTTP on PostgreSQL).
POSTS = 20
CLIENTS = 10
#: The re-plans running meanwhile stop at their first few improving solutions: the test is of
#: posts and re-plans meeting, and a re-plan that searches to its time limit only keeps its
#: solver thread on the GIL that long (this test's posts share the re-plans' process, which
#: a served platform's do not), so the posts took minutes on a loaded machine.
QUICK = SolverLimits(time_limit_s=0.5, solution_limit=3)


def test_posts_at_once_while_replans_run_lose_nothing(demo, clock):
    app = demo[0]
    platform = app.extensions["fleetops"]
    couriers = replace(platform.couriers, limits=QUICK)
    client = app.test_client()
    merchants = [login(client, f"merchant{i}") for i in (1, 2, 3)]
    operator_id = operator_of(client, merchants[0])
    spots = [(v["lat"], v["lon"]) for v in available(client, "e_bike")]
    rng = random.Random(7)
    bodies = []
    for _ in range(POSTS):
        pickup, dropoff = rng.sample(spots, 2)
        bodies.append(
            {
                "pickup": {"lat": pickup[0], "lon": pickup[1]},
                "dropoff": {"lat": dropoff[0], "lon": dropoff[1]},
                "pickup_window": window(clock, 0, 1),
                "dropoff_window": window(clock, 0, rng.choice((2, 3))),
                "parcel_l": rng.choice((3, 5, 8)),
            }
        )

    def post(n: int) -> tuple[int, dict]:
        r = app.test_client().post(
            "/api/v1/delivery-jobs",
            headers={**merchants[n % 3], "Idempotency-Key": f"day-{n}"},
            json=bodies[n],
        )
        return r.status_code, r.get_json()

    stop = threading.Event()
    replans: list[dict[str, int]] = []
    errors: list[BaseException] = []

    def replan_meanwhile() -> None:
        while not stop.is_set():
            try:
                replans.append(reoptimise(couriers, operator_id))
            except BaseException as exc:  # reported below, on the test's thread
                errors.append(exc)
                return

    replanner = threading.Thread(target=replan_meanwhile)
    replanner.start()
    try:
        with ThreadPoolExecutor(CLIENTS) as pool:
            answers = list(pool.map(post, range(POSTS)))
    finally:
        stop.set()
        replanner.join()
    assert not errors, errors
    assert replans, "no re-plan ran during the posts"
    assert [s for s, _ in answers if s >= 500] == []
    assert {s for s, _ in answers} == {201}, [b for s, b in answers if s != 201][:3]
    posted = [b for _, b in answers]
    assert all(p["status"] in ("assigned", "unassigned") for p in posted)
    assert all(p["status"] == "assigned" or p["reason"] for p in posted)

    reoptimise(platform.couriers, operator_id)  # and one more, after the burst
    with platform.engine.connect() as conn:
        stored = conn.execute(select(delivery_jobs.c.id, delivery_jobs.c.status)).all()
    assert sorted(r.id for r in stored) == sorted(p["id"] for p in posted)  # none lost, none twice
    assigned = check_plans_whole(platform.engine)  # no assigned job without its stops
    assert len(assigned) >= POSTS // 2


def _worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "cli.main", "worker"],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _wait(predicate, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.2)


def _replans_written(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(
            select(func.count()).where(audit_log.c.action == "plans.reoptimise")
        ).scalar_one()


def _finished_results(redis, function: str, *, since) -> list[dict]:
    """Return values of the finished jobs of ``function`` on every queue enqueued since
    ``since`` (the test Redis is shared by this process's tests)."""
    found = []
    for name in QUEUES:
        ids = FinishedJobRegistry(name, connection=redis).get_job_ids()
        # another test's job may be deleted between the listing and the fetch: None then
        for done in Job.fetch_many(ids, connection=redis):
            if done is None or not done.func_name.endswith(function):
                continue
            if done.enqueued_at is not None and done.enqueued_at >= since:
                found.append(done.return_value())
    return found


def _merged(results: list[dict]) -> dict:
    """The one result that is not a deferral (the re-plan ran once)."""
    ran = [r for r in results if r != {"deferred": 1}]
    assert len(ran) == 1, results
    return ran[0]


@pytest.mark.slow
# What is tested is rq finding the killed job and the retry writing the plan once: one database
# shows it (each run waits out rq's heartbeat, over a minute); plan writes race on both elsewhere
@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_a_replan_whose_worker_is_killed_is_retried_and_completes(
    demo, settings, clock, redis_url, cache_dir, tmp_path
):
    app = demo[0]
    platform = app.extensions["fleetops"]
    client = app.test_client()
    merchant = login(client, "merchant1")
    operator_id = operator_of(client, merchant)
    spots = [(v["lat"], v["lon"]) for v in available(client, "e_bike")]
    for n in range(12):
        (a, b) = spots[n % len(spots)], spots[-1 - n % len(spots)]
        r = client.post(
            "/api/v1/delivery-jobs",
            headers=merchant,
            json={
                "pickup": {"lat": a[0], "lon": a[1]},
                "dropoff": {"lat": b[0], "lon": b[1]},
                "pickup_window": window(clock, 0, 1),
                "dropoff_window": window(clock, 0, 3),
                "parcel_l": 5,
            },
        )
        assert r.status_code == 201
    redis = connect(redis_url)
    for name in QUEUES:
        Queue(name, connection=redis).empty()
    redis.delete(*[k for k in redis.keys("fleetops:replan:*")] or ["-"])
    config = tmp_path / "fleetops.toml"
    # the re-plan searches long enough to be killed in the middle of it
    config.write_text("[schedule]\nreoptimise_time_limit_s = 6\nreoptimise_solution_limit = 0\n")
    env = {
        **os.environ,
        "DATABASE_URL": database_url(platform.engine),
        "REDIS_URL": redis_url,
        "FLEETOPS_CITY": "synthetic",
        "FLEETOPS_CONFIG": str(config),
        "FLEETOPS_CACHE_DIR": str(cache_dir),
        "FLEETOPS_VAR_DIR": str(tmp_path / "var"),
        "FLEETOPS_FIXED_TIME": clock.now().isoformat(),
    }
    log = tmp_path / "worker.log"
    job = request_replan(redis, operator_id)
    assert job is not None
    first = _worker(env, log)
    try:
        _wait(
            lambda: job.get_status(refresh=True) == JobStatus.STARTED, 120, "the re-plan to start"
        )
        time.sleep(1.5)  # the solver is searching
        os.killpg(first.pid, signal.SIGKILL)  # the worker and its work horse, mid-re-plan
        first.wait()
        second = _worker(env, log)  # what `fleetops run` does when its worker dies
        try:
            _wait(
                lambda: (
                    job.get_status(refresh=True) == JobStatus.FINISHED
                    and _replans_written(platform.engine) >= 1
                ),
                240,
                f"the retried re-plan to finish; worker log:\n{log.read_text()[-3000:]}",
            )
        finally:
            os.killpg(second.pid, signal.SIGTERM)
            second.wait(30)
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
    # The retry comes once the dead worker has missed its heartbeats (dispatch.queue.abandoned)
    # and takes the killed run's running lock over (dispatch.queue.replans.take_running_lock).
    # Were the dead worker no longer known, it would defer to a follow-up job five seconds
    # later, as any re-plan finding one running does, until the lock expired. Either ran it once.
    job = Job.fetch(job.id, connection=redis)
    results = [job.return_value()]
    if results[0] == {"deferred": 1}:
        results = _finished_results(redis, "reoptimise_deliveries", since=job.enqueued_at)
    ran = _merged(results)
    assert ran["couriers"] == 5 and ran["jobs"] == 12
    assert _replans_written(platform.engine) == 1  # the killed run wrote nothing; once after
    check_plans_whole(platform.engine)
    assert redis.get(f"fleetops:replan:{operator_id}:running") is None  # the lock is let go
