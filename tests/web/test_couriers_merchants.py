"""What merchants and couriers hit first (issue 11): a courier who cannot pick a parcel up, a
delivery that fails and goes back to the store, a merchant who cancels, each with its plan
update."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from dispatch.couriers.replan import reoptimise
from fleet.db.tables import courier_shifts
from tests.web.test_bookings import login
from tests.web.test_delivery import courier_headers, job, window


@pytest.fixture
def client(demo):
    """A test client of the demo app."""
    return demo[0].test_client()


def route_of(client, courier) -> list[dict]:
    return client.get("/api/v1/couriers/me/route", headers=courier).get_json()["stops"]


def plan_version(engine, courier_id: str) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                select(courier_shifts.c.plan_version).where(
                    courier_shifts.c.courier_id == courier_id
                )
            ).scalar_one()
        )


def post(client, clock, **over) -> dict:
    merchant = login(client, "merchant1")
    r = client.post("/api/v1/delivery-jobs", headers=merchant, json=job(client, clock, **over))
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def test_a_courier_fails_a_pickup_with_a_reason_and_its_stops_leave_the_plan(client, demo, clock):
    platform = demo[0].extensions["fleetops"]
    posted = post(client, clock)
    courier = courier_headers(client, posted["courier_id"])
    other = courier_headers(client, posted["courier_id"], other=True)
    base = f"/api/v1/couriers/me/jobs/{posted['id']}"
    assert {s["job_id"] for s in route_of(client, courier)} == {posted["id"]}
    before = plan_version(platform.engine, posted["courier_id"])

    blank = client.post(f"{base}/pickup-failed", headers=courier, json={"reason": "  "})
    assert blank.status_code == 422, blank.get_json()
    theirs = client.post(f"{base}/pickup-failed", headers=other, json={"reason": "x"})
    assert theirs.status_code == 404
    r = client.post(f"{base}/pickup-failed", headers=courier, json={"reason": "parcel not ready"})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["status"] == "pickup_failed"
    assert route_of(client, courier) == []  # both stops left the plan
    assert plan_version(platform.engine, posted["courier_id"]) > before

    merchant = login(client, "merchant1")
    seen = client.get(f"/api/v1/delivery-jobs/{posted['id']}", headers=merchant).get_json()
    assert seen["status"] == "pickup_failed" and seen["reason"] == "parcel not ready"
    failed = client.get("/api/v1/delivery-jobs?status=pickup_failed", headers=merchant).get_json()
    assert [j["id"] for j in failed["data"]] == [posted["id"]]
    # the end is final: a re-plan does not bring the job back, the courier cannot pick it up
    reoptimise(platform.couriers, operator_of(client, merchant))
    assert route_of(client, courier) == []
    late = client.post(f"{base}/picked-up", headers=courier)
    assert late.status_code == 409 and "pickup_failed" in late.get_json()["error"]["message"]
    again = client.post(f"{base}/pickup-failed", headers=courier, json={"reason": "still"})
    assert again.status_code == 409


def operator_of(client, headers) -> str:
    return str(client.get("/api/v1/me", headers=headers).get_json()["operator_id"])


def test_a_failed_delivery_goes_back_to_the_merchant_and_ends_returned(client, demo, clock):
    platform = demo[0].extensions["fleetops"]
    posted = post(client, clock)
    courier = courier_headers(client, posted["courier_id"])
    base = f"/api/v1/couriers/me/jobs/{posted['id']}"
    assert client.post(f"{base}/picked-up", headers=courier).status_code == 200
    store = job(client, clock)["pickup"]
    early = client.post(f"{base}/returned", headers=courier)
    assert early.status_code in (404, 409)  # nothing to return yet
    r = client.post(f"{base}/failed", headers=courier, json={"reason": "nobody home"})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["status"] == "returning"
    stops = route_of(client, courier)
    assert [(s["job_id"], s["kind"]) for s in stops] == [(posted["id"], "return")]
    back = stops[0]
    assert (back["lat"], back["lon"]) == (store["lat"], store["lon"])
    assert back["parcel_l"] == 20 and back["eta"].endswith("+09:00")

    merchant = login(client, "merchant1")
    seen = client.get(f"/api/v1/delivery-jobs/{posted['id']}", headers=merchant).get_json()
    assert seen["status"] == "returning" and seen["reason"] == "nobody home"
    # the parcel is on board: a re-plan keeps the return with its courier
    reoptimise(platform.couriers, operator_of(client, merchant))
    assert [s["kind"] for s in route_of(client, courier)] == ["return"]
    wrong = client.post(f"{base}/delivered", headers=courier, json={"proof_code": "123456"})
    assert wrong.status_code in (404, 409)

    clock.advance(15 * 60)
    done = client.post(f"{base}/returned", headers=courier)
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["status"] == "returned"
    assert route_of(client, courier) == []
    seen = client.get(f"/api/v1/delivery-jobs/{posted['id']}", headers=merchant).get_json()
    assert seen["status"] == "returned" and seen["reason"] == "nobody home"
    assert client.post(f"{base}/returned", headers=courier).status_code == 409


def test_the_return_leg_is_committed_work_planned_even_past_the_shift_end(client, demo, clock):
    first = post(client, clock, parcel_l=10)
    courier = courier_headers(client, first["courier_id"])
    base = f"/api/v1/couriers/me/jobs/{first['id']}"
    assert client.post(f"{base}/picked-up", headers=courier).status_code == 200
    clock.advance(8.95 * 3600)  # 17:57: the shift ends at 18:00, the parcel is still on board
    r = client.post(f"{base}/failed", headers=courier, json={"reason": "address not found"})
    assert r.status_code == 200, r.get_json()
    stops = route_of(client, courier)  # committed work: planned, late if it must be
    assert [(s["job_id"], s["kind"]) for s in stops] == [(first["id"], "return")]
    assert client.post(f"{base}/returned", headers=courier).status_code == 200


def test_a_merchant_cancels_before_pickup_and_the_stops_leave_the_plan(client, demo, clock):
    platform = demo[0].extensions["fleetops"]
    posted = post(client, clock)
    merchant = login(client, "merchant1")
    courier = courier_headers(client, posted["courier_id"])
    url = f"/api/v1/delivery-jobs/{posted['id']}/cancel"
    assert client.post(url, headers=login(client, "merchant2")).status_code == 404  # not theirs
    assert client.post(url, headers=courier).status_code == 403
    before = plan_version(platform.engine, posted["courier_id"])
    r = client.post(url, headers=merchant)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["status"] == "cancelled"
    assert route_of(client, courier) == []
    assert plan_version(platform.engine, posted["courier_id"]) > before
    seen = client.get(f"/api/v1/delivery-jobs/{posted['id']}", headers=merchant).get_json()
    assert seen["status"] == "cancelled"
    reoptimise(platform.couriers, operator_of(client, merchant))
    assert route_of(client, courier) == []  # a re-plan does not bring it back
    base = f"/api/v1/couriers/me/jobs/{posted['id']}"
    assert client.post(f"{base}/picked-up", headers=courier).status_code in (404, 409)
    again = client.post(url, headers=merchant)
    assert again.status_code == 409 and "cancelled" in again.get_json()["error"]["message"]

    clock.advance(8.9 * 3600)  # 17:54: a job no courier can take comes back unassigned
    late = post(client, clock, pickup_window=window(clock, 0.2, 1))
    assert late["status"] == "unassigned"
    gone = client.post(f"/api/v1/delivery-jobs/{late['id']}/cancel", headers=merchant)
    assert gone.status_code == 200 and gone.get_json()["status"] == "cancelled"


def test_a_merchant_cancelling_after_pickup_gets_the_parcel_back(client, clock):
    posted = post(client, clock)
    merchant = login(client, "merchant1")
    courier = courier_headers(client, posted["courier_id"])
    base = f"/api/v1/couriers/me/jobs/{posted['id']}"
    assert client.post(f"{base}/picked-up", headers=courier).status_code == 200
    r = client.post(f"/api/v1/delivery-jobs/{posted['id']}/cancel", headers=merchant)
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["status"] == "returning" and "cancelled" in body["reason"]
    assert [s["kind"] for s in route_of(client, courier)] == ["return"]
    late = client.post(f"{base}/delivered", headers=courier, json={"proof_code": "123456"})
    assert late.status_code in (404, 409)
    assert client.post(f"{base}/returned", headers=courier).status_code == 200
    seen = client.get(f"/api/v1/delivery-jobs/{posted['id']}", headers=merchant).get_json()
    assert seen["status"] == "returned"
    again = client.post(f"/api/v1/delivery-jobs/{posted['id']}/cancel", headers=merchant)
    assert again.status_code == 409 and "returned" in again.get_json()["error"]["message"]
