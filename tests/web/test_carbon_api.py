"""CO2 avoided through the API (issue 16), on SQLite and PostgreSQL: a real ride and a real
delivery made through the API store their grams, and the daily report, its CSV and the
dashboard's KPI are exactly the sums of what they stored; generated ride history never counts;
each operator sees its own; bad ranges are refused with a 400 that names the problem."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from fleet.carbon import CarbonFactors, footprint
from fleet.catalog import DEFAULT_CATALOG, VehicleClass
from fleet.db.engine import writing
from fleet.db.migrate import downgrade, upgrade
from fleet.db.tables import bookings, co2_credits, delivery_jobs, ride_history
from fleet.geo import haversine_m
from tests.web.tenants import Tenant, two_tenants
from tests.web.test_bookings import available, login
from tests.web.test_delivery import courier_headers, job

#: The demo city is Korean (config/cities/synthetic.toml, docs/carbon.md).
KOREA = CarbonFactors(car_g_per_km=125, grid_g_per_kwh=417, charging_efficiency_pct=90)
MOPED_WH_PER_KM = DEFAULT_CATALOG[VehicleClass.E_MOPED].energy_wh_per_km
KICK_WH_PER_KM = DEFAULT_CATALOG[VehicleClass.E_KICKBOARD].energy_wh_per_km
DAY = "/api/v1/ops/carbon?from=2026-03-01&to=2026-03-02"
ZERO = {
    "rides": 0,
    "deliveries": 0,
    "distance_m": 0,
    "car_baseline_co2_g": 0,
    "charging_co2_g": 0,
    "net_co2_avoided_g": 0,
}


def _ride(t: Tenant, clock) -> dict:
    """Operator ``t``'s rider unlocks the held kickboard and rides it ten minutes away."""
    booking = t.ids["booking_id"]
    t.post("rider1", f"/api/v1/bookings/{booking}/unlock", {})
    clock.advance(600)
    far = available(t.client, "e_bike")[-1]
    ended = t.post(
        "rider1", f"/api/v1/bookings/{booking}/end", {"lat": far["lat"], "lon": far["lon"]}
    )
    return ended["receipt"]


def _deliver(t: Tenant, clock) -> dict:
    """Operator ``t``'s merchant posts a job; its courier picks it up and delivers it."""
    posted = t.post("merchant1", "/api/v1/delivery-jobs", job(t.client, clock, parcel_l=5))
    courier = courier_headers(t.client, posted["courier_id"])
    base = f"/api/v1/couriers/me/jobs/{posted['id']}"
    assert t.client.post(f"{base}/picked-up", headers=courier).status_code == 200
    clock.advance(900)
    r = t.client.post(
        f"{base}/delivered", headers=courier, json={"proof_code": posted["proof_code"]}
    )
    assert r.status_code == 200, r.get_json()
    return posted


def _stored(engine, source_id: str) -> dict:
    """The CO2 ledger's row of a ride (booking id) or a delivery (job id)."""
    with engine.connect() as conn:
        found = conn.execute(
            sa.select(co2_credits).where(co2_credits.c.source_id == source_id)
        ).one()
    return dict(found._mapping)


def _job(engine, job_id: str) -> dict:
    with engine.connect() as conn:
        found = conn.execute(sa.select(delivery_jobs).where(delivery_jobs.c.id == job_id)).one()
    return dict(found._mapping)


def _history(engine, operator_id: str, clock) -> None:
    """Generated rides of this very morning: the forecasts' food, never CO2."""
    now = clock.now()
    with writing(engine) as conn:
        for n in range(3):
            conn.execute(
                sa.insert(ride_history).values(
                    id=str(uuid.uuid4()), operator_id=operator_id, source="generated",
                    started_at=now - timedelta(minutes=30 + n), ended_at=now - timedelta(minutes=n),
                    start_lat=37.48, start_lon=126.87, end_lat=37.49, end_lon=126.88,
                )
            )  # fmt: skip


