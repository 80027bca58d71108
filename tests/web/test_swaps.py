"""Couriers low on charge are routed via a swap station, and swap their pack there."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select, text, update

from cli.demo import DEMO_PASSWORD
from dispatch.couriers import swaps
from dispatch.couriers.replan import reoptimise
from fleet.db import identity as idb
from fleet.db import vehicles as vdb
from fleet.db.tables import battery_packs, courier_shifts, vehicles
from tests.web.test_bookings import login, snapshot
from tests.web.test_delivery import courier_headers, job


def drain_mopeds(engine, soc_pct: float = 21.0) -> None:
    """Every courier's moped just above its low-battery threshold (20 %): a few hundred metres."""
    with engine.begin() as conn:
        mopeds = select(courier_shifts.c.vehicle_id)
        conn.execute(update(vehicles).where(vehicles.c.id.in_(mopeds)).values(soc_pct=soc_pct))


def route(client, headers):
    return client.get("/api/v1/couriers/me/route", headers=headers).get_json()["stops"]


def packs_at(engine, site_id):
    with engine.connect() as conn:
        rows = conn.execute(
            select(battery_packs.c.serial, battery_packs.c.soc_pct).where(
                battery_packs.c.location_id == site_id
            )
        ).all()
    return {r.serial: r.soc_pct for r in rows}


def flat_demo(demo, clock):
    """The demo app, its engine and a client, every courier nearly flat, and a job posted."""
    app = demo[0]
    client, engine = app.test_client(), app.extensions["fleetops"].engine
    drain_mopeds(engine)
    posted = client.post(
        "/api/v1/delivery-jobs", headers=login(client, "merchant1"), json=job(client, clock)
    ).get_json()
    return client, engine, posted


def test_a_flat_courier_gets_the_job_via_a_swap_and_swaps(demo, clock):
    client, engine, posted = flat_demo(demo, clock)
    assert posted["status"] == "assigned", posted
    courier = courier_headers(client, posted["courier_id"])
    stops = route(client, courier)
    assert [s["kind"] for s in stops] == ["swap", "pickup", "dropoff"]
    swap = stops[0]
    assert swap["job_id"] is None and swap["site_name"] and swap["parcel_l"] is None
    assert swap["eta"] < stops[1]["eta"]

    other = courier_headers(client, posted["courier_id"], other=True)
    r = client.post(f"/api/v1/couriers/me/swaps/{swap['id']}", headers=other)
    assert r.status_code == 404 and "not in your plan" in r.get_json()["error"]["message"]

    before = packs_at(engine, swap["site_id"])
    with engine.connect() as conn:
        moped = conn.execute(
            select(vehicles)
            .join(courier_shifts, courier_shifts.c.vehicle_id == vehicles.c.id)
            .where(courier_shifts.c.courier_id == posted["courier_id"])
        ).one()
    r = client.post(f"/api/v1/couriers/me/swaps/{swap['id']}", headers=courier)
    assert r.status_code == 200, r.get_json()
    done = r.get_json()
    assert done["soc_pct"] >= 95 and done["range_m"] > 30_000
    assert before[done["pack_serial"]] == max(before.values())  # the station's fullest pack
    after = packs_at(engine, swap["site_id"])
    # the fresh pack left the cabinet, the courier's flat pack took its slot
    assert done["pack_serial"] not in after and after[moped.battery_serial] == moped.soc_pct
    assert len(after) == len(before)
    with engine.connect() as conn:
        now_in = conn.execute(select(vehicles).where(vehicles.c.id == moped.id)).one()
    assert now_in.battery_serial == done["pack_serial"] and now_in.soc_pct == done["soc_pct"]
    assert [s["kind"] for s in route(client, courier)] == ["pickup", "dropoff"]
    again = client.post(f"/api/v1/couriers/me/swaps/{swap['id']}", headers=courier)
    assert again.status_code == 409 and "already done" in again.get_json()["error"]["message"]


def empty_cabinets(engine, soc_pct: float = 50.0) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(battery_packs)
            .where(battery_packs.c.location == "station")
            .values(soc_pct=soc_pct)
        )


def test_no_charged_pack_anywhere_means_no_swap(demo, clock):
    app = demo[0]
    client, engine = app.test_client(), app.extensions["fleetops"].engine
    drain_mopeds(engine)
    empty_cabinets(engine)
    posted = client.post(
        "/api/v1/delivery-jobs", headers=login(client, "merchant1"), json=job(client, clock)
    ).get_json()
    assert posted["status"] == "unassigned" and "fit it in time" in posted["reason"]


def test_a_cabinet_emptied_since_planning_refuses_the_swap_and_changes_nothing(demo, clock):
    client, engine, posted = flat_demo(demo, clock)
    courier = courier_headers(client, posted["courier_id"])
    swap = route(client, courier)[0]
    empty_cabinets(engine)
    state = snapshot(engine)
    r = client.post(f"/api/v1/couriers/me/swaps/{swap['id']}", headers=courier)
    assert r.status_code == 409
    assert "no charged pack left" in r.get_json()["error"]["message"]
    assert snapshot(engine) == state


