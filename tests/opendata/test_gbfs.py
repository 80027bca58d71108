"""The public GBFS feeds (v3.0 and v2.3) on the seeded demo, on SQLite and PostgreSQL: every
file of both versions validates against the official schemas (in ../shared/data/schemas/gbfs)
as seeded and after a ride, a hold and a closure; what they list is what riders may book; the
public vehicle ids rotate with trips; bad paths get a clear 404."""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from dispatch.opendata.gbfs_format import FILES, Version
from fleet.db.tables import vehicles
from tests.opendata.gbfs_schemas import official_schemas
from tests.web import conftest as web_fixtures
from tests.web.tenants import two_tenants
from tests.web.test_bookings import available, login
from web import create_app

#: tests/web/conftest.py's seeded demo, under a name that leaves ``demo`` to this module.
web_demo = web_fixtures.demo

PATH = {Version.V3: "v3", Version.V2: "v2"}
VEHICLES = {Version.V3: "vehicle_status", Version.V2: "free_bike_status"}


@pytest.fixture
def demo(web_demo):
    """The demo operator seeded on the synthetic city (60 vehicles): its app
    (tests/web/conftest.py's ``demo``, which also gives the seeding's summary and city)."""
    app, _summary, _city = web_demo
    return app


@pytest.fixture
def client(demo):
    return demo.test_client()


@pytest.fixture
def schemas(data_dir):
    """``check(version, name, document)``: validate a file against its official schema."""
    return official_schemas(data_dir)


def fetch(client, path: str) -> dict:
    r = client.get(path)
    assert r.status_code == 200, (path, r.get_json())
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    return r.get_json()


def every_file(client, schemas) -> dict[tuple[Version, str], dict]:
    """Fetch every file of both versions of the default operator, following discovery, and
    validate each; the v3 manifest too."""
    files = {}
    for version in Version:
        discovery = fetch(client, f"/gbfs/{PATH[version]}/gbfs.json")
        schemas(version, "gbfs", discovery)
        feeds = (
            discovery["data"]["feeds"]
            if version is Version.V3
            else next(iter(discovery["data"].values()))["feeds"]
        )
        assert [f["name"] for f in feeds] == list(FILES[version])
        for feed in feeds:
            doc = fetch(client, urlsplit(feed["url"]).path)
            schemas(version, feed["name"], doc)
            files[version, feed["name"]] = doc
    files[Version.V3, "manifest"] = fetch(client, "/gbfs/v3/manifest.json")
    schemas(Version.V3, "manifest", files[Version.V3, "manifest"])
    return files


