"""The dashboard's vehicle feed ``GET /api/v1/ops/fleet`` (issue 15), on SQLite and PostgreSQL:
every vehicle of the operator with the fields the map draws, the class filter, and the ETag that
answers 304 while nothing changed and changes whenever a listed field does."""

from __future__ import annotations

import sqlalchemy as sa

from fleet.db.tables import vehicles
from tests.web.test_bookings import login

FEED = "/api/v1/ops/fleet"
KEYS = ["id", "code", "vehicle_class", "status", "soc_pct", "lat", "lon"]


def _fleet(client, headers) -> list[dict]:
    """The operator's vehicles as GET /fleet/vehicles pages them."""
    found, page = [], 1
    while True:
        r = client.get(f"/api/v1/fleet/vehicles?per_page=500&page={page}", headers=headers)
        found += r.get_json()["data"]
        if page >= r.get_json()["pagination"]["pages"]:
            return found
        page += 1


def test_the_feed_lists_every_vehicle_with_what_the_map_draws(demo):
    app, summary, _ = demo
    client = app.test_client()
    manager = login(client, "manager")
    r = client.get(FEED, headers=manager)
    assert r.status_code == 200 and r.mimetype == "application/json"
    body = r.get_json()
    assert list(body) == ["as_of", "count", "vehicles"]
    assert body["as_of"] == "2026-03-02T09:00:00+09:00"  # the seeding's clock, the newest change
    assert body["count"] == len(body["vehicles"]) == sum(summary.vehicles.values()) == 60
    assert all(list(v) == KEYS for v in body["vehicles"])
    codes = [v["code"] for v in body["vehicles"]]
    assert codes == sorted(codes)
    expected = {
        v["id"]: [v[k] for k in KEYS] for v in _fleet(client, manager)
    }  # fleet/vehicles rounds the charge to 0.1 %: the demo's charges are to 0.1 % already
    assert {v["id"]: [v[k] for k in KEYS] for v in body["vehicles"]} == expected
    crew = client.get(FEED, headers=login(client, "crew1"))
    assert crew.status_code == 200 and crew.get_json() == body


def test_the_class_filter_takes_a_comma_list_or_repeats(demo):
    app, summary, _ = demo
    client = app.test_client()
    manager = login(client, "manager")
    every = client.get(FEED, headers=manager).get_json()["vehicles"]
    wanted = {"e_bike", "e_moped"}
    expected = [v for v in every if v["vehicle_class"] in wanted]
    assert 0 < len(expected) < len(every)
    for query in ("?vehicle_class=e_bike,e_moped", "?vehicle_class=e_moped&vehicle_class=e_bike"):
        body = client.get(FEED + query, headers=manager).get_json()
        assert body["vehicles"] == expected and body["count"] == len(expected)
    kicks = client.get(FEED + "?vehicle_class=e_kickboard", headers=manager).get_json()
    assert kicks["count"] == summary.vehicles["e_kickboard"]
    r = client.get(FEED + "?vehicle_class=e_bike,hoverboard", headers=manager)
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "unknown_vehicle_class"


def test_the_etag_answers_304_until_a_listed_field_changes(demo):
    """Each listed field is changed in the database directly, without touching ``updated_at``
    (so the tag cannot lean on it), then through the API; each change gives a new ETag, and the
    old one no longer answers 304."""
    app, _, _ = demo
    engine = app.extensions["fleetops"].engine
    client = app.test_client()
    manager = login(client, "manager")
    first = client.get(FEED, headers=manager)
    etag = first.headers["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    again = client.get(FEED, headers={**manager, "If-None-Match": etag})
    assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == etag
    assert client.get(FEED, headers={**manager, "If-None-Match": '"other"'}).status_code == 200
    target = first.get_json()["vehicles"][5]
    seen = {etag}
    changes = {
        "code": "ZZ-9999",
        "vehicle_class": "e_moped" if target["vehicle_class"] != "e_moped" else "e_bike",
        "status": "maintenance" if target["status"] != "maintenance" else "available",
        "soc_pct": 12.3,
        "lat": target["lat"] + 1e-6,
        "lon": target["lon"] + 1e-6,
    }
    for column, value in changes.items():
        with engine.begin() as conn:
            conn.execute(
                sa.update(vehicles).where(vehicles.c.id == target["id"]).values({column: value})
            )
        r = client.get(FEED, headers={**manager, "If-None-Match": etag})
        assert r.status_code == 200, column
        shown = next(v for v in r.get_json()["vehicles"] if v["id"] == target["id"])
        assert shown[column] == value, column
        etag = r.headers["ETag"]
        assert etag not in seen, column
        seen.add(etag)
    r = client.patch(
        f"/api/v1/fleet/vehicles/{target['id']}", headers=manager, json={"soc_pct": 55.5}
    )
    assert r.status_code == 200
    after = client.get(FEED, headers={**manager, "If-None-Match": etag})
    assert after.status_code == 200 and after.headers["ETag"] not in seen
    assert after.get_json()["as_of"] == r.get_json()["updated_at"]  # the newest change
    # another filter is another answer, with its own tag
    bikes = client.get(FEED + "?vehicle_class=e_bike", headers=manager)
    assert bikes.headers["ETag"] != after.headers["ETag"]
    assert client.get(FEED, headers={**manager, "If-None-Match": "*"}).status_code == 304
