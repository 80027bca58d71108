"""The road-surface index end to end (issue 17), on SQLite and PostgreSQL: the gateway posts
synthetic rides of the demo's bikes and kickboards (1 Hz, σ 8 m) through the API, the refresh
job on a real Redis queue matches them and stores the index, and the bike router of the same
platform then routes around the broken road (acceptance 2, first half)."""

from __future__ import annotations

import itertools
from datetime import timedelta

import numpy as np
import pytest
import sqlalchemy as sa
from rq.job import Job

from dispatch.ops import surface
from dispatch.queue.connection import connect
from dispatch.queue.surface_jobs import JOB_ID, request_refresh
from dispatch.queue.worker import PlatformSimpleWorker
from fleet.db import surface as surface_db
from fleet.db.tables import road_surface, telemetry, vehicles
from fleet.geo import Position
from routing import traces
from routing.modes import Mode
from routing.surface import road_of
from tests.web.test_bookings import login

URL = "/api/v1/telemetry"
#: The broken road vibrates this many times more than the rest.
BAD_FACTOR = 3.0


def _bikes(engine) -> list[str]:
    query = sa.select(vehicles.c.id).where(vehicles.c.vehicle_class.in_(surface.CLASSES))
    with engine.connect() as conn:
        return sorted(conn.scalars(query))


def _route_edges(router, route) -> list[int]:
    """The network edges a route runs over (its coordinates are the nodes it passes)."""
    net = router.network
    node = {
        (round(lo, 7), round(la, 7)): i
        for i, (la, lo) in enumerate(zip(net.lat, net.lon, strict=True))
    }
    edge = {(int(t), int(h)): e for e, (t, h) in enumerate(zip(net.tail, net.head, strict=True))}
    nodes = [node[(round(lo, 7), round(la, 7))] for lo, la in route.coordinates]
    return [edge[pair] for pair in itertools.pairwise(nodes)]


def net_router(platform):
    return platform.routers.router(Mode.BIKE)


def _corner(net, i: int) -> Position:
    return Position(float(net.lat[i]), float(net.lon[i]))


def _far_corners(net) -> tuple[Position, Position]:
    """Two intersections far apart on both axes: many equally short ways lead between them."""
    south_west = int(np.argmin(net.lat + net.lon))
    north_east = int(np.argmax(net.lat + net.lon))
    lat = net.lat[south_west] + 0.6 * (net.lat[north_east] - net.lat[south_west])
    lon = net.lon[south_west] + 0.6 * (net.lon[north_east] - net.lon[south_west])
    target = int(np.argmin((net.lat - lat) ** 2 + (net.lon - lon) ** 2))
    return _corner(net, south_west), _corner(net, target)


