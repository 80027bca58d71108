"""The road-surface index through the API (issue 17), on SQLite and PostgreSQL: the GeoJSON the
dashboard draws and the city downloads is the stored index on the routers' network, road by
road; its filters, its refusals, and the refresh a manager requests and follows on a real
queue."""

from __future__ import annotations

from urllib.parse import quote

import pytest
import sqlalchemy as sa
from rq import Queue

from dispatch.ops import surface
from dispatch.ops.surface_map import NOT_YET, OTHER_NETWORK
from dispatch.queue.connection import connect
from dispatch.queue.surface_jobs import JOB_ID, QUEUE
from dispatch.queue.worker import PlatformSimpleWorker
from fleet.db import surface as surface_db
from fleet.db.tables import road_surface_networks
from routing.modes import Mode
from tests.web.test_bookings import login
from tests.web.test_road_surface import ridden  # noqa: F401
from web import create_app

URL = "/api/v1/ops/road-surface"
REFRESH = "/api/v1/ops/road-surface/refresh"


def _refreshed(ridden_app):
    """The ridden demo with its index built: (app, platform, bad road, stored rows by road)."""
    app, platform, _, bad = ridden_app
    surface.refresh(platform.engine, platform.clock, platform.routers)
    with platform.engine.connect() as conn:
        rows = {r["road"]: r for r in surface_db.index_rows(conn, "bike")}
    return app, platform, bad, rows


def _get(client, headers, query=""):
    answer = client.get(URL + query, headers=headers)
    assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
    assert answer.mimetype == "application/geo+json"
    return answer.get_json()


def test_before_any_refresh_the_collection_is_empty_and_says_why(demo):
    app, _, _ = demo
    client = app.test_client()
    found = _get(client, login(client, "manager"))
    assert found["type"] == "FeatureCollection" and found["features"] == []
    assert found["note"] == NOT_YET and found["computed_at"] is None


def test_the_collection_is_the_stored_index_where_it_lies(ridden):  # noqa: F811
    app, platform, bad, rows = _refreshed(ridden)
    net = platform.routers.router(Mode.BIKE).network
    client = app.test_client()
    found = _get(client, login(client, "manager"))
    with platform.engine.connect() as conn:
        state = surface_db.network_state(conn, "bike")
    assert found["note"] is None and found["median_ms2"] == state.median_ms2
    assert found["samples"] == state.samples > 0
    assert found["computed_at"].endswith("+09:00")  # the city's zone (Asia/Seoul)
    assert "OpenStreetMap" in found["attribution"] and "ODbL" in found["attribution"]
    features = {f["properties"]["road"]: f for f in found["features"]}
    assert features.keys() == rows.keys() and len(found["features"]) == len(rows)
    for road, row in rows.items():
        feature = features[road]
        props = feature["properties"]
        for name in ("samples", "roughness_ms2", "low_ms2", "high_ms2", "confidence"):
            assert props[name] == row[name], (road, name)
        assert (props["percentile"], props["worst"], props["penalty"]) == (
            row["percentile"],
            row["worst"],
            row["penalty"],
        )
        u, v, _key = net.edge_keys[road]
        assert (props["osm_from"], props["osm_to"]) == (u, v)
        assert props["length_m"] == int(net.length_m[road])
        assert feature["geometry"]["type"] == "LineString"
        line = [x for c in feature["geometry"]["coordinates"] for x in c]
        want = [x for c in net.edge_line(road).coords for x in c]
        assert len(line) >= 4 and line == pytest.approx(want, abs=1e-6)
    low = [f["properties"] for f in found["features"] if f["properties"]["confidence"] == "low"]
    assert low and all(p["percentile"] is None and not p["worst"] for p in low)
    ranked = [f["properties"] for f in found["features"] if f["properties"]["confidence"] != "low"]
    assert ranked and all(0 <= p["percentile"] <= 1 for p in ranked)
    assert features[bad]["properties"]["worst"]


