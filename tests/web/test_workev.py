"""Work EVs end to end through the API on the seeded demo: staff, reservations, pick-up,
return, late returns."""

from __future__ import annotations

from datetime import timedelta

import pytest

from cli.demo import DEMO_PASSWORD
from tests.web.test_bookings import login, snapshot


@pytest.fixture
def demo_client(demo):
    """A test client of the demo app."""
    return demo[0].test_client()


def at(clock, hours: float) -> str:
    """An ISO time ``hours`` after the test clock's now, in Seoul time."""
    return (clock.now() + timedelta(hours=hours)).isoformat()


@pytest.fixture
def staff(demo_client):
    """Four employees of Hanul Engineering, registered by their admin, logged in."""
    admin = login(demo_client, "admin-hanul")
    heads = []
    for n in range(4):
        r = demo_client.post(
            "/api/v1/staff",
            headers=admin,
            json={
                "username": f"hanul-eng-{n}",
                "display_name": f"Engineer {n}",
                "password": "a-long-password",
            },
        )
        assert r.status_code == 201, r.get_json()
        assert r.get_json()["role"] == "employee"
        tok = demo_client.post(
            "/api/v1/auth/token", json={"username": f"hanul-eng-{n}", "password": "a-long-password"}
        )
        heads.append({"Authorization": f"Bearer {tok.get_json()['token']}"})
    return heads


def hub_with_evs(demo_client, manager):
    """The first hub and the work EVs standing at it."""
    hubs = demo_client.get("/api/v1/hubs", headers=manager).get_json()["data"]
    evs = demo_client.get(
        "/api/v1/fleet/vehicles?vehicle_class=work_ev&per_page=500", headers=manager
    ).get_json()["data"]
    hub = hubs[0]
    return hub, [
        e for e in evs if abs(e["lat"] - hub["lat"]) < 1e-6 and abs(e["lon"] - hub["lon"]) < 1e-6
    ]


def test_only_admins_register_staff(demo_client):
    employee = login(demo_client, "staff-hanul1")
    r = demo_client.post(
        "/api/v1/staff",
        headers=employee,
        json={"username": "sneaky", "display_name": "x", "password": "a-long-password"},
    )
    assert r.status_code == 403


def test_reserve_pick_up_and_return(demo_client, demo, staff, clock):
    manager = login(demo_client, "manager")
    hub, evs = hub_with_evs(demo_client, manager)
    assert evs, "the demo parks work EVs at its hubs"
    r = demo_client.post(
        "/api/v1/reservations",
        headers=staff[0],
        json={
            "hub_id": hub["id"],
            "start": at(clock, 1),
            "end": at(clock, 3),
            "planned_distance_m": 40_000,
        },
    )
    assert r.status_code == 201, r.get_json()
    res = r.get_json()
    assert res["status"] == "confirmed" and res["vehicle_id"] in {e["id"] for e in evs}
    assert res["start"].endswith("+09:00")
    early = demo_client.post(f"/api/v1/reservations/{res['id']}/pickup", headers=staff[0])
    assert early.status_code == 409 and "too early" in early.get_json()["error"]["message"]
    clock.advance(3600 - 600)  # 10 minutes before the slot: pick-up is open
    picked = demo_client.post(f"/api/v1/reservations/{res['id']}/pickup", headers=staff[0])
    assert picked.get_json()["status"] == "picked_up"
    ev = demo_client.get(f"/api/v1/fleet/vehicles/{res['vehicle_id']}", headers=manager).get_json()
    assert ev["status"] == "in_use"
    clock.advance(2 * 3600)
    back = demo_client.post(
        f"/api/v1/reservations/{res['id']}/return",
        headers=staff[0],
        json={"soc_pct": 61.5, "odometer_m": ev["odometer_m"] + 38_000},
    )
    assert back.get_json()["status"] == "returned"
    ev = demo_client.get(f"/api/v1/fleet/vehicles/{res['vehicle_id']}", headers=manager).get_json()
    assert ev["status"] == "charging" and ev["soc_pct"] == 61.5  # plugged in at the hub
    assert (ev["lat"], ev["lon"]) == (hub["lat"], hub["lon"])


