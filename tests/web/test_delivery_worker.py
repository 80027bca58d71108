"""Courier flow end to end: merchant posts → inserted → re-optimised by a real worker process on
real Redis → courier completes → customer tracking shows status and ETA."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from rq import Queue
from sqlalchemy import select

from dispatch import tasks
from dispatch.queue import connect, enqueue
from fleet.db.tables import delivery_jobs
from tests.dispatch.test_concurrency import _url as database_url
from tests.web.test_bookings import login
from tests.web.test_delivery import courier_headers, job

ROOT = Path(__file__).resolve().parents[2]


def test_merchant_to_worker_to_courier_to_customer(demo, clock, redis_url, cache_dir, tmp_path):
    app = demo[0]
    client = app.test_client()
    merchant = login(client, "merchant1")
    posted = [
        client.post(
            "/api/v1/delivery-jobs", headers=merchant, json=job(client, clock, parcel_l=15)
        ).get_json()
        for _ in range(3)
    ]
    assert all(p["status"] == "assigned" for p in posted)

    redis = connect(redis_url)
    operator_id = client.get("/api/v1/me", headers=merchant).get_json()["operator_id"]
    queued = enqueue(
        redis,
        tasks.reoptimise_deliveries,
        operator_id,
        "synthetic",
        queue_name="dispatch",
        retry=None,
    )
    engine = app.extensions["fleetops"].engine
    env = {
        **os.environ,
        "DATABASE_URL": database_url(engine),
        "REDIS_URL": redis_url,
        "FLEETOPS_CITY": "synthetic",
        "FLEETOPS_CACHE_DIR": str(cache_dir),
        "FLEETOPS_VAR_DIR": str(tmp_path / "var"),
        "FLEETOPS_FIXED_TIME": clock.now().isoformat(),
    }
    worker = subprocess.run(
        [sys.executable, "-m", "cli.main", "worker", "--burst"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert worker.returncode == 0, worker.stderr[-2000:]
    queued.refresh()
    assert queued.get_status() == "finished", queued.latest_result().exc_string
    assert queued.return_value() == {"couriers": 5, "jobs": 3, "dropped": 0}
    assert Queue("dispatch", connection=redis).count == 0

    first = posted[0]
    seen = client.get(first["tracking_url"]).get_json()
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
    assert client.get(first["tracking_url"]).get_json()["status"] == "delivered"
