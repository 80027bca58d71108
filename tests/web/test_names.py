"""Answers name what people read (issue 11): a vehicle carries its code and plate, a courier or
an employee a display name, wherever an answer mentions them; not a bare UUID."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from fleet.db.tables import audit_log
from tests.web.test_bookings import login
from tests.web.test_delivery import courier_headers, job


@pytest.fixture
def client(demo):
    return demo[0].test_client()


def test_jobs_and_shifts_name_the_courier_and_the_moped(client, demo, clock):
    merchant = login(client, "merchant1")
    posted = client.post("/api/v1/delivery-jobs", headers=merchant, json=job(client, clock))
    assert posted.status_code == 201, posted.get_json()
    answer = posted.get_json()
    assert answer["courier"]["id"] == answer["courier_id"]
    courier_me = client.get("/api/v1/me", headers=courier_headers(client, answer["courier_id"]))
    assert answer["courier"]["display_name"] == courier_me.get_json()["display_name"]
    assert answer["vehicle"]["code"].startswith("M-")
    seen = client.get(f"/api/v1/delivery-jobs/{answer['id']}", headers=merchant).get_json()
    assert seen["courier"] == answer["courier"] and seen["vehicle"] == answer["vehicle"]

    courier = courier_headers(client, answer["courier_id"])
    started = client.post("/api/v1/couriers/me/shift/start", headers=courier)
    assert started.status_code == 200, started.get_json()
    assert started.get_json()["courier_name"] == answer["courier"]["display_name"]
    assert started.get_json()["vehicle_code"] == answer["vehicle"]["code"]
    again = client.post("/api/v1/couriers/me/shift/start", headers=courier)
    assert again.status_code == 200 and again.get_json()["status"] == "on_duty"
    engine = demo[0].extensions["fleetops"].engine
    with engine.connect() as conn:
        starts = conn.execute(
            select(audit_log.c.id).where(audit_log.c.action == "shift.start")
        ).all()
    assert len(starts) == 1  # starting again changes nothing and records nothing
