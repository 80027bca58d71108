"""Absurd values and dates near the end of time (issue 12): each is refused by name with a 4xx
and nothing is stored; a row stored by an older version with such a date still lists."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from fleet.db.tables import delivery_jobs, reservations
from tests.web import test_workev
from tests.web.test_bookings import available, login
from tests.web.test_delivery import job
from tests.web.test_shifts import spare_moped
from tests.web.test_workev import hub_with_evs

staff = test_workev.staff  # the four Hanul engineers, signed in
END_OF_TIME = datetime(9999, 12, 31, 22, 0, tzinfo=UTC)


@pytest.fixture
def demo_client(demo):
    return demo[0].test_client()


@pytest.fixture
def client(demo_client):
    return demo_client


def engine_of(demo):
    return demo[0].extensions["fleetops"].engine


def count(demo, table) -> int:
    with engine_of(demo).connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def refused(r, status: int, *words: str) -> None:
    assert r.status_code == status, r.get_json()
    message = r.get_json()["error"]["message"]
    for word in words:
        assert word in message, message


def reservation(hub, start: datetime, end: datetime) -> dict:
    return {
        "hub_id": hub["id"],
        "start": start.isoformat(),
        "end": end.isoformat(),
        "planned_distance_m": 5_000,
    }


def test_reservations_near_the_end_of_time_or_too_long_are_refused(client, demo, staff, clock):
    hub, _ = hub_with_evs(client, login(client, "manager"))
    now = clock.now()
    cases = [
        (END_OF_TIME, END_OF_TIME + timedelta(hours=1), "ahead"),
        (now + timedelta(days=400), now + timedelta(days=400, hours=2), "ahead"),
        (now + timedelta(hours=1), now + timedelta(days=3650), "at most"),
    ]
    for start, end, word in cases:
        r = client.post("/api/v1/reservations", headers=staff[0], json=reservation(hub, start, end))
        refused(r, 422, word)
    assert count(demo, reservations) == 0
    assert client.get("/api/v1/reservations", headers=staff[0]).status_code == 200


def test_delivery_windows_near_the_end_of_time_or_of_one_second_are_refused(client, demo, clock):
    merchant = login(client, "merchant1")
    now = clock.now()
    far = {"start": END_OF_TIME.isoformat(), "end": (END_OF_TIME + timedelta(hours=1)).isoformat()}
    blink = {"start": now.isoformat(), "end": (now + timedelta(seconds=1)).isoformat()}
    for over, word in [
        ({"pickup_window": far, "dropoff_window": far}, "ahead"),
        ({"dropoff_window": blink}, "at least"),
        ({"pickup_window": blink}, "at least"),
    ]:
        r = client.post("/api/v1/delivery-jobs", headers=merchant, json=job(client, clock, **over))
        refused(r, 422, word)
    assert count(demo, delivery_jobs) == 0
    assert client.get("/api/v1/delivery-jobs", headers=merchant).status_code == 200


def test_a_parcel_of_two_and_a_half_litres_is_not_stored_as_two(client, demo, clock):
    merchant = login(client, "merchant1")
    r = client.post(
        "/api/v1/delivery-jobs", headers=merchant, json=job(client, clock, parcel_l=2.5)
    )
    refused(r, 422, "parcel_l")
    assert count(demo, delivery_jobs) == 0


def test_shifts_near_the_end_of_time_are_refused(client, demo, clock):
    manager = login(client, "manager")
    courier = client.get("/api/v1/me", headers=login(client, "courier1")).get_json()["id"]
    r = client.post(
        "/api/v1/courier-shifts",
        headers=manager,
        json={
            "courier_id": courier,
            "vehicle_id": spare_moped(client, manager),
            "start": END_OF_TIME.isoformat(),
            "end": (END_OF_TIME + timedelta(hours=1)).isoformat(),
        },
    )
    refused(r, 422, "ahead")


def test_a_password_of_spaces_is_refused(client):
    admin = login(client, "admin-hanul")
    for password in [" " * 8, " " * 7 + "x", "\t" * 12]:
        r = client.post(
            "/api/v1/staff",
            headers=admin,
            json={"username": "blank-pw", "display_name": "Blank", "password": password},
        )
        refused(r, 422, "password")
    tok = client.post("/api/v1/auth/token", json={"username": "blank-pw", "password": " " * 8})
    assert tok.status_code == 401


def test_lists_still_answer_with_a_row_an_older_version_stored_near_the_end_of_time(
    client, demo, staff, clock
):
    hub, _ = hub_with_evs(client, login(client, "manager"))
    start = clock.now() + timedelta(hours=1)
    made = client.post(
        "/api/v1/reservations",
        headers=staff[0],
        json=reservation(hub, start, start + timedelta(hours=1)),
    )
    assert made.status_code == 201, made.get_json()
    with engine_of(demo).begin() as conn:  # as an older version let it in
        conn.execute(
            update(reservations).values(
                start_at=END_OF_TIME, end_at=END_OF_TIME + timedelta(hours=1)
            )
        )
    for who in [staff[0], login(client, "admin-hanul"), login(client, "manager")]:
        r = client.get("/api/v1/reservations", headers=who)
        assert r.status_code == 200, r.get_json()
        assert r.get_json()["data"][0]["start"].startswith("9999-12-31T22:00")


def test_staff_cannot_free_a_vehicle_a_rider_holds_or_rides(client, demo):
    rider1, rider2, manager = (
        login(client, "rider1"),
        login(client, "rider2"),
        login(client, "manager"),
    )
    kick = available(client, "e_kickboard")[0]
    ask = {"lat": kick["lat"], "lon": kick["lon"], "vehicle_classes": ["e_kickboard"]}
    held = client.post("/api/v1/bookings", headers=rider1, json=ask).get_json()
    vid = held["vehicle"]["id"]
    for status in ["available", "maintenance"]:
        r = client.patch(f"/api/v1/fleet/vehicles/{vid}", headers=manager, json={"status": status})
        refused(r, 409, held["id"])
    other = client.post("/api/v1/bookings", headers=rider2, json=ask).get_json()
    assert other["vehicle"]["id"] != vid
    assert client.post(f"/api/v1/bookings/{held['id']}/unlock", headers=rider1).status_code == 200
    r = client.patch(f"/api/v1/fleet/vehicles/{vid}", headers=manager, json={"status": "offline"})
    refused(r, 409, held["id"], "ride")
    assert client.post(f"/api/v1/bookings/{other['id']}/cancel", headers=rider2).status_code == 200
    again = client.post("/api/v1/bookings", headers=rider2, json=ask)
    assert again.status_code == 201, again.get_json()


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)  # SQLite's INTEGER is 64-bit
def test_a_ride_on_a_vehicle_at_the_largest_odometer_still_ends(client, demo, clock):
    rider, manager = login(client, "rider1"), login(client, "manager")
    kick, far = available(client, "e_kickboard")[0], available(client, "e_bike")[-1]
    r = client.patch(
        f"/api/v1/fleet/vehicles/{kick['id']}", headers=manager, json={"odometer_m": 2**31 - 1}
    )
    assert r.status_code == 200, r.get_json()
    ask = {"lat": kick["lat"], "lon": kick["lon"], "vehicle_classes": ["e_kickboard"]}
    booking = client.post("/api/v1/bookings", headers=rider, json=ask).get_json()
    assert booking["vehicle"]["id"] == kick["id"]
    assert client.post(f"/api/v1/bookings/{booking['id']}/unlock", headers=rider).status_code == 200
    clock.advance(600)
    end = {"lat": far["lat"], "lon": far["lon"]}
    r = client.post(f"/api/v1/bookings/{booking['id']}/end", headers=rider, json=end)
    assert r.status_code == 200, r.get_json()
    seen = client.get(f"/api/v1/fleet/vehicles/{kick['id']}", headers=manager).get_json()
    assert seen["odometer_m"] > 2**31 - 1


def test_a_name_of_spaces_is_refused(client):
    admin = login(client, "admin-hanul")
    for name in ["   ", "\t\n"]:
        r = client.post(
            "/api/v1/staff",
            headers=admin,
            json={"username": "blank-name", "display_name": name, "password": "a-long-password"},
        )
        refused(r, 422, "display_name")


def test_a_deeply_nested_body_is_a_400(client):
    manager = login(client, "manager")
    for body in ["[" * 100_000 + "]" * 100_000, '{"a":' * 5_000 + "1" + "}" * 5_000]:
        r = client.post(
            "/api/v1/fleet/vehicles",
            headers={**manager, "Content-Type": "application/json"},
            data=body,
        )
        refused(r, 400, "nested")


def test_a_reservation_or_shift_of_a_microsecond_is_refused(client, demo, staff, clock):
    manager = login(client, "manager")
    hub, _ = hub_with_evs(client, manager)
    start = clock.now() + timedelta(hours=2)
    blink = start + timedelta(microseconds=1)
    r = client.post("/api/v1/reservations", headers=staff[0], json=reservation(hub, start, blink))
    refused(r, 422, "at least")
    courier = client.get("/api/v1/me", headers=login(client, "courier1")).get_json()["id"]
    shift = {"courier_id": courier, "vehicle_id": spare_moped(client, manager)}
    r = client.post(
        "/api/v1/courier-shifts",
        headers=manager,
        json={**shift, "start": start.isoformat(), "end": blink.isoformat()},
    )
    refused(r, 422, "at least")
    assert count(demo, reservations) == 0


def test_a_shift_planned_far_ahead_leaves_its_moped_to_riders_until_then(client, clock):
    manager = login(client, "manager")
    courier = client.get("/api/v1/me", headers=login(client, "courier1")).get_json()["id"]
    moped = spare_moped(client, manager)
    assert moped in {v["id"] for v in available(client, "e_moped")}
    later = clock.now() + timedelta(days=30)
    r = client.post(
        "/api/v1/courier-shifts",
        headers=manager,
        json={
            "courier_id": courier,
            "vehicle_id": moped,
            "start": later.isoformat(),
            "end": (later + timedelta(hours=4)).isoformat(),
        },
    )
    assert r.status_code == 201, r.get_json()
    assert moped in {v["id"] for v in available(client, "e_moped")}


def test_a_vehicle_registered_with_an_empty_battery_is_low_on_battery(client, demo):
    manager = login(client, "manager")
    spot = available(client, "e_kickboard")[0]
    r = client.post(
        "/api/v1/fleet/vehicles",
        headers=manager,
        json={
            "code": "K-EMPTY",
            "vehicle_class": "e_kickboard",
            "lat": spot["lat"],
            "lon": spot["lon"],
            "soc_pct": 0,
        },
    )
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["status"] == "low_battery"
    assert "K-EMPTY" not in {v["code"] for v in available(client, "e_kickboard")}


def test_a_time_without_its_offset_is_refused_saying_so(client, demo, staff, clock):
    hub, _ = hub_with_evs(client, login(client, "manager"))
    start = (clock.now() + timedelta(hours=2)).replace(tzinfo=None)
    body = reservation(hub, start, start + timedelta(hours=1))
    r = client.post("/api/v1/reservations", headers=staff[0], json=body)
    refused(r, 422, "start", "UTC offset")
