"""Hostile input on the open-data endpoints (MDS, GBFS, NGSI-LD, the carbon report): nothing
answers 500, and the MDS paths answer in MDS's error body."""

from __future__ import annotations

import pytest

from tests.web import conftest as web_fixtures
from tests.web.test_bookings import login

demo = web_fixtures.demo


@pytest.fixture
def client(demo):
    return demo[0].test_client()


MDS = [
    "/mds/vehicles?limit=1000&offset=999999999",
    "/mds/vehicles?limit=-1",
    "/mds/vehicles?limit=%EF%BC%91",
    "/mds/vehicles?limit=1&limit=2",
    "/mds/vehicles/status?offset=1000000000",
    "/mds/vehicles/status?limit=1",
    "/mds/vehicles/00000000-0000-0000-0000-000000000000",
    "/mds/vehicles/status/00000000-0000-0000-0000-000000000000",
    "/mds/vehicles/%E2%80%8B",
    "/mds/vehicles/..%2F..",
    "/mds/vehicles/status/x",
    "/mds/trips?end_time=9999-12-31T23",
    "/mds/trips?end_time=0000-01-01T00",
    "/mds/trips?end_time=0001-01-01T00",
    "/mds/trips?end_time=2026-02-30T00",
    "/mds/trips?end_time=2026-03-01T24",
    "/mds/trips?end_time=%D9%A2%D9%A0%D9%A2%D9%A6-03-01T00",
    "/mds/events/historical?event_time=0001-01-01T00",
    "/mds/events/historical?event_time=9999-12-31T23",
    "/mds/telemetry?telemetry_time=9999-12-31T23",
    "/mds/telemetry?telemetry_time=0001-01-01T00",
    "/mds/events/recent?start_time=0&end_time=1",
    "/mds/events/recent?start_time=-5&end_time=1",
    "/mds/events/recent?start_time=253402300799999&end_time=253402300799999",
    "/mds/events/recent?start_time=1&end_time=253402300799999",
    "/mds/events/recent?start_time=99999999999999999999&end_time=1",
    "/mds/events/recent?start_time=1e5&end_time=2e5",
    "/mds/events/recent?start_time={now}&end_time={later}&after=4611686018427387904",
    "/mds/events/recent?start_time={now}&end_time={later}&after=2147483647",
    "/mds/events/recent?start_time={now}&end_time={later}&after=-1",
    "/mds/events/recent?start_time={now}&end_time={later}&limit=1",
    "/mds/events/recent?start_time={now}&end_time={huge}",
    "/mds/%00",
    "/mds/vehicles/status/",
    "/mds/",
]


def test_an_after_cursor_beyond_the_logs_ids_is_a_400_not_a_500(client, clock):
    """audit_log.id is a 32-bit integer: PostgreSQL refused a bigger ``after`` with an error."""
    headers = login(client, "city")
    now = (
        int(clock.now().timestamp() * 1000) - 3600_000 - 30_000
    )  # a settled hour (mds_time.SETTLE)
    window = f"start_time={now}&end_time={now + 3600_000}"
    r = client.get(f"/mds/events/recent?{window}&after=4611686018427387904", headers=headers)
    assert r.status_code == 400, r.get_data(as_text=True)
    assert r.get_json(force=True)["error_details"] == ["after"]
    r = client.get(f"/mds/events/recent?{window}&after=2147483647", headers=headers)
    assert r.status_code == 200 and r.get_json(force=True)["events"] == []


def test_the_mds_root_answers_in_mds_error_body(client):
    headers = login(client, "city")
    for path in ("/mds/", "/mds"):
        r = client.get(path, headers=headers, follow_redirects=True)
        assert r.status_code == 404, r.get_data(as_text=True)
        assert r.get_json(force=True)["error"] == "not_found"
    assert client.get("/mds/").status_code == 401


