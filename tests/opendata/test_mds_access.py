"""Who may read the MDS provider API and what a bad request is told: 401 without a valid city
token, 403 for other roles, 406 for an MDS version it does not serve, 400 for malformed,
reversed, too long or too old times, 404 for an unknown device or an hour not begun; every
error in MDS's error body and media type."""

from __future__ import annotations

from datetime import UTC, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from fleet.db.tables import api_tokens, vehicles
from tests.conftest import need
from tests.opendata import mds_schemas
from tests.web import conftest as web_fixtures
from tests.web.test_bookings import login

#: The seeded demo city and its app (tests/web/conftest.py), on SQLite and PostgreSQL.
demo = web_fixtures.demo

MEDIA = "application/vnd.mds+json;version=2.0"
HOUR_MS = 3_600_000


@pytest.fixture
def client(demo):
    return demo[0].test_client()


@pytest.fixture
def city(client):
    return login(client, "city")


@pytest.fixture
def mds_root(data_dir) -> Path:
    root = data_dir / "schemas" / "mds" / "v2.0"
    need((root / "models" / "vehicle.yaml").is_file(), f"MDS 2.0 schemas not found in {root}")
    return root


def _is_mds_error(r, status: int, mds_root: Path | None = None) -> dict:
    assert r.status_code == status, (r.status_code, r.get_data(as_text=True)[:500])
    assert r.headers["Content-Type"] == MEDIA
    body = r.get_json(force=True)
    assert set(body) == {"error", "error_description", "error_details"}, body
    if mds_root is not None:
        checker = mds_schemas.validator(mds_root, "models/response/error.yaml")
        assert mds_schemas.problems(checker, body) == []
    return body


def _now_ms(clock) -> int:
    return int(clock.now().timestamp() * 1000)


def _hour(at) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H")


PATHS = (
    "/mds/vehicles",
    "/mds/vehicles/status",
    "/mds/trips?end_time=2026-03-01T23",
    "/mds/events/historical?event_time=2026-03-01T23",
    "/mds/telemetry?telemetry_time=2026-03-01T23",
)


def test_no_or_a_bad_or_an_expired_token_is_401(client, city, demo, mds_root, clock):
    for path in PATHS:
        r = client.get(path)
        body = _is_mds_error(r, 401, mds_root)
        assert "Bearer" in body["error_description"] and r.headers["WWW-Authenticate"]
        _is_mds_error(client.get(path, headers={"Authorization": "Bearer not-a-token"}), 401)
        _is_mds_error(client.get(path, headers={"Authorization": "Basic Y2l0eTpjaXR5"}), 401)
    engine = demo[0].extensions["fleetops"].engine
    with engine.begin() as conn:  # every token of the run expires
        conn.execute(sa.update(api_tokens).values(expires_at=clock.now() - timedelta(seconds=1)))
    body = _is_mds_error(client.get("/mds/vehicles", headers=city), 401)
    assert "expired" in body["error_description"]


@pytest.mark.parametrize("who", ["rider1", "manager", "crew1", "courier1", "merchant1"])
def test_other_roles_are_403(client, who):
    headers = login(client, who)
    for path in PATHS:
        body = _is_mds_error(client.get(path, headers=headers), 403)
        assert "city" in body["error_description"]


def test_the_media_type_is_honoured_and_an_unserved_version_is_406(client, city, mds_root):
    for accept in (None, "*/*", "application/json", MEDIA, "application/vnd.mds+json",
                   "application/vnd.mds+json;version=1.2, application/vnd.mds+json;version=2.0",
                   'application/vnd.mds+json; version="2.0"; q=0.9',
                   "application/vnd.mds+json;version=2.0.0"):  # fmt: skip
        headers = dict(city, **({"Accept": accept} if accept else {}))
        r = client.get("/mds/vehicles", headers=headers)
        assert r.status_code == 200, (accept, r.get_json(force=True))
        assert r.headers["Content-Type"] == MEDIA
    for accept in ("application/vnd.mds+json;version=1.2", "application/vnd.mds+json;version=3.0",
                   "application/vnd.mds+json;version=2.1.0", "text/html",
                   "application/vnd.mds+json;version=2.0;q=0"):  # fmt: skip
        r = client.get("/mds/vehicles", headers=dict(city, Accept=accept))
        body = _is_mds_error(r, 406, mds_root)
        assert "2.0" in body["error_description"], accept


