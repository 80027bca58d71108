"""Telemetry by the operator's vehicle codes, on SQLite and PostgreSQL: a gateway names each
sample's vehicle by ``vehicle_id`` or ``vehicle_code`` (exactly one), codes resolve within the
gateway's operator only, a replay stores nothing twice whichever way it names the vehicles, and
``GET /telemetry/vehicles`` pages through the operator's ids and codes for gateways and fleet
staff alone."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from dispatch.exceptions import SampleRefused
from dispatch.ops.telemetry import ingest
from fleet.db.identity import get_user
from fleet.db.tables import telemetry, users, vehicles
from tests.web.tenants import two_tenants
from tests.web.test_bookings import login
from tests.web.test_telemetry_ingest import URL, _batch, _refused, _spoil, _stored, _vehicles

CODES = "/api/v1/telemetry/vehicles"


def _by_code(batch: dict[str, Any], codes: dict[str, str]) -> dict[str, Any]:
    """``batch`` with each sample naming its vehicle by code instead of id."""
    samples = []
    for s in batch["samples"]:
        named = {k: v for k, v in s.items() if k != "vehicle_id"}
        samples.append({**named, "vehicle_code": codes[s["vehicle_id"]]})
    return {"samples": samples}


def _codes(engine, operator_id: str) -> dict[str, str]:
    """The operator's vehicles' codes by id, read from the table."""
    query = sa.select(vehicles.c.id, vehicles.c.code).where(vehicles.c.operator_id == operator_id)
    with engine.connect() as conn:
        return {r.id: r.code for r in conn.execute(query)}


def _listing(client, headers: dict[str, str], per_page: int = 100) -> list[dict[str, str]]:
    """Every page of GET /telemetry/vehicles, joined."""
    rows: list[dict[str, str]] = []
    page = 1
    while True:
        r = client.get(f"{CODES}?page={page}&per_page={per_page}", headers=headers)
        assert r.status_code == 200, r.get_json()
        body = r.get_json()
        rows += body["data"]
        if page >= body["pagination"]["pages"]:
            assert len(rows) == body["pagination"]["total"]
            return rows
        page += 1


def test_samples_named_by_code_are_stored_by_vehicle_and_replays_store_nothing_twice(
    demo, engine, clock
):
    app, summary, _prepared = demo
    client = app.test_client()
    gateway = login(client, "gateway")
    codes = _codes(engine, summary.operator_id)
    by_id = _batch(_vehicles(engine, summary.operator_id, 3), clock)
    by_code = _by_code(by_id, codes)

    r = client.post(URL, json=by_code, headers=gateway)
    assert r.status_code == 200, r.get_json()
    assert r.get_json() == {"accepted": 3, "duplicates": 0}
    rows = _stored(engine)
    assert [(row["vehicle_id"], row["sample_id"]) for row in rows] == [
        (s["vehicle_id"], s["id"]) for s in by_id["samples"]
    ]
    # the same batch again, by code, by id, and half one way half the other: nothing new
    mixed = {"samples": [*by_id["samples"][:2], by_code["samples"][2]]}
    for replay in (by_code, by_id, mixed):
        again = client.post(URL, json=replay, headers=gateway)
        assert again.get_json() == {"accepted": 0, "duplicates": 3}, again.get_json()
    assert _stored(engine) == rows

    # first sent by id, replayed by code: the sample is the vehicle's, however it was named
    later = _batch(_vehicles(engine, summary.operator_id, 2), clock, prefix="t")
    assert client.post(URL, json=later, headers=gateway).get_json()["accepted"] == 2
    r = client.post(URL, json=_by_code(later, codes), headers=gateway)
    assert r.get_json() == {"accepted": 0, "duplicates": 2}
    assert len(_stored(engine)) == 5

    # one vehicle named by id and by code with the same sample id in one batch is a repeat
    twice = {"samples": [by_id["samples"][0], dict(by_code["samples"][0])]}
    _refused(client.post(URL, json=twice, headers=gateway), "duplicate_id", 1)


def test_a_vehicle_named_both_ways_or_neither_is_refused_by_name(demo, engine, clock):
    app, summary, _prepared = demo
    client = app.test_client()
    gateway = login(client, "gateway")
    codes = _codes(engine, summary.operator_id)
    batch = _batch(_vehicles(engine, summary.operator_id, 3), clock)
    second = batch["samples"][1]
    neither = {k: v for k, v in second.items() if k != "vehicle_id"}
    cases = [
        (_spoil(batch, 1, vehicle_code=codes[second["vehicle_id"]]), "samples.1.vehicle_code"),
        ({"samples": [batch["samples"][0], neither]}, "samples.1.vehicle_id"),
        ({"samples": [batch["samples"][0], dict(neither, vehicle_code="")]}, "samples.1."),
        ({"samples": [batch["samples"][0], dict(neither, vehicle_code="x" * 65)]}, "samples.1."),
        ({"samples": [batch["samples"][0], dict(neither, vehicle_code=7)]}, "samples.1."),
    ]
    for body, named in cases:
        r = client.post(URL, json=body, headers=gateway)
        assert r.status_code == 422, r.get_json()
        error = r.get_json()["error"]
        assert error["code"] == "validation_error" and named in error["message"], error
    # a code no vehicle of the operator has: the unknown vehicle, by index and sample id
    unknown = {"samples": [batch["samples"][0], dict(neither, vehicle_code="NO-SUCH-CODE")]}
    error = _refused(client.post(URL, json=unknown, headers=gateway), "unknown_vehicle", 1)
    assert error["detail"]["sample_id"] == second["id"]
    assert error["message"].endswith("no vehicle code 'NO-SUCH-CODE' of your operator")
    assert _stored(engine) == []
    # the use case holds the rule too, for callers without the API's schema
    with engine.connect() as conn:
        gateway_id = conn.execute(sa.select(users.c.id).where(users.c.username == "gateway"))
        user = get_user(conn, gateway_id.scalar_one())
    both = dict(second, vehicle_code=codes[second["vehicle_id"]], at=clock.now())
    for raw in (both, neither | {"at": clock.now()}):
        with pytest.raises(SampleRefused) as refused:
            ingest(engine, clock, user, [raw])
        assert refused.value.detail == {"index": 0, "sample_id": "s-1", "problem": "invalid_value"}
    assert _stored(engine) == []


def test_codes_resolve_within_the_gateways_operator_only(engine, settings, clock):
    """Both demo operators number their vehicles alike: A's gateway naming a code that both
    have stores a sample of A's vehicle, never B's; a code only B has is no vehicle of A's."""
    a, b = two_tenants(engine, settings, clock)
    a_codes, b_codes = _codes(engine, a.operator_id), _codes(engine, b.operator_id)
    mine = _vehicles(engine, a.operator_id, 1)
    shared = a_codes[mine[0]["id"]]
    assert shared in b_codes.values()  # the same code names a vehicle of each operator
    r = a.client.post(URL, json=_by_code(_batch(mine, clock), a_codes), headers=a.as_("gateway"))
    assert r.get_json() == {"accepted": 1, "duplicates": 0}
    with engine.connect() as conn:
        stored = conn.execute(sa.select(telemetry.c.vehicle_id)).scalars().all()
    assert stored == [mine[0]["id"]]

    theirs = b.post("manager", "/api/v1/fleet/vehicles", _new_vehicle(mine[0], "B-ONLY-1"))
    samples = _by_code(
        _batch([*mine, {**mine[0], "id": theirs["id"]}], clock, "u"),
        {
            mine[0]["id"]: shared,
            theirs["id"]: "B-ONLY-1",
        },
    )
    error = _refused(
        a.client.post(URL, json=samples, headers=a.as_("gateway")), "unknown_vehicle", 1
    )
    assert error["message"].endswith("no vehicle code 'B-ONLY-1' of your operator")
    assert len(_stored(engine)) == 1
    # B's gateway names its own vehicle by that code
    r = b.client.post(URL, json={"samples": samples["samples"][1:]}, headers=b.as_("gateway"))
    assert r.get_json() == {"accepted": 1, "duplicates": 0}
    # and A's listing of ids and codes holds none of B's vehicles
    listed = _listing(a.client, a.as_("gateway"))
    assert {v["id"] for v in listed} == set(a_codes)
    assert {v["id"] for v in _listing(b.client, b.as_("gateway"))} == {*b_codes, theirs["id"]}


