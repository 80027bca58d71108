"""Crew plans end to end through a real worker on real Redis: a manager requests a plan, the
job proposes it, the manager approves it, the crew carries it out; the fleet, the packs and the
stations' stock come out right."""

from __future__ import annotations

from collections import Counter
from datetime import UTC

import pytest
from rq import Queue
from sqlalchemy import select, update

from cli.demo import seed_demo
from cli.main import prepare_city
from dispatch.ops.demand import refresh
from dispatch.queue.connection import QUEUES, connect
from fleet.catalog import DEFAULT_CATALOG
from fleet.clock import FixedClock
from fleet.db.engine import writing
from fleet.db.tables import audit_log, battery_packs, ops_tasks, vehicles
from fleet.ids import RandomIds
from fleet.sites import CHARGED_PCT
from tests.web.test_bookings import login
from tests.web.test_delivery_worker import run, worker_env
from web import create_app


@pytest.fixture
def crew_demo(engine, settings, clock, redis_url):
    """The demo (80 vehicles) with 15 days of ride history and a fresh demand forecast, its
    app on real Redis with a 1-second planner."""
    prepared = prepare_city(settings, "synthetic")
    utc = FixedClock(clock.now().astimezone(UTC))  # as the system clock tells it
    with writing(engine) as conn:
        summary = seed_demo(
            conn, profile=prepared.profile, layout=prepared.layout, graphs=prepared.graphs,
            n_vehicles=80, clock=utc, ids=RandomIds(), catalog=DEFAULT_CATALOG, seed=5,
            history_days=15,
        )  # fmt: skip
    with writing(engine) as conn:  # a morning after a busy night: most of the fleet is flat
        conn.execute(
            update(vehicles)
            .where(vehicles.c.vehicle_class.in_(["e_kickboard", "e_bike"]),
                   vehicles.c.status == "available")
            .values(soc_pct=8.0, status="low_battery")
        )  # fmt: skip
    rules = settings.with_overrides(redis_url=redis_url, crew_plan_time_limit_s=1)
    app = create_app(rules, engine=engine, clock=clock)
    refresh(app.extensions["fleetops"].demand, summary.operator_id)
    redis = connect(redis_url)
    for name in QUEUES:
        Queue(name, connection=redis).empty()
    return app, summary


def _plan(client, manager, kind, env):
    asked = client.post("/api/v1/ops/plans", headers=manager, json={"kind": kind})
    assert asked.status_code == 202, asked.get_json()
    job = asked.get_json()
    assert job["status"] == "queued" and job["status_url"].endswith(job["id"])
    again = client.post("/api/v1/ops/plans", headers=manager, json={"kind": kind}).get_json()
    assert again["id"] == job["id"]  # the same bucket: the same job
    worker = run(["worker", "--burst"], env)
    assert worker.returncode == 0, worker.stderr[-2000:]
    done = client.get(job["status_url"], headers=manager).get_json()
    assert done["status"] == "finished", done
    assert done["progress"]["fraction"] == 1.0 and done["plan_id"]
    plan = client.get(f"/api/v1/ops/plans/{done['plan_id']}", headers=manager).get_json()
    assert plan["status"] == "proposed" and plan["tasks"], (plan["undone"][:5], plan["solver"])
    return plan


def _carry_out(client, crews, tasks_before):
    done = 0
    for crew in crews:
        mine = client.get("/api/v1/crews/me/tasks", headers=crew).get_json()["data"]
        seqs = [(t["shift_id"], t["sequence"]) for t in mine]
        assert seqs == sorted(seqs)  # route order
        for task in mine:
            if task["status"] != "assigned":
                continue
            assert task["route"]["type"] == "LineString"
            base = f"/api/v1/crews/me/tasks/{task['id']}"
            started = client.post(f"{base}/start", headers=crew)
            assert started.status_code == 200, started.get_json()
            completed = client.post(f"{base}/complete", headers=crew, json={})
            assert completed.status_code == 200, completed.get_json()
            assert completed.get_json()["status"] == "done"
            done += 1
    return done


