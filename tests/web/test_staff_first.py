"""What company staff hit first with work EVs (issue 11): reservations only on EVs charged for
the trip, admins who can cancel and reassign, answers people can read, and free slots to see
before asking."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update

from fleet.db.tables import vehicles
from tests.web import test_workev
from tests.web.test_bookings import login
from tests.web.test_workev import at, hub_with_evs

staff = test_workev.staff  # the four Hanul engineers, signed in


@pytest.fixture
def demo_client(demo):
    return demo[0].test_client()


def reserve(client, who, hub, clock, start_h, end_h, distance_m=30_000):
    return client.post(
        "/api/v1/reservations",
        headers=who,
        json={
            "hub_id": hub["id"],
            "start": at(clock, start_h),
            "end": at(clock, end_h),
            "planned_distance_m": distance_m,
        },
    )


def set_evs(engine, changes: dict[str, dict]) -> None:
    with engine.begin() as conn:
        for vehicle_id, values in changes.items():
            conn.execute(update(vehicles).where(vehicles.c.id == vehicle_id).values(**values))


def test_reservations_take_only_evs_charged_for_the_trip_and_admins_cancel_or_reassign(
    demo_client, demo, staff, clock
):
    engine = demo[0].extensions["fleetops"].engine
    manager = login(demo_client, "manager")
    hub, evs = hub_with_evs(demo_client, manager)
    assert len(evs) >= 3, "the demo parks at least three EVs at its first hub"
    low = {evs[0]["id"]: 14.6, evs[1]["id"]: 6.6}
    set_evs(engine, {i: {"soc_pct": soc, "status": "low_battery"} for i, soc in low.items()})
    set_evs(engine, {e["id"]: {"soc_pct": 90.0, "status": "available"} for e in evs[2:]})
    mine = reserve(demo_client, staff[0], hub, clock, 1, 3)
    assert mine.status_code == 201, mine.get_json()
    assert mine.get_json()["vehicle_id"] not in low  # not the flat EVs standing unplugged
    clock.advance(3600)
    picked = demo_client.post(
        f"/api/v1/reservations/{mine.get_json()['id']}/pickup", headers=staff[0]
    )
    assert picked.status_code == 200, picked.get_json()

    admin = login(demo_client, "admin-hanul")
    theirs = reserve(demo_client, staff[1], hub, clock, 4, 5).get_json()
    stranger = login(demo_client, "admin-saebom")
    refused = demo_client.post(f"/api/v1/reservations/{theirs['id']}/cancel", headers=stranger)
    assert refused.status_code == 404, refused.get_json()  # another company's staff
    stuck = demo_client.post(f"/api/v1/reservations/{theirs['id']}/reassign", headers=admin)
    if len(evs) == 3:  # the third EV is out with staff 0: only the flat ones are left
        assert stuck.status_code == 409, stuck.get_json()
        assert "charged enough" in stuck.get_json()["error"]["message"]
    plug = demo_client.patch(  # a crew plugs the 6.6 % EV in: three hours charge it enough
        f"/api/v1/fleet/vehicles/{evs[1]['id']}", headers=manager, json={"status": "charging"}
    )
    assert plug.status_code == 200, plug.get_json()
    body = {"vehicle_id": evs[1]["id"]}
    moved = demo_client.post(
        f"/api/v1/reservations/{theirs['id']}/reassign", headers=admin, json=body
    )
    assert moved.status_code == 200, moved.get_json()
    assert moved.get_json()["status"] == "confirmed"
    assert moved.get_json()["vehicle_id"] == evs[1]["id"] != theirs["vehicle_id"]
    to_flat = demo_client.post(
        f"/api/v1/reservations/{theirs['id']}/reassign",
        headers=admin,
        json={"vehicle_id": evs[0]["id"]},
    )
    assert to_flat.status_code == 409, to_flat.get_json()  # low and not plugged in
    cancelled = demo_client.post(f"/api/v1/reservations/{theirs['id']}/cancel", headers=admin)
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    again = demo_client.post(f"/api/v1/reservations/{theirs['id']}/reassign", headers=admin)
    assert again.status_code == 409, again.get_json()


def test_reservations_name_the_ev_and_the_hub_in_the_citys_time(demo_client, demo, staff, clock):
    manager = login(demo_client, "manager")
    hub, _evs = hub_with_evs(demo_client, manager)
    made = reserve(demo_client, staff[0], hub, clock, 2, 3)
    assert made.status_code == 201, made.get_json()
    res = made.get_json()
    vehicle = res["vehicle"]
    assert vehicle["id"] == res["vehicle_id"] and vehicle["code"].startswith("EV-")
    assert vehicle["plate"] and vehicle["model"] and 0 <= vehicle["soc_pct"] <= 100
    assert res["hub"] == {"id": hub["id"], "name": hub["name"]}
    assert res["employee"]["display_name"] == "Engineer 0"
    early = demo_client.post(f"/api/v1/reservations/{res['id']}/pickup", headers=staff[0])
    assert early.status_code == 409
    opens = datetime.fromisoformat(res["start"]) - timedelta(minutes=15)
    assert opens.isoformat() in early.get_json()["error"]["message"]  # +09:00, not UTC
    ev = demo_client.get(f"/api/v1/fleet/vehicles/{res['vehicle_id']}", headers=manager)
    assert ev.get_json()["plate"] == vehicle["plate"]
    new = {
        "code": "EV-NEW",
        "vehicle_class": "work_ev",
        "lat": hub["lat"],
        "lon": hub["lon"],
        "soc_pct": 80,
        "plate": vehicle["plate"],
        "model": "Kia Ray EV",
    }
    taken = demo_client.post("/api/v1/fleet/vehicles", headers=manager, json=new)
    assert taken.status_code == 409 and "plate" in taken.get_json()["error"]["message"]
    made = demo_client.post(
        "/api/v1/fleet/vehicles", headers=manager, json={**new, "plate": "999하 9999"}
    )
    assert made.status_code == 201 and made.get_json()["plate"] == "999하 9999"


def test_staff_see_free_slots_per_hub_and_day(demo_client, demo, staff, clock):
    manager = login(demo_client, "manager")
    hub, evs = hub_with_evs(demo_client, manager)
    engine = demo[0].extensions["fleetops"].engine
    set_evs(engine, {e["id"]: {"soc_pct": 90.0, "status": "available"} for e in evs})
    set_evs(engine, {evs[0]["id"]: {"soc_pct": 50.0}})  # enough for 10 km, not for 150 km
    day = (clock.now() + timedelta(days=1)).astimezone(datetime.fromisoformat(at(clock, 0)).tzinfo)
    url = f"/api/v1/hubs/{hub['id']}/availability?date={day.date().isoformat()}"
    before = demo_client.get(url, headers=staff[0])
    assert before.status_code == 200, before.get_json()
    slots = before.get_json()["slots"]
    assert len(slots) == 24 and all(s["free_evs"] == len(evs) for s in slots)
    assert slots[10]["start"] == f"{day.date().isoformat()}T10:00:00+09:00"
    ten = datetime.fromisoformat(slots[10]["start"])
    hours = (ten - clock.now()).total_seconds() / 3600
    for head in staff[: len(evs)]:
        r = reserve(demo_client, head, hub, clock, hours, hours + 1, distance_m=10_000)
        assert r.status_code == 201, r.get_json()
    after = demo_client.get(url, headers=staff[0]).get_json()["slots"]
    assert after[10]["free_evs"] == max(0, len(evs) - len(staff))
    assert after[9]["free_evs"] == after[11]["free_evs"] == len(evs)
    long_trip = demo_client.get(f"{url}&planned_distance_m=150000", headers=staff[0])
    assert all(s["free_evs"] == len(evs) - 1 for s in long_trip.get_json()["slots"][:10])
    bad = demo_client.get(
        f"/api/v1/hubs/{hub['id']}/availability?date=2026-13-40", headers=staff[0]
    )
    assert bad.status_code == 422 and "YYYY-MM-DD" in bad.get_json()["error"]["message"]
    for query, words in [
        ("date=2020-01-01", "from today"),
        ("date=20261201", "YYYY-MM-DD"),
        ("date=2026-W49-2", "YYYY-MM-DD"),
        ("date=9999-12-31", "a year ahead"),
        ("slot_minutes=7", "slot_minutes"),
        ("planned_distance_m=0", "planned_distance_m"),
    ]:
        r = demo_client.get(f"/api/v1/hubs/{hub['id']}/availability?{query}", headers=staff[0])
        assert r.status_code == 422 and words in r.get_json()["error"]["message"], r.get_json()
    today = demo_client.get(f"/api/v1/hubs/{hub['id']}/availability", headers=manager).get_json()
    assert today["slots"][0]["start"].endswith("09:00:00+09:00")  # slots over are left out
    assert demo_client.get("/api/v1/hubs/nope/availability", headers=staff[0]).status_code == 404


def race(calls):
    """Run the calls at once (a barrier before each); their answers, in order."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def test_one_employee_never_holds_two_overlapping_reservations_at_once(demo, staff, clock):
    app = demo[0]
    manager = login(app.test_client(), "manager")
    hubs = app.test_client().get("/api/v1/hubs", headers=manager).get_json()["data"]
    assert len(hubs) >= 2

    def ask(hub):
        return lambda: reserve(app.test_client(), staff[0], hub, clock, 1, 2, 5_000).status_code

    codes = race([ask(hubs[n % 2]) for n in range(6)])
    assert sorted(codes) == [201] + [422] * 5, codes