def _new_vehicle(near: dict[str, Any], code: str) -> dict[str, Any]:
    return {
        "code": code,
        "vehicle_class": "e_kickboard",
        "lat": near["lat"],
        "lon": near["lon"],
        "soc_pct": 80.0,
    }


def test_a_gateway_pages_through_its_operators_ids_and_codes(demo, engine, clock):
    app, summary, _prepared = demo
    client = app.test_client()
    gateway = login(client, "gateway")
    codes = _codes(engine, summary.operator_id)
    listed = _listing(client, gateway, per_page=7)
    assert listed == [{"id": i, "code": c} for i, c in sorted(codes.items(), key=lambda x: x[1])]
    first = client.get(f"{CODES}?per_page=7", headers=gateway).get_json()
    total = len(codes)
    assert first["pagination"] == {
        "page": 1,
        "per_page": 7,
        "total": total,
        "pages": -(-total // 7),
    }
    assert client.get(CODES, headers=gateway).get_json()["pagination"]["per_page"] == 50
    for bad in ("per_page=501", "per_page=0", "page=0", "page=x", "per_page=-1"):
        r = client.get(f"{CODES}?{bad}", headers=gateway)
        assert r.status_code == 422, (bad, r.get_json())
        assert r.get_json()["error"]["code"] in ("validation_error", "invalid_value")
    # what it lists is what it may name: a code mapped to its id and back
    car = _vehicles(engine, summary.operator_id, 1)
    mapped = {v["id"]: v["code"] for v in listed}
    one = _batch(car, clock)
    assert client.post(URL, json=one, headers=gateway).get_json()["accepted"] == 1
    r = client.post(URL, json=_by_code(one, mapped), headers=gateway)
    assert r.get_json() == {"accepted": 0, "duplicates": 1}


def test_only_gateways_and_fleet_staff_read_the_codes(demo):
    client = demo[0].test_client()
    assert client.get(CODES).status_code == 401
    for who in ("rider1", "courier1", "merchant1", "city", "staff-hanul1", "admin-hanul"):
        r = client.get(CODES, headers=login(client, who))
        assert r.status_code == 403, (who, r.get_json())
    for who in ("gateway", "manager", "crew1"):
        r = client.get(CODES, headers=login(client, who))
        assert r.status_code == 200 and r.get_json()["data"], (who, r.get_json())
