"""Tenant isolation (issue 12), on SQLite and PostgreSQL: a second operator's ids answer 404 on
every endpoint that takes an id, its objects never show in a list, and nothing of it changes;
the same between the two companies of one operator, and between two users of one role.
The two operators are tests/web/tenants.py: the demo twice on one city, objects made through
the API.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, timedelta
from typing import Any

import pytest

from dispatch.forecast.cells import cell_of
from fleet.db.demand import CellForecast, replace_forecasts
from fleet.db.engine import writing
from fleet.geo import Position
from fleet.identity import Role
from tests.web.tenants import PEOPLE, Tenant, tenant_rows, two_tenants
from tests.web.test_authz_matrix import ACCESS, PUBLIC, SESSION, SIGNED_IN
from tests.web.test_bookings import snapshot
from tests.web.test_browser_session import sign_in as page_sign_in

#: A body that passes each endpoint's validation, so a 404 is the id's, not a 422 of the body.
BODIES: dict[str, dict[str, Any]] = {
    "POST /api/v1/bookings/<booking_id>/end": {"lat": 0.0, "lon": 0.0},
    "POST /api/v1/couriers/me/jobs/<job_id>/delivered": {"proof_code": "123456"},
    "POST /api/v1/couriers/me/jobs/<job_id>/failed": {"reason": "nobody home"},
    "POST /api/v1/couriers/me/jobs/<job_id>/pickup-failed": {"reason": "store closed"},
    "POST /api/v1/reservations/<reservation_id>/return": {"soc_pct": 50.0, "odometer_m": 10},
    "PATCH /api/v1/fleet/vehicles/<vehicle_id>": {"status": "maintenance"},
    "PATCH /api/v1/courier-shifts/<shift_id>": {"status": "cancelled"},
    "POST /api/v1/crews/me/tasks/<task_id>/fail": {"reason": "blocked road"},
    "PATCH /api/v1/ops/closures/<closure_id>": {"name": "Flooded underpass"},
}
#: Reached by an unguessable code, not by a tenant's id: public by design.
NOT_TENANT_IDS = {
    "GET /api/v1/track/<token>",
    # the city's one road-surface refresh (its id is fixed), no operator's: test_road_surface_api
    "GET /api/v1/ops/road-surface/refresh/<job_id>",
}
RIDER, COURIER, MERCHANT, MANAGER = Role.RIDER, Role.COURIER, Role.MERCHANT, Role.MANAGER
ADMIN, EMPLOYEE = Role.COMPANY_ADMIN, Role.EMPLOYEE


@pytest.fixture
def tenants(engine, settings, clock):
    """Operators A and B side by side (tests/web/tenants.py), and the database."""
    a, b = two_tenants(engine, settings, clock)
    return a, b, engine


def with_ids(endpoint: str, ids: dict[str, str]) -> tuple[str, str]:
    """The method and path of ``endpoint`` with its ``<parameter>`` from ``ids``."""
    method, rule = endpoint.split(" ", 1)
    return method, re.sub(r"<([^>]+)>", lambda m: ids[m.group(1)], rule)


def id_endpoints() -> list[str]:
    """Every endpoint of the access table whose path takes a tenant's id."""
    return [e for e in ACCESS if "<" in e and e not in NOT_TENANT_IDS]


def admitted(endpoint: str) -> list[Role]:
    access = ACCESS[endpoint]
    return [] if access == PUBLIC else sorted(access if access != SIGNED_IN else PEOPLE)


def test_every_id_of_another_operator_is_not_found_and_changes_nothing(tenants):
    a, b, engine = tenants
    before = snapshot(engine)
    wrong = []
    for endpoint in id_endpoints():
        assert admitted(endpoint), endpoint
        method, path = with_ids(endpoint, b.ids)
        for role in admitted(endpoint):
            body = {"json": BODIES.get(endpoint, {})} if method != "GET" else {}
            response = a.client.open(path, method=method, headers=a.as_(PEOPLE[role]), **body)
            error = (response.get_json() or {}).get("error", {})
            if response.status_code != 404 or error.get("code") != "not_found":
                wrong.append(f"{endpoint} as A's {role}: {response.status_code} {error}")
    assert not wrong, "\n".join(wrong)
    assert snapshot(engine) == before
    # the same ids are B's own: its manager reads them (so the 404s above were the tenant's)
    assert b.get("manager", f"/api/v1/bookings/{b.ids['booking_id']}")["id"] == b.ids["booking_id"]
    assert b.get("manager", f"/api/v1/delivery-jobs/{b.ids['job_id']}")["id"] == b.ids["job_id"]
    assert b.get("manager", f"/api/v1/fleet/vehicles/{b.ids['vehicle_id']}")["status"] == "reserved"
    assert b.get("manager", f"/api/v1/hubs/{b.ids['hub_id']}/availability")["slots"]


