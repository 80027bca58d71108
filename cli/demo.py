"""The demo city and fleet: an operator with a realistic mix of vehicles on the city's roads,
swap stations with charged packs, EV hubs, companies with staff, merchants, couriers with shifts,
crews, a manager and a city reader, each with a demo login."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import networkx as nx

from cli.demo_crews import seed_crews, stock_extra_cabinets
from cli.demo_history import seed_history
from cli.demo_zones import seed_no_parking
from fleet.catalog import BatteryKind, Catalog, VehicleClass
from fleet.city import CityProfile
from fleet.clock import Clock
from fleet.db import couriers as couriers_db
from fleet.db import identity as identity_db
from fleet.db import sites as sites_db
from fleet.db import vehicles as vehicles_db
from fleet.db.engine import Connection
from fleet.delivery import CourierShift, ShiftStatus, TimeWindow
from fleet.geo import Position
from fleet.identity import Operator, Role, User
from fleet.ids import Ids
from fleet.passwords import hash_password
from fleet.sites import BatteryPack, PackLocation, Site, SiteKind
from fleet.vehicles import VehicleStatus
from fleet.zones import Zone, ZoneKind
from routing.city import CityLayout, nodes_inside
from routing.modes import Mode, mode_of

DEMO_PASSWORD = "fleetops-demo"


#: (username, display name, role, company index or None) of the demo people.
DEMO_PEOPLE: tuple[tuple[str, str, Role, int | None], ...] = (
    ("manager", "Min-jun Kim (fleet manager)", Role.MANAGER, None),
    ("crew1", "Seo-yeon Lee (swap crew)", Role.CREW, None),
    ("crew2", "Ji-ho Park (rebalancing crew)", Role.CREW, None),
    ("city", "City data hub reader", Role.CITY, None),
    ("gateway", "Vehicle data gateway", Role.GATEWAY, None),
    ("rider1", "Ha-eun Choi", Role.RIDER, None),
    ("rider2", "Do-yun Jung", Role.RIDER, None),
    ("rider3", "Yu-na Kang", Role.RIDER, None),
    ("merchant1", "Gongdeok Bakery", Role.MERCHANT, None),
    ("merchant2", "Mapo Pharmacy", Role.MERCHANT, None),
    ("merchant3", "Market Grocer", Role.MERCHANT, None),
    ("courier1", "Ji-hoon Yoon", Role.COURIER, None),
    ("courier2", "Seo-jun Jang", Role.COURIER, None),
    ("courier3", "Woo-jin Lim", Role.COURIER, None),
    ("courier4", "Eun-ji Han", Role.COURIER, None),
    ("courier5", "Ye-jin Oh", Role.COURIER, None),
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
    history_rides: int = 0


def database_is_empty(conn: Connection) -> bool:
    """Whether no operator exists yet."""
    return not identity_db.list_operators(conn)


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


def _initial_charge(rng: random.Random, low_battery_pct: int) -> tuple[float, VehicleStatus]:
    if rng.random() < 0.08:  # a few flat ones for the swap crews
        return round(rng.uniform(3, low_battery_pct - 1), 1), VehicleStatus.LOW_BATTERY
    if rng.random() < 0.03:
        return round(rng.uniform(40, 90), 1), VehicleStatus.MAINTENANCE
    return round(rng.uniform(max(low_battery_pct + 10, 35), 100), 1), VehicleStatus.AVAILABLE


@dataclass(frozen=True, slots=True)
class Seeding:
    """What seeding writes with: the caller's transaction, clock, ids, catalog and randomness."""

    conn: Connection
    clock: Clock
    ids: Ids
    catalog: Catalog
    rng: random.Random
    korean_plates: bool = False


