"""Telemetry ingest (issue 17), on SQLite and PostgreSQL: a gateway's batch is stored exactly,
a replay stores nothing twice, one bad sample refuses the whole batch by name, only gateways may
post, concurrent copies of a batch store each sample once, and /mds/telemetry shows them."""

from __future__ import annotations

import threading
from datetime import UTC, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from dispatch.ops.telemetry import MAX_SAMPLES
from fleet.db.tables import telemetry, vehicles
from tests.opendata import mds_schemas
from tests.opendata.test_mds_access import MEDIA, mds_root  # noqa: F401  (a fixture)
from tests.web.tenants import two_tenants
from tests.web.test_bookings import login
from tests.web.test_browser_session import sign_in

URL = "/api/v1/telemetry"
ON_POSTGRESQL = pytest.mark.parametrize("engine", ["postgresql"], indirect=True)


def _vehicles(engine, operator_id: str, n: int) -> list[dict[str, Any]]:
    """``n`` of the operator's vehicles with where they stand (inside the service area)."""
    query = (
        sa.select(vehicles.c.id, vehicles.c.lat, vehicles.c.lon)
        .where(vehicles.c.operator_id == operator_id, vehicles.c.vehicle_class != "work_ev")
        .order_by(vehicles.c.id)
        .limit(n)
    )
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]


def _batch(cars: list[dict[str, Any]], clock, prefix: str = "s") -> dict[str, Any]:
    """One sample per vehicle, a second apart, the last one without the optional fields."""
    samples = []
    for i, car in enumerate(cars):
        at = clock.now() - timedelta(seconds=len(cars) - i)
        sample = {
            "id": f"{prefix}-{i}",
            "vehicle_id": car["id"],
            "at": at.isoformat(),
            "lat": car["lat"],
            "lon": car["lon"],
            "speed_kph": 12.5 + i,
            "soc_pct": 60.0,
            "vibration_rms_ms2": 0.8 + i / 10,
            "noise_db": 61.0,
        }
        if i == len(cars) - 1:
            del sample["vibration_rms_ms2"], sample["noise_db"]
        samples.append(sample)
    return {"samples": samples}