#: Each list that needs a caller, and the id of B's object that B's own user finds in it.
LISTS: dict[str, str] = {
    "GET /api/v1/bookings": "booking_id",
    "GET /api/v1/fleet/vehicles": "vehicle_id",
    "GET /api/v1/delivery-jobs": "job_id",
    "GET /api/v1/reservations": "reservation_id",
    "GET /api/v1/courier-shifts": "shift_id",
    "GET /api/v1/couriers/me/route": "stop_id",
    "GET /api/v1/hubs": "hub_id",
    "GET /api/v1/ops/plans": "plan_id",
    "GET /api/v1/ops/closures": "closure_id",
    "GET /api/v1/ops/stations": "station_id",
    "GET /api/v1/ops/crews": "crew_id",
    "GET /api/v1/ops/routes": "courier_id",
    "GET /api/v1/ops/fleet": "vehicle_id",
    "GET /api/v1/telemetry/vehicles": "vehicle_id",
}


def listed(t: Tenant, role: Role, endpoint: str) -> str:
    """The text of a list as ``t``'s user of ``role`` sees it (the courier with the route)."""
    who = t.stop_courier if role is Role.COURIER else PEOPLE[role]
    return str(t.get(who, endpoint.split(" ", 1)[1] + "?per_page=100"))


def test_lists_never_hold_another_operators_objects(tenants):
    a, b, _engine = tenants
    lists = {e for e, access in ACCESS.items() if e.startswith("GET ") and "<" not in e}
    assert lists - LISTS.keys() == {e for e in lists if ACCESS[e] in (PUBLIC, SESSION)} | {
        "GET /api/v1/me",
        "GET /api/v1/ops/forecast",  # below: B's forecast is stored, not made through the API
        "GET /api/v1/crews/me/tasks",  # a crew's own tasks only: test_crew_plans.py
        "GET /api/v1/ops/kpis",  # figures, no ids: test_dashboard.py counts the operator's own
        "GET /api/v1/ops/carbon",  # figures, no ids: test_carbon_api.py sums the operator's own
        "GET /api/v1/ops/carbon.csv",  # the same as CSV
        "GET /api/v1/ride-route",  # a route, no ids; ends checked in the caller's service area
        "GET /api/v1/ops/road-surface",  # the city's roads, no operator's ids (road_surface_api)
        "GET /api/v1/ops/road-surface.geojson",  # the same as a download
    }
    theirs = [v for k, v in b.ids.items() if k != "tracking_url"]
    for endpoint, key in LISTS.items():
        roles = admitted(endpoint)
        assert b.ids[key] in listed(b, roles[0], endpoint), endpoint  # B's own user sees it
        for role in roles:
            seen = listed(a, role, endpoint)
            assert [i for i in theirs if i in seen] == [], (endpoint, role)
    # a forecast stored for B alone reaches B's manager, never A's
    with writing(_engine) as conn:
        now = b.client.application.extensions["fleetops"].clock.now()
        hour = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        cell = CellForecast(cell_of(Position(37.55, 126.95)), hour, "m", hour, 5, 1, 9, 4, 1, 8)
        replace_forecasts(conn, b.operator_id, [cell])
    forecast = "/api/v1/ops/forecast?hours=1"
    assert cell.cell in str(b.get("manager", forecast))
    assert a.get("manager", forecast)["features"] == []
    # the public map and zones show every operator's, but asked for A's, nothing of B's
    mine = a.operator_id
    fleet = "/api/v1/fleet/vehicles?status=available&per_page=500"
    b_vehicles = {v["id"] for v in b.get("manager", fleet)["data"]}
    every = {v["id"] for v in b.get("city", "/api/v1/vehicles?per_page=500")["data"]}
    assert b_vehicles & every
    only_a = a.get("city", f"/api/v1/vehicles?operator_id={mine}&per_page=500")["data"]
    assert b_vehicles.isdisjoint(v["id"] for v in only_a)
    b_zones = {
        z["id"] for z in b.get("city", f"/api/v1/zones?operator_id={b.operator_id}")["features"]
    }
    a_zones = {z["id"] for z in a.get("city", f"/api/v1/zones?operator_id={mine}")["features"]}
    assert b_zones and a_zones and b_zones.isdisjoint(a_zones)