def test_a_pick_up_racing_a_reassign_takes_the_ev_the_reservation_ends_on(demo, staff, clock):
    app = demo[0]
    engine = app.extensions["fleetops"].engine
    client = app.test_client()
    manager, admin = login(client, "manager"), login(client, "admin-hanul")
    hub, evs = hub_with_evs(client, manager)
    set_evs(engine, {e["id"]: {"soc_pct": 90.0, "status": "available"} for e in evs})
    for n in range(2):  # two staff, a slot each, and a spare EV to move to
        made = reserve(client, staff[n], hub, clock, 0.1, 0.5, 5_000).get_json()
        path = f"/api/v1/reservations/{made['id']}"
        race(
            [
                lambda p=path: app.test_client().post(f"{p}/reassign", headers=admin),
                lambda p=path, h=staff[n]: app.test_client().post(f"{p}/pickup", headers=h),
            ]
        )
        final = client.get("/api/v1/reservations", headers=admin).get_json()["data"]
        mine = next(r for r in final if r["id"] == made["id"])
        assert mine["status"] == "picked_up", mine
        with engine.connect() as conn:
            in_use = {
                r.id
                for r in conn.execute(select(vehicles.c.id).where(vehicles.c.status == "in_use"))
            }
        assert mine["vehicle_id"] in in_use
        back = client.post(
            f"{path}/return", headers=staff[n], json={"soc_pct": 80, "odometer_m": 10**8}
        )
        assert back.status_code == 200, back.get_json()
        with engine.connect() as conn:
            assert not conn.execute(
                select(vehicles.c.id).where(vehicles.c.status == "in_use")
            ).all()