def test_malformed_missing_and_out_of_range_hours(client, city, clock):
    for feed, param in (("trips", "end_time"), ("events/historical", "event_time"),
                        ("telemetry", "telemetry_time")):  # fmt: skip
        body = _is_mds_error(client.get(f"/mds/{feed}", headers=city), 400)
        assert body["error"] == "missing_param" and body["error_details"] == [param]
        for bad in ("2026-03-02", "2026-03-02T24", "2026-13-01T00", "2026-02-30T01",
                    "2026-03-02T01:00", "yesterday", "2026-03-02T1", "٢٠٢٦-03-02T01",
                    "9" * 5000):  # fmt: skip
            body = _is_mds_error(client.get(f"/mds/{feed}?{param}={bad}", headers=city), 400)
            assert body["error"] == "bad_param" and param in body["error_description"], bad
    future = _hour(clock.now() + timedelta(hours=3))
    current = _hour(clock.now())
    long_ago = "2019-01-01T00"  # before the provider began
    for feed, param in (("trips", "end_time"), ("events/historical", "event_time")):
        body = _is_mds_error(client.get(f"/mds/{feed}?{param}={future}", headers=city), 404)
        assert "not in the past" in body["error_description"]
        _is_mds_error(client.get(f"/mds/{feed}?{param}={long_ago}", headers=city), 404)
        body = _is_mds_error(client.get(f"/mds/{feed}?{param}={current}", headers=city), 202)
        assert "not over" in body["error_description"]
    # the spec gives /telemetry no 404: an hour not begun is a bad parameter
    r = client.get(f"/mds/telemetry?telemetry_time={future}", headers=city)
    assert _is_mds_error(r, 400)["error_details"] == ["telemetry_time"]
    _is_mds_error(client.get(f"/mds/telemetry?telemetry_time={current}", headers=city), 202)
    # an hour that ended less than SETTLE ago may still have changes committing: not ready yet
    clock.advance(3600)  # the hour the provider began in has just ended
    just_over = _hour(clock.now() - timedelta(hours=1))
    feeds = (("trips", "end_time"), ("events/historical", "event_time"),
             ("telemetry", "telemetry_time"))  # fmt: skip
    for feed, param in feeds:
        body = _is_mds_error(client.get(f"/mds/{feed}?{param}={just_over}", headers=city), 202)
        assert "settled" in body["error_description"]
    clock.advance(30)
    for feed, param in feeds:
        assert client.get(f"/mds/{feed}?{param}={just_over}", headers=city).status_code == 200


def test_recent_events_refuse_reversed_too_long_and_too_old_ranges(client, city, clock):
    now = _now_ms(clock)
    week = 7 * 24 * HOUR_MS
    cases = {
        "": "start_time",
        f"start_time={now - HOUR_MS}": "end_time",
        f"end_time={now}": "start_time",
        f"start_time={now}&end_time={now - HOUR_MS}": "start_time",  # reversed
        f"start_time={now}&end_time={now}": "start_time",  # empty
        f"start_time={now - 3 * week}&end_time={now - 2 * week - HOUR_MS}": "start_time",
        f"start_time={now - HOUR_MS}&end_time={now + 3 * week}": "end_time",  # too long
        f"start_time={now + HOUR_MS}&end_time={now + 2 * HOUR_MS}": "start_time",  # future
        f"start_time=abc&end_time={now}": "start_time",
        f"start_time=-5&end_time={now}": "start_time",
        f"start_time={now - HOUR_MS}&end_time=1e99": "end_time",
        f"start_time={now - HOUR_MS}&end_time={'9' * 400}": "end_time",
        f"start_time={now - HOUR_MS}.5&end_time={now}": "start_time",
        f"start_time={now - HOUR_MS}&end_time={now - 29_999}": "end_time",  # not settled yet
    }
    for query, param in cases.items():
        body = _is_mds_error(client.get(f"/mds/events/recent?{query}", headers=city), 400)
        assert body["error_details"] == [param], (query, body)
    settled = now - 30_000  # the newest end: changes up to 30 s ago may still be committing
    ok = client.get(
        f"/mds/events/recent?start_time={now - HOUR_MS}&end_time={settled}", headers=city
    )
    assert ok.status_code == 200, ok.get_json(force=True)


