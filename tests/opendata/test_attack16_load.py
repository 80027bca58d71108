"""Rides booked, unlocked and ended by several riders at once (each end sent twice at once),
while others read GBFS, MDS, the carbon report and the dashboard: no 5xx, exactly one of two
simultaneous ends succeeds, each unflagged completed ride is credited once in the CO2 ledger,
and no public GBFS id is listed twice in one read."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from fleet.db.tables import bookings, co2_credits
from tests.web import conftest as web_fixtures
from tests.web.test_bookings import available, login

demo = web_fixtures.demo


@pytest.fixture
def client(demo):
    return demo[0].test_client()


def _rides(app, rider: str, n: int, errors: list) -> None:
    client = app.test_client()
    headers = login(client, rider)
    far = available(client, "e_bike")[-1]  # where a ride may end (tests/web/test_bookings.py)
    for _ in range(n):
        start = available(client, "e_kickboard")[0]
        r = client.post(
            "/api/v1/bookings",
            headers=headers,
            json={"lat": start["lat"], "lon": start["lon"], "vehicle_classes": ["e_kickboard"]},
        )
        if r.status_code >= 500:
            errors.append(("book", r.status_code))
        if r.status_code != 201:  # another rider took the vehicle first
            continue
        bid = r.get_json()["id"]
        r = client.post(f"/api/v1/bookings/{bid}/unlock", headers=headers)
        if r.status_code >= 500:
            errors.append(("unlock", r.status_code, r.get_data(as_text=True)[:200]))
        body = {"lat": far["lat"], "lon": far["lon"]}

        def end(client=client, bid=bid, body=body):
            return (
                app.test_client()
                .post(f"/api/v1/bookings/{bid}/end", headers=headers, json=body)
                .status_code
            )

        with ThreadPoolExecutor(2) as pool:
            codes = sorted(pool.map(lambda _: end(), range(2)))
        if any(c >= 500 for c in codes) or codes.count(200) != 1:
            errors.append(("end", codes))


def _reads(app, stop: threading.Event, errors: list) -> None:
    client = app.test_client()
    city, manager = login(client, "city"), login(client, "manager")
    while not stop.is_set():
        for path, h in (
            ("/gbfs/v3/vehicle_status.json", {}),
            ("/gbfs/v3/station_status.json", {}),
            ("/mds/vehicles/status", city),
            ("/api/v1/ops/carbon", manager),
            ("/api/v1/ops/kpis", manager),  # the dashboard's, CO2 of today among them
        ):
            r = client.get(path, headers=h)
            if r.status_code != 200:
                errors.append((path, r.status_code, r.get_data(as_text=True)[:300]))
            if path == "/gbfs/v3/vehicle_status.json":
                ids = [v["vehicle_id"] for v in r.get_json()["data"]["vehicles"]]
                if len(ids) != len(set(ids)):
                    errors.append(("duplicate public ids", len(ids)))


def test_concurrent_rides_and_readers(demo):
    app = demo[0]
    errors: list = []
    stop = threading.Event()
    readers = [threading.Thread(target=_reads, args=(app, stop, errors)) for _ in range(2)]
    for t in readers:
        t.start()
    try:
        with ThreadPoolExecutor(3) as pool:
            list(pool.map(lambda r: _rides(app, r, 6, errors), ["rider1", "rider2", "rider3"]))
    finally:
        stop.set()
        for t in readers:
            t.join()
    assert errors == []
    engine = app.extensions["fleetops"].engine
    with engine.connect() as conn:
        done = (
            conn.execute(
                sa.select(bookings.c.id).where(
                    bookings.c.status == "completed", bookings.c.receipt_flag.is_(None)
                )
            )
            .scalars()
            .all()
        )
        credited = (
            conn.execute(sa.select(co2_credits.c.source_id).where(co2_credits.c.kind == "ride"))
            .scalars()
            .all()
        )
    assert len(done) >= 9  # a booking may lose its vehicle to another rider (409)
    assert sorted(credited) == sorted(done)
