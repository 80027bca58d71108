"""Courier flow end to end: merchant posts → inserted → the jobs piling up request a re-plan →
re-optimised by a real worker process on real Redis → courier completes → customer tracking shows
status and ETA. Then the scheduler's periodic jobs run through the same worker."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from rq import Queue
from sqlalchemy import func, select

from dispatch.queue.connection import QUEUES, connect
from fleet.db.tables import audit_log, delivery_jobs
from tests.dispatch.test_concurrency import _url as database_url
from tests.web.test_bookings import login
from tests.web.test_delivery import courier_headers, job
from web import create_app

ROOT = Path(__file__).resolve().parents[2]


def run(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *command],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def worker_env(engine, redis_url, cache_dir, tmp_path, clock) -> dict[str, str]:
    """The environment of a worker or scheduler process on the test's database, Redis and
    clock."""
    return {
        **os.environ,
        "DATABASE_URL": database_url(engine),
        "REDIS_URL": redis_url,
        "FLEETOPS_CITY": "synthetic",
        "FLEETOPS_CACHE_DIR": str(cache_dir),
        "FLEETOPS_VAR_DIR": str(tmp_path / "var"),
        "FLEETOPS_FIXED_TIME": clock.now().isoformat(),
    }


def test_merchant_to_worker_to_courier_to_customer(
    demo, settings, clock, redis_url, cache_dir, tmp_path
):
    redis = connect(redis_url)
    for name in QUEUES:
        Queue(name, connection=redis).empty()
    engine = demo[0].extensions["fleetops"].engine
    rules = settings.with_overrides(reoptimise_after_jobs=3, redis_url=redis_url)
    app = create_app(rules, engine=engine, clock=clock)
    client = app.test_client()
    merchant = login(client, "merchant1")
    posted = [
        client.post(
            "/api/v1/delivery-jobs", headers=merchant, json=job(client, clock, parcel_l=15)
        ).get_json()
        for _ in range(3)
    ]
    assert all(p["status"] == "assigned" for p in posted)
    # the third job asked for a re-plan
    (queued,) = Queue("dispatch", connection=redis).get_jobs()
    assert queued.func_name == "dispatch.queue.replans.reoptimise_deliveries"
    operator_id = client.get("/api/v1/me", headers=merchant).get_json()["operator_id"]
    env = worker_env(engine, redis_url, cache_dir, tmp_path, clock)
    worker = run(["worker", "--burst"], env)
    assert worker.returncode == 0, worker.stderr[-2000:]
    queued.refresh()
    assert queued.get_status() == "finished", queued.latest_result().exc_string
    assert queued.return_value() == {"couriers": 5, "jobs": 3, "dropped": 0}
    assert Queue("dispatch", connection=redis).count == 0

    first = posted[0]
    seen = client.get(first["tracking_api_url"]).get_json()
    assert seen["status"] == "assigned" and seen["dropoff_eta"]
    with engine.connect() as conn:
        courier_id = conn.execute(
            select(delivery_jobs.c.courier_id).where(delivery_jobs.c.id == first["id"])
        ).scalar_one()
    courier = courier_headers(client, courier_id)
    route = client.get("/api/v1/couriers/me/route", headers=courier).get_json()
    assert first["id"] in {s["job_id"] for s in route["stops"]}
    base = f"/api/v1/couriers/me/jobs/{first['id']}"
    assert client.post(f"{base}/picked-up", headers=courier).status_code == 200
    clock.advance(15 * 60)
    done = client.post(
        f"{base}/delivered", headers=courier, json={"proof_code": first["proof_code"]}
    ).get_json()
    assert done["status"] == "delivered" and done["on_time"] is True
    assert client.get(first["tracking_api_url"]).get_json()["status"] == "delivered"

    # the scheduler's periodic jobs, through the same worker: the re-plan of every operator
    # with open jobs comes back as a re-optimisation of this one
    assert run(["scheduler", "--once"], env).returncode == 0
    periodic = Queue("dispatch", connection=redis).get_jobs()
    assert run(["worker", "--burst"], env).returncode == 0
    for queued_job in periodic:
        queued_job.refresh()
        assert queued_job.get_status() == "finished", queued_job.latest_result().exc_string
    replan_all = next(j for j in periodic if j.func_name.endswith("replan_all"))
    assert replan_all.return_value() == [operator_id]
    with engine.connect() as conn:
        replans = conn.execute(
            select(func.count()).where(audit_log.c.action == "plans.reoptimise")
        ).scalar_one()
    assert replans == 2  # the one the jobs asked for, and the scheduler's
    assert Queue("dispatch", connection=redis).count == 0