def test_filters_keep_what_they_name(ridden):  # noqa: F811
    app, _platform, bad, rows = _refreshed(ridden)
    client = app.test_client()
    city = login(client, "city")  # the city's officials read it too
    low = _get(client, city, "?confidence=low")["features"]
    assert {f["properties"]["road"] for f in low} == {
        r for r, row in rows.items() if row["confidence"] == "low"
    }
    ranked = _get(client, city, "?confidence=medium&confidence=high")["features"]
    assert _get(client, city, "?confidence=medium,high")["features"] == ranked
    assert {f["properties"]["road"] for f in ranked} == {
        r for r, row in rows.items() if row["percentile"] is not None
    }
    worst = _get(client, city, "?worst=true")["features"]
    assert {f["properties"]["road"] for f in worst} == {
        r for r, row in rows.items() if row["worst"]
    }
    assert bad in {f["properties"]["road"] for f in worst}
    assert len(_get(client, city, "?worst=false")["features"]) == len(rows) - len(worst)
    # a box around the broken road's line holds it and not the city's far roads
    line = next(f for f in worst if f["properties"]["road"] == bad)["geometry"]["coordinates"]
    lons, lats = [c[0] for c in line], [c[1] for c in line]
    box = f"{min(lons)},{min(lats)},{max(lons)},{max(lats)}"
    near = _get(client, city, f"?bbox={box}")["features"]
    assert bad in {f["properties"]["road"] for f in near} and 0 < len(near) < len(rows) / 4
    for f in near:
        xs = [c[0] for c in f["geometry"]["coordinates"]]
        ys = [c[1] for c in f["geometry"]["coordinates"]]
        assert min(xs) <= max(lons) and max(xs) >= min(lons)
        assert min(ys) <= max(lats) and max(ys) >= min(lats)
    both = _get(client, city, f"?bbox={box}&worst=true&confidence=high,medium")["features"]
    assert bad in {f["properties"]["road"] for f in both}


def test_the_download_is_the_same_collection_as_an_attachment(ridden):  # noqa: F811
    app, *_ = _refreshed(ridden)
    client = app.test_client()
    city = login(client, "city")
    answer = client.get(URL + ".geojson?worst=true", headers=city)
    assert answer.status_code == 200 and answer.mimetype == "application/geo+json"
    disposition = answer.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and disposition.endswith('.geojson"')
    assert answer.get_json()["features"] == _get(client, city, "?worst=true")["features"]
    assert "Content-Disposition" not in client.get(URL, headers=city).headers


def test_an_index_of_another_network_is_not_shown(ridden):  # noqa: F811
    app, platform, _, rows = _refreshed(ridden)
    assert rows
    with platform.engine.begin() as conn:
        conn.execute(sa.update(road_surface_networks).values(network_key="another-network"))
    client = app.test_client()
    found = _get(client, login(client, "manager"))
    assert found["features"] == [] and found["note"] == OTHER_NETWORK


BAD_QUERIES = [
    ("confidence=bogus", "confidence"),
    ("confidence=", "confidence"),
    ("confidence=low&confidence=LOW", "confidence"),
    ("worst=maybe", "worst"),
    ("worst=", "worst"),
    ("bbox=1,2,3", "bbox"),
    ("bbox=1,2,3,4,5", "bbox"),
    ("bbox=a,b,c,d", "bbox"),
    ("bbox=nan,nan,nan,nan", "bbox"),
    ("bbox=inf,0,inf,1", "bbox"),
    ("bbox=127,38,126,37", "bbox"),  # west east of east
    ("bbox=0,-91,1,0", "bbox"),
    ("bbox=", "bbox"),
]


