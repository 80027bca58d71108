"""The dashboard's map feeds (issue 15) on the crew demo with an approved swap plan and a
posted delivery: stations' stock, crews with their vans, everyone's routes along the roads and
the plan's vans' roads, each checked against what the other endpoints and the tables hold."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import select

from fleet.db.tables import audit_log, battery_packs, sites, station_slots
from fleet.geo import haversine_m
from fleet.sites import CHARGED_PCT
from tests.web.test_bookings import login
from tests.web.test_crew_plans import _propose, _recharge, crew_demo, crew_template  # noqa: F401
from tests.web.test_delivery import window

#: How near a road line passes a stop it routes through (the stop snaps to its road).
NEAR_M = 250


def _near(line: list[list[float]], lat: float, lon: float) -> bool:
    return min(haversine_m(lat, lon, y, x) for x, y in line) <= NEAR_M


@pytest.fixture
def approved(crew_demo, clock):  # noqa: F811
    """The crew demo with its swap plan approved and a delivery job in a courier's plan."""
    app, _summary = crew_demo
    client = app.test_client()
    manager = login(client, "manager")
    plan, operator_id = _propose(app, "battery_swaps")
    r = client.post(f"/api/v1/ops/plans/{plan.id}/approve", headers=manager, json={})
    assert r.status_code == 200, r.get_json()
    bikes = client.get(
        "/api/v1/fleet/vehicles?vehicle_class=e_bike&per_page=500", headers=manager
    ).get_json()["data"]  # flat this morning: where they stand is where parcels go
    where = [{"lat": b["lat"], "lon": b["lon"]} for b in (bikes[0], bikes[-1])]
    body = {
        "pickup": where[0],
        "dropoff": where[1],
        "pickup_window": window(clock, 0, 1),
        "dropoff_window": window(clock, 0, 2),
        "parcel_l": 20,
    }
    posted = client.post(
        "/api/v1/delivery-jobs", headers=login(client, "merchant1"), json=body
    ).get_json()
    assert posted["status"] == "assigned", posted
    return app, client, manager, plan.id, operator_id


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_stations_crews_and_routes_agree_with_the_rest_of_the_api(approved):
    app, client, manager, plan_id, operator_id = approved
    engine = app.extensions["fleetops"].engine

    stations = client.get("/api/v1/ops/stations", headers=manager).get_json()["data"]
    with engine.connect() as conn:
        swap = dict(
            conn.execute(
                select(sites.c.id, sites.c.name).where(
                    sites.c.operator_id == operator_id, sites.c.kind == "swap_station"
                )
            ).all()
        )
        slots = {(s, c): n for s, c, n in conn.execute(select(station_slots))}
        packs = conn.execute(
            select(
                battery_packs.c.location_id,
                battery_packs.c.pack_class,
                battery_packs.c.soc_pct,
                battery_packs.c.reserved_by,
            ).where(battery_packs.c.location == "station")
        ).all()
    assert {s["id"]: s["name"] for s in stations} == swap
    charged = Counter((p[0], p[1]) for p in packs if p[2] >= CHARGED_PCT and p[3] is None)
    charging = Counter((p[0], p[1]) for p in packs if p[2] < CHARGED_PCT)
    docked = Counter((p[0], p[1]) for p in packs)
    assert any(p[3] is not None for p in packs)  # the approval reserved some: not counted
    for s in stations:
        assert s["kind"] == "swap_station" and s["stock"]
        for row in s["stock"]:
            key = (s["id"], row["pack_class"])
            assert row["slots"] == slots[key]
            assert row["charged"] == charged[key] and row["charging"] == charging[key]
            assert row["free_slots"] == slots[key] - docked[key]

    crews = client.get("/api/v1/ops/crews", headers=manager).get_json()["data"]
    assert len(crews) == 2
    busy = {}
    for who in ("crew1", "crew2"):
        headers = login(client, who)
        me = client.get("/api/v1/me", headers=headers).get_json()
        mine = client.get("/api/v1/crews/me/tasks", headers=headers).get_json()["data"]
        open_tasks = [t for t in mine if t["status"] in ("assigned", "in_progress")]
        crew = next(c for c in crews if c["user_id"] == me["id"])
        assert crew["display_name"] == me["display_name"]
        assert crew["open_tasks"] == len(open_tasks)
        assert crew["shift"]["start"].endswith("+09:00") and crew["van"]["capacity"]["packs"] > 0
        if open_tasks:
            busy[me["id"]] = open_tasks
    assert busy, "the approved plan gave some crew work"

    features = client.get("/api/v1/ops/routes", headers=manager).get_json()["features"]
    crew_lines = {
        f["properties"]["user_id"]: f for f in features if f["properties"]["kind"] == "crew"
    }
    assert crew_lines.keys() == busy.keys()
    for user_id, tasks in busy.items():
        line = crew_lines[user_id]
        assert line["properties"]["stops"] == len(tasks)
        first = line["properties"]["next_stop"]
        assert (first["lat"], first["lon"]) == (tasks[0]["lat"], tasks[0]["lon"])
        coords = line["geometry"]["coordinates"]
        assert len(coords) > len(tasks) + 1  # along the roads, not stop to stop
        assert all(_near(coords, t["lat"], t["lon"]) for t in tasks)
    couriers = [f for f in features if f["properties"]["kind"] == "courier"]
    assert couriers
    for who in (f"courier{n}" for n in range(1, 6)):
        headers = login(client, who)
        route = client.get("/api/v1/couriers/me/route", headers=headers).get_json()
        me = client.get("/api/v1/me", headers=headers).get_json()["id"]
        line = next((f for f in couriers if f["properties"]["user_id"] == me), None)
        assert (line is None) == (not route["stops"]), who
        if line is not None:
            nxt = route["next_stop"]
            assert line["properties"]["stops"] == len(route["stops"])
            assert line["properties"]["next_stop"] == {
                "lat": nxt["lat"], "lon": nxt["lon"], "eta": nxt["eta"]
            }  # fmt: skip
            assert all(
                _near(line["geometry"]["coordinates"], s["lat"], s["lon"]) for s in route["stops"]
            )

    plan = client.get(f"/api/v1/ops/plans/{plan_id}", headers=manager).get_json()
    roads = [r for r in plan["routes"] if r["follows_roads"]]
    assert roads
    for road in roads:
        assert road["crew_user_id"] in {c["user_id"] for c in crews}
        assert road["van_id"] in {c["van"]["id"] for c in crews}
        kept = [
            t
            for t in plan["tasks"]
            if t["shift_id"] == road["shift_id"] and t["status"] != "cancelled"
        ]
        assert kept and all(_near(road["coordinates"], t["lat"], t["lon"]) for t in kept)
        assert len(road["coordinates"]) > len(road["stop_coordinates"])


