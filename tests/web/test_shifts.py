"""Courier shifts: managers create, move and cancel them; couriers start and end theirs; work
follows (a courier who ends a shift gives back the jobs not yet picked up)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.web.test_bookings import login
from tests.web.test_delivery import courier_headers, job


@pytest.fixture
def client(demo):
    return demo[0].test_client()


def me(client, headers) -> dict:
    return client.get("/api/v1/me", headers=headers).get_json()


def spare_moped(client, manager) -> str:
    shifts = client.get("/api/v1/courier-shifts", headers=manager).get_json()["data"]
    taken = {s["vehicle_id"] for s in shifts}
    fleet = client.get(
        "/api/v1/fleet/vehicles?vehicle_class=e_moped&per_page=500", headers=manager
    ).get_json()["data"]
    return next(v["id"] for v in fleet if v["id"] not in taken)


def test_managers_create_move_and_cancel_shifts(client, clock):
    manager = login(client, "manager")
    courier = me(client, login(client, "courier1"))
    tomorrow = clock.now() + timedelta(days=1)
    body = {
        "courier_id": courier["id"],
        "vehicle_id": spare_moped(client, manager),
        "start": tomorrow.isoformat(),
        "end": (tomorrow + timedelta(hours=8)).isoformat(),
    }
    created = client.post("/api/v1/courier-shifts", headers=manager, json=body)
    assert created.status_code == 201, created.get_json()
    shift = created.get_json()
    assert shift["status"] == "scheduled" and shift["start"].endswith("+09:00")
    assert shift["courier_name"] and shift["vehicle_code"]
    again = client.post("/api/v1/courier-shifts", headers=manager, json=body)
    assert again.status_code == 409  # the courier (and the moped) is already on a shift then
    backwards = {**body, "end": body["start"]}
    assert client.post("/api/v1/courier-shifts", headers=manager, json=backwards).status_code == 422
    not_a_moped = client.get(
        "/api/v1/fleet/vehicles?vehicle_class=e_bike", headers=manager
    ).get_json()["data"][0]["id"]
    bike = {**body, "vehicle_id": not_a_moped, "start": (tomorrow + timedelta(days=1)).isoformat()}
    bike["end"] = (tomorrow + timedelta(days=1, hours=8)).isoformat()
    assert client.post("/api/v1/courier-shifts", headers=manager, json=bike).status_code == 422
    rider = login(client, "rider1")
    assert client.post("/api/v1/courier-shifts", headers=rider, json=body).status_code == 403

    # tomorrow's shift is not planned today
    from dispatch.couriers.replan import reoptimise

    platform = client.application.extensions["fleetops"]
    client.post(
        "/api/v1/delivery-jobs", headers=login(client, "merchant1"), json=job(client, clock)
    )
    assert reoptimise(platform.couriers, me(client, manager)["operator_id"])["couriers"] == 5

    url = f"/api/v1/courier-shifts/{shift['id']}"
    later = (tomorrow + timedelta(hours=10)).isoformat()
    moved = client.patch(url, headers=manager, json={"end": later})
    assert moved.status_code == 200 and moved.get_json()["end"] == later
    cancelled = client.patch(url, headers=manager, json={"status": "cancelled"})
    assert cancelled.get_json()["status"] == "cancelled"
    listed = client.get("/api/v1/courier-shifts?status=scheduled", headers=manager).get_json()
    assert shift["id"] not in {s["id"] for s in listed["data"]}


def test_couriers_start_and_end_their_shift_and_give_back_what_they_did_not_pick_up(client, clock):
    merchant = login(client, "merchant1")
    first = client.post("/api/v1/delivery-jobs", headers=merchant, json=job(client, clock))
    first = first.get_json()
    courier = courier_headers(client, first["courier_id"])
    started = client.post("/api/v1/couriers/me/shift/start", headers=courier)
    assert started.status_code == 200 and started.get_json()["status"] == "on_duty"
    base = f"/api/v1/couriers/me/jobs/{first['id']}"
    assert client.post(f"{base}/picked-up", headers=courier).status_code == 200
    carrying = client.post("/api/v1/couriers/me/shift/end", headers=courier)
    assert carrying.status_code == 409 and "on board" in carrying.get_json()["error"]["message"]
    client.post(f"{base}/delivered", headers=courier, json={"proof_code": first["proof_code"]})

    # a job assigned to them but not picked up goes back when they end
    for _ in range(6):
        more = client.post("/api/v1/delivery-jobs", headers=merchant, json=job(client, clock))
        if more.get_json()["courier_id"] == first["courier_id"]:
            break
    ended = client.post("/api/v1/couriers/me/shift/end", headers=courier)
    assert ended.status_code == 200 and ended.get_json()["status"] == "ended"
    if more.get_json()["courier_id"] == first["courier_id"]:
        back = client.get(f"/api/v1/delivery-jobs/{more.get_json()['id']}", headers=merchant)
        assert back.get_json()["status"] == "unassigned" and "ended" in back.get_json()["reason"]
    assert client.get("/api/v1/couriers/me/route", headers=courier).get_json()["stops"] == []
    nothing = client.post("/api/v1/couriers/me/shift/end", headers=courier)
    assert nothing.status_code == 409  # no shift open


def test_a_pick_up_starts_the_couriers_scheduled_shift(client, clock):
    manager = login(client, "manager")
    merchant = login(client, "merchant1")
    posted = client.post("/api/v1/delivery-jobs", headers=merchant, json=job(client, clock))
    posted = posted.get_json()
    courier = courier_headers(client, posted["courier_id"])
    shifts = client.get("/api/v1/courier-shifts", headers=manager).get_json()["data"]
    theirs = next(s for s in shifts if s["courier_id"] == posted["courier_id"])
    assert theirs["status"] == "scheduled"  # planned, but the courier did not press start
    pick = f"/api/v1/couriers/me/jobs/{posted['id']}/picked-up"
    assert client.post(pick, headers=courier).status_code == 200
    shifts = client.get("/api/v1/courier-shifts", headers=manager).get_json()["data"]
    assert next(s for s in shifts if s["id"] == theirs["id"])["status"] == "on_duty"
