"""A ride's distance is the distance ridden (issue 17, acceptance 2b), on SQLite and PostgreSQL:
a rider rides an e-bike out and back along a synthetic trace its gateway posts, and the receipt,
the battery and the CO2 ledger follow the map-matched path, not the few metres from start to
end; with no telemetry of the trip (none, another vehicle's, or outside the trip) the distance
is the road from start to end as before; a GPS jump does not lengthen the ride; a long track is
read thinned evenly to a cap."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa

from dispatch.riders.parking import stations_at
from fleet.carbon import CarbonFactors, footprint
from fleet.catalog import DEFAULT_CATALOG, VehicleClass
from fleet.db import telemetry as telemetry_db
from fleet.db.engine import reading, writing
from fleet.db.sites import list_sites, list_zones
from fleet.db.tables import co2_credits, vehicles
from fleet.geo import Position
from fleet.records import TelemetrySample
from fleet.sites import SiteKind
from fleet.zones import ZoneKind, first_inside
from routing import traces
from routing.engine import Router
from routing.matching import match
from routing.modes import Mode
from tests.web.test_bookings import available, login

#: The demo city is Korean (config/cities/synthetic.toml, docs/carbon.md).
KOREA = CarbonFactors(car_g_per_km=125, grid_g_per_kwh=417, charging_efficiency_pct=90)
BIKE_WH_PER_KM = DEFAULT_CATALOG[VehicleClass.E_BIKE].energy_wh_per_km
SPEED_MPS = 4.5  # a steady 16 km/h, below the e-bike's 25


@pytest.fixture
def city(demo, engine, clock):
    """The demo's app, a rider's and the gateway's headers, the bike router and the zones."""
    app, summary, _prepared = demo
    client = app.test_client()
    router = app.extensions["fleetops"].riders.routers.router(Mode.BIKE)
    with reading(engine) as conn:
        zones = list_zones(conn, summary.operator_id)
        stations = list_sites(conn, summary.operator_id, SiteKind.PARKING)
    return {
        "app": app,
        "client": client,
        "rider": login(client, "rider1"),
        "gateway": login(client, "gateway"),
        "router": router,
        "zones": zones,
        "stations": stations,
        "engine": engine,
        "clock": clock,
    }


def out_and_back(city: dict[str, Any]) -> tuple[list[tuple[float, float, float]], float]:
    """A synthetic ride (``routing.traces``) on the city's bike roads from an intersection and
    back the same way: its samples ``(lat, lon, t_s)`` and its true length. The first whose
    samples all lie in the service area, on two-way streets (so the way back is the way out)
    and whose start may be parked at."""
    net = city["router"].network
    areas = [z for z in city["zones"] if z.kind is ZoneKind.SERVICE_AREA]
    others = [z for z in city["zones"] if z.kind is not ZoneKind.SERVICE_AREA]
    for seed in range(200):
        trace = traces.ride(net, np.random.default_rng(seed), speed_mps=SPEED_MPS, min_m=700)
        start = _node(net, int(net.tail[trace.edges[0]]))
        if (
            all(net.twin[e] >= 0 for e in trace.edges)
            and first_inside(others, start) is None
            and not stations_at(city["stations"], start)
            and all(first_inside(areas, Position(la, lo)) for la, lo, _t in trace.samples)
        ):
            turn = trace.samples[-1][2] + 3
            back = [(la, lo, 2 * turn - t) for la, lo, t in reversed(trace.samples)]
            return trace.samples + back, 2 * trace.length_m
    pytest.fail("no synthetic ride of 200 fits the demo's service area")


def _node(net, i: int) -> Position:
    return Position(float(net.lat[i]), float(net.lon[i]))