def test_unknown_or_malformed_devices_and_bad_paging(client, city, demo):
    for base in ("/mds/vehicles", "/mds/vehicles/status"):
        body = _is_mds_error(
            client.get(f"{base}/3c9604d6-b5ee-41e8-96f8-529269fb1459", headers=city), 404
        )
        assert "3c9604d6" in body["error_description"]
        for bad in ("not-a-uuid", "3C9604D6-B5EE-41E8-96F8-529269FB1459", "%00", "x" * 3000):
            r = client.get(f"{base}/{bad}", headers=city)
            assert r.status_code in (400, 404), (bad, r.status_code)
        engine = demo[0].extensions["fleetops"].engine
        with engine.connect() as conn:  # a work EV is no MDS micromobility vehicle
            work_ev = conn.execute(
                sa.select(vehicles.c.id).where(vehicles.c.vehicle_class == "work_ev")
            ).scalar()
        assert work_ev is not None
        _is_mds_error(client.get(f"{base}/{work_ev}", headers=city), 404)
        for query in ("offset=-1", "limit=abc", "limit=100000", "offset=1e3"):
            r = client.get(f"{base}?{query}", headers=city)
            assert _is_mds_error(r, 400)["error"] == "bad_param", query


def test_hostile_requests_get_4xx_never_500(client, city):
    token = city["Authorization"]
    cases = [
        ("/mds/vehicles", {"Authorization": "Bearer " + "x" * 20_000}),
        ("/mds/vehicles", {"Authorization": "Bearer \t"}),
        ("/mds/vehicles", {"Authorization": "Bearer tok\x00en"}),
        ("/mds/vehicles", {"Authorization": token, "Accept": ";;;,,,q=abc;version"}),
        ("/mds/vehicles", {"Authorization": token, "Accept": "application/vnd.mds+json;version="}),
        ("/mds/vehicles", {"Authorization": token, "Accept": "a/b;" * 5000}),
        ("/mds/trips?end_time=%00", {"Authorization": token}),
        ("/mds/trips?end_time=2026-03-01T23&end_time=x", {"Authorization": token}),
        ("/mds/events/recent?start_time=%EF%BC%91&end_time=2", {"Authorization": token}),
        ("/mds/vehicles?limit=%D9%A3", {"Authorization": token}),
        ("/mds/vehicles/status/" + "%2F" * 50, {"Authorization": token}),
        ("/mds/events/recent?start_time=1&end_time=2&after=-1", {"Authorization": token}),
        ("/mds/events/recent?after=" + "9" * 30, {"Authorization": token}),
    ]
    for path, headers in cases:
        r = client.get(path, headers=headers)
        assert 400 <= r.status_code < 500, (path, headers.get("Accept"), r.status_code)


def test_vehicle_pages_follow_their_links(client, city, mds_root):
    for path, key in (("/mds/vehicles", "vehicles"), ("/mds/vehicles/status", "vehicles_status")):
        whole = client.get(path, headers=city).get_json(force=True)
        assert whole["links"]["next"] is None and whole["links"]["prev"] is None
        seen, url, pages = [], f"{path}?limit=7", 0
        while url:
            body = client.get(url, headers=city).get_json(force=True)
            checker = mds_schemas.envelope(mds_root, path[len("/mds") :])
            assert mds_schemas.problems(checker, body) == [], url
            seen += [item["device_id"] for item in body[key]]
            pages += 1
            url = body["links"]["next"]
            url = url and url[url.index("/mds/") :]
        assert seen == [item["device_id"] for item in whole[key]] and pages == -(-len(seen) // 7)
        assert len(seen) == len(set(seen)) > 7


def test_other_paths_and_methods_under_mds_are_answered_in_mds_shape(client, city):
    _is_mds_error(client.get("/mds/stops", headers=city), 404)
    _is_mds_error(client.get("/mds/vehicles/a/b", headers=city), 404)
    _is_mds_error(client.post("/mds/trips", headers=city), 404)
    _is_mds_error(client.get("/mds/nothing"), 401)  # the token first: nothing is told