def _post_rides(client, gateway, clock, bikes, rides) -> int:
    """Post each trace as one vehicle's ride, a ride every 10 minutes back from now."""
    samples = []
    start = clock.now() - timedelta(hours=6)
    for k, trace in enumerate(rides):
        vehicle = bikes[k % len(bikes)]
        began = start + timedelta(minutes=10 * (k // len(bikes)))
        for j, ((lat, lon, t), vib) in enumerate(
            zip(trace.samples, trace.vibration_ms2, strict=True)
        ):
            samples.append(
                {
                    "id": f"r{k}-{j}",
                    "vehicle_id": vehicle,
                    "at": (began + timedelta(seconds=t)).isoformat(),
                    "lat": lat,
                    "lon": lon,
                    "speed_kph": 16.2,
                    "soc_pct": 70.0,
                    "vibration_rms_ms2": float(vib),
                }
            )
    for first in range(0, len(samples), 1000):
        answer = client.post(URL, json={"samples": samples[first : first + 1000]}, headers=gateway)
        assert answer.status_code == 200, answer.get_json()
    return len(samples)


@pytest.fixture
def ridden(demo, redis_url):
    """The demo with rides posted: 24 across the city, 6 along the router's first choice
    between two far corners, whose middle road is broken. (app, platform, before, bad road)."""
    app, _, _ = demo
    platform = app.extensions["fleetops"]
    router = platform.routers.router(Mode.BIKE)
    net = router.network
    a, b = _far_corners(net)
    before = router.route(a, b)
    path = _route_edges(router, before)
    bad = road_of(path[len(path) // 2], net.twin)

    def roughness(edge: int) -> float:
        return BAD_FACTOR if road_of(edge, net.twin) == bad else 1.0

    rng = np.random.default_rng(17)
    rides = [traces.ride(net, rng, roughness=roughness) for _ in range(24)]
    rides += [traces.ride_along(net, path, rng, roughness=roughness, gaps=0) for _ in range(6)]
    client = app.test_client()
    gateway = login(client, "gateway")
    posted = _post_rides(client, gateway, platform.clock, _bikes(platform.engine), rides)
    return app, platform, (a, b, before, path, posted), bad


def test_the_refresh_job_matches_rides_and_the_bike_route_avoids_the_broken_road(ridden, redis_url):
    _, platform, (a, b, before, path, posted), bad = ridden
    net = platform.routers.router(Mode.BIKE).network
    assert bad in {road_of(e, net.twin) for e in path}
    connection = connect(redis_url)
    assert request_refresh(connection) == JOB_ID
    assert request_refresh(connection) == JOB_ID  # one at a time: the waiting one is found
    PlatformSimpleWorker(platform, connection).work(burst=True)
    job = Job.fetch(JOB_ID, connection=connection)
    done = job.return_value()
    assert done["matched"] + done["unmatched"] == posted and done["matched"] > 0.98 * posted
    assert job.meta["progress"]["done"] == job.meta["progress"]["total"]
    with platform.engine.connect() as conn:
        rows = {r["road"]: r for r in surface_db.index_rows(conn, "bike")}
        unmatched = conn.scalar(
            sa.select(sa.func.count()).select_from(telemetry).where(telemetry.c.road_edge.is_(None))
        )
    assert unmatched == 0
    assert rows[bad]["worst"] and rows[bad]["penalty"] > 1.5
    # the same platform's bike router now takes another way of (about) the same length
    after = platform.routers.router(Mode.BIKE).route(a, b)
    roads_after = {road_of(e, net.twin) for e in _route_edges(net_router(platform), after)}
    assert bad not in roads_after
    assert after.distance_m <= before.distance_m * 1.1


def test_a_second_refresh_matches_nothing_new_and_keeps_the_index(ridden):
    _, platform, *_ = ridden
    first = surface.refresh(platform.engine, platform.clock, platform.routers)
    with platform.engine.connect() as conn:
        index = surface_db.index_rows(conn, "bike")
    again = surface.refresh(platform.engine, platform.clock, platform.routers)
    assert first.matched > 0 and again.matched == again.unmatched == 0
    assert again.readings == first.readings and not again.network_changed
    with platform.engine.connect() as conn:
        assert surface_db.index_rows(conn, "bike") == index


def test_another_network_forgets_the_matches_and_makes_them_again(ridden):
    _, platform, *_ = ridden
    surface.refresh(platform.engine, platform.clock, platform.routers)
    with platform.engine.begin() as conn:
        assert surface_db.adopt_network(conn, "bike", "another-network", surface.CLASSES)
        assert conn.scalar(sa.select(sa.func.count()).select_from(road_surface)) == 0
        assert (
            conn.scalar(
                sa.select(sa.func.count()).select_from(telemetry).where(telemetry.c.road_edge >= 0)
            )
            == 0
        )
    # the routers' network is not "another-network": the next refresh matches everything again
    done = surface.refresh(platform.engine, platform.clock, platform.routers)
    assert done.network_changed and done.matched > 0 and done.ranked > 0


def test_a_rider_asks_for_a_route_and_gets_one_around_the_broken_road(ridden):
    app, platform, (a, b, before, *_), bad = ridden
    client = app.test_client()
    rider = login(client, "rider1")
    ends = {"from_lat": a.lat, "from_lon": a.lon, "to_lat": b.lat, "to_lon": b.lon}
    first = client.get("/api/v1/ride-route", query_string=ends, headers=rider)
    assert first.status_code == 200, first.get_json()
    assert first.get_json()["properties"]["surface_computed_at"] is None  # no index yet
    surface.refresh(platform.engine, platform.clock, platform.routers)
    answer = client.get("/api/v1/ride-route", query_string=ends, headers=rider).get_json()
    props = answer["properties"]
    assert props["surface_computed_at"].endswith("+09:00") and props["rough_m"] == 0
    router = net_router(platform)
    coordinates = [tuple(c) for c in answer["geometry"]["coordinates"]]
    ridden_roads = {
        road_of(e, router.network.twin)
        for e in _route_edges(router, type(before)(0, 0, coordinates))
    }
    assert bad not in ridden_roads
    assert props["distance_m"] <= before.distance_m * 1.1
    assert props["duration_s"] <= before.duration_s * 1.1  # riding time, not the penalised cost
    # bad requests: a car, an end off the map, a missing end
    for wrong in (
        {**ends, "vehicle_class": "work_ev"},
        {**ends, "to_lat": 10.0},
        {k: v for k, v in ends.items() if k != "to_lon"},
        {**ends, "vehicle_class": "rocket"},
    ):
        refused = client.get("/api/v1/ride-route", query_string=wrong, headers=rider)
        assert refused.status_code in (400, 422), wrong
        assert set(refused.get_json()["error"]) >= {"code", "message"}