def book_and_unlock(city: dict[str, Any], where: Position) -> tuple[dict[str, Any], Any]:
    """Place an e-bike at ``where``, book it there and unlock it: the booking and the unlock
    time."""
    client, rider = city["client"], city["rider"]
    bike = available(client, "e_bike")[0]
    with writing(city["engine"]) as conn:
        conn.execute(
            sa.update(vehicles)
            .where(vehicles.c.id == bike["id"])
            .values(lat=where.lat, lon=where.lon, soc_pct=90.0)
        )
    ask = {"lat": where.lat, "lon": where.lon, "vehicle_classes": ["e_bike"]}
    booking = client.post("/api/v1/bookings", headers=rider, json=ask).get_json()
    assert booking["vehicle"]["id"] == bike["id"], booking
    r = client.post(f"/api/v1/bookings/{booking['id']}/unlock", headers=rider)
    assert r.status_code == 200, r.get_json()
    return booking, city["clock"].now()


def post_track(city, vehicle_id: str, samples, at0, prefix: str) -> None:
    """The gateway posts ``samples`` of the vehicle, ``t_s`` seconds after ``at0``."""
    rows = [
        {
            "id": f"{prefix}-{i}",
            "vehicle_id": vehicle_id,
            "at": (at0 + timedelta(seconds=t)).isoformat(),
            "lat": lat,
            "lon": lon,
            "speed_kph": SPEED_MPS * 3.6,
            "soc_pct": 80.0,
        }
        for i, (lat, lon, t) in enumerate(samples)
    ]
    for k in range(0, len(rows), 1000):
        r = city["client"].post(
            "/api/v1/telemetry", headers=city["gateway"], json={"samples": rows[k : k + 1000]}
        )
        assert r.status_code == 200, r.get_json()


def end(city, booking, where: Position) -> dict[str, Any]:
    r = city["client"].post(
        f"/api/v1/bookings/{booking['id']}/end",
        headers=city["rider"],
        json={"lat": where.lat, "lon": where.lon},
    )
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def road_m(router: Router, a: Position, b: Position) -> int:
    return int(router.matrix([a], [b]).distance_m[0, 0])


def credited(engine, booking_id: str) -> tuple[int, int, int, int]:
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(co2_credits).where(co2_credits.c.source_id == booking_id)
        ).one()
    return row.distance_m, row.car_g, row.charging_g, row.net_g


def test_the_receipt_counts_the_matched_ride_and_the_co2_follows(city, clock):
    samples, true_m = out_and_back(city)
    start = Position(samples[0][0], samples[0][1])
    booking, unlocked = book_and_unlock(city, start)
    clock.advance(int(samples[-1][2]) + 5)
    post_track(city, booking["vehicle"]["id"], samples, unlocked + timedelta(seconds=1), "r")
    done = end(city, booking, start)

    receipt = done["receipt"]
    d = receipt["distance_m"]
    assert done["ridden"] == {
        "method": "map_matched",
        "samples": len(samples),
        "matched": len(samples),
    }
    matched_m = match(city["router"], samples).length_m
    assert abs(d - matched_m) <= 0.05 * matched_m, (d, matched_m)
    assert abs(d - true_m) <= 0.05 * true_m, (d, true_m)
    assert d > 10 * max(road_m(city["router"], start, start), 50)  # start and end all but meet
    assert receipt["implausible"] is False and receipt["flag"] is None
    assert receipt["distance_method"] == "map_matched"
    stored = city["client"].get(f"/api/v1/bookings/{booking['id']}", headers=city["rider"])
    assert stored.get_json()["receipt"] == receipt  # the method is kept with the receipt
    co2 = footprint(KOREA, BIKE_WH_PER_KM, d)
    assert receipt["co2_avoided_g"] == co2.net_g
    assert credited(city["engine"], booking["id"]) == (d, co2.car_g, co2.charging_g, co2.net_g)