def refused(t: Tenant, who: str, method: str, path: str, body: dict[str, Any]) -> tuple[int, str]:
    """The status and error code of a call that must fail."""
    sent = {"json": body} if method != "GET" else {}
    response = t.client.open(path, method=method, headers=t.as_(who), **sent)
    return response.status_code, (response.get_json() or {}).get("error", {}).get("code", "")


def test_ids_of_another_operator_in_a_body_are_unknown_ids_and_change_nothing(tenants, clock):
    """Another operator's hub, courier, moped or EV named in a body gets the answer an id that
    does not exist gets (404, or 409 for an EV that is not another of the hub's), no more."""
    a, b, engine = tenants
    before = tenant_rows(engine, b.operator_id)
    day = clock.now() + timedelta(days=1)
    hours = [(day + timedelta(hours=h)).isoformat() for h in range(6)]
    reassign = f"/api/v1/reservations/{a.ids['reservation_id']}/reassign"
    shift = f"/api/v1/courier-shifts/{a.ids['shift_id']}"
    slot = {"planned_distance_m": 20_000, "start": hours[0], "end": hours[2]}
    on_a_moped = {"vehicle_id": a.ids["moped_id"], "start": hours[0], "end": hours[3]}
    for_a_courier = {"courier_id": a.ids["courier_id"], "start": hours[4], "end": hours[5]}
    #: who, how, where, the rest of the body, the field naming B's object, which, the answer
    calls = [
        ("staff-hanul2", "POST", "/api/v1/reservations", slot, "hub_id", "hub_id", 404),
        ("manager", "POST", "/api/v1/courier-shifts", on_a_moped, "courier_id", "courier_id", 404),
        ("manager", "POST", "/api/v1/courier-shifts", for_a_courier, "vehicle_id", "moped_id", 404),
        ("manager", "PATCH", shift, {}, "vehicle_id", "moped_id", 404),
        ("manager", "POST", reassign, {}, "vehicle_id", "ev_id", 409),
        ("admin-hanul", "POST", reassign, {}, "vehicle_id", "ev_id", 409),
    ]
    for who, method, path, body, name, key, status in calls:
        theirs = refused(a, who, method, path, {**body, name: b.ids[key]})
        nobodys = refused(a, who, method, path, {**body, name: str(uuid.uuid4())})
        assert theirs == nobodys and theirs[0] == status, (path, key, theirs, nobodys)
    # a rider of A standing at B's vehicles gets one of A's
    kicks = "/api/v1/fleet/vehicles?vehicle_class=e_kickboard&status=available"
    kick = b.get("manager", kicks)["data"][0]
    ask = {"lat": kick["lat"], "lon": kick["lon"], "vehicle_classes": ["e_kickboard"]}
    booked = a.post("rider2", "/api/v1/bookings", ask)["vehicle"]["id"]
    assert booked in str(a.get("manager", "/api/v1/fleet/vehicles?per_page=500"))
    assert tenant_rows(engine, b.operator_id) == before


