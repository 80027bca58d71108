"""Hazard closures through the API on the seeded demo (synthetic city, SQLite and PostgreSQL):
managers create, list, extend and end them; from that moment riders cannot book or start a
ride inside one, routes go around it and a courier re-plan no longer rides through it."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest
from rq import Queue
from shapely.geometry import LineString, Point, shape

from dispatch.couriers.replan import reoptimise
from dispatch.queue.connection import QUEUES, connect
from fleet.db.audit import entries_for
from fleet.db.sites import list_sites, list_zones
from fleet.geo import Area, Position
from fleet.sites import SiteKind
from fleet.zones import Zone, ZoneKind
from routing.courier_model import SERVICE_S
from routing.engine import UNREACHABLE
from routing.modes import Mode
from tests.web.test_bookings import available, login, snapshot
from tests.web.test_delivery import courier_headers, job
from web import create_app

URL = "/api/v1/ops/closures"


@pytest.fixture
def client(demo):
    return demo[0].test_client()


def platform(demo):
    return demo[0].extensions["fleetops"]


def square(lon: float, lat: float, half: float = 0.0005) -> dict:
    """A GeoJSON square of ``2 * half`` degrees around a point."""
    ring = [
        [lon - half, lat - half],
        [lon + half, lat - half],
        [lon + half, lat + half],
        [lon - half, lat + half],
        [lon - half, lat - half],
    ]
    return {"type": "Polygon", "coordinates": [ring]}


def body(clock, geometry: dict, *, hours: float = 3, **over) -> dict:
    return {
        "name": "Flooded underpass",
        "geometry": geometry,
        "active_until": (clock.now() + timedelta(hours=hours)).isoformat(),
        **over,
    }


def close(client, clock, geometry: dict, **over) -> dict:
    r = client.post(URL, headers=login(client, "manager"), json=body(clock, geometry, **over))
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_a_manager_closes_extends_and_ends_an_area(client, demo, clock):
    manager = login(client, "manager")
    kick = available(client, "e_kickboard")[0]
    made = close(client, clock, square(kick["lon"], kick["lat"]))
    assert made["status"] == "active" and made["name"] == "Flooded underpass"
    assert at(made["active_from"]) == clock.now() and made["active_until"].endswith("+09:00")
    assert shape(made["geometry"]).contains(Point(kick["lon"], kick["lat"]))
    public = "/api/v1/zones?kind=hazard_closure"
    assert [z["id"] for z in client.get(public).get_json()["features"]] == [made["id"]]
    listed = client.get(URL, headers=manager).get_json()
    assert [c["id"] for c in listed["data"]] == [made["id"]]
    assert listed["pagination"]["total"] == 1

    path = f"{URL}/{made['id']}"
    later = (clock.now() + timedelta(hours=6)).isoformat()
    r = client.patch(path, headers=manager, json={"active_until": later})
    assert r.status_code == 200 and at(r.get_json()["active_until"]) == at(later)
    r = client.patch(path, headers=manager, json={"name": "Landslide, Route 3"})
    assert r.status_code == 200 and r.get_json()["name"] == "Landslide, Route 3"
    earlier = (clock.now() + timedelta(hours=1)).isoformat()
    r = client.patch(path, headers=manager, json={"active_until": earlier})
    assert r.status_code == 422 and "later than the closure" in r.get_json()["error"]["message"]
    r = client.patch(path, headers=manager, json={})
    assert r.status_code == 422 and "nothing to change" in r.get_json()["error"]["message"]

    clock.advance(600)
    r = client.post(f"{path}/end", headers=manager)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["status"] == "ended" and at(r.get_json()["active_until"]) == clock.now()
    assert client.get(public).get_json()["features"] == []
    assert client.get(URL, headers=manager).get_json()["data"][0]["status"] == "ended"
    for again in (
        client.post(f"{path}/end", headers=manager),
        client.patch(path, headers=manager, json={"active_until": later}),
    ):
        assert again.status_code == 409 and "ended at" in again.get_json()["error"]["message"]
    with platform(demo).engine.connect() as conn:
        audit = entries_for(conn, "zone", made["id"])
    assert [e.action for e in audit] == [
        "zone.create",
        "closure.change",
        "closure.change",
        "closure.end",
    ]
    assert {e.actor_id for e in audit} == {client.get("/api/v1/me", headers=manager).json["id"]}
    assert audit[-1].changes["active_until"][1] == clock.now().isoformat()
    assert at(audit[0].changes["active_until"]) == at(made["active_until"])

    # one to come is listed first, shown to nobody yet, and called off when ended early
    tomorrow = (clock.now() + timedelta(days=1)).isoformat()
    soon = close(client, clock, square(kick["lon"], kick["lat"]), active_from=tomorrow, hours=30)
    assert soon["status"] == "scheduled"
    assert client.get(public).get_json()["features"] == []
    assert [c["id"] for c in client.get(URL, headers=manager).get_json()["data"]] == [
        soon["id"],
        made["id"],
    ]
    off = client.post(f"{URL}/{soon['id']}/end", headers=manager).get_json()
    assert off["status"] == "ended" and off["active_from"] == off["active_until"]
    # ended ones leave the list after a week
    clock.advance(8 * 86400)
    assert client.get(URL, headers=manager).get_json()["data"] == []


def test_a_repeated_post_with_its_idempotency_key_makes_one_closure(client, clock):
    manager = {**login(client, "manager"), "Idempotency-Key": "flood-1"}
    kick = available(client, "e_kickboard")[0]
    sent = body(clock, square(kick["lon"], kick["lat"]))
    first = client.post(URL, headers=manager, json=sent)
    again = client.post(URL, headers=manager, json=sent)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["id"] == first.get_json()["id"]
    assert client.get(URL, headers=manager).get_json()["pagination"]["total"] == 1


def _circle(lon: float, lat: float, points: int) -> dict:
    ring = [list(c) for c in Point(lon, lat).buffer(0.002, quad_segs=points // 4).exterior.coords]
    return {"type": "Polygon", "coordinates": [ring]}


def test_hostile_closures_are_refused_and_store_nothing(client, demo, clock):
    manager = login(client, "manager")
    kick = available(client, "e_kickboard")[0]
    x, y = kick["lon"], kick["lat"]
    ok = square(x, y)
    bowtie = [[x, y], [x + 0.001, y + 0.001], [x + 0.001, y], [x, y + 0.001], [x, y]]
    ring = ok["coordinates"][0]
    now = clock.now()
    state = snapshot(platform(demo).engine)
    cases = [
        ({"geometry": _circle(x, y, 10_004)}, "more than 10000 vertices"),
        ({"geometry": {"type": "Polygon", "coordinates": [[[float("nan"), y], *ring]]}}, "got nan"),
        ({"geometry": {"type": "Polygon", "coordinates": [[[x, 10**400], *ring]]}}, "latitude"),
        ({"geometry": {"type": "Polygon", "coordinates": [[[x, 1e999], *ring]]}}, "latitude"),
        ({"geometry": {"type": "Polygon", "coordinates": [bowtie]}}, "Self-intersection"),
        ({"geometry": {"type": "Polygon", "coordinates": [ring[:-1]]}}, "not closed"),
        ({"geometry": {"type": "Polygon", "coordinates": [ring[:2] + ring[:1]]}}, "at least 4"),
        ({"geometry": {"type": "Polygon", "coordinates": [[[200, y], *ring]]}}, "longitude"),
        ({"geometry": {"type": "Polygon", "coordinates": [[["x", "y"]] * 5]}}, "[lon, lat]"),
        ({"geometry": {"type": "Polygon", "coordinates": [[[[[x]]]] * 4]}}, "[lon, lat]"),
        ({"geometry": {"type": "Polygon", "coordinates": "everywhere"}}, "must be an array"),
        ({"geometry": {"type": "MultiPolygon", "coordinates": []}}, "at least one polygon"),
        ({"geometry": {"type": "Point", "coordinates": [x, y]}}, "Polygon or MultiPolygon"),
        ({"geometry": {"type": "Polygon", "coordinates": [[[x, y]] * 4]}}, "not a valid polygon"),
        ({"geometry": square(129.07, 35.17)}, "outside the service area"),  # Busan
        ({"active_from": (now + timedelta(hours=4)).isoformat()}, "after active_from"),
        ({"active_until": (now - timedelta(hours=1)).isoformat()}, "in the past"),
        ({"active_until": (now + timedelta(days=31)).isoformat()}, "at most 30 days"),
        ({"active_from": (now - timedelta(days=2)).isoformat()}, "24 hours in the past"),
        ({"active_until": "2150-01-01T00:00:00+09:00"}, "too far ahead"),
        ({"active_until": "2026-03-02T12:00:00"}, "UTC offset"),
        ({"name": "   "}, "a name"),
        ({"name": "x" * 201}, "between 1 and 200"),
        ({"geometry": "a flood"}, "Not a valid mapping"),
    ]
    wrong = []
    for change, words in cases:
        r = client.post(URL, headers=manager, json={**body(clock, ok), **change})
        message = str(r.get_json()["error"])
        if r.status_code != 422 or words not in message:
            wrong.append((change, r.status_code, message[:300]))
    assert not wrong, "\n".join(map(str, wrong))
    assert snapshot(platform(demo).engine) == state
    for path in (f"{URL}/no-such-closure", f"{URL}/no-such-closure/end"):
        method = client.patch if not path.endswith("/end") else client.post
        r = method(path, headers=manager, json={"name": "x"} if method == client.patch else None)
        assert r.status_code == 404 and r.get_json()["error"]["code"] == "not_found"


def test_a_closure_over_a_vehicle_stops_its_booking_and_its_ride(client, demo, clock):
    rider, other = login(client, "rider1"), login(client, "rider2")
    kick = available(client, "e_kickboard")[0]
    here = {"lat": kick["lat"], "lon": kick["lon"], "vehicle_classes": ["e_kickboard"]}
    held = client.post("/api/v1/bookings", headers=rider, json=here).get_json()
    vehicle = held["vehicle"]
    made = close(client, clock, square(vehicle["lon"], vehicle["lat"], 0.0004))
    # the rider holding it cannot start the ride there; the hold stands until cancelled
    r = client.post(f"/api/v1/bookings/{held['id']}/unlock", headers=rider)
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "inside_closure"
    assert "Flooded underpass" in r.get_json()["error"]["message"]
    assert client.get(f"/api/v1/bookings/{held['id']}", headers=rider).json["status"] == "held"
    assert client.post(f"/api/v1/bookings/{held['id']}/cancel", headers=rider).status_code == 200
    # nobody books from inside it, and from beside it the vehicle in it is not offered
    at_it = {**here, "lat": vehicle["lat"], "lon": vehicle["lon"]}
    r = client.post("/api/v1/bookings", headers=other, json=at_it)
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "inside_closure"
    beside = {**at_it, "lat": vehicle["lat"] + 0.0008}
    r = client.post("/api/v1/bookings", headers=other, json=beside)
    assert r.status_code in (201, 409), r.get_json()
    if r.status_code == 201:
        assert r.get_json()["vehicle"]["id"] != vehicle["id"]
        client.post(f"/api/v1/bookings/{r.get_json()['id']}/cancel", headers=other)
    # nor is it listed near there (a new user saw it offered 90 m away), and asking from
    # inside the closure is refused by its name
    near = client.get(
        f"/api/v1/vehicles?lat={beside['lat']}&lon={beside['lon']}&radius_m=500"
    ).get_json()["data"]
    assert vehicle["id"] not in {v["id"] for v in near}
    inside = client.get(f"/api/v1/vehicles?lat={vehicle['lat']}&lon={vehicle['lon']}")
    assert inside.status_code == 422 and inside.get_json()["error"]["code"] == "inside_closure"
    # ended, the vehicle is the rider's again
    client.post(f"{URL}/{made['id']}/end", headers=login(client, "manager"))
    r = client.post("/api/v1/bookings", headers=rider, json=at_it)
    assert r.status_code == 201, r.get_json()


def test_routes_go_around_a_closure_from_the_moment_it_is_made(client, demo, clock):
    app = platform(demo)
    router = app.routers.router(Mode.MOPED)
    bikes = available(client, "e_bike")
    a = Position(bikes[0]["lat"], bikes[0]["lon"])
    b = Position(bikes[-1]["lat"], bikes[-1]["lon"])
    before = router.route(a, b)
    assert before is not None
    middle = LineString(before.coordinates).interpolate(0.5, normalized=True)
    geometry = square(middle.x, middle.y, 0.0006)
    assert not shape(geometry).contains(Point(a.lon, a.lat))
    made = close(client, clock, geometry)
    with app.engine.connect() as conn:  # what every service reads, per request
        zones = list_zones(conn, _operator(client))
    after = router.route(a, b, closures=zones, at=clock.now())
    if after is not None:
        assert not LineString(after.coordinates).intersects(shape(geometry))
        assert after.duration_s >= before.duration_s
    # ended, the road is open again: nothing kept the closed roads
    client.post(f"{URL}/{made['id']}/end", headers=login(client, "manager"))
    with app.engine.connect() as conn:
        zones = list_zones(conn, _operator(client))
    again = router.route(a, b, closures=zones, at=clock.now())
    assert again is not None and again.duration_s == before.duration_s
    # a rider's destination inside a closure is refused by name
    close(client, clock, square(b.lon, b.lat, 0.0004), name="Gas leak")
    ride = {"lat": a.lat, "lon": a.lon, "vehicle_classes": ["e_bike"]}
    ride["destination"] = {"lat": b.lat, "lon": b.lon}
    r = client.post("/api/v1/bookings", headers=login(client, "rider1"), json=ride)
    assert r.status_code == 422 and "Gas leak" in r.get_json()["error"]["message"]


def _operator(client) -> str:
    return client.get("/api/v1/me", headers=login(client, "manager")).json["operator_id"]


def _on_the_way(router, a: Position, b: Position, clock) -> tuple[dict, int]:
    """A small square on the fastest ride from ``a`` to ``b``, clear of both, whose closing
    makes the ride longer (a stretch with no equally fast way round), and the ride's seconds
    with it closed."""
    open_s = int(router.matrix([a], [b]).duration_s[0, 0])
    route = router.route(a, b)
    assert route is not None
    path = LineString(route.coordinates)
    ends = [Point(a.lon, a.lat), Point(b.lon, b.lat)]
    for share in (0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8):
        middle = path.interpolate(share, normalized=True)
        geometry = square(middle.x, middle.y, 0.0004)
        if any(shape(geometry).intersects(end.buffer(0.0003)) for end in ends):
            continue
        trial = Zone(
            "trial",
            "o",
            ZoneKind.HAZARD_CLOSURE,
            "trial",
            Area(shape(geometry)),
            active_from=clock.now(),
            active_until=clock.now() + timedelta(hours=1),
        )
        closed_s = int(router.matrix([a], [b], closures=[trial], at=clock.now()).duration_s[0, 0])
        if open_s < closed_s < UNREACHABLE:
            return geometry, closed_s
    pytest.fail("no stretch of the ride could be closed to make it longer")


def _stops(client, courier_id: str) -> list[dict]:
    return client.get(
        "/api/v1/couriers/me/route", headers=courier_headers(client, courier_id)
    ).json["stops"]


def test_a_courier_replan_no_longer_rides_through_a_closure(client, demo, clock):
    app = platform(demo)
    merchant = login(client, "merchant1")
    sent = job(client, clock)
    posted = client.post("/api/v1/delivery-jobs", headers=merchant, json=sent).get_json()
    assert posted["status"] == "assigned", posted
    pickup, dropoff = Position(**sent["pickup"]), Position(**sent["dropoff"])
    router = app.routers.router(Mode.MOPED)
    geometry, closed_s = _on_the_way(router, pickup, dropoff, clock)

    def ride_s() -> float:
        stops = {s["kind"]: s for s in _stops(client, posted["courier_id"])}
        return (at(stops["dropoff"]["eta"]) - at(stops["pickup"]["eta"])).total_seconds()

    assert ride_s() < SERVICE_S + closed_s  # planned over the open road
    close(client, clock, geometry, name="Collapsed bridge")
    # a second job whose store then closes: the re-plan sets it aside with the reason
    bikes = available(client, "e_bike")
    store = Position(bikes[1]["lat"], bikes[1]["lon"])
    second = job(client, clock, pickup={"lat": store.lat, "lon": store.lon}, parcel_l=5)
    other = client.post("/api/v1/delivery-jobs", headers=merchant, json=second).get_json()
    assert other["status"] == "assigned", other
    close(client, clock, square(store.lon, store.lat, 0.0004), name="Gas leak")

    counts = reoptimise(app.couriers, _operator(client))
    assert counts["jobs"] == 2
    assert ride_s() >= SERVICE_S + closed_s  # around the closure now
    seen = client.get(f"/api/v1/delivery-jobs/{other['id']}", headers=merchant).get_json()
    assert seen["status"] == "unassigned" and "closure 'Gas leak'" in seen["reason"], seen
    # and a new job at the closed store is refused by name, storing nothing
    r = client.post("/api/v1/delivery-jobs", headers=merchant, json=second)
    assert r.status_code == 422 and "Gas leak" in r.get_json()["error"]["message"]


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_extending_and_ending_at_once_leaves_one_consistent_closure(client, demo, clock):
    kick = available(client, "e_kickboard")[0]
    made = close(client, clock, square(kick["lon"], kick["lat"]))
    path = f"{URL}/{made['id']}"
    managers = [login(client, "manager") for _ in range(8)]
    gate = threading.Barrier(len(managers))

    def act(n: int) -> tuple[str, int]:
        own = demo[0].test_client()
        gate.wait()
        if n % 4 == 3:  # two end it, six extend it
            return "end", own.post(f"{path}/end", headers=managers[n]).status_code
        until = (clock.now() + timedelta(hours=4 + n)).isoformat()
        r = own.patch(path, headers=managers[n], json={"active_until": until})
        return "extend", r.status_code

    with ThreadPoolExecutor(len(managers)) as pool:
        answers = list(pool.map(act, range(len(managers))))
    assert {status for _kind, status in answers} <= {200, 409, 422}, answers
    assert [kind for kind, status in answers if kind == "end" and status == 200] == ["end"]
    final = client.get(URL, headers=managers[0]).get_json()["data"][0]
    assert final["status"] == "ended" and at(final["active_until"]) == clock.now()
    with platform(demo).engine.connect() as conn:
        audit = entries_for(conn, "zone", made["id"])
    assert len(audit) == 1 + sum(status == 200 for _kind, status in answers)
    assert audit[-1].action == "closure.end"
    # each change started from the one before it: none was lost
    ends = [made["active_until"]] + [e.changes["active_until"][1] for e in audit[1:]]
    olds = [e.changes["active_until"][0] for e in audit[1:]]
    assert [at(o) for o in olds] == [at(e) for e in ends[:-1]]


def test_a_closure_over_a_courier_and_a_station_stops_nobody_elses_planning(client, demo, clock):
    """Before, a closure over any place the planners read (a courier, a station, a job) made
    every post and re-plan of the operator fail with inside_closure."""
    app, manager = platform(demo), login(client, "manager")
    shift = client.get("/api/v1/courier-shifts", headers=manager).json["data"][0]
    moped = client.get(f"/api/v1/fleet/vehicles/{shift['vehicle_id']}", headers=manager).json
    close(client, clock, square(moped["lon"], moped["lat"], 0.0004), name="Sinkhole")
    with app.engine.connect() as conn:
        station = list_sites(conn, _operator(client), SiteKind.SWAP_STATION)[0].position
    close(client, clock, square(station.lon, station.lat, 0.0004), name="Fire")
    merchant = login(client, "merchant1")
    posted = client.post("/api/v1/delivery-jobs", headers=merchant, json=job(client, clock))
    assert posted.status_code == 201, posted.get_json()
    assert posted.get_json()["courier_id"] != shift["courier_id"]
    counts = reoptimise(app.couriers, _operator(client))
    assert counts["jobs"] == 1 and counts["dropped"] == 0


def test_a_closure_asks_for_a_replan_of_the_couriers_on_the_queue(demo, settings, clock, redis_url):
    redis = connect(redis_url)
    for name in QUEUES:
        Queue(name, connection=redis).empty()
    engine = platform(demo).engine
    client = create_app(
        settings.with_overrides(redis_url=redis_url), engine=engine, clock=clock
    ).test_client()
    kick = available(client, "e_kickboard")[0]
    close(client, clock, square(kick["lon"], kick["lat"]))
    (queued,) = Queue("dispatch", connection=redis).get_jobs()
    assert queued.func_name == "dispatch.queue.replans.reoptimise_deliveries"
    assert queued.args == (_operator(client),)