def _crew_tasks(client):
    """Each crew member's headers and tasks."""
    found = []
    for who in ("crew1", "crew2"):
        headers = login(client, who)
        found.append((headers, client.get("/api/v1/crews/me/tasks", headers=headers).get_json()))
    return [(h, t["data"]) for h, t in found]


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"], indirect=True)
def test_a_manager_calls_off_a_task_not_started_and_its_packs_go_back(approved):
    app, client, manager, _plan_id, _operator_id = approved
    engine = app.extensions["fleetops"].engine
    tasks = [(h, t) for h, mine in _crew_tasks(client) for t in mine if t["status"] == "assigned"]
    visit = next(t for _h, t in tasks if t["kind"] == "charge")
    with engine.connect() as conn:
        reserved = select(battery_packs.c.serial).where(battery_packs.c.reserved_by == visit["id"])
        assert conn.execute(reserved).all()  # the approval reserved its packs
    url = f"/api/v1/ops/tasks/{visit['id']}/cancel"
    r = client.post(url, headers=manager)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["status"] == "cancelled"
    assert r.get_json()["failure_reason"] == "cancelled by a manager"
    with engine.connect() as conn:
        assert conn.execute(reserved).all() == []
        audit = conn.execute(
            select(audit_log.c.action, audit_log.c.actor_id).where(
                audit_log.c.entity_id == visit["id"]
            )
        ).all()
    me = client.get("/api/v1/me", headers=manager).get_json()["id"]
    assert ("task.cancel", me) in audit
    again = client.post(url, headers=manager)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "conflict"
    # a task the crew started is theirs to finish or fail
    headers, started = next((h, t) for h, t in tasks if t["kind"] == "swap")
    assert (
        client.post(f"/api/v1/crews/me/tasks/{started['id']}/start", headers=headers).status_code
        == 200
    )
    r = client.post(f"/api/v1/ops/tasks/{started['id']}/cancel", headers=manager)
    assert r.status_code == 409, r.get_json()
    missing = client.post("/api/v1/ops/tasks/no-such-task/cancel", headers=manager)
    assert missing.status_code == 404


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_calling_off_a_drop_puts_the_picked_up_vehicle_back_as_it_was(crew_demo):  # noqa: F811
    app, _summary = crew_demo
    engine = app.extensions["fleetops"].engine
    _recharge(engine)
    client = app.test_client()
    manager = login(client, "manager")
    plan, _operator = _propose(app, "rebalancing")
    r = client.post(f"/api/v1/ops/plans/{plan.id}/approve", headers=manager, json={})
    assert r.status_code == 200, r.get_json()
    headers, pick = next(
        (h, t)
        for h, mine in _crew_tasks(client)
        for t in mine
        if t["kind"] == "rebalance" and not t["is_drop"] and t["status"] == "assigned"
    )
    vid = pick["vehicle_id"]
    before = client.get(f"/api/v1/fleet/vehicles/{vid}", headers=manager).get_json()
    for step in ("start", "complete"):
        done = client.post(f"/api/v1/crews/me/tasks/{pick['id']}/{step}", headers=headers, json={})
        assert done.status_code == 200, done.get_json()
    held = client.get(f"/api/v1/fleet/vehicles/{vid}", headers=manager).get_json()
    assert held["status"] == "in_transit"
    mine = client.get("/api/v1/crews/me/tasks", headers=headers).get_json()["data"]
    drop = next(t for t in mine if t["is_drop"] and t["vehicle_id"] == vid)
    r = client.post(f"/api/v1/ops/tasks/{drop['id']}/cancel", headers=manager)
    assert r.status_code == 200, r.get_json()
    after = client.get(f"/api/v1/fleet/vehicles/{vid}", headers=manager).get_json()
    assert after["status"] == before["status"] == "available"
    assert (after["lat"], after["lon"], after["soc_pct"]) == (
        before["lat"], before["lon"], before["soc_pct"]
    )  # fmt: skip
