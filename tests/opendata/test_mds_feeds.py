"""A morning of the crew demo through the MDS provider API: crews swap batteries and
rebalance, a rider rides, another cancels a hold, a manager takes a vehicle into maintenance,
vehicles report telemetry; then every item of every feed validates against its MDS 2.0 model,
every body against the provider spec's envelope, and no ride of ``ride_history`` appears."""

from __future__ import annotations

import uuid
from datetime import UTC, timedelta

from sqlalchemy import insert, select

from fleet.db import mds as mds_db
from fleet.db.engine import writing
from fleet.db.tables import ride_history, vehicles
from fleet.geo import Position
from fleet.records import TelemetrySample
from tests.opendata import mds_schemas
from tests.opendata.test_mds_access import MEDIA, mds_root  # noqa: F401  (a fixture)
from tests.web import test_crew_plans
from tests.web.test_bookings import available, login
from tests.web.test_crew_plans import _carry_out, _propose, _recharge

#: The crew demo (80 vehicles, 15 days of generated ride history, a demand forecast).
crew_demo = test_crew_plans.crew_demo
crew_template = test_crew_plans.crew_template


def _approve_and_do(client, app, kind):
    """Propose a crew plan of ``kind``, approve it and have the crews do all of it; its tasks."""
    plan, _operator = _propose(app, kind)
    manager = login(client, "manager")
    approved = client.post(f"/api/v1/ops/plans/{plan.id}/approve", headers=manager, json={})
    assert approved.status_code == 200, approved.get_json()
    kept = [t for t in approved.get_json()["tasks"] if t["status"] == "assigned"]
    crews = [login(client, "crew1"), login(client, "crew2")]
    assert _carry_out(client, crews, kept) == len(kept)
    return kept


def _ride(client, clock):
    """rider1 rides a kickboard for ten minutes; rider2 holds one and gives it back."""
    rider1, rider2 = login(client, "rider1"), login(client, "rider2")
    kick = available(client, "e_kickboard")[0]
    ends = [
        b for b in available(client, "e_bike") if (b["lat"], b["lon"]) != (kick["lat"], kick["lon"])
    ]
    ask = {"lat": kick["lat"], "lon": kick["lon"], "vehicle_classes": ["e_kickboard"]}
    held = client.post("/api/v1/bookings", headers=rider1, json=ask).get_json()
    assert client.post(f"/api/v1/bookings/{held['id']}/unlock", headers=rider1).status_code == 200
    clock.advance(600)
    end = {"lat": ends[-1]["lat"], "lon": ends[-1]["lon"]}
    done = client.post(f"/api/v1/bookings/{held['id']}/end", headers=rider1, json=end)
    assert done.status_code == 200, done.get_json()
    other = client.post("/api/v1/bookings", headers=rider2, json=ask).get_json()
    cancelled = client.post(f"/api/v1/bookings/{other['id']}/cancel", headers=rider2)
    assert cancelled.get_json()["status"] == "cancelled"
    return done.get_json(), other


def _run_flat(client, how_many):
    """A manager records that some kickboards ran flat (each a battery_low event)."""
    manager = login(client, "manager")
    for kick in available(client, "e_kickboard")[:how_many]:
        r = client.patch(f"/api/v1/fleet/vehicles/{kick['id']}", headers=manager,
                         json={"soc_pct": 5})  # fmt: skip
        assert r.status_code == 200 and r.get_json()["status"] == "low_battery", r.get_json()


def _manage(client, vehicle_id):
    """A manager takes a vehicle into maintenance and back; another runs flat."""
    manager = login(client, "manager")
    for status in ("maintenance", "available"):
        r = client.patch(f"/api/v1/fleet/vehicles/{vehicle_id}", headers=manager,
                         json={"status": status})  # fmt: skip
        assert r.status_code == 200, r.get_json()


def _history(engine, operator_id, at):
    """Generated and imported rides ending in the hour asked about: never trips."""
    ids = [str(uuid.uuid4()), str(uuid.uuid4())]
    with writing(engine) as conn:
        for rid, source in zip(ids, ("generated", "imported"), strict=True):
            conn.execute(
                insert(ride_history).values(
                    id=rid, operator_id=operator_id, source=source,
                    started_at=at - timedelta(minutes=20), ended_at=at - timedelta(minutes=5),
                    start_lat=37.5, start_lon=127.0, end_lat=37.51, end_lon=127.01,
                )
            )  # fmt: skip
    return ids


def _get(client, city, url):
    r = client.get(url, headers=dict(city, Accept=MEDIA))
    assert r.status_code == 200, (url, r.get_data(as_text=True)[:800])
    assert r.headers["Content-Type"] == MEDIA
    return r.get_json(force=True)


def _valid(root, body, path, key, model):
    assert mds_schemas.problems(mds_schemas.envelope(root, path), body) == [], path
    checker = mds_schemas.model(root, model)
    for item in body[key]:
        assert mds_schemas.problems(checker, item) == [], item
    return body[key]


def _all_recent(client, city, start_ms, end_ms):
    """Every page of /events/recent over the range (pages of 25 log entries)."""
    url = f"/mds/events/recent?start_time={start_ms}&end_time={end_ms}&limit=25"
    found, pages = [], 0
    while url:
        body = _get(client, city, url)
        pages += 1
        found += body["events"]
        url = body["links"]["next"]
        url = url and url[url.index("/mds/") :]
    return found, pages