def seed_demo(
    conn: Connection,
    *,
    profile: CityProfile,
    layout: CityLayout,
    graphs: dict[Mode, nx.MultiDiGraph],
    n_vehicles: int,
    clock: Clock,
    ids: Ids,
    catalog: Catalog,
    seed: int = 0,
    progress: Callable[[Iterable[int], str], Iterable[int]] = lambda it, _label: it,
    history_days: int = 0,
) -> DemoSummary:
    """Create the demo operator and everything it runs, in the caller's transaction; with
    ``history_days``, that many days of generated ride history before now."""
    how = Seeding(conn, clock, ids, catalog, random.Random(seed), profile.timezone == "Asia/Seoul")
    operator = identity_db.create_operator(
        conn, f"{profile.title} Mobility (demo)", profile.name, clock, ids
    )
    sites_db.insert_zone(
        conn,
        Zone(
            ids.new_id(),
            operator.id,
            ZoneKind.SERVICE_AREA,
            f"{profile.title} service area",
            layout.service_area,
        ),
        clock,
    )
    placed = _place_sites(how, operator, layout)
    packs = _stock_stations(how, operator, placed[SiteKind.SWAP_STATION])
    counts = class_counts(profile, n_vehicles)
    vehicle_ids, packs = _place_vehicles(
        how, operator, counts, placed[SiteKind.EV_HUB], layout, graphs, packs, progress
    )
    packs += stock_extra_cabinets(
        conn, placed[SiteKind.SWAP_STATION], catalog, clock, seed, first_serial=packs
    )
    users = _people(how, operator)
    _shifts(how, operator, profile, users, vehicle_ids[VehicleClass.E_MOPED])
    if placed[SiteKind.DEPOT]:
        seed_crews(
            conn, operator_id=operator.id, depot=placed[SiteKind.DEPOT][0], users=users,
            profile=profile, clock=clock, ids=ids,
        )  # fmt: skip
    seed_no_parking(conn, operator.id, layout.service_area, graphs[Mode.BIKE], clock, ids)
    riders_fleet = counts[VehicleClass.E_KICKBOARD] + counts[VehicleClass.E_BIKE]
    history = seed_history(
        conn, operator.id, layout.service_area, graphs[Mode.BIKE], riders_fleet, clock, ids,
        ZoneInfo(profile.timezone), days=history_days, seed=seed,
    )  # fmt: skip
    return DemoSummary(
        operator_id=operator.id,
        vehicles={str(c): counts[c] for c in VehicleClass},
        sites={str(k): len(v) for k, v in placed.items()},
        packs=packs,
        users=len(users),
        history_rides=history,
    )


