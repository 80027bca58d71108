"""Committed work is never dropped: a parcel on board past its window stays planned (late, and
the lateness shows) and can be delivered; a job no one picked up before its window closed is
given back, with no stop left behind; a re-plan that moves jobs between couriers succeeds."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from dispatch.couriers.replan import reoptimise
from dispatch.couriers.replanning import WINDOW_CLOSED
from fleet.db.tables import courier_shifts, courier_stops, delivery_jobs, vehicles
from tests.web.test_bookings import available, login
from tests.web.test_delivery import courier_headers, job, window
from tests.web.test_plan_versions import check_plans_whole


def operator_of(client, headers) -> str:
    return client.get("/api/v1/me", headers=headers).get_json()["operator_id"]


def mopeds(courier_id: str, *, theirs: bool):
    """The shift mopeds of this courier (``theirs``) or of every other courier."""
    mine = courier_shifts.c.courier_id == courier_id
    return select(courier_shifts.c.vehicle_id).where(mine if theirs else ~mine)


def test_a_parcel_on_board_past_its_window_stays_planned_and_is_delivered(demo, clock):
    app = demo[0]
    client, platform = app.test_client(), app.extensions["fleetops"]
    merchant = login(client, "merchant1")
    posted = client.post("/api/v1/delivery-jobs", headers=merchant, json=job(client, clock))
    posted = posted.get_json()
    courier = courier_headers(client, posted["courier_id"])
    base = f"/api/v1/couriers/me/jobs/{posted['id']}"
    assert client.post(f"{base}/picked-up", headers=courier).status_code == 200
    clock.advance(3 * 3600)  # the drop-off window (two hours) has closed

    counts = reoptimise(platform.couriers, operator_of(client, merchant))
    assert counts["dropped"] == 0
    route = client.get("/api/v1/couriers/me/route", headers=courier).get_json()["stops"]
    assert [(s["job_id"], s["kind"]) for s in route] == [(posted["id"], "dropoff")]
    seen = client.get(posted["tracking_api_url"]).get_json()
    assert seen["status"] == "picked_up" and seen["late"] and seen["late_by_s"] >= 3600
    listed = client.get(f"/api/v1/delivery-jobs/{posted['id']}", headers=merchant).get_json()
    assert listed["late"] and listed["late_by_s"] == seen["late_by_s"]

    done = client.post(
        f"{base}/delivered", headers=courier, json={"proof_code": posted["proof_code"]}
    )
    assert done.status_code == 200 and done.get_json()["on_time"] is False
    assert client.get(posted["tracking_api_url"]).get_json()["status"] == "delivered"


def test_a_job_nobody_picked_up_before_its_window_closed_is_given_back(demo, clock):
    app = demo[0]
    client, platform = app.test_client(), app.extensions["fleetops"]
    merchant = login(client, "merchant1")
    long = client.post(
        "/api/v1/delivery-jobs",
        headers=merchant,
        json=job(client, clock, parcel_l=5, dropoff_window=window(clock, 0, 3)),
    ).get_json()
    first = long["courier_id"]
    with platform.engine.begin() as conn:  # the others are flat: the short job goes after it
        conn.execute(
            update(vehicles).where(vehicles.c.id.in_(mopeds(first, theirs=False))).values(soc_pct=0)
        )
    short = client.post("/api/v1/delivery-jobs", headers=merchant, json=job(client, clock))
    short = short.get_json()
    assert short["courier_id"] == first
    clock.advance(2.5 * 3600)  # the short job's drop-off window has closed, the long one's not
    reoptimise(platform.couriers, operator_of(client, merchant))
    gone = client.get(f"/api/v1/delivery-jobs/{short['id']}", headers=merchant).get_json()
    assert gone["status"] == "unassigned" and gone["reason"] == WINDOW_CLOSED
    with platform.engine.connect() as conn:
        left = conn.execute(
            select(courier_stops.c.id).where(
                courier_stops.c.job_id == short["id"], courier_stops.c.status == "planned"
            )
        ).all()
    assert left == []  # no stop left behind
    assert check_plans_whole(platform.engine) == [long["id"]]  # under way: it stays


def test_a_replan_moves_a_job_to_a_nearer_courier_in_one_go(demo, clock):
    app = demo[0]
    client, platform = app.test_client(), app.extensions["fleetops"]
    merchant = login(client, "merchant1")
    under_way_body = job(client, clock)
    under_way = client.post("/api/v1/delivery-jobs", headers=merchant, json=under_way_body)
    under_way = under_way.get_json()
    first = under_way["courier_id"]
    with platform.engine.begin() as conn:  # every other courier is flat for a moment
        conn.execute(
            update(vehicles).where(vehicles.c.id.in_(mopeds(first, theirs=False))).values(soc_pct=0)
        )
    bikes = available(client, "e_bike")
    elsewhere = bikes[len(bikes) // 2 : len(bikes) // 2 + 2]
    body = job(
        client,
        clock,
        parcel_l=5,
        pickup={"lat": elsewhere[0]["lat"], "lon": elsewhere[0]["lon"]},
        dropoff={"lat": elsewhere[1]["lat"], "lon": elsewhere[1]["lon"]},
    )
    second = client.post("/api/v1/delivery-jobs", headers=merchant, json=body).get_json()
    assert second["courier_id"] == first  # the only courier with charge takes it too
    with platform.engine.begin() as conn:  # then the others are charged at its pickup ...
        conn.execute(
            update(vehicles)
            .where(vehicles.c.id.in_(mopeds(first, theirs=False)))
            .values(soc_pct=90, lat=body["pickup"]["lat"], lon=body["pickup"]["lon"])
        )
        far = under_way_body["dropoff"]
        conn.execute(  # ... and the first courier waits at its own job's drop-off
            update(vehicles)
            .where(vehicles.c.id.in_(mopeds(first, theirs=True)))
            .values(lat=far["lat"], lon=far["lon"])
        )
    reoptimise(platform.couriers, operator_of(client, merchant))
    with platform.engine.connect() as conn:
        couriers = dict(
            conn.execute(
                select(delivery_jobs.c.id, delivery_jobs.c.courier_id).where(
                    delivery_jobs.c.id.in_([under_way["id"], second["id"]])
                )
            ).all()
        )
    assert couriers[under_way["id"]] == first  # the stop under way stays theirs
    assert couriers[second["id"]] != first  # the other job moved, stops and all
    assert set(check_plans_whole(platform.engine)) == {under_way["id"], second["id"]}


def test_a_replan_gives_no_one_work_after_their_shift(demo, clock):
    app = demo[0]
    client, platform = app.test_client(), app.extensions["fleetops"]
    merchant = login(client, "merchant1")
    first = client.post("/api/v1/delivery-jobs", headers=merchant, json=job(client, clock))
    first = first.get_json()
    assert first["status"] == "assigned"  # its courier now has a plan: committed work
    # shifts end at 18:00 local (9 h after the clock's start); this one wants 19:00–20:30
    evening = job(
        client, clock, pickup_window=window(clock, 10, 10.5), dropoff_window=window(clock, 10, 11.5)
    )
    late = client.post("/api/v1/delivery-jobs", headers=merchant, json=evening).get_json()
    assert late["status"] == "unassigned"
    reoptimise(platform.couriers, operator_of(client, merchant))
    after = client.get(f"/api/v1/delivery-jobs/{late['id']}", headers=merchant).get_json()
    assert after["status"] == "unassigned", after  # nobody works at 19:00
    kept = client.get(f"/api/v1/delivery-jobs/{first['id']}", headers=merchant).get_json()
    assert kept["status"] == "assigned"
    check_plans_whole(platform.engine)


def _shift_of(engine, courier_id: str) -> str:
    with engine.connect() as conn:
        return conn.execute(
            select(courier_shifts.c.id).where(courier_shifts.c.courier_id == courier_id)
        ).scalar_one()


def test_a_box_never_overflows_and_an_overfilled_one_does_not_stop_replans(demo, clock):
    app = demo[0]
    client, platform = app.test_client(), app.extensions["fleetops"]
    merchant = login(client, "merchant1")
    first = client.post(
        "/api/v1/delivery-jobs", headers=merchant, json=job(client, clock, parcel_l=20)
    ).get_json()
    courier_id = first["courier_id"]
    with platform.engine.begin() as conn:  # the others are flat: the second job goes to them too
        conn.execute(
            update(vehicles)
            .where(vehicles.c.id.in_(mopeds(courier_id, theirs=False)))
            .values(soc_pct=0)
        )
    second = client.post(
        "/api/v1/delivery-jobs", headers=merchant, json=job(client, clock, parcel_l=20)
    ).get_json()
    assert second["courier_id"] == courier_id
    with platform.engine.begin() as conn:  # a smaller box than the plans were made for
        conn.execute(
            update(courier_shifts)
            .where(courier_shifts.c.courier_id == courier_id)
            .values(box_capacity_l=30)
        )
    courier = courier_headers(client, courier_id)
    jobs_url = "/api/v1/couriers/me/jobs"
    assert client.post(f"{jobs_url}/{first['id']}/picked-up", headers=courier).status_code == 200
    full = client.post(f"{jobs_url}/{second['id']}/picked-up", headers=courier)
    assert full.status_code == 409 and "does not fit" in full.get_json()["error"]["message"]
    # the pickup under way no longer fits the box: the re-plan still plans everyone's work
    assert reoptimise(platform.couriers, operator_of(client, merchant))["dropped"] == 0

    with platform.engine.begin() as conn:  # overfilled anyway (as stops made before this rule)
        conn.execute(
            update(delivery_jobs)
            .where(delivery_jobs.c.id == second["id"])
            .values(status="picked_up")
        )
    counts = reoptimise(platform.couriers, operator_of(client, merchant))
    assert counts["couriers"] == 5
    route = client.get("/api/v1/couriers/me/route", headers=courier).get_json()["stops"]
    assert {(s["job_id"], s["kind"]) for s in route} == {
        (first["id"], "dropoff"),
        (second["id"], "dropoff"),
    }


def test_committed_work_outlives_the_shift_and_its_other_work_moves_on(demo, clock):
    app = demo[0]
    client, platform = app.test_client(), app.extensions["fleetops"]
    merchant = login(client, "merchant1")
    carried = client.post("/api/v1/delivery-jobs", headers=merchant, json=job(client, clock))
    carried = carried.get_json()
    courier_id = carried["courier_id"]
    courier = courier_headers(client, courier_id)
    jobs_url = "/api/v1/couriers/me/jobs"
    assert client.post(f"{jobs_url}/{carried['id']}/picked-up", headers=courier).status_code == 200
    with platform.engine.begin() as conn:  # their shift ends in an hour, the others' later
        conn.execute(
            update(courier_shifts)
            .where(courier_shifts.c.courier_id == courier_id)
            .values(end_at=clock.now() + timedelta(hours=1))
        )
        conn.execute(
            update(vehicles)
            .where(vehicles.c.id.in_(mopeds(courier_id, theirs=False)))
            .values(soc_pct=0)
        )
    waiting = client.post(
        "/api/v1/delivery-jobs",
        headers=merchant,
        json=job(client, clock, dropoff_window=window(clock, 0, 5)),
    ).get_json()
    assert waiting["courier_id"] == courier_id  # the only one with charge
    with platform.engine.begin() as conn:
        conn.execute(update(vehicles).values(soc_pct=90))
    clock.advance(1.5 * 3600)  # their shift is over; the parcel is still on board

    route = client.get("/api/v1/couriers/me/route", headers=courier).get_json()["stops"]
    assert (carried["id"], "dropoff") in {(s["job_id"], s["kind"]) for s in route}
    reoptimise(platform.couriers, operator_of(client, merchant))  # no stop left behind to clash
    reoptimise(platform.couriers, operator_of(client, merchant))
    check_plans_whole(platform.engine)
    route = client.get("/api/v1/couriers/me/route", headers=courier).get_json()["stops"]
    mine = {(s["job_id"], s["kind"]) for s in route}
    assert (carried["id"], "dropoff") in mine  # committed: still theirs
    assert (waiting["id"], "pickup") not in mine  # not picked up: not theirs after the shift
    moved = client.get(f"/api/v1/delivery-jobs/{waiting['id']}", headers=merchant).get_json()
    assert moved["courier_id"] != courier_id
    done = client.post(
        f"{jobs_url}/{carried['id']}/delivered",
        headers=courier,
        json={"proof_code": carried["proof_code"]},
    )
    assert done.status_code == 200


def test_a_pickup_under_way_when_the_shift_ends_moves_on(demo, clock):
    app = demo[0]
    client, platform = app.test_client(), app.extensions["fleetops"]
    merchant = login(client, "merchant1")
    heading = client.post(
        "/api/v1/delivery-jobs",
        headers=merchant,
        json=job(
            client, clock, pickup_window=window(clock, 0, 3), dropoff_window=window(clock, 0, 5)
        ),
    ).get_json()
    courier_id = heading["courier_id"]
    with platform.engine.begin() as conn:  # their shift ends in an hour, the others' later
        conn.execute(
            update(courier_shifts)
            .where(courier_shifts.c.courier_id == courier_id)
            .values(end_at=clock.now() + timedelta(hours=1))
        )
    clock.advance(1.5 * 3600)  # over, and the parcel it was heading for is still at the store
    reoptimise(platform.couriers, operator_of(client, merchant))
    moved = client.get(f"/api/v1/delivery-jobs/{heading['id']}", headers=merchant).get_json()
    assert moved["courier_id"] != courier_id
    check_plans_whole(platform.engine)
    route = client.get("/api/v1/couriers/me/route", headers=courier_headers(client, courier_id))
    assert route.get_json()["stops"] == []