def test_a_ride_and_a_delivery_make_the_days_totals(engine, settings, clock):
    a, b = two_tenants(engine, settings, clock)
    receipt = _ride(a, clock)
    posted = _deliver(a, clock)
    _history(engine, a.operator_id, clock)
    ride, parcel = _stored(engine, a.ids["booking_id"]), _stored(engine, posted["id"])

    # what each stored is the arithmetic of fleet.carbon at the city's factors
    kick = footprint(KOREA, KICK_WH_PER_KM, receipt["distance_m"])
    assert ride["kind"] == "ride" and ride["distance_m"] == receipt["distance_m"]
    assert (ride["car_g"], ride["charging_g"], ride["net_g"]) == (
        kick.car_g,
        kick.charging_g,
        kick.net_g,
    )
    assert receipt["co2_avoided_g"] == kick.net_g > 0
    with engine.connect() as conn:
        stored = conn.execute(
            sa.select(bookings.c.co2_avoided_g).where(bookings.c.id == a.ids["booking_id"])
        ).scalar_one()
    assert stored == kick.net_g
    j = _job(engine, posted["id"])
    straight = haversine_m(j["pickup_lat"], j["pickup_lon"], j["dropoff_lat"], j["dropoff_lon"])
    assert parcel["kind"] == "delivery"
    assert parcel["distance_m"] >= 0.99 * straight > 0  # the road, no shorter than the line
    moped = footprint(KOREA, MOPED_WH_PER_KM, parcel["distance_m"])
    assert (parcel["car_g"], parcel["charging_g"], parcel["net_g"]) == (
        moped.car_g,
        moped.charging_g,
        moped.net_g,
    )

    expected = {
        "rides": 1,
        "deliveries": 1,
        "distance_m": ride["distance_m"] + parcel["distance_m"],
        "car_baseline_co2_g": ride["car_g"] + parcel["car_g"],
        "charging_co2_g": ride["charging_g"] + parcel["charging_g"],
        "net_co2_avoided_g": ride["net_g"] + parcel["net_g"],
    }
    for reader in ("manager", "city"):
        report = a.get(reader, DAY)
        assert report["days"] == {"from": "2026-03-01", "to": "2026-03-02"}
        assert report["timezone"] == "Asia/Seoul"
        assert report["factors"] == {
            "car_g_per_km": 125,
            "grid_g_per_kwh": 417,
            "charging_efficiency_pct": 90,
        }
        assert report["data"] == [{"day": "2026-03-01", **ZERO}, {"day": "2026-03-02", **expected}]
        assert report["totals"] == expected
    # operator B's readers see none of it
    for reader in ("manager", "city"):
        assert b.get(reader, DAY)["totals"] == ZERO

    r = a.client.get(DAY.replace("carbon?", "carbon.csv?"), headers=a.as_("city"))
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert r.headers["Content-Disposition"] == (
        'attachment; filename="co2-2026-03-01-2026-03-02.csv"'
    )
    rows = list(csv.DictReader(io.StringIO(r.get_data(as_text=True))))
    assert [row["day"] for row in rows] == ["2026-03-01", "2026-03-02"]
    assert {k: int(v) for k, v in rows[1].items() if k != "day"} == expected

    kpis = a.get("manager", "/api/v1/ops/kpis")
    assert kpis["co2_avoided_kg_today"] == round(expected["net_co2_avoided_g"] / 1000, 3)


@pytest.fixture
def client(demo):
    return demo[0].test_client()


def test_by_default_the_last_two_weeks_of_the_citys_days(client):
    report = client.get("/api/v1/ops/carbon", headers=login(client, "manager")).get_json()
    assert report["days"] == {"from": "2026-02-17", "to": "2026-03-02"}
    assert len(report["data"]) == 14 and report["data"][-1]["day"] == "2026-03-02"
    week = client.get("/api/v1/ops/carbon?to=2026-02-20", headers=login(client, "city"))
    assert week.get_json()["days"] == {"from": "2026-02-07", "to": "2026-02-20"}