def _place_sites(
    how: Seeding, operator: Operator, layout: CityLayout
) -> dict[SiteKind, list[Site]]:
    placed: dict[SiteKind, list[Site]] = {k: [] for k in SiteKind}
    for spec in layout.sites:
        assert spec.position is not None
        site = Site(
            id=how.ids.new_id(),
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
        placed[spec.kind].append(sites_db.insert_site(how.conn, site, how.clock))
    return placed


def _stock_stations(how: Seeding, operator: Operator, stations: list[Site]) -> int:
    """Three quarters of each station's slots hold moped packs, most of them charged."""
    pack_wh = how.catalog[VehicleClass.E_MOPED].battery_wh
    packs = 0
    for station in stations:
        for slot in range(1, int(station.slots * 0.75) + 1):
            charged = how.rng.random() < 0.8
            packs += 1
            sites_db.insert_pack(
                how.conn,
                BatteryPack(
                    serial=f"PK-{packs:05d}",
                    operator_id=operator.id,
                    capacity_wh=pack_wh,
                    soc_pct=100.0 if charged else round(how.rng.uniform(20, 90), 1),
                    health_pct=round(how.rng.uniform(82, 100), 1),
                    location=PackLocation.STATION,
                    location_id=station.id,
                    slot=slot,
                ),
                soc_at=how.clock.now(),  # it charges from now on
            )
    return packs


#: The demo's work EV: a 35.2 kWh city car, as the catalog's work EV is sized.
WORK_EV_MODEL = "Kia Ray EV"


def work_ev_plate(n: int, korean: bool) -> str:
    """A distinct plate for the demo's ``n``-th work EV: the Korean format of a rental car
    (three digits, 하, four digits) in Korean cities, a plain one elsewhere."""
    serial = (n * 7919) % 9000 + 1000  # spread over four digits, distinct for n < 9000
    return f"{100 + n % 900}하 {serial}" if korean else f"FO-EV-{serial}"


PREFIX = {
    VehicleClass.E_KICKBOARD: "K",
    VehicleClass.E_BIKE: "B",
    VehicleClass.E_MOPED: "M",
    VehicleClass.WORK_EV: "EV",
}


def _place_vehicles(
    how: Seeding,
    operator: Operator,
    counts: dict[VehicleClass, int],
    hubs: list[Site],
    layout: CityLayout,
    graphs: dict[Mode, nx.MultiDiGraph],
    packs: int,
    progress: Callable[[Iterable[int], str], Iterable[int]],
) -> tuple[dict[VehicleClass, list[str]], int]:
    """Vehicles on random road nodes of their mode in the service area (work EVs at the hubs);
    swappable classes with a pack of their own. The vehicles' ids by class, and the packs made
    so far."""
    candidates = {mode: nodes_inside(graph, layout.service_area) for mode, graph in graphs.items()}
    vehicle_ids: dict[VehicleClass, list[str]] = {c: [] for c in VehicleClass}
    order = [c for c in VehicleClass for _ in range(counts[c])]
    for i in progress(range(len(order)), "placing vehicles"):
        vehicle_class = order[i]
        n = len(vehicle_ids[vehicle_class]) + 1
        if vehicle_class is VehicleClass.WORK_EV and hubs:
            position = hubs[(n - 1) % len(hubs)].position
        else:
            graph = graphs[mode_of(vehicle_class)]
            node = how.rng.choice(candidates[mode_of(vehicle_class)])
            position = Position(graph.nodes[node]["y"], graph.nodes[node]["x"])
        kind = how.catalog[vehicle_class]
        is_ev = vehicle_class is VehicleClass.WORK_EV
        soc, status = _initial_charge(how.rng, kind.low_battery_pct)
        serial = None
        if kind.battery_kind is BatteryKind.SWAPPABLE:
            packs += 1
            serial = f"PK-{packs:05d}"
        vehicle = vehicles_db.register_vehicle(
            how.conn,
            operator_id=operator.id,
            code=f"{PREFIX[vehicle_class]}-{n:04d}",
            vehicle_class=str(vehicle_class),
            position=position,
            soc_pct=soc,
            clock=how.clock,
            odometer_m=how.rng.randrange(0, 4_000_000),
            status=status,
            battery_serial=serial,
            plate=work_ev_plate(n, how.korean_plates) if is_ev else None,
            model=WORK_EV_MODEL if is_ev else None,
            ids=how.ids,
        )
        if serial is not None:
            sites_db.insert_pack(
                how.conn,
                BatteryPack(
                    serial=serial,
                    operator_id=operator.id,
                    capacity_wh=kind.battery_wh,
                    soc_pct=soc,
                    # mopeds' packs draw their health as they always did (same demo fleet)
                    health_pct=round(how.rng.uniform(82, 100), 1)
                    if vehicle_class is VehicleClass.E_MOPED
                    else 80.0 + packs % 20,
                    location=PackLocation.VEHICLE,
                    location_id=vehicle.id,
                    pack_class=vehicle_class,
                ),
            )
        vehicle_ids[vehicle_class].append(vehicle.id)
    return vehicle_ids, packs


def _people(how: Seeding, operator: Operator) -> dict[str, User]:
    companies = [
        identity_db.create_company(how.conn, operator.id, name, how.clock, how.ids)
        for name in COMPANIES
    ]
    # One hash for all: the password is published, so hashes that match one another tell
    # nobody anything new, and a hash costs 50 ms (22 of them made every demo a second slower).
    shared = hash_password(DEMO_PASSWORD, how.ids.salt())
    return {
        username: identity_db.create_user(
            how.conn,
            operator_id=operator.id,
            username=username,
            display_name=display,
            role=role,
            password=DEMO_PASSWORD,
            clock=how.clock,
            company_id=companies[company].id if company is not None else None,
            ids=how.ids,
            password_hash=shared,
        )
        for username, display, role, company in DEMO_PEOPLE
    }


#: Seeded before 09:00 or from this many hours after it, the demo's shifts start at the hour
#: of seeding instead of 09:00 (so a shift has at least an hour left).
DAY_SHIFT_LAST_START_H = 8


def _shifts(
    how: Seeding,
    operator: Operator,
    profile: CityProfile,
    users: dict[str, User],
    mopeds: list[str],
) -> None:
    """Couriers work on the first mopeds for nine hours around the time the demo is seeded:
    09:00–18:00 local time when seeded during the day, else from the hour it is seeded, so the
    demo can be tried at any hour."""
    now = how.clock.now().astimezone(profile.zone)
    start = datetime.combine(now.date(), time(9, 0), profile.zone)
    if not start <= now < start + timedelta(hours=DAY_SHIFT_LAST_START_H):
        start = now.replace(minute=0, second=0, microsecond=0)
    couriers = [u for u in users.values() if u.role is Role.COURIER]
    box_l = how.catalog[VehicleClass.E_MOPED].cargo_l
    for courier, moped in zip(couriers, mopeds, strict=False):
        couriers_db.add_shift(
            how.conn,
            CourierShift(
                id=how.ids.new_id(),
                operator_id=operator.id,
                courier_id=courier.id,
                vehicle_id=moped,
                window=TimeWindow(start, start + timedelta(hours=9)),
                box_capacity_l=box_l,
                status=ShiftStatus.SCHEDULED,
            ),
        )