def test_reoptimisation_routes_a_flat_courier_with_a_parcel_on_board_via_a_station(demo, clock):
    app = demo[0]
    client, engine = app.test_client(), app.extensions["fleetops"].engine
    posted = client.post(
        "/api/v1/delivery-jobs", headers=login(client, "merchant1"), json=job(client, clock)
    ).get_json()
    courier = courier_headers(client, posted["courier_id"])
    assert [s["kind"] for s in route(client, courier)] == ["pickup", "dropoff"]
    assert (
        client.post(
            f"/api/v1/couriers/me/jobs/{posted['id']}/picked-up", headers=courier
        ).status_code
        == 200
    )
    drain_mopeds(engine)  # the pack ran down on the way
    service = app.extensions["fleetops"].couriers
    operator_id = client.get("/api/v1/me", headers=courier).get_json()["operator_id"]
    assert reoptimise(service, operator_id) == {"couriers": 5, "jobs": 1, "dropped": 0}
    stops = route(client, courier)
    assert [s["kind"] for s in stops] == ["swap", "dropoff"]
    assert stops[1]["job_id"] == posted["id"] and stops[0]["eta"] < stops[1]["eta"]


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_a_swap_never_writes_over_a_concurrent_change_of_the_moped(demo, clock):
    """A manager's edit of the moped commits while the courier's swap waits on the row: the swap
    is made again from what is stored then, so both changes count, each with a version of its
    own, and the pack leaving the moped carries the charge the manager set."""
    platform = demo[0].extensions["fleetops"]
    client, engine, posted = flat_demo(demo, clock)
    courier_token = courier_headers(client, posted["courier_id"])
    swap = route(client, courier_token)[0]
    with engine.connect() as conn:
        courier = idb.get_user(conn, posted["courier_id"])
        manager = idb.authenticate(conn, "manager", DEMO_PASSWORD)
        moped = conn.execute(
            select(vehicles)
            .join(courier_shifts, courier_shifts.c.vehicle_id == vehicles.c.id)
            .where(courier_shifts.c.courier_id == courier.id)
        ).one()

    edit = engine.connect()
    edit.begin()
    vdb.update_vehicle(  # the manager's edit, not yet committed: it holds the moped's row
        edit,
        operator_id=manager.operator_id,
        vehicle_id=moped.id,
        clock=clock,
        catalog=platform.catalog,
        soc_pct=50.0,
        actor_id=manager.id,
    )
    with ThreadPoolExecutor(1) as pool:
        swapping = pool.submit(swaps.swapped, platform.couriers, courier, swap["id"])
        wait_until_blocked(engine, edit)
        edit.commit()
        edit.close()
        done = swapping.result(timeout=60)

    with engine.connect() as conn:
        after = conn.execute(select(vehicles).where(vehicles.c.id == moped.id)).one()
        left = conn.execute(
            select(battery_packs).where(battery_packs.c.serial == moped.battery_serial)
        ).one()
    assert after.version == moped.version + 2  # two writes, two versions: nothing overwritten
    assert after.battery_serial == done.pack_serial and after.soc_pct == done.soc_pct
    assert left.location == "station" and left.soc_pct == 50.0  # the charge the manager set


def wait_until_blocked(engine, holder, timeout_s: float = 30) -> None:
    """Until another session waits for a lock ``holder`` (a connection) holds (PostgreSQL).

    Only sessions ``holder`` blocks count: other tests' sessions on the server (other pytest-xdist
    workers, other runs) may be waiting for locks of their own at the same moment."""
    holder_pid = holder.execute(text("SELECT pg_backend_pid()")).scalar_one()
    deadline = time.monotonic() + timeout_s
    with engine.connect() as conn:
        while time.monotonic() < deadline:
            waiting = conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE CAST(:holder AS integer) = ANY(pg_blocking_pids(pid))"
                ),
                {"holder": holder_pid},
            ).scalar_one()
            if waiting:
                return
            conn.rollback()
            time.sleep(0.02)
    pytest.fail("the swap never waited for the moped's row")


def test_a_status_that_follows_charge_follows_it_both_ways(demo, clock):
    client, engine, posted = flat_demo(demo, clock)
    courier = courier_headers(client, posted["courier_id"])
    swap = route(client, courier)[0]
    with engine.begin() as conn:  # the flat moped is low on battery, as the fleet sees it
        moped = conn.execute(
            select(courier_shifts.c.vehicle_id).where(
                courier_shifts.c.courier_id == posted["courier_id"]
            )
        ).scalar_one()
        conn.execute(update(vehicles).where(vehicles.c.id == moped).values(status="low_battery"))
    done = client.post(f"/api/v1/couriers/me/swaps/{swap['id']}", headers=courier).get_json()
    assert done["soc_pct"] >= 95
    manager = login(client, "manager")
    seen = client.get(f"/api/v1/fleet/vehicles/{moped}", headers=manager).get_json()
    assert seen["status"] == "available"  # in the same write as the charge

    # and a charge set by fleet staff: down makes it low, up makes it available again
    down = client.patch(f"/api/v1/fleet/vehicles/{moped}", headers=manager, json={"soc_pct": 3})
    assert down.get_json()["status"] == "low_battery"
    up = client.patch(f"/api/v1/fleet/vehicles/{moped}", headers=manager, json={"soc_pct": 90})
    assert up.get_json()["status"] == "available"
