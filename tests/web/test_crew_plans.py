"""Crew plans end to end through a real worker on real Redis: a manager requests a plan, the
job proposes it, the manager approves it, the crew carries it out; the fleet, the packs and the
stations' stock come out right."""

from __future__ import annotations

import shutil
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from rq import Queue
from sqlalchemy import select, update

from bootstrap import build_platform
from cli.demo import seed_demo
from cli.main import prepare_city
from config.settings import load_settings
from dispatch.ops.crew_input import PlanKind
from dispatch.ops.crew_plan import plan_crews
from dispatch.ops.crew_plans import propose
from dispatch.ops.crews import PlanRequest, snapshot
from dispatch.ops.demand import refresh
from dispatch.ops.greedy import plan_greedy
from dispatch.ops.plan_check import problems
from dispatch.queue.connection import QUEUES, connect
from fleet.catalog import DEFAULT_CATALOG
from fleet.clock import FixedClock
from fleet.crews import bucket_of
from fleet.db.engine import make_engine, writing
from fleet.db.sites import insert_zone
from fleet.db.tables import (
    audit_log,
    battery_packs,
    crew_shifts,
    demand_forecasts,
    ops_plans,
    ops_tasks,
    vehicles,
)
from fleet.geo import Area
from fleet.ids import RandomIds
from fleet.sites import CHARGED_PCT
from fleet.zones import Zone, ZoneKind
from tests.conftest import SEOUL
from tests.web.test_bookings import login
from tests.web.test_delivery_worker import run, worker_env
from web import create_app

#: How many times the generated history's demand the crews' test day sees.
BUSY = 6
FORECAST_COLUMNS = (
    "pickups", "pickups_p10", "pickups_p90", "dropoffs", "dropoffs_p10", "dropoffs_p90",
)  # fmt: skip


def _seed_crew_demo(engine, settings, clock):
    """Seed the crew demo into ``engine`` and store its demand forecast; the summary."""
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
    refresh(build_platform(settings, engine=engine, clock=clock).demand, summary.operator_id)
    with writing(engine) as conn:  # a busy day: the demo's generated history is a quiet one
        conn.execute(
            update(demand_forecasts).values(
                **{c: getattr(demand_forecasts.c, c) * BUSY for c in FORECAST_COLUMNS}
            )
        )
    return summary


@pytest.fixture(scope="session")
def crew_template(sqlite_template, tmp_path_factory, cache_dir):
    """The crew demo seeded once on SQLite (its seeding and forecast take seconds); SQLite tests
    get a copy, PostgreSQL tests seed their own."""
    folder = tmp_path_factory.mktemp("crew")
    path = folder / "crew.db"
    shutil.copy(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    settings = load_settings(
        {
            "FLEETOPS_VAR_DIR": str(folder / "var"),
            "FLEETOPS_CACHE_DIR": str(cache_dir),
            "FLEETOPS_CITY": "synthetic",
            "SECRET_KEY": "test-secret",
        }
    )
    summary = _seed_crew_demo(engine, settings, FixedClock(datetime(2026, 3, 2, 9, tzinfo=SEOUL)))
    engine.dispose()
    return path, summary


@pytest.fixture
def crew_demo(engine, settings, clock, redis_url, request):
    """The demo (80 vehicles, most kickboards and e-bikes flat) with 15 days of ride history and
    a fresh demand forecast, its app on real Redis with a 1-second planner."""
    if engine.dialect.name == "sqlite":
        path, summary = request.getfixturevalue("crew_template")
        engine.dispose()
        shutil.copy(path, engine.url.database)
    else:
        summary = _seed_crew_demo(engine, settings, clock)
    rules = settings.with_overrides(redis_url=redis_url, crew_plan_time_limit_s=1)
    app = create_app(rules, engine=engine, clock=clock)
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


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)  # swaps run on both above
def test_a_rebalancing_plan_moves_vehicles_where_they_are_wanted(
    crew_demo, clock, redis_url, cache_dir, tmp_path
):
    app, _summary = crew_demo
    engine = app.extensions["fleetops"].engine
    _recharge(engine)
    client = app.test_client()
    manager = login(client, "manager")
    env = worker_env(engine, redis_url, cache_dir, tmp_path, clock)
    plan = _plan(client, manager, "rebalancing", env)
    moves = [t for t in plan["tasks"] if t["kind"] == "rebalance"]
    assert moves and len(moves) % 2 == 0
    approved = client.post(
        f"/api/v1/ops/plans/{plan['id']}/approve", headers=manager, json={}
    ).get_json()
    kept = [t for t in approved["tasks"] if t["status"] == "assigned"]
    crews = [login(client, "crew1"), login(client, "crew2")]
    assert _carry_out(client, crews, kept) == len(kept)
    drops = {t["vehicle_id"]: (t["lat"], t["lon"]) for t in kept if t["is_drop"]}
    with engine.connect() as conn:
        rows = conn.execute(select(vehicles).where(vehicles.c.id.in_(drops))).mappings().all()
    for v in rows:
        assert (v["lat"], v["lon"]) == pytest.approx(drops[v["id"]])
        assert v["status"] == "available"


