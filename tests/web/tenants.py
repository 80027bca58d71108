"""Two operators side by side for the isolation tests: each runs the demo on the same
synthetic city (so their vehicles, hubs and stations stand side by side), operator B seeded
first with its people renamed ``b-…``, then operator A as the ordinary demo. Each operator's
objects are made through the API by its own users."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from cli.demo import seed_demo
from cli.main import prepare_city
from fleet.catalog import DEFAULT_CATALOG, VehicleClass
from fleet.crews import PLAN_TTL, OpsPlan, PlanStatus, bucket_of
from fleet.db.engine import writing
from fleet.db.ops_plans import insert_plan
from fleet.db.sites import list_sites
from fleet.db.tables import battery_packs, metadata, operators, telemetry, users, vehicles
from fleet.identity import Role
from fleet.ids import RandomIds
from fleet.ops import OpsTask, TaskKind, TaskStatus
from fleet.sites import SiteKind
from tests.web.test_bookings import available, login
from tests.web.test_delivery import job
from web import create_app

#: One demo user of each role (operator B's are these with the ``b-`` prefix).
PEOPLE = {
    Role.RIDER: "rider1",
    Role.COURIER: "courier1",
    Role.MERCHANT: "merchant1",
    Role.COMPANY_ADMIN: "admin-hanul",
    Role.EMPLOYEE: "staff-hanul1",
    Role.MANAGER: "manager",
    Role.CREW: "crew1",
    Role.CITY: "city",
    Role.GATEWAY: "gateway",
}


@dataclass
class Tenant:
    """One operator's demo seen through the API: headers by username, and its objects' ids by
    the path parameter that takes them."""

    client: Any
    prefix: str
    ids: dict[str, str] = field(default_factory=dict)
    operator_id: str = ""
    stop_courier: str = ""
    _headers: dict[str, dict[str, str]] = field(default_factory=dict)

    def as_(self, username: str) -> dict[str, str]:
        """Bearer headers of the tenant's demo user ``username`` (signed in once)."""
        name = self.prefix + username
        if name not in self._headers:
            self._headers[name] = login(self.client, name)
        return self._headers[name]

    def get(self, username: str, path: str) -> Any:
        response = self.client.get(path, headers=self.as_(username))
        assert response.status_code == 200, (path, response.get_json())
        return response.get_json()

    def post(self, username: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.client.post(path, headers=self.as_(username), json=body)
        assert response.status_code in (200, 201), (path, response.get_json())
        return response.get_json()


def _seed(engine, prepared, clock) -> str:
    with writing(engine) as conn:
        summary = seed_demo(
            conn,
            profile=prepared.profile,
            layout=prepared.layout,
            graphs=prepared.graphs,
            n_vehicles=40,
            clock=clock,
            ids=RandomIds(),
            catalog=DEFAULT_CATALOG,
            seed=3,
        )
    return summary.operator_id


def _rename(engine, operator_id: str, prefix: str) -> None:
    """Give an operator's globally unique names a prefix, so the demo can be seeded again."""
    mine = sa.literal(prefix)
    with engine.begin() as conn:
        conn.execute(
            sa.update(operators)
            .where(operators.c.id == operator_id)
            .values(name=mine + operators.c.name)
        )
        conn.execute(
            sa.update(users)
            .where(users.c.operator_id == operator_id)
            .values(username=mine + users.c.username)
        )
        conn.execute(
            sa.update(battery_packs)
            .where(battery_packs.c.operator_id == operator_id)
            .values(serial=mine + battery_packs.c.serial)
        )
        conn.execute(
            sa.update(vehicles)
            .where(vehicles.c.operator_id == operator_id, vehicles.c.battery_serial.is_not(None))
            .values(battery_serial=mine + vehicles.c.battery_serial)
        )


def _tomorrows_closure(place: dict[str, Any], clock) -> dict[str, Any]:
    """A small closure from tomorrow (nothing of today's tests runs into it)."""
    lon, lat, d = place["lon"], place["lat"], 0.0003
    ring = [[lon - d, lat - d], [lon + d, lat - d], [lon + d, lat + d], [lon - d, lat - d]]
    return {
        "name": "Roadworks",
        "geometry": {"type": "Polygon", "coordinates": [ring]},
        "active_from": (clock.now() + timedelta(days=1)).isoformat(),
        "active_until": (clock.now() + timedelta(days=2)).isoformat(),
    }


def _objects(t: Tenant, clock) -> None:
    """Make one object of each kind through the API, and note the ids the paths take."""
    kick = available(t.client, "e_kickboard")[0]
    booking = t.post(
        "rider1",
        "/api/v1/bookings",
        {"lat": kick["lat"], "lon": kick["lon"], "vehicle_classes": ["e_kickboard"]},
    )
    posted = t.post("merchant1", "/api/v1/delivery-jobs", job(t.client, clock))
    assert posted["status"] == "assigned", posted
    hub = t.get("manager", "/api/v1/hubs")["data"][0]
    start = clock.now() + timedelta(hours=1)
    reservation = t.post(
        "staff-hanul1",
        "/api/v1/reservations",
        {
            "hub_id": hub["id"],
            "start": start.isoformat(),
            "end": (start + timedelta(hours=2)).isoformat(),
            "planned_distance_m": 20_000,
        },
    )
    shift = t.get("manager", "/api/v1/courier-shifts")["data"][0]
    closure = t.post("manager", "/api/v1/ops/closures", _tomorrows_closure(kick, clock))
    t.ids.update(
        booking_id=booking["id"],
        vehicle_id=booking["vehicle"]["id"],
        job_id=posted["id"],
        courier_id=posted["courier_id"],
        shift_id=shift["id"],
        moped_id=shift["vehicle_id"],
        hub_id=hub["id"],
        reservation_id=reservation["id"],
        ev_id=reservation["vehicle_id"],
        tracking_url=posted["tracking_api_url"],
        closure_id=closure["id"],
    )
    t.operator_id = t.get("manager", "/api/v1/me")["operator_id"]
    for n in range(1, 6):
        stops = t.get(f"courier{n}", "/api/v1/couriers/me/route")["stops"]
        if stops:
            t.ids["stop_id"], t.stop_courier = stops[0]["id"], f"courier{n}"


def two_tenants(engine, settings, clock) -> tuple[Tenant, Tenant]:
    """Operators A (the demo) and B (the demo again, people named ``b-…``), each with a booking,
    a delivery job, a reservation, shifts, a planned route and a closure to come, on one app."""
    prepared = prepare_city(settings, "synthetic")
    b_id = _seed(engine, prepared, clock)
    _rename(engine, b_id, "b-")
    _seed(engine, prepared, clock)
    client = create_app(settings, engine=engine, clock=clock).test_client()
    a, b = Tenant(client, ""), Tenant(client, "b-")
    _objects(b, clock)
    _objects(a, clock)
    _crew_plan(b, engine, clock)
    _crew_plan(a, engine, clock)
    return a, b


def _crew_plan(t: Tenant, engine, clock) -> None:
    """A proposed crew plan with one station visit, stored as the planner would (plans are made
    on the queue, which this app has none of), and a plan job's id."""
    now = clock.now()
    with writing(engine) as conn:
        station = next(
            s for s in list_sites(conn, t.operator_id) if s.kind is SiteKind.SWAP_STATION
        )
        plan = OpsPlan(
            str(uuid.uuid4()), t.operator_id, "battery_swaps", PlanStatus.PROPOSED, now,
            now + PLAN_TTL, bucket_of(now), 3600, 1.0, "test",
        )  # fmt: skip
        task = OpsTask(
            str(uuid.uuid4()), t.operator_id, TaskKind.CHARGE, 3, TaskStatus.OPEN, now,
            site_id=station.id, plan_id=plan.id, sequence=1, target=station.position,
            pack_class=VehicleClass.E_KICKBOARD, packs=1,
        )  # fmt: skip
        insert_plan(conn, plan, [task], None)
    t.ids.update(plan_id=plan.id, task_id=task.id, plan_job_id=f"crew-plan-{t.prefix}none")
    t.ids["station_id"] = station.id
    t.ids["ops_task_id"] = task.id
    with engine.connect() as conn:
        t.ids["crew_id"] = (
            conn.execute(
                sa.select(users.c.id).where(
                    users.c.operator_id == t.operator_id, users.c.role == "crew"
                )
            )
            .scalars()
            .first()
        )


def tenant_rows(engine, operator_id: str) -> dict[str, list[str]]:
    """Every stored row of one operator (its telemetry by its vehicles), for a before/after."""
    with engine.connect() as conn:
        rows = {
            t.name: sorted(
                map(repr, conn.execute(sa.select(t).where(t.c.operator_id == operator_id)))
            )
            for t in metadata.sorted_tables
            if "operator_id" in t.c
        }
        mine = sa.select(vehicles.c.id).where(vehicles.c.operator_id == operator_id)
        seen = sa.select(telemetry).where(telemetry.c.vehicle_id.in_(mine))
        rows["telemetry"] = sorted(map(repr, conn.execute(seen)))
        rows["operators"] = [
            repr(conn.execute(sa.select(operators).where(operators.c.id == operator_id)).one())
        ]
    return rows