def test_mds_hostile(client, demo, clock):
    headers = login(client, "city")
    now = int(clock.now().timestamp() * 1000) - 3600_000
    for path in MDS:
        path = path.format(now=now, later=now + 3600_000, huge=253402300799999)
        r = client.get(path, headers=headers)
        print(r.status_code, path, r.get_data(as_text=True)[:200])
        assert r.status_code < 500, (path, r.get_data(as_text=True)[:300])
    for accept in [
        "application/vnd.mds+json;q=abc",
        "application/vnd.mds+json;version",
        ";;;,,,",
        "application/vnd.mds+json;version=2.0;q=0",
        "x" * 5000,
        "\u00e9",
    ]:
        r = client.get("/mds/vehicles", headers={**headers, "Accept": accept})
        print(r.status_code, accept[:40])
        assert r.status_code < 500


GBFS = [
    "/gbfs/v3/..%2F..%2Fetc/gbfs.json",
    "/gbfs/v3/%E2%80%8B/gbfs.json",
    "/gbfs/v3/a/b/c.json",
    "/gbfs/v3/gbfs.json.json",
    "/gbfs/v3/manifest.json",
    "/gbfs/v2/manifest.json",
    "/gbfs/v3/" + "a" * 64 + "/gbfs.json",
    "/gbfs/v3/../v2/gbfs.json",
    "/gbfs/v3/.json",
    "/gbfs/v3/./gbfs.json",
    "/gbfs/v3/__proto__.json",
    "/gbfs/v4/gbfs.json",
    "/gbfs/v3/GBFS.json",
    "/gbfs/v2/system_pricing_plans.json",
    "/gbfs/v3/vehicle_status.json?x=%00",
    "/gbfs/v2/free_bike_status.json",
    "/gbfs/v3/free_bike_status.json",
    "/gbfs/v2/vehicle_status.json",
    "/gbfs/v3/station_status.json",
    "/gbfs/v2/station_status.json",
    "/gbfs/v3/geofencing_zones.json",
    "/gbfs/v2/geofencing_zones.json",
    "/gbfs/v3/system_regions.json",
    "/gbfs/v3/system_alerts.json",
    "/gbfs/v2/system_alerts.json",
    "/gbfs/v2/gbfs_versions.json",
    "/gbfs/v3/gbfs_versions.json",
    "/gbfs/v3/vehicle_types.json",
    "/gbfs/v3/system_information.json",
    "/gbfs/v2/system_information.json",
    "/gbfs/v3/station_information.json",
    "/gbfs/v2/station_information.json",
    "/gbfs/v3/system_hours.json",
    "/gbfs/v2/system_calendar.json",
]


def test_gbfs_hostile(client):
    for path in GBFS:
        r = client.get(path, headers={"If-None-Match": 'W/"' + "x" * 4000 + '"'})
        print(r.status_code, path)
        assert r.status_code < 500, (path, r.get_data(as_text=True)[:300])


CARBON = [
    "from=0000-01-01",
    "to=10000-01-01",
    "from=2026-03-31&to=2026-02-28",
    "from=2000-01-01&to=2000-04-01",
    "from=2000-01-01&to=2000-04-02",
    "to=2000-01-01",
    "from=2999-12-31",
    "to=2999-12-31",
    "from=2999-12-31&to=2999-12-31",
    "from=%D9%A2%D9%A0%D9%A2%D9%A6-01-01",
    "from=2026-02-29",
    "to=2024-02-29&from=2024-02-29",
    "from=2026-01-01&from=2026-01-02",
    "from=",
    "to=%00",
]


def test_carbon_and_ngsi_hostile(client):
    for who in ("manager", "city"):
        headers = login(client, who)
        for q in CARBON:
            for path in ("/api/v1/ops/carbon?", "/api/v1/ops/carbon.csv?"):
                r = client.get(path + q, headers=headers)
                print(r.status_code, path + q, r.get_data(as_text=True)[:150])
                assert r.status_code < 500, (path + q, r.get_data(as_text=True)[:300])
        for q in [
            "type=",
            "type=,,,",
            "type=Vehicle&type=Vehicle",
            "type=%00",
            "type=" + "x," * 5000,
            "type=Vehicle",
            "type=vehicle",
            "type=__class__",
        ]:
            r = client.get(
                "/ngsi-ld/v1/entities?" + q,
                headers={**headers, "Accept": "application/json;q=0.5, application/ld+json;q=abc"},
            )
            print(r.status_code, q[:40], r.get_data(as_text=True)[:150])
            assert r.status_code < 500
