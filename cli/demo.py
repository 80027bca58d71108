"""The demo city and fleet: an operator with a realistic mix of vehicles on the city's roads,
swap stations with charged packs, EV hubs, companies with staff, merchants, couriers with shifts,
crews, a manager and a city reader, each with a demo login."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

import networkx as nx
from sqlalchemy import Connection, func, insert, select

from fleet.catalog import DEFAULT_CATALOG, VehicleClass
from fleet.city import CityProfile
from fleet.clock import Clock
from fleet.db import identity as identity_db
from fleet.db import sites as sites_db
from fleet.db import vehicles as vehicles_db
from fleet.db.tables import courier_shifts, operators
from fleet.geo import Position
from fleet.identity import Role
from fleet.sites import BatteryPack, PackLocation, Site, SiteKind
from fleet.vehicles import VehicleStatus
from fleet.zones import Zone, ZoneKind
from routing.city import CityLayout, nodes_inside
from routing.modes import Mode, mode_of

DEMO_PASSWORD = "fleetops-demo"
PACK_WH = DEFAULT_CATALOG[VehicleClass.E_MOPED].battery_wh


#: (username, display name, role, company index or None) of the demo people.
DEMO_PEOPLE: tuple[tuple[str, str, Role, int | None], ...] = (
    ("manager", "Min-jun Kim (fleet manager)", Role.MANAGER, None),
    ("crew1", "Seo-yeon Lee (swap crew)", Role.CREW, None),
    ("crew2", "Ji-ho Park (rebalancing crew)", Role.CREW, None),
    ("city", "City data hub reader", Role.CITY, None),
    ("rider1", "Ha-eun Choi", Role.RIDER, None),
    ("rider2", "Do-yun Jung", Role.RIDER, None),
    ("rider3", "Yu-na Kang", Role.RIDER, None),
    ("merchant1", "Gongdeok Bakery", Role.MERCHANT, None),
    ("merchant2", "Mapo Pharmacy", Role.MERCHANT, None),
    ("merchant3", "Market Grocer", Role.MERCHANT, None),
    ("courier1", "Courier Yoon", Role.COURIER, None),
    ("courier2", "Courier Jang", Role.COURIER, None),
    ("courier3", "Courier Lim", Role.COURIER, None),
    ("courier4", "Courier Han", Role.COURIER, None),
    ("courier5", "Courier Oh", Role.COURIER, None),
    ("admin-hanul", "Hanul Engineering admin", Role.COMPANY_ADMIN, 0),
    ("staff-hanul1", "Hanul engineer Seo", Role.EMPLOYEE, 0),
    ("staff-hanul2", "Hanul engineer Shin", Role.EMPLOYEE, 0),
    ("admin-saebom", "Saebom Design admin", Role.COMPANY_ADMIN, 1),
    ("staff-saebom1", "Saebom designer Kwon", Role.EMPLOYEE, 1),
    ("staff-saebom2", "Saebom designer Hwang", Role.EMPLOYEE, 1),
)
COMPANIES = ("Hanul Engineering", "Saebom Design")


@dataclass(frozen=True, slots=True)
class DemoSummary:
    """What seeding created."""

    operator_id: str
    vehicles: dict[str, int]
    sites: dict[str, int]
    packs: int
    users: int


def database_is_empty(conn: Connection) -> bool:
    """Whether no operator exists yet."""
    return int(conn.execute(select(func.count()).select_from(operators)).scalar_one()) == 0


def class_counts(profile: CityProfile, n: int) -> dict[VehicleClass, int]:
    """Split ``n`` vehicles by the profile's fleet mix (largest remainders), each class ≥ 1."""
    total = sum(profile.fleet_mix.values())
    shares = {c: profile.fleet_mix.get(c, 0.0) / total * n for c in VehicleClass}
    counts = {c: int(s) for c, s in shares.items()}
    for c in sorted(shares, key=lambda c: shares[c] - counts[c], reverse=True):
        if sum(counts.values()) >= n:
            break
        counts[c] += 1
    for c in VehicleClass:
        if counts[c] == 0 and n >= len(VehicleClass) and profile.fleet_mix.get(c, 0) > 0:
            donor = max(counts, key=lambda k: counts[k])
            counts[donor] -= 1
            counts[c] = 1
    return counts


def _initial_charge(rng: random.Random, vehicle_class: VehicleClass) -> tuple[float, VehicleStatus]:
    low = DEFAULT_CATALOG[vehicle_class].low_battery_pct
    if rng.random() < 0.08:  # a few flat ones for the swap crews
        return round(rng.uniform(3, low - 1), 1), VehicleStatus.LOW_BATTERY
    if rng.random() < 0.03:
        return round(rng.uniform(40, 90), 1), VehicleStatus.MAINTENANCE
    return round(rng.uniform(max(low + 10, 35), 100), 1), VehicleStatus.AVAILABLE