@pytest.mark.parametrize(
    ("query", "code", "words"),
    [
        ("from=2026-3-1", "invalid_day", "from must be a day written YYYY-MM-DD"),
        ("to=yesterday", "invalid_day", "to must be a day"),
        ("from=2026-02-30&to=2026-03-02", "invalid_day", "no day of the calendar"),
        ("from=2026-03-02&to=2026-03-01", "invalid_range", "reversed"),
        ("from=2025-01-01&to=2026-03-02", "invalid_range", "at most 92"),
        ("from=%00", "invalid_text", "'from' holds a NUL byte"),
        ("from=" + "9" * 5000, "invalid_day", "from must be a day"),
        ("from=2026-03-01%0A", "invalid_day", "from must be a day"),
        ("to=9999-12-31", "invalid_day", "to must be a day from 2000-01-01 to 2999-12-31"),
        ("to=0001-01-01", "invalid_day", "to must be a day from 2000-01-01"),
        ("from=0001-01-01&to=2026-03-02", "invalid_day", "from must be a day from"),
    ],
)
def test_bad_ranges_are_400s_that_name_the_problem(client, query, code, words):
    manager = login(client, "manager")
    for path in ("/api/v1/ops/carbon", "/api/v1/ops/carbon.csv"):
        r = client.get(f"{path}?{query}", headers=manager)
        assert r.status_code == 400, (path, r.get_data(as_text=True))
        error = r.get_json()["error"]
        assert error["code"] == code and words in error["message"], error


def test_only_managers_and_the_city_read_it(client):
    for path in ("/api/v1/ops/carbon", "/api/v1/ops/carbon.csv"):
        assert client.get(path).status_code == 401
        for who, status in (("manager", 200), ("city", 200), ("rider1", 403), ("courier1", 403)):
            assert client.get(path, headers=login(client, who)).status_code == status, (path, who)


def _end(client, rider, after_s: int, clock) -> dict:
    """Book a kickboard, unlock it, ride ``after_s`` seconds to the e-bike farthest from it,
    end: the booking's JSON."""
    kick = available(client, "e_kickboard")[0]
    far = max(
        available(client, "e_bike"),
        key=lambda b: haversine_m(kick["lat"], kick["lon"], b["lat"], b["lon"]),
    )
    ask = {"lat": kick["lat"], "lon": kick["lon"], "vehicle_classes": ["e_kickboard"]}
    booking = client.post("/api/v1/bookings", headers=rider, json=ask).get_json()
    client.post(f"/api/v1/bookings/{booking['id']}/unlock", headers=rider)
    clock.advance(after_s)
    to = {"lat": far["lat"], "lon": far["lon"]}
    r = client.post(f"/api/v1/bookings/{booking['id']}/end", headers=rider, json=to)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def _ledger(engine) -> dict[str, tuple[int, int, int]]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(co2_credits)).all()
    return {r.source_id: (r.car_g, r.charging_g, r.net_g) for r in rows}


def test_a_flagged_ride_is_never_credited_and_the_migration_credits_rides_of_before(
    client, demo, clock
):
    """A ride faster than its class can go earns nothing, in the ledger as on its receipt. The
    migration that made the ledger credits each earlier unflagged ride its receipt's grams
    (then the car's alone): undone and redone, it finds the rides and credits them so."""
    engine = demo[0].extensions["fleetops"].engine
    rider = login(client, "rider1")
    fine = _end(client, rider, 600, clock)
    flagged = _end(client, login(client, "rider2"), 2, clock)
    assert flagged["receipt"]["implausible"] is True and not fine["receipt"]["implausible"]
    net = fine["receipt"]["co2_avoided_g"]
    (credited,) = _ledger(engine).values()
    assert _ledger(engine) == {fine["id"]: credited} and credited[2] == net > 0

    downgrade(engine, "0011")
    upgrade(engine)
    assert _ledger(engine) == {fine["id"]: (net, 0, net)}
    report = client.get(DAY, headers=login(client, "manager")).get_json()
    assert report["totals"]["rides"] == 1 and report["totals"]["net_co2_avoided_g"] == net