def test_telemetry_of_another_vehicle_or_outside_the_trip_is_ignored(city, clock):
    samples, _true_m = out_and_back(city)
    start = Position(samples[0][0], samples[0][1])
    halfway = samples[len(samples) // 2]
    parked = Position(halfway[0], halfway[1])
    booking, unlocked = book_and_unlock(city, start)
    vid = booking["vehicle"]["id"]
    other = available(city["client"], "e_bike")[0]  # ours is in use: not among them
    ride_s = int(samples[-1][2]) + 5
    clock.advance(ride_s)
    post_track(city, vid, samples, unlocked - timedelta(seconds=ride_s + 10), "before")
    post_track(city, other["id"], samples, unlocked + timedelta(seconds=1), "other")
    after = [(la, lo, t) for la, lo, t in samples[:40]]  # up to 60 s ahead is accepted
    post_track(city, vid, after, clock.now() + timedelta(seconds=1), "after")
    done = end(city, booking, parked)
    assert done["ridden"] == {"method": "start_to_end", "samples": 0, "matched": 0}
    assert done["receipt"]["distance_m"] == road_m(city["router"], start, parked)


def test_no_telemetry_counts_the_road_from_start_to_end(city, clock):
    samples, _true_m = out_and_back(city)
    start = Position(samples[0][0], samples[0][1])
    halfway = samples[len(samples) // 2]
    parked = Position(halfway[0], halfway[1])
    booking, _unlocked = book_and_unlock(city, start)
    clock.advance(600)
    done = end(city, booking, parked)
    assert done["ridden"]["method"] == "start_to_end"
    stored = city["client"].get(f"/api/v1/bookings/{booking['id']}", headers=city["rider"])
    assert stored.get_json()["receipt"]["distance_method"] == "start_to_end"
    d = done["receipt"]["distance_m"]
    assert d == road_m(city["router"], start, parked) > 0
    assert credited(city["engine"], booking["id"])[0] == d


def test_a_gps_jump_does_not_lengthen_the_ride(city, clock):
    samples, true_m = out_and_back(city)
    start = Position(samples[0][0], samples[0][1])
    net = city["router"].network
    areas = [z for z in city["zones"] if z.kind is ZoneKind.SERVICE_AREA]
    # the network's node farthest from the start that is still in the service area
    far = max(
        (_node(net, i) for i in range(net.n_nodes) if first_inside(areas, _node(net, i))),
        key=start.distance_m,
    )
    assert start.distance_m(far) > 1000
    i = len(samples) // 3
    jumped = [*samples[:i], (far.lat, far.lon, samples[i][2] - 0.5), *samples[i:]]
    booking, unlocked = book_and_unlock(city, start)
    clock.advance(int(samples[-1][2]) + 5)
    post_track(city, booking["vehicle"]["id"], jumped, unlocked + timedelta(seconds=1), "j")
    done = end(city, booking, start)
    d = done["receipt"]["distance_m"]
    assert done["ridden"]["method"] == "map_matched"
    assert done["ridden"]["matched"] == len(samples)  # the jump is not among them
    assert abs(d - true_m) <= 0.05 * true_m, (d, true_m)


def test_a_long_track_is_read_evenly_thinned_to_the_cap(city, clock):
    vid = available(city["client"], "e_bike")[0]["id"]
    t0 = clock.now() - timedelta(hours=1)
    rows = [
        TelemetrySample(
            vehicle_id=vid,
            at=t0 + timedelta(seconds=s),
            position=Position(37.49, 126.87),
            soc_pct=50.0,
            speed_kph=10.0,
            sample_id=f"long-{s}",
        )
        for s in range(1000)
    ]
    with writing(city["engine"]) as conn:
        telemetry_db.insert_samples(conn, rows)
    with reading(city["engine"]) as conn:
        thinned = telemetry_db.track(conn, vid, t0, clock.now(), limit=300)
        window = telemetry_db.track(
            conn, vid, t0 + timedelta(seconds=10), t0 + timedelta(seconds=19), limit=300
        )
    assert [(at - t0).total_seconds() for at, _lat, _lon in thinned] == list(range(0, 1000, 4))
    assert [(at - t0).total_seconds() for at, _lat, _lon in window] == list(range(10, 20))