def test_a_crew_and_rider_morning_validates_item_by_item(crew_demo, clock, mds_root):  # noqa: F811
    app, summary = crew_demo
    engine = app.extensions["fleetops"].engine
    client = app.test_client()
    hour_start = clock.now().astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    _recharge(engine)
    moves = _approve_and_do(client, app, "rebalancing")
    _run_flat(client, 6)
    swaps = _approve_and_do(client, app, "battery_swaps")
    assert any(t["kind"] == "swap" for t in swaps) and any(t["is_drop"] for t in moves)
    trip_start = clock.now()
    ride, cancelled = _ride(client, clock)
    _manage(client, cancelled["vehicle"]["id"])
    ridden, held = ride["vehicle"], cancelled["vehicle"]
    with writing(engine) as conn:  # a sample during the ride, one of a standing vehicle
        mds_db.record_telemetry(conn, TelemetrySample(
            ridden["id"], trip_start + timedelta(seconds=60),
            Position(ridden["lat"], ridden["lon"]), 80.0, 14.4))  # fmt: skip
        mds_db.record_telemetry(conn, TelemetrySample(
            held["id"], clock.now(), Position(held["lat"], held["lon"]), 70.0))  # fmt: skip
    history = _history(engine, summary.operator_id, clock.now())
    clock.advance(3600)  # the hour is over
    city = login(client, "city")
    hour = hour_start.strftime("%Y-%m-%dT%H")

    listed = _valid(mds_root, _get(client, city, "/mds/vehicles?limit=1000"), "/vehicles",
                    "vehicles", "vehicle")  # fmt: skip
    with engine.connect() as conn:
        rider_fleet = set(conn.execute(select(vehicles.c.id).where(
            vehicles.c.vehicle_class != "work_ev")).scalars())  # fmt: skip
    assert {v["device_id"] for v in listed} == rider_fleet
    assert {v["provider_id"] for v in listed} == {summary.operator_id}
    one = _get(client, city, f"/mds/vehicles/{ride['vehicle']['id']}")
    _valid(mds_root, one, "/vehicles/{device_id}", "vehicles", "vehicle")
    statuses = _valid(mds_root, _get(client, city, "/mds/vehicles/status"), "/vehicles/status",
                      "vehicles_status", "vehicle-status")  # fmt: skip
    assert {s["device_id"] for s in statuses} == rider_fleet
    one = _get(client, city, f"/mds/vehicles/status/{held['id']}")
    _valid(mds_root, one, "/vehicles/status/{device_id}", "vehicles_status", "vehicle-status")
    held_status = one["vehicles_status"][0]
    assert held_status["last_telemetry"]["battery_percent"] == 70

    trips = _valid(mds_root, _get(client, city, f"/mds/trips?end_time={hour}"), "/trips",
                   "trips", "trip")  # fmt: skip
    assert [t["trip_id"] for t in trips] == [ride["id"]]  # not the history, not the cancel
    raw_trip = mds_schemas.model(mds_root, "trip", mode=None)  # fits micromobility alone
    assert mds_schemas.problems(raw_trip, trips[0]) == []
    receipt = ride["receipt"]
    assert trips[0]["distance"] == receipt["distance_m"] and trips[0]["duration"] == 600
    assert (trips[0]["actual_cost"], trips[0]["currency"]) == (receipt["price_minor"], "KRW")
    assert trips[0]["device_id"] == ride["vehicle"]["id"]

    events = _valid(mds_root, _get(client, city, f"/mds/events/historical?event_time={hour}"),
                    "/events/historical", "events", "event")  # fmt: skip
    kinds = {k for e in events for k in e["event_types"]}
    assert {
        "provider_drop_off",
        "maintenance",
        "battery_low",
        "battery_charged",
        "rebalance_pick_up",
        "reservation_start",
        "trip_start",
        "trip_end",
        "reservation_cancel",
    } <= kinds, kinds
    assert len({e["event_id"] for e in events}) == len(events)
    stamps = [e["timestamp"] for e in events]
    assert stamps == sorted(stamps)
    start_ms = int(hour_start.timestamp() * 1000)
    assert all(start_ms <= s < start_ms + 3_600_000 for s in stamps)
    by_trip = [e for e in events if e.get("trip_ids") == [ride["id"]]]
    assert [e["event_types"] for e in by_trip] == [["trip_start"], ["trip_end"]]
    assert by_trip[1]["location"] == {"lat": ridden["lat"], "lng": ridden["lon"]}
    mine = [e for e in events if e["device_id"] == held["id"]]
    assert [e["event_types"][0] for e in mine][-4:] == [
        "reservation_start",
        "reservation_cancel",
        "maintenance",
        "maintenance",
    ]
    assert [e["vehicle_state"] for e in mine][-2:] == ["non_operational", "available"]
    assert held_status["last_event"] == mine[-1]  # the logged event, not a made-up one

    recent, pages = _all_recent(client, city, start_ms, start_ms + 3_600_000)
    assert pages > 1 and [e["event_id"] for e in recent] == [e["event_id"] for e in events]
    for e in recent:
        assert mds_schemas.problems(mds_schemas.model(mds_root, "event"), e) == []

    samples = _valid(mds_root, _get(client, city, f"/mds/telemetry?telemetry_time={hour}"),
                     "/telemetry", "telemetry", "telemetry")  # fmt: skip
    assert [s["trip_ids"] for s in samples] == [[ride["id"]], None]
    assert samples[0]["location"]["speed"] == 4.0  # 14.4 km/h

    everything = str([trips, events, recent, samples, statuses])
    assert not any(h in everything for h in history)