@pytest.mark.parametrize(("query", "parameter"), BAD_QUERIES)
def test_bad_filters_are_refused_naming_the_parameter(demo, query, parameter):
    app, _, _ = demo
    client = app.test_client()
    for url in (URL, URL + ".geojson"):
        answer = client.get(f"{url}?{query}", headers=login(client, "manager"))
        assert answer.status_code == 400, (query, answer.get_data(as_text=True)[:200])
        error = answer.get_json()["error"]
        assert error["code"] == "invalid_filter" and error["detail"] == {"parameter": parameter}
        assert error["status"] == 400 and error["message"]


HOSTILE = [
    "\u202e",
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    "9" * 400,
    "1e309,1e309,1e309,1e309",
    "-0,-0,-0,-0",
    "１,２,３,４",  # full-width digits: float() reads them; still a valid box
    "%00",
    "low\u00a0",
    ",,,,",
    "0x10,0,1,1",
    "1_0,0,20,1",
]


def test_hostile_query_values_never_make_a_server_error(demo):
    app, _, _ = demo
    client = app.test_client()
    manager = login(client, "manager")
    for value in HOSTILE:
        for name in ("confidence", "worst", "bbox", "download", "x"):
            answer = client.get(f"{URL}?{name}={quote(value)}", headers=manager)
            assert answer.status_code in (200, 400), (name, value, answer.status_code)
            if answer.status_code == 400:
                assert answer.get_json()["error"]["code"] in ("invalid_filter", "invalid_text")


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_who_may_read_and_who_may_refresh(demo):
    app, _, _ = demo
    client = app.test_client()
    assert client.get(URL).status_code == 401
    assert client.get(URL, headers={"Authorization": "Bearer forged"}).status_code == 401
    for who, status in (("rider1", 403), ("crew1", 403), ("merchant1", 403), ("city", 200)):
        assert client.get(URL, headers=login(client, who)).status_code == status, who
    assert client.post(REFRESH, headers=login(client, "city")).status_code == 403
    assert client.get(f"{REFRESH}/{JOB_ID}", headers=login(client, "city")).status_code == 403
    # this demo has no Redis: a manager hears so, not a server error
    manager = login(client, "manager")
    for answer in (
        client.post(REFRESH, headers=manager),
        client.get(f"{REFRESH}/x", headers=manager),
    ):
        assert answer.status_code == 503
        assert answer.get_json()["error"]["code"] == "queue_unavailable"


def test_a_refresh_requested_by_a_manager_runs_on_the_queue(ridden, settings, redis_url):  # noqa: F811
    demo_app, platform, *_ = ridden
    app = create_app(
        settings.with_overrides(redis_url=redis_url), engine=platform.engine, clock=platform.clock
    )
    on_queue = app.extensions["fleetops"]
    connection = connect(redis_url)
    Queue(QUEUE, connection=connection).empty()
    client = app.test_client()
    manager = login(client, "manager")
    assert _get(client, manager)["features"] == []
    asked = client.post(REFRESH, headers=manager)
    assert asked.status_code == 202, asked.get_json()
    job = asked.get_json()
    assert job["id"] == JOB_ID and job["status"] == "queued"
    assert job["status_url"] == f"{REFRESH}/{JOB_ID}"
    assert client.post(REFRESH, headers=manager).get_json()["id"] == JOB_ID  # the waiting one
    PlatformSimpleWorker(on_queue, connection).work(burst=True)
    done = client.get(job["status_url"], headers=manager)
    assert done.status_code == 200
    status = done.get_json()
    assert status["status"] == "finished" and status["error"] is None
    assert status["progress"]["done"] == status["progress"]["total"] > 0
    assert status["result"]["roads"] > 0 and status["result"]["matched"] > 0
    found = _get(client, manager)
    assert len(found["features"]) == status["result"]["roads"]
    ranked = [f for f in found["features"] if f["properties"]["percentile"] is not None]
    assert len(ranked) == status["result"]["ranked"]
    unknown = client.get(f"{REFRESH}/crew-plan-0", headers=manager)
    assert unknown.status_code == 404 and unknown.get_json()["error"]["code"] == "not_found"
    assert demo_app is not app