def bookable(engine) -> dict[str, dict]:
    """The demo's vehicles riders book (not work EVs), by id, as stored."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(vehicles)).mappings().all()
    return {r["id"]: dict(r) for r in rows if r["vehicle_class"] != "work_ev"}


def listed(files, version: Version) -> list[dict]:
    data = files[version, VEHICLES[version]]["data"]
    return data["bikes" if version is Version.V2 else "vehicles"]


def test_every_file_validates_on_the_seeded_demo(client, demo, schemas):
    files = every_file(client, schemas)
    engine = demo.extensions["fleetops"].engine
    mine = bookable(engine)
    public = {v["id"] for v in client.get("/api/v1/vehicles?per_page=500").get_json()["data"]}
    for version in Version:
        shown = listed(files, version)
        ready = [v for v in shown if not v["is_reserved"] and not v["is_disabled"]]
        assert len(ready) == len(public)  # what riders can book, no more, no less
        assert {v["vehicle_type_id"] for v in shown} <= {"e_kickboard", "e_bike", "e_moped"}
        assert all(0 <= v["current_fuel_percent"] <= 1 for v in shown)
        types = files[version, "vehicle_types"]["data"]["vehicle_types"]
        assert {t["vehicle_type_id"] for t in types} == {"e_kickboard", "e_bike", "e_moped"}
        plans = {p["plan_id"] for p in files[version, "system_pricing_plans"]["data"]["plans"]}
        assert {t["default_pricing_plan_id"] for t in types} == plans
    # the internal ids and codes appear in no file
    everything = json.dumps(list(files.values()), ensure_ascii=False)
    for row in mine.values():
        assert row["id"] not in everything and row["code"] not in everything
    v3 = files[Version.V3, "system_information"]["data"]
    assert v3["timezone"] == "Asia/Seoul" and v3["languages"] == ["ko"]
    assert files[Version.V3, "vehicle_status"]["ttl"] == 60
    assert isinstance(files[Version.V2, "free_bike_status"]["last_updated"], int)


def test_work_evs_hubs_and_couriers_mopeds_are_left_out(client, demo, clock, schemas):
    files = every_file(client, schemas)
    platform = demo.extensions["fleetops"]
    shown = listed(files, Version.V3)
    with platform.engine.connect() as conn:
        counts = dict(
            conn.execute(
                sa.select(vehicles.c.vehicle_class, sa.func.count())
                .where(vehicles.c.status.not_in(["in_use", "in_transit"]))
                .group_by(vehicles.c.vehicle_class)
            ).all()
        )
    mopeds = sum(1 for v in shown if v["vehicle_type_id"] == "e_moped")
    assert counts.get("work_ev", 0) > 0 and "work_ev" not in {v["vehicle_type_id"] for v in shown}
    assert mopeds < counts["e_moped"]  # the couriers' mopeds on shift are not offered
    stations = files[Version.V3, "station_information"]["data"]["stations"]
    hubs = {s["id"] for s in client.get("/api/v1/hubs", headers=login(client, "manager"))
            .get_json()["data"]}  # fmt: skip
    assert stations and not hubs & {s["station_id"] for s in stations}


def _ride(client, clock, cls: str = "e_kickboard") -> tuple[dict, dict]:
    """A rider books, unlocks and ends a ride 12 minutes later somewhere else; the booking
    and where it ended."""
    rider = login(client, "rider1")
    start = available(client, cls)[0]
    end = available(client, "e_bike")[-1]
    r = client.post(
        "/api/v1/bookings",
        headers=rider,
        json={"lat": start["lat"], "lon": start["lon"], "vehicle_classes": [cls]},
    )
    booking = r.get_json()
    assert client.post(f"/api/v1/bookings/{booking['id']}/unlock", headers=rider).status_code == 200
    clock.advance(12 * 60)
    r = client.post(
        f"/api/v1/bookings/{booking['id']}/end",
        headers=rider,
        json={"lat": end["lat"], "lon": end["lon"]},
    )
    assert r.status_code == 200, r.get_json()
    return booking, end


def _at(place: dict) -> tuple[float, float]:
    return round(place["lat"], 6), round(place["lon"], 6)


def _ids(files, version: Version) -> dict[str, tuple[float, float]]:
    """Where each listed vehicle stands, by its public id."""
    id_key = "bike_id" if version is Version.V2 else "vehicle_id"
    return {v[id_key]: _at(v) for v in listed(files, version)}


def test_after_a_ride_a_hold_and_a_closure_every_file_still_validates(client, demo, clock, schemas):
    before = every_file(client, schemas)
    clock.advance(120)  # time alone changes no id
    again = every_file(client, schemas)
    assert listed(before, Version.V3) == listed(again, Version.V3)  # ids stable between trips

    booking, end = _ride(client, clock)
    vid = booking["vehicle"]["id"]
    # a second rider holds a vehicle: reserved, still listed
    rider2 = login(client, "rider2")
    held = available(client, "e_bike")[0]
    r = client.post(
        "/api/v1/bookings",
        headers=rider2,
        json={"lat": held["lat"], "lon": held["lon"], "vehicle_classes": ["e_bike"]},
    )
    assert r.status_code == 201, r.get_json()
    # the manager closes a street around a vehicle that stands there
    spot = available(client, "e_kickboard")[-1]
    d = 0.0004
    ring = [[spot["lon"] - d, spot["lat"] - d], [spot["lon"] + d, spot["lat"] - d],
            [spot["lon"] + d, spot["lat"] + d], [spot["lon"] - d, spot["lat"] + d],
            [spot["lon"] - d, spot["lat"] - d]]  # fmt: skip
    closure = {
        "name": "Burst water main",
        "geometry": {"type": "Polygon", "coordinates": [ring]},
        "active_until": (clock.now() + timedelta(hours=3)).isoformat(),
    }
    r = client.post("/api/v1/ops/closures", headers=login(client, "manager"), json=closure)
    assert r.status_code == 201, r.get_json()
    closure_id = r.get_json()["id"]

    after = every_file(client, schemas)
    for version in Version:
        shown = listed(after, version)
        assert sum(v["is_reserved"] for v in shown) == 1
        alerts = after[version, "system_alerts"]["data"]["alerts"]
        assert [a["alert_id"] for a in alerts] == [closure_id]
        zones = after[version, "geofencing_zones"]["data"]["geofencing_zones"]["features"]
        first = zones[0]["properties"]  # the strictest rule comes first
        assert first["name"] in (
            "Burst water main",
            [{"text": "Burst water main", "language": "ko"}],
        )
        assert "end" in first
        # the vehicle inside the closure cannot be ridden
        inside = [v for v in shown if (v["lat"], v["lon"]) == _at(spot)]
        assert inside and all(v["is_disabled"] for v in inside)
    v3_rule = after[Version.V3, "geofencing_zones"]["data"]["geofencing_zones"]["features"][0]
    assert v3_rule["properties"]["rules"][0] == {
        "ride_start_allowed": False, "ride_end_allowed": False, "ride_through_allowed": False
    }  # fmt: skip
    # the ridden vehicle is back under a new id where the ride ended; the others keep theirs
    old, new = _ids(before, Version.V3), _ids(after, Version.V3)
    gone, fresh = set(old) - set(new), set(new) - set(old)
    assert len(gone) == 1 and len(fresh) == 1
    assert new[fresh.pop()] == _at(end)
    assert vid not in json.dumps(list(after.values()))


def test_an_active_trip_is_not_listed(client, demo, clock, schemas):
    rider = login(client, "rider1")
    kick = available(client, "e_kickboard")[0]
    booking = client.post(
        "/api/v1/bookings",
        headers=rider,
        json={"lat": kick["lat"], "lon": kick["lon"], "vehicle_classes": ["e_kickboard"]},
    ).get_json()
    count = len(listed(every_file(client, schemas), Version.V3))
    assert client.post(f"/api/v1/bookings/{booking['id']}/unlock", headers=rider).status_code == 200
    during = every_file(client, schemas)
    assert len(listed(during, Version.V3)) == count - 1
    assert len(listed(during, Version.V2)) == count - 1


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("/gbfs/v3/no_such_operator/gbfs.json", "unknown_operator"),
        ("/gbfs/v2/no_such_operator/free_bike_status.json", "unknown_operator"),
        ("/gbfs/v3/vehicle_types.jsonx", "unknown_file"),
        ("/gbfs/v3/free_bike_status.json", "unknown_file"),
        ("/gbfs/v2/vehicle_status.json", "unknown_file"),
        ("/gbfs/v2/manifest.json", "unknown_file"),
        ("/gbfs/v9/gbfs.json", "unknown_version"),
        ("/gbfs/v3/" + "x" * 5000 + "/gbfs.json", "unknown_operator"),
        ("/gbfs/v3/%27%3B--/gbfs.json", "unknown_operator"),
        ("/gbfs/v3/..%2F..%2Fetc/gbfs.json", "unknown_file"),
        ("/gbfs/v3/a/b/c.json", "unknown_file"),
        ("/gbfs/", "unknown_file"),
    ],
)
def test_bad_paths_get_a_clear_404(client, path, code):
    r = client.get(path)
    assert r.status_code == 404, path
    if code is not None:
        error = r.get_json()["error"]
        assert error["code"] == code and error["message"], error


def test_unchanged_files_answer_304_and_carry_their_ttl(client):
    r = client.get("/gbfs/v3/system_information.json")
    assert r.headers["Cache-Control"] == "public, max-age=3600"
    again = client.get(
        "/gbfs/v3/system_information.json", headers={"If-None-Match": r.headers["ETag"]}
    )
    assert again.status_code == 304


def test_links_use_the_public_url_when_set(engine, settings, clock, demo):
    app = create_app(
        settings.with_overrides(public_url="https://fleet.example.org"), engine=engine, clock=clock
    )
    doc = app.test_client().get("/gbfs/v3/gbfs.json").get_json()
    assert all(
        f["url"].startswith("https://fleet.example.org/gbfs/v3/") for f in doc["data"]["feeds"]
    )


def test_two_operators_each_publish_only_their_own(engine, settings, clock, schemas):
    a, b = two_tenants(engine, settings, clock)
    client = a.client
    manifest = fetch(client, "/gbfs/v3/manifest.json")
    schemas(Version.V3, "manifest", manifest)
    systems = [d["system_id"] for d in manifest["data"]["datasets"]]
    assert sorted(systems) == sorted(f"fleetops-{t.operator_id}" for t in (a, b))
    for tenant in (a, b):
        with engine.connect() as conn:
            mine = {
                (round(r.lat, 6), round(r.lon, 6))
                for r in conn.execute(
                    sa.select(vehicles.c.lat, vehicles.c.lon).where(
                        vehicles.c.operator_id == tenant.operator_id
                    )
                )
            }
        for version in Version:
            base = f"/gbfs/{PATH[version]}/{tenant.operator_id}"
            doc = fetch(client, f"{base}/{VEHICLES[version]}.json")
            schemas(version, VEHICLES[version], doc)
            shown = {_at(v) for v in listed({(version, VEHICLES[version]): doc}, version)}
            assert shown and shown <= mine
            info = fetch(client, f"{base}/system_information.json")["data"]
            assert info["system_id"] == f"fleetops-{tenant.operator_id}"
            assert tenant.ids["booking_id"] not in json.dumps(doc)
    # the default operator is the oldest (both seeded at the same moment: then by name)
    default = fetch(client, "/gbfs/v3/system_information.json")["data"]["system_id"]
    assert default == systems[0]


def test_hostile_requests_never_break_the_feed(client):
    r = client.get("/gbfs/v3/gbfs.json?" + "x=" + "y" * 20_000)
    assert r.status_code == 200  # the feeds read no query
    r = client.get("/gbfs/v3/%00/gbfs.json")
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "invalid_text"
    assert client.head("/gbfs/v2/free_bike_status.json").status_code == 200
    assert client.post("/gbfs/v3/gbfs.json").status_code == 405


def test_the_feeds_contact_is_the_setting(engine, settings, clock, demo):
    """``open_data.contact_email`` is the address system_information gives consumers; a value
    that is no address is refused at start."""
    import dataclasses

    from config.exceptions import SettingsError
    from config.open_data import OpenDataSettings
    from web import create_app

    chosen = dataclasses.replace(settings.open_data, contact_email="data@fleet.example.org")
    app = create_app(dataclasses.replace(settings, open_data=chosen), engine=engine, clock=clock)
    info = app.test_client().get("/gbfs/v3/system_information.json").get_json()
    assert info["data"]["feed_contact_email"] == "data@fleet.example.org"
    with pytest.raises(SettingsError, match="contact_email"):
        OpenDataSettings(contact_email="not an address")