def _recharge(engine):
    """The flat fleet charged again, but all bunched up in one place (where one of them
    stood), so the cells where riders will be have none."""
    with writing(engine) as conn:
        lat, lon = conn.execute(
            select(vehicles.c.lat, vehicles.c.lon)
            .where(vehicles.c.status == "low_battery")
            .order_by(vehicles.c.code)
        ).first()
        conn.execute(
            update(vehicles)
            .where(vehicles.c.status == "low_battery")
            .values(soc_pct=90.0, status="available", lat=lat, lon=lon)
        )


def _propose(app, kind, **request):
    platform = app.extensions["fleetops"]
    operator_id = (
        app.test_client()
        .get("/api/v1/me", headers=login(app.test_client(), "manager"))
        .get_json()["operator_id"]
    )
    plan, _new = propose(
        platform.crews, operator_id, PlanRequest(PlanKind(kind), **request),
        bucket=bucket_of(platform.clock.now()), time_limit_s=1,
    )  # fmt: skip
    return plan, operator_id


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_plans_on_the_demo_city_pass_the_independent_check(crew_demo):
    app, summary = crew_demo
    platform = app.extensions["fleetops"]
    for kind in (PlanKind.BATTERY_SWAPS, PlanKind.REBALANCING):
        if kind is PlanKind.REBALANCING:  # the flat fleet charged again, bunched up
            _recharge(platform.engine)
        snap = snapshot(platform.crews, summary.operator_id, PlanRequest(kind))
        for planner in (lambda s: plan_crews(s, time_limit_s=1), plan_greedy):
            proposal = planner(snap)
            assert proposal.tasks or proposal.solver == "greedy", (kind, proposal.undone[:3])
            assert problems(snap, proposal) == []
            drops = [t.target for t in proposal.tasks if t.is_drop]
            assert all(snap.may_drop(p) for p in drops)


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_approval_drops_stale_and_unwanted_tasks_with_their_reason(crew_demo):
    app, _summary = crew_demo
    engine = app.extensions["fleetops"].engine
    plan, _operator = _propose(app, "battery_swaps")
    client = app.test_client()
    manager = login(client, "manager")
    tasks = client.get(f"/api/v1/ops/plans/{plan.id}", headers=manager).get_json()["tasks"]
    swaps = [t for t in tasks if t["kind"] == "swap"]
    assert len(swaps) >= 2
    booked, unwanted = swaps[0], swaps[1]
    with writing(engine) as conn:  # a rider booked it meanwhile
        conn.execute(
            update(vehicles).where(vehicles.c.id == booked["vehicle_id"]).values(status="reserved")
        )
    other = client.post(
        f"/api/v1/ops/plans/{plan.id}/approve", headers=manager,
        json={"drop_tasks": ["no-such-task"]},
    )  # fmt: skip
    assert other.status_code == 422 and "not tasks of plan" in other.get_json()["error"]["message"]
    approved = client.post(
        f"/api/v1/ops/plans/{plan.id}/approve", headers=manager,
        json={"drop_tasks": [unwanted["id"]]},
    ).get_json()  # fmt: skip
    dropped = {d["task_id"]: d["reason"] for d in approved["dropped"]}
    assert dropped[booked["id"]] == "the vehicle is reserved now"
    assert dropped[unwanted["id"]] == "dropped by the manager"
    status = {t["id"]: t["status"] for t in approved["tasks"]}
    assert status[booked["id"]] == status[unwanted["id"]] == "cancelled"
    rejected = client.post(f"/api/v1/ops/plans/{plan.id}/reject", headers=manager)
    assert rejected.status_code == 409
    # a crew member sees only their own tasks; another's is not found
    crew1, crew2 = login(client, "crew1"), login(client, "crew2")
    mine = client.get("/api/v1/crews/me/tasks", headers=crew1).get_json()["data"]
    theirs = client.get("/api/v1/crews/me/tasks", headers=crew2).get_json()["data"]
    if not mine:  # the plan gave everything to the other van
        crew1, crew2, mine, theirs = crew2, crew1, theirs, mine
    assert mine and not {t["id"] for t in mine} & {t["id"] for t in theirs}
    stolen = client.post(f"/api/v1/crews/me/tasks/{mine[0]['id']}/start", headers=crew2)
    assert stolen.status_code == 404
    # a swap before the van has packs is refused, and a failure puts the vehicle back
    first_swap = next(t for t in mine if t["kind"] == "swap" and t["status"] == "assigned")
    base = f"/api/v1/crews/me/tasks/{first_swap['id']}"
    assert client.post(f"{base}/start", headers=crew1).status_code == 200
    with engine.connect() as conn:
        held = conn.execute(
            select(vehicles.c.status).where(vehicles.c.id == first_swap["vehicle_id"])
        ).scalar_one()
    assert held == "in_transit"  # riders cannot book it while the crew heads for it
    early = client.post(f"{base}/complete", headers=crew1, json={})
    if early.status_code == 409:
        assert "no charged" in early.get_json()["error"]["message"]
        empty = client.post(f"{base}/fail", headers=crew1, json={"reason": " "})
        assert empty.status_code == 422
        failed = client.post(f"{base}/fail", headers=crew1, json={"reason": "no packs"})
        assert failed.get_json()["status"] == "failed"
        with engine.connect() as conn:
            back = conn.execute(
                select(vehicles.c.status).where(vehicles.c.id == first_swap["vehicle_id"])
            ).scalar_one()
        assert back == "low_battery"


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_no_crew_or_no_pack_gives_an_empty_plan_that_says_why(crew_demo):
    app, _summary = crew_demo
    engine = app.extensions["fleetops"].engine
    with writing(engine) as conn:
        conn.execute(update(battery_packs).where(battery_packs.c.location == "station")
                     .values(soc_pct=10.0))  # fmt: skip
    plan, _operator = _propose(app, "battery_swaps")
    assert plan.expected_gain_trips == 0
    assert any("pack" in u["reason"] for u in plan.summary["undone"]), plan.summary["undone"]
    with writing(engine) as conn:
        conn.execute(ops_tasks.delete())
        conn.execute(ops_plans.delete())
        conn.execute(crew_shifts.delete())
    _recharge(engine)  # there is work to do, but nobody to do it
    plan, _operator = _propose(app, "rebalancing")
    assert any("no crew" in u["reason"] for u in plan.summary["undone"]), plan.summary["undone"]


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_bad_plan_requests_are_refused_clearly(demo, redis_url):
    app, _summary, _prepared = demo
    client = app.test_client()
    manager = login(client, "manager")

    def ask(body, status, words):
        answer = client.post("/api/v1/ops/plans", headers=manager, json=body)
        assert answer.status_code == status, answer.get_json()
        assert words in answer.get_json()["error"]["message"], answer.get_json()

    ask({"kind": "teleport"}, 422, "unknown plan kind")
    ask({"kind": "battery_swaps", "threshold_pct": 101}, 422, "threshold_pct")
    ask({"kind": "battery_swaps", "threshold_pct": -1}, 422, "threshold_pct")
    ask({"kind": "battery_swaps", "cells": ["8f000000000000f"]}, 422, "unknown demand cell")
    ask({"kind": "rebalancing", "zone_id": "nowhere"}, 404, "no zone")
    ask({"kind": "rebalancing"}, 503, "no job queue")  # this app has no Redis
    assert client.get("/api/v1/ops/jobs/whatever", headers=manager).status_code == 404
    assert client.get("/api/v1/ops/plans/whatever", headers=manager).status_code == 404


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_crew_plans_keep_out_of_a_closure_in_force(crew_demo, clock):
    app, summary = crew_demo
    platform = app.extensions["fleetops"]
    with platform.engine.connect() as conn:
        flat = conn.execute(
            select(vehicles.c.id, vehicles.c.lat, vehicles.c.lon)
            .where(vehicles.c.status == "low_battery")
            .order_by(vehicles.c.code)
        ).all()
    shut = flat[: len(flat) // 2]
    with writing(platform.engine) as conn:
        for n, (_id, lat, lon) in enumerate(shut):
            d = 0.0004
            ring = [[lon - d, lat - d], [lon + d, lat - d], [lon + d, lat + d], [lon - d, lat + d],
                    [lon - d, lat - d]]  # fmt: skip
            insert_zone(
                conn,
                Zone(f"closure-{n}", summary.operator_id, ZoneKind.HAZARD_CLOSURE, f"Flood {n}",
                     Area.from_ring(ring), active_from=clock.now() - timedelta(hours=1),
                     active_until=clock.now() + timedelta(hours=6)),
                platform.clock,
            )  # fmt: skip
    snap = snapshot(platform.crews, summary.operator_id, PlanRequest(PlanKind.BATTERY_SWAPS))
    proposal = plan_crews(snap, time_limit_s=1)
    assert proposal.tasks and problems(snap, proposal) == []
    assert not {v for v, _lat, _lon in shut} & {t.vehicle_id for t in proposal.tasks}


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_a_proposal_nobody_decided_in_time_expires(crew_demo, clock):
    app, _summary = crew_demo
    plan, _operator = _propose(app, "battery_swaps")
    client = app.test_client()
    manager = login(client, "manager")
    clock.advance(31 * 60)
    late = client.post(f"/api/v1/ops/plans/{plan.id}/approve", headers=manager, json={})
    assert late.status_code == 409 and "expired" in late.get_json()["error"]["message"]
    shown = client.get(f"/api/v1/ops/plans/{plan.id}", headers=manager).get_json()
    assert shown["status"] == "expired"
    assert {t["status"] for t in shown["tasks"]} == {"cancelled"}
    engine = app.extensions["fleetops"].engine
    with engine.connect() as conn:
        expired = (
            conn.execute(select(audit_log.c.entity_id).where(audit_log.c.action == "plan.expire"))
            .scalars()
            .all()
        )
    assert expired == [plan.id]


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_one_van_one_plan_and_visits_load_only_what_kept_swaps_need(crew_demo, clock):
    app, _summary = crew_demo
    client = app.test_client()
    manager = login(client, "manager")
    first, _operator = _propose(app, "battery_swaps")
    clock.advance(15 * 60)  # the next quarter hour: a second plan over the same vans
    second, _operator = _propose(app, "battery_swaps")
    assert second.id != first.id
    one = client.post(f"/api/v1/ops/plans/{first.id}/approve", headers=manager, json={})
    kept = [t for t in one.get_json()["tasks"] if t["status"] == "assigned"]
    busy = {t["shift_id"] for t in kept}
    two = client.post(f"/api/v1/ops/plans/{second.id}/approve", headers=manager, json={})
    assert two.status_code == 200
    for task in two.get_json()["tasks"]:
        if task["shift_id"] in busy:
            assert task["status"] == "cancelled"
            assert task["failure_reason"] in (
                "the crew is busy with another approved plan: ask for a new plan",
                "another approved plan has the vehicle",
            ) or task["failure_reason"].startswith("its other half")
    assert two.get_json()["expected_gain_trips"] == pytest.approx(
        sum(t["gain_trips"] for t in two.get_json()["tasks"] if t["status"] == "assigned"),
        abs=0.01,
    )
    # the first plan's visits reserved no more packs than its kept swaps need
    swaps, loads = Counter(), Counter()
    for t in kept:
        if t["kind"] == "swap":
            swaps[(t["shift_id"], t["pack_class"])] += 1
        elif t["kind"] == "charge":
            loads[(t["shift_id"], t["pack_class"])] += t["packs"]
            assert t["packs"] > 0 and t["site_name"]
    assert all(loads[k] <= swaps[k] for k in loads), (loads, swaps)
    assert all(t["vehicle_code"] for t in kept if t["vehicle_id"])


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_a_crew_calls_off_a_task_before_starting_and_a_bucket_keeps_its_settings(
    crew_demo, redis_url
):
    app, _summary = crew_demo
    plan, _operator = _propose(app, "battery_swaps")
    client = app.test_client()
    manager = login(client, "manager")
    approved = client.post(f"/api/v1/ops/plans/{plan.id}/approve", headers=manager, json={})
    task = next(t for t in approved.get_json()["tasks"] if t["kind"] == "swap"
                and t["status"] == "assigned")  # fmt: skip
    crew = next(
        h for h in (login(client, "crew1"), login(client, "crew2"))
        if any(t["id"] == task["id"] for t in
               client.get("/api/v1/crews/me/tasks", headers=h).get_json()["data"])
    )  # fmt: skip
    called_off = client.post(
        f"/api/v1/crews/me/tasks/{task['id']}/fail", headers=crew,
        json={"reason": "the kickboard is not there"},
    ).get_json()  # fmt: skip
    assert called_off["status"] == "cancelled"
    assert called_off["failure_reason"] == "the kickboard is not there"
    left = client.get("/api/v1/crews/me/tasks?status=assigned", headers=crew).get_json()["data"]
    assert task["id"] not in {t["id"] for t in left}
    bad = client.get("/api/v1/crews/me/tasks?status=lost", headers=crew)
    assert bad.status_code == 422 and "known" in bad.get_json()["error"]["message"]
    # the quarter hour's plan was made with the default threshold: another one is refused
    other = client.post(
        "/api/v1/ops/plans", headers=manager, json={"kind": "battery_swaps", "threshold_pct": 50}
    )
    assert other.status_code == 409, other.get_json()
    assert "other settings" in other.get_json()["error"]["message"]
    same = client.post("/api/v1/ops/plans", headers=manager, json={"kind": "battery_swaps"})
    assert same.status_code == 202  # its job will find the quarter hour's plan