def seed_demo(
    conn: Connection,
    *,
    profile: CityProfile,
    layout: CityLayout,
    graphs: dict[Mode, nx.MultiDiGraph],
    n_vehicles: int,
    clock: Clock,
    seed: int = 0,
    progress: Callable[[Iterable[int], str], Iterable[int]] = lambda it, _label: it,
) -> DemoSummary:
    """Create the demo operator and everything it runs, in the caller's transaction."""
    rng = random.Random(seed)
    operator = identity_db.create_operator(
        conn, f"{profile.title} Mobility (demo)", profile.name, clock
    )
    sites_db.insert_zone(
        conn,
        Zone(
            str(uuid.uuid4()),
            operator.id,
            ZoneKind.SERVICE_AREA,
            f"{profile.title} service area",
            layout.service_area,
        ),
        clock,
    )

    placed: dict[SiteKind, list[Site]] = {k: [] for k in SiteKind}
    for spec in layout.sites:
        assert spec.position is not None
        site = Site(
            id=str(uuid.uuid4()),
            operator_id=operator.id,
            kind=spec.kind,
            name=spec.name,
            position=spec.position,
            capacity=spec.capacity,
            slots=spec.slots,
            chargers=spec.chargers,
            charger_power_kw=spec.charger_power_kw,
            parking_kind=spec.parking_kind,
        )
        placed[spec.kind].append(sites_db.insert_site(conn, site, clock))

    packs = 0
    for station in placed[SiteKind.SWAP_STATION]:
        for slot in range(1, int(station.slots * 0.75) + 1):
            charged = rng.random() < 0.8
            sites_db.insert_pack(
                conn,
                BatteryPack(
                    serial=f"PK-{packs + 1:05d}",
                    operator_id=operator.id,
                    capacity_wh=PACK_WH,
                    soc_pct=100.0 if charged else round(rng.uniform(20, 90), 1),
                    health_pct=round(rng.uniform(82, 100), 1),
                    location=PackLocation.STATION,
                    location_id=station.id,
                    slot=slot,
                ),
            )
            packs += 1

    counts = class_counts(profile, n_vehicles)
    candidates = {mode: nodes_inside(graph, layout.service_area) for mode, graph in graphs.items()}
    hubs = placed[SiteKind.EV_HUB]
    vehicle_ids: dict[VehicleClass, list[str]] = {c: [] for c in VehicleClass}
    prefix = {
        VehicleClass.E_KICKBOARD: "K",
        VehicleClass.E_BIKE: "B",
        VehicleClass.E_MOPED: "M",
        VehicleClass.WORK_EV: "EV",
    }
    order = [c for c in VehicleClass for _ in range(counts[c])]
    for i in progress(range(len(order)), "placing vehicles"):
        vehicle_class = order[i]
        n = len(vehicle_ids[vehicle_class]) + 1
        if vehicle_class is VehicleClass.WORK_EV and hubs:
            position = hubs[(n - 1) % len(hubs)].position
        else:
            graph = graphs[mode_of(vehicle_class)]
            node = rng.choice(candidates[mode_of(vehicle_class)])
            position = Position(graph.nodes[node]["y"], graph.nodes[node]["x"])
        soc, status = _initial_charge(rng, vehicle_class)
        serial = None
        if vehicle_class is VehicleClass.E_MOPED:
            packs += 1
            serial = f"PK-{packs:05d}"
        vehicle = vehicles_db.register_vehicle(
            conn,
            operator_id=operator.id,
            code=f"{prefix[vehicle_class]}-{n:04d}",
            vehicle_class=str(vehicle_class),
            position=position,
            soc_pct=soc,
            clock=clock,
            odometer_m=rng.randrange(0, 4_000_000),
            status=status,
            battery_serial=serial,
        )
        if serial is not None:
            sites_db.insert_pack(
                conn,
                BatteryPack(
                    serial=serial,
                    operator_id=operator.id,
                    capacity_wh=PACK_WH,
                    soc_pct=soc,
                    health_pct=round(rng.uniform(82, 100), 1),
                    location=PackLocation.VEHICLE,
                    location_id=vehicle.id,
                ),
            )
        vehicle_ids[vehicle_class].append(vehicle.id)

    companies = [identity_db.create_company(conn, operator.id, name, clock) for name in COMPANIES]
    users = {}
    for username, display, role, company in DEMO_PEOPLE:
        users[username] = identity_db.create_user(
            conn,
            operator_id=operator.id,
            username=username,
            display_name=display,
            role=role,
            password=DEMO_PASSWORD,
            clock=clock,
            company_id=companies[company].id if company is not None else None,
        )

    # Couriers work today 09:00–18:00 local time on the first mopeds.
    today = clock.now().astimezone(profile.zone).date()
    start = datetime.combine(today, time(9, 0), profile.zone)
    mopeds = vehicle_ids[VehicleClass.E_MOPED]
    couriers = [u for u in users.values() if u.role is Role.COURIER]
    for courier, moped in zip(couriers, mopeds, strict=False):
        conn.execute(
            insert(courier_shifts).values(
                id=str(uuid.uuid4()),
                operator_id=operator.id,
                courier_id=courier.id,
                vehicle_id=moped,
                start_at=start,
                end_at=start + timedelta(hours=9),
                box_capacity_l=DEFAULT_CATALOG[VehicleClass.E_MOPED].cargo_l,
                status="scheduled",
            )
        )
    return DemoSummary(
        operator_id=operator.id,
        vehicles={str(c): counts[c] for c in VehicleClass},
        sites={str(k): len(v) for k, v in placed.items()},
        packs=packs,
        users=len(users),
    )