def test_companies_and_people_of_one_operator_keep_to_their_own(tenants, clock):
    """Another company's reservation is not found by its admin or staff; a colleague's
    reservation, another merchant's job and another courier's job or swap are not found either;
    another rider's booking is refused as not theirs (403 not_your_booking, as documented). No
    list shows them, and nothing changes."""
    a, _b, engine = tenants
    start = clock.now() + timedelta(hours=3)
    saebom = a.post(
        "staff-saebom1",
        "/api/v1/reservations",
        {
            "hub_id": a.ids["hub_id"],
            "start": start.isoformat(),
            "end": (start + timedelta(hours=1)).isoformat(),
            "planned_distance_m": 10_000,
        },
    )["id"]
    ids = a.ids
    courier = next(
        c
        for c in (f"courier{n}" for n in range(1, 6))
        if a.get(c, "/api/v1/me")["id"] != ids["courier_id"]
    )
    #: who, as which role, on the endpoints under which path, which object, the answer
    cases = [
        ("admin-hanul", ADMIN, "/reservations/", {"reservation_id": saebom}, 404),
        ("staff-hanul1", EMPLOYEE, "/reservations/", {"reservation_id": saebom}, 404),
        ("admin-saebom", ADMIN, "/reservations/", {"reservation_id": ids["reservation_id"]}, 404),
        (
            "staff-hanul2",
            EMPLOYEE,
            "/reservations/",
            {"reservation_id": ids["reservation_id"]},
            404,
        ),
        ("merchant2", MERCHANT, "/delivery-jobs/", {"job_id": ids["job_id"]}, 404),
        (courier, COURIER, "/couriers/me/", {"job_id": ids["job_id"]}, 404),
        ("rider2", RIDER, "/bookings/", {"booking_id": ids["booking_id"]}, 403),
    ]
    before = snapshot(engine)
    wrong, tried = [], set()
    for who, role, under, theirs, status in cases:
        for endpoint in id_endpoints():
            if f"/api/v1{under}" not in endpoint or role not in admitted(endpoint):
                continue
            tried.add(endpoint)
            method, path = with_ids(endpoint, {**ids, **theirs})
            got = refused(a, who, method, path, BODIES.get(endpoint, {}))
            code = "not_your_booking" if status == 403 else "not_found"
            if got != (status, code):
                wrong.append(f"{endpoint} as {who}: {got}")
    assert not wrong, "\n".join(wrong)
    assert len(tried) >= 17  # reservations 4, jobs 3, courier actions 6, bookings 4
    assert snapshot(engine) == before
    hidden = [
        ("admin-hanul", "/api/v1/reservations", saebom),
        ("staff-hanul2", "/api/v1/reservations", ids["reservation_id"]),
        ("merchant2", "/api/v1/delivery-jobs", ids["job_id"]),
        (courier, "/api/v1/couriers/me/route", ids["job_id"]),
        ("rider2", "/api/v1/bookings", ids["booking_id"]),
    ]
    assert [(who, path) for who, path, i in hidden if i in str(a.get(who, path))] == []
    assert saebom in str(a.get("admin-saebom", "/api/v1/reservations"))


@pytest.mark.parametrize(("role", "path"), [(RIDER, "/ride"), (MANAGER, "/dashboard")])
def test_a_map_draws_its_own_operators_zones_only(tenants, clock, role, path):
    """The public zones show every operator's (both demos share one city, so their service
    areas overlap); the rider's page and the manager's dashboard name their own operator and
    draw the zones asked for it (tests/web/browser/test_rider.py, test_dashboard.py), so a
    closure B's manager makes now reaches B's maps and never A's."""
    a, b, _engine = tenants
    spot = b.get("city", f"/api/v1/vehicles?operator_id={b.operator_id}&per_page=1")["data"][0]
    lon, lat, d = spot["lon"], spot["lat"], 0.0003
    ring = [[lon - d, lat - d], [lon + d, lat - d], [lon + d, lat + d], [lon - d, lat + d]]
    closure = b.post(
        "manager",
        "/api/v1/ops/closures",
        {
            "name": "Gas leak",
            "geometry": {"type": "Polygon", "coordinates": [[*ring, ring[0]]]},
            "active_until": (clock.now() + timedelta(hours=1)).isoformat(),
        },
    )
    assert closure["status"] == "active"
    everyone = {z["id"] for z in a.get("city", "/api/v1/zones")["features"]}
    assert closure["id"] in everyone
    for t, other in ((a, b), (b, a)):
        page = t.client.application.test_client()
        page_sign_in(page, t.prefix + PEOPLE[role])
        html = page.get(path).get_data(as_text=True)
        operator = re.search(r'<body [^>]*data-operator="([^"]+)"', html).group(1)
        assert operator == t.operator_id != other.operator_id
        drawn = page.get(f"/api/v1/zones?operator_id={operator}").get_json()["features"]
        assert {z["properties"]["operator_id"] for z in drawn} == {t.operator_id}
        assert (closure["id"] in {z["id"] for z in drawn}) is (t is b)
        closed = page.get(f"/api/v1/map/closed-roads?operator_id={operator}").get_json()
        assert (closure["id"] in {f["id"] for f in closed["features"]}) is (t is b)