def _stored(engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        query = sa.select(telemetry).order_by(telemetry.c.sample_id)
        return [dict(r) for r in conn.execute(query).mappings()]


def _refused(r, problem: str, index: int) -> dict[str, Any]:
    body = r.get_json()
    assert r.status_code == 422, body
    error = body["error"]
    assert error["code"] == "sample_refused", error
    assert error["detail"]["problem"] == problem and error["detail"]["index"] == index, error
    assert f"samples[{index}]" in error["message"]
    return error


def test_a_batch_is_stored_exactly_and_a_replay_changes_nothing(demo, engine, clock):
    app, summary, _prepared = demo
    client = app.test_client()
    gateway = login(client, "gateway")
    batch = _batch(_vehicles(engine, summary.operator_id, 3), clock)

    r = client.post(URL, json=batch, headers=gateway)
    assert r.status_code == 200, r.get_json()
    assert r.get_json() == {"accepted": 3, "duplicates": 0}
    rows = _stored(engine)
    assert [row["sample_id"] for row in rows] == ["s-0", "s-1", "s-2"]
    for row, sample in zip(rows, batch["samples"], strict=True):
        assert row["vehicle_id"] == sample["vehicle_id"]
        assert row["at"] == clock.now().astimezone(UTC) - timedelta(seconds=3 - rows.index(row))
        assert (row["lat"], row["lon"]) == (sample["lat"], sample["lon"])
        assert (row["speed_kph"], row["soc_pct"]) == (sample["speed_kph"], 60.0)
        assert row["vibration_rms_ms2"] == sample.get("vibration_rms_ms2")
        assert row["noise_db"] == sample.get("noise_db")

    again = client.post(URL, json=batch, headers=gateway)
    assert again.status_code == 200 and again.get_json() == {"accepted": 0, "duplicates": 3}
    assert _stored(engine) == rows
    # a batch with one new sample among replayed ones stores just that one
    grown = _batch(_vehicles(engine, summary.operator_id, 4), clock)
    r = client.post(URL, json=grown, headers=gateway)
    assert r.get_json() == {"accepted": 1, "duplicates": 3}
    assert len(_stored(engine)) == 4


def test_a_full_batch_fits_one_request_and_one_insert(demo, engine, clock):
    app, summary, _prepared = demo
    client = app.test_client()
    car = _vehicles(engine, summary.operator_id, 1)[0]
    one = _batch([car], clock)["samples"][0]
    full = {"samples": [dict(one, id=f"n-{i}") for i in range(MAX_SAMPLES)]}
    r = client.post(URL, json=full, headers=login(client, "gateway"))
    assert r.status_code == 200, r.get_json()
    assert r.get_json() == {"accepted": MAX_SAMPLES, "duplicates": 0}
    assert len(_stored(engine)) == MAX_SAMPLES


def _spoil(batch: dict[str, Any], index: int, **changes: Any) -> dict[str, Any]:
    samples = [dict(s) for s in batch["samples"]]
    samples[index].update(changes)
    return {"samples": samples}


def test_one_bad_sample_refuses_the_batch_by_name(demo, engine, clock):
    app, summary, _prepared = demo
    client = app.test_client()
    gateway = login(client, "gateway")
    batch = _batch(_vehicles(engine, summary.operator_id, 3), clock)
    ahead = (clock.now() + timedelta(seconds=61)).isoformat()
    old = (clock.now() - timedelta(days=8)).isoformat()
    cases = [
        (_spoil(batch, 1, vehicle_id="no-such-vehicle"), "unknown_vehicle", 1),
        (_spoil(batch, 2, at=ahead), "in_future", 2),
        (_spoil(batch, 0, at=old), "too_old", 0),
        (_spoil(batch, 1, lat=0.0, lon=0.0), "outside_service_area", 1),
        (
            _spoil(batch, 2, id="s-0", vehicle_id=batch["samples"][0]["vehicle_id"]),
            "duplicate_id",
            2,
        ),
    ]
    for body, problem, index in cases:
        _refused(client.post(URL, json=body, headers=gateway), problem, index)
    assert _stored(engine) == []

    malformed = [
        _spoil(batch, 1, lat=91.0),
        _spoil(batch, 1, speed_kph=-1.0),
        _spoil(batch, 1, vibration_rms_ms2=-0.1),
        _spoil(batch, 1, soc_pct=101.0),
        _spoil(batch, 1, at="2026-03-02T09:00:00"),  # no offset
        _spoil(batch, 1, id=""),
        _spoil(batch, 1, id="x" * 65),
        _spoil(batch, 1, colour="red"),
        {"samples": [{k: v for k, v in batch["samples"][0].items() if k != "lat"}]},
    ]
    for body in malformed:
        r = client.post(URL, json=body, headers=gateway)
        assert r.status_code == 422, r.get_json()
        error = r.get_json()["error"]
        assert error["code"] == "validation_error", error
        index = body["samples"].index(next(s for s in body["samples"] if s not in batch["samples"]))
        assert f"samples.{index}." in error["message"], error
    too_many = {"samples": [batch["samples"][0]] * (MAX_SAMPLES + 1)}
    r = client.post(URL, json=too_many, headers=gateway)
    assert r.status_code == 422 and "samples" in r.get_json()["error"]["message"]
    for empty in ({"samples": []}, {}):
        assert client.post(URL, json=empty, headers=gateway).status_code == 422
    assert _stored(engine) == []

    # a minute ahead is the gateway's clock drifting: accepted
    edge = _spoil(batch, 2, at=(clock.now() + timedelta(seconds=60)).isoformat())
    assert client.post(URL, json=edge, headers=gateway).get_json()["accepted"] == 3


def test_only_a_gateway_may_post(demo, engine, clock):
    app, summary, _prepared = demo
    client = app.test_client()
    batch = _batch(_vehicles(engine, summary.operator_id, 1), clock)
    assert client.post(URL, json=batch).status_code == 401
    for who in ("manager", "crew1", "rider1", "city"):
        r = client.post(URL, json=batch, headers=login(client, who))
        assert r.status_code == 403, (who, r.get_json())
    assert _stored(engine) == []


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_a_gateway_signed_in_at_login_sees_the_start_page(demo):
    client = demo[0].test_client()
    sign_in(client, "gateway")
    home = client.get("/")
    assert home.status_code == 200  # no page of its own to be sent to
    text = home.get_data(as_text=True)
    assert "gateway" in text and 'href="/dashboard"' not in text


def test_another_operators_vehicle_is_refused_as_unknown(engine, settings, clock):
    a, b = two_tenants(engine, settings, clock)
    mine = _vehicles(engine, a.operator_id, 1)
    theirs = _vehicles(engine, b.operator_id, 1)
    batch = _batch([*mine, *theirs], clock)
    error = _refused(a.client.post(URL, json=batch, headers=a.as_("gateway")), "unknown_vehicle", 1)
    assert error["message"].endswith(f"no vehicle {theirs[0]['id']!r} of your operator")
    assert _stored(engine) == []
    # the same sample ids from the other operator's gateway are their own samples
    r = a.client.post(URL, json=_batch(theirs, clock), headers=b.as_("gateway"))
    assert r.get_json() == {"accepted": 1, "duplicates": 0}


@ON_POSTGRESQL
def test_concurrent_copies_of_a_batch_store_each_sample_once(demo, engine, clock):
    app, summary, _prepared = demo
    gateway = login(app.test_client(), "gateway")
    batch = _batch(_vehicles(engine, summary.operator_id, 40), clock)
    copies = 6
    gate = threading.Barrier(copies)
    answers: list[Any] = [None] * copies

    def post(i: int) -> None:
        client = app.test_client()
        gate.wait()
        r = client.post(URL, json=batch, headers=gateway)
        answers[i] = (r.status_code, r.get_json())

    threads = [threading.Thread(target=post, args=(i,)) for i in range(copies)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert all(status == 200 for status, _body in answers), answers
    assert sum(body["accepted"] for _status, body in answers) == 40
    assert all(body["accepted"] + body["duplicates"] == 40 for _status, body in answers)
    assert len(_stored(engine)) == 40


def test_the_mds_telemetry_feed_shows_the_samples(demo, engine, clock, mds_root):  # noqa: F811
    app, summary, _prepared = demo
    client = app.test_client()
    clock.advance(1800)  # the provider began operating at the seeding: samples after it
    batch = _batch(_vehicles(engine, summary.operator_id, 3), clock)
    r = client.post(URL, json=batch, headers=login(client, "gateway"))
    assert r.status_code == 200, r.get_json()
    hour = clock.now().astimezone(UTC).strftime("%Y-%m-%dT%H")
    clock.advance(3600)  # the hour is over
    city = dict(login(client, "city"), Accept=MEDIA)
    r = client.get(f"/mds/telemetry?telemetry_time={hour}", headers=city)
    assert r.status_code == 200, r.get_data(as_text=True)[:500]
    body = r.get_json(force=True)
    assert mds_schemas.problems(mds_schemas.envelope(mds_root, "/telemetry"), body) == []
    checker = mds_schemas.model(mds_root, "telemetry")
    for item in body["telemetry"]:
        assert mds_schemas.problems(checker, item) == [], item
    assert sorted(item["device_id"] for item in body["telemetry"]) == sorted(
        s["vehicle_id"] for s in batch["samples"]
    )