def test_bad_reservations_are_refused_and_store_nothing(demo_client, demo, staff, clock):
    manager = login(demo_client, "manager")
    hub, _evs = hub_with_evs(demo_client, manager)
    ok = demo_client.post(
        "/api/v1/reservations",
        headers=staff[0],
        json={
            "hub_id": hub["id"],
            "start": at(clock, 2),
            "end": at(clock, 4),
            "planned_distance_m": 20_000,
        },
    )
    assert ok.status_code == 201
    engine = demo[0].extensions["fleetops"].engine
    state = snapshot(engine)
    cases = [
        ({"start": at(clock, -2), "end": at(clock, -1)}, 422, "in the past"),
        ({"start": at(clock, 3), "end": at(clock, 5)}, 422, "overlaps your reservation"),
        ({"start": at(clock, 6), "end": at(clock, 5)}, 422, "end after it starts"),
        (
            {"start": at(clock, 6), "end": at(clock, 8), "planned_distance_m": 300_000},
            422,
            "longer than any EV's range",
        ),
        ({"start": at(clock, 6), "end": at(clock, 8), "hub_id": "no-such-hub"}, 404, "no EV hub"),
        ({"start": "2026-03-03T10:00:00", "end": at(clock, 8)}, 422, "see detail"),
    ]
    for change, status, words in cases:
        body = {"hub_id": hub["id"], "planned_distance_m": 20_000, **change}
        r = demo_client.post("/api/v1/reservations", headers=staff[0], json=body)
        assert r.status_code == status, (change, r.get_json())
        assert words in r.get_json()["error"]["message"], r.get_json()
    assert snapshot(engine) == state


def test_no_ev_is_double_booked_and_a_full_hub_says_so(demo_client, demo, staff, clock):
    manager = login(demo_client, "manager")
    hub, evs = hub_with_evs(demo_client, manager)
    got = []
    for head in staff[: len(evs)]:
        r = demo_client.post(
            "/api/v1/reservations",
            headers=head,
            json={
                "hub_id": hub["id"],
                "start": at(clock, 1),
                "end": at(clock, 2),
                "planned_distance_m": 10_000,
            },
        )
        assert r.status_code == 201, r.get_json()
        got.append(r.get_json()["vehicle_id"])
    assert len(set(got)) == len(evs)
    r = demo_client.post(
        "/api/v1/reservations",
        headers=login(demo_client, "staff-hanul1"),
        json={
            "hub_id": hub["id"],
            "start": at(clock, 1.5),
            "end": at(clock, 2.5),
            "planned_distance_m": 10_000,
        },
    )
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "no_vehicle_available"


@pytest.mark.parametrize("spare_ev", [True, False], ids=["reassigned", "flagged"])
def test_a_late_return_moves_or_flags_the_next_reservation(
    demo_client, demo, staff, clock, spare_ev
):
    manager = login(demo_client, "manager")
    hub, evs = hub_with_evs(demo_client, manager)
    assert len(evs) >= 2
    for ev in evs[1:]:  # only one EV at the hub takes reservations for now
        demo_client.patch(
            f"/api/v1/fleet/vehicles/{ev['id']}", headers=manager, json={"status": "maintenance"}
        )
    first = demo_client.post(
        "/api/v1/reservations",
        headers=staff[0],
        json={
            "hub_id": hub["id"],
            "start": at(clock, 1),
            "end": at(clock, 2),
            "planned_distance_m": 10_000,
        },
    ).get_json()
    second = demo_client.post(
        "/api/v1/reservations",
        headers=staff[1],
        json={
            "hub_id": hub["id"],
            "start": at(clock, 2.5),
            "end": at(clock, 3.5),
            "planned_distance_m": 10_000,
        },
    ).get_json()
    assert first["vehicle_id"] == second["vehicle_id"] == evs[0]["id"]
    clock.advance(3600)
    demo_client.post(f"/api/v1/reservations/{first['id']}/pickup", headers=staff[0])
    if spare_ev:
        demo_client.patch(
            f"/api/v1/fleet/vehicles/{evs[1]['id']}", headers=manager, json={"status": "available"}
        )
    clock.advance(1.3 * 3600)  # first is 20 minutes late; second's pick-up is open
    r = demo_client.post(f"/api/v1/reservations/{second['id']}/pickup", headers=staff[1])
    if spare_ev:
        assert r.status_code == 200, r.get_json()
        assert r.get_json()["vehicle_id"] == evs[1]["id"]
    else:
        assert r.status_code == 409 and "needs your admin" in r.get_json()["error"]["message"]
        admin = login(demo_client, "admin-hanul")
        flagged = demo_client.get("/api/v1/reservations?status=flagged", headers=admin).get_json()
        assert [f["id"] for f in flagged["data"]] == [second["id"]]
        assert "not returned on time" in flagged["data"][0]["reason"]


def test_demo_password_still_works_for_seeded_staff(demo_client):
    r = demo_client.post(
        "/api/v1/auth/token", json={"username": "staff-hanul1", "password": DEMO_PASSWORD}
    )
    assert r.status_code == 201
