"""``GET /map/closed-roads``: per closure in force, the streets of the bike network it closes —
the edges the router avoids, each street once — for the rider's map; public like the zones."""

from __future__ import annotations

from shapely.geometry import LineString, shape

from fleet.db.engine import reading
from fleet.db.sites import list_zones
from routing.modes import Mode
from routing.surface import road_of
from tests.web.test_bookings import available, login
from tests.web.test_closures import URL, close, square

CLOSED = "/api/v1/map/closed-roads"


def test_the_streets_a_closure_closes_are_the_ones_routes_avoid(demo, clock):
    app, summary, _prepared = demo
    client = app.test_client()
    spot = available(client, "e_bike")[0]
    made = close(client, clock, square(spot["lon"], spot["lat"], half=0.0008))
    answer = client.get(f"{CLOSED}?operator_id={summary.operator_id}")
    assert answer.status_code == 200
    (feature,) = answer.get_json()["features"]
    assert feature["id"] == made["id"] and feature["geometry"]["type"] == "MultiLineString"
    lines = [LineString(c) for c in feature["geometry"]["coordinates"]]
    assert feature["properties"]["streets"] == len(lines) > 0
    area = shape(made["geometry"])
    assert all(line.intersects(area) for line in lines)
    # exactly the router's closed edges, a street's two directions once
    router = app.extensions["fleetops"].riders.routers.router(Mode.BIKE)
    closed = router.closed_edges([z for z in _zones(app, summary.operator_id)], clock.now())
    assert len(lines) == len({road_of(e, router.network.twin) for e in closed})
    # another operator's (none) and every operator's (the same one)
    assert client.get(f"{CLOSED}?operator_id=no-such-operator").get_json()["features"] == []
    assert [f["id"] for f in client.get(CLOSED).get_json()["features"]] == [made["id"]]
    # ended, it closes nothing
    client.post(f"{URL}/{made['id']}/end", headers=login(client, "manager"))
    assert client.get(CLOSED).get_json()["features"] == []


def test_every_closure_in_force_is_listed_and_bad_input_is_refused(demo, clock):
    app, summary, _prepared = demo
    client = app.test_client()
    spot = available(client, "e_bike")[0]
    # a tiny square inside a block: listed whether or not it reaches a street
    made = close(client, clock, square(spot["lon"] + 0.00035, spot["lat"] + 0.00035, 0.00002))
    found = client.get(f"{CLOSED}?operator_id={summary.operator_id}").get_json()["features"]
    streets = {f["id"]: f["properties"]["streets"] for f in found}
    assert made["id"] in streets
    assert all(f["properties"]["streets"] == len(f["geometry"]["coordinates"]) for f in found)
    bad = client.get(f"{CLOSED}?operator_id=" + "x" * 37)
    assert bad.status_code == 422 and "operator_id" in str(bad.get_json()["error"]["detail"])


def _zones(app, operator_id):
    with reading(app.extensions["fleetops"].engine) as conn:
        return list_zones(conn, operator_id)