def test_a_swap_plan_from_request_to_charged_vehicles(crew_demo, clock, redis_url, cache_dir,
                                                      tmp_path):  # fmt: skip
    app, _summary = crew_demo
    engine = app.extensions["fleetops"].engine
    client = app.test_client()
    manager = login(client, "manager")
    env = worker_env(engine, redis_url, cache_dir, tmp_path, clock)
    plan = _plan(client, manager, "battery_swaps", env)
    swaps = [t for t in plan["tasks"] if t["kind"] == "swap"]
    loads = [t for t in plan["tasks"] if t["kind"] == "charge"]
    assert swaps and loads
    with engine.connect() as conn:
        charged_before = {
            r.serial for r in conn.execute(
                select(battery_packs.c.serial).where(battery_packs.c.soc_pct >= CHARGED_PCT)
            )
        }  # fmt: skip
    with engine.connect() as conn:
        old_packs = dict(
            conn.execute(
                select(vehicles.c.id, vehicles.c.battery_serial).where(
                    vehicles.c.id.in_([t["vehicle_id"] for t in swaps])
                )
            ).all()
        )
    approved = client.post(
        f"/api/v1/ops/plans/{plan['id']}/approve", headers=manager, json={"drop_tasks": []}
    ).get_json()
    assert approved["status"] == "approved"
    twice = client.post(f"/api/v1/ops/plans/{plan['id']}/approve", headers=manager, json={})
    assert twice.status_code == 409 and "approved already" in twice.get_json()["error"]["message"]
    kept = [t for t in approved["tasks"] if t["status"] == "assigned"]
    with engine.connect() as conn:
        reserved = (
            conn.execute(
                select(battery_packs.c.reserved_by).where(battery_packs.c.reserved_by.is_not(None))
            )
            .scalars()
            .all()
        )
    assert len(reserved) == sum(t["packs"] for t in kept if t["kind"] == "charge")
    crews = [login(client, "crew1"), login(client, "crew2")]
    assert _carry_out(client, crews, kept) == len(kept)
    swapped = [t["vehicle_id"] for t in kept if t["kind"] == "swap"]
    with engine.connect() as conn:
        rows = conn.execute(select(vehicles).where(vehicles.c.id.in_(swapped))).mappings().all()
        for v in rows:
            assert v["soc_pct"] >= CHARGED_PCT and v["status"] == "available", dict(v)
            pack = (
                conn.execute(
                    select(battery_packs).where(battery_packs.c.serial == v["battery_serial"])
                )
                .mappings()
                .one()
            )
            assert pack["location"] == "vehicle" and pack["location_id"] == v["id"]
            assert pack["serial"] in charged_before and pack["pack_class"] == v["vehicle_class"]
        assert not conn.execute(
            select(battery_packs.c.serial).where(battery_packs.c.reserved_by.is_not(None))
        ).all()
        spent = (
            conn.execute(select(battery_packs).where(battery_packs.c.location == "van"))
            .mappings()
            .all()
        )
        # what the vans still carry charged is what they loaded and did not put in
        left = Counter(p["pack_class"] for p in spent if p["soc_pct"] >= CHARGED_PCT)
        loaded, fitted = Counter(), Counter()
        for t in kept:
            if t["kind"] == "charge":
                loaded[t["pack_class"]] += t["packs"]
            elif t["kind"] == "swap":
                fitted[t["pack_class"]] += 1
        assert left == loaded - fitted
        out = conn.execute(
            select(battery_packs.c.location, battery_packs.c.soc_pct).where(
                battery_packs.c.serial.in_(old_packs.values())
            )
        ).all()
    # every pack taken out rides in a van or was docked at a station to charge, none lost
    assert len(out) == len(old_packs) and {loc for loc, _ in out} <= {"van", "station"}
    with engine.connect() as conn:
        actions = set(conn.execute(select(audit_log.c.action)).scalars())
        assert {"plan.propose", "plan.approve", "task.start", "task.complete"} <= actions
        open_tasks = conn.execute(
            select(ops_tasks.c.id).where(ops_tasks.c.status.in_(["open", "assigned"]))
        ).all()
    assert not open_tasks
