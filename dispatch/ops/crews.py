"""The crew room's service: read what a crew plan is computed from, and store what the planner
proposes, once per operator, kind and 15-minute bucket.

A plan is read in one short transaction (:func:`snapshot`), computed with no lock held
(``dispatch.ops.crew_plan``), and stored in another (:func:`propose`); the bucket's unique key
makes a second run (a retried job, two managers at once) return the first plan instead of
storing another.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

import numpy as np

from dispatch.couriers.planning import open_matrix
from dispatch.forecast.cells import cell_of, cells_over_area, centre
from dispatch.ops.crew_input import (
    CellDemand,
    CrewSnapshot,
    FleetVehicle,
    PlanKind,
    ServiceTimes,
    StationStock,
    Van,
)
from dispatch.ops.demand import DemandService
from fleet.catalog import Catalog
from fleet.clock import Clock
from fleet.crews import CARRIED
from fleet.db import crews as crews_db
from fleet.db import demand as demand_db
from fleet.db import ops_plans as plans_db
from fleet.db import stock as stock_db
from fleet.db.engine import Engine, reading, writing
from fleet.db.sites import list_zones
from fleet.db.vehicles import courier_held, list_vehicles
from fleet.exceptions import InvalidValue, NotFound
from fleet.geo import Position
from fleet.ids import Ids, RandomIds
from fleet.vehicles import Vehicle, VehicleStatus
from fleet.zones import Zone, ZoneKind, inside
from routing.modes import Mode
from routing.routers import CityRouters

#: How far ahead a plan looks. Moves serve the next two hours' demand (it shifts after); a flat
#: vehicle stays out of service until a crew swaps it, so a swap serves the rest of a shift.
HORIZON = {PlanKind.REBALANCING: timedelta(hours=2), PlanKind.BATTERY_SWAPS: timedelta(hours=8)}
#: A ride's typical length, to foresee the charge a vehicle will use (metres).
RIDE_M = 2_500
#: Drop points per demand cell: road nodes nearest its centre where a vehicle may be left.
DROP_POINTS = 3
#: Statuses a crew may take a vehicle in (not booked, ridden, or in the workshop).
TAKEABLE = (VehicleStatus.AVAILABLE, VehicleStatus.LOW_BATTERY)
Progress = Callable[[float, str], None]


class PlanQueue(Protocol):
    """Where plan requests go (``dispatch.queue.crew_jobs.QueueCrewPlans``)."""

    def request(
        self, operator_id: str, kind: PlanKind, options: dict[str, Any], bucket: str
    ) -> str:
        """Enqueue (once per bucket or key) the plan job; its id."""
        ...

    def status(self, operator_id: str, jid: str) -> dict[str, Any]:
        """A plan job's status, progress and plan id."""
        ...


@dataclass(frozen=True, slots=True)
class CrewService:
    """What crew plans run on. ``queue`` is ``None`` without Redis: plans are then made only by
    code that calls ``dispatch.ops.crew_plans.propose`` itself."""

    engine: Engine
    clock: Clock
    catalog: Catalog
    routers: CityRouters
    demand: DemandService
    service_times: ServiceTimes = field(default_factory=ServiceTimes)
    ids: Ids = field(default_factory=RandomIds)
    time_limit_s: float = 5.0
    queue: PlanQueue | None = None


@dataclass(frozen=True, slots=True)
class PlanRequest:
    """What a manager (or the scheduler) asks for: a plan's kind, optionally a swap threshold
    for every class (percent) and the demand cells to work in (all when empty)."""

    kind: PlanKind
    threshold_pct: float | None = None
    cells: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if self.threshold_pct is not None and not 0 <= self.threshold_pct <= 100:
            msg = f"threshold_pct must be within 0-100, got {self.threshold_pct}"
            raise InvalidValue(msg)


def resolve_cells(
    service: CrewService, operator_id: str, cells: frozenset[str], zone_id: str | None
) -> frozenset[str]:
    """The demand cells a request names: its ``cells`` (each one of the operator's service
    area's) and those of the operator's zone ``zone_id``.

    Raises
    ------
    InvalidValue
        A cell that is not a demand cell of the operator's service area.
    NotFound
        No zone ``zone_id`` of the operator's.
    """
    res = service.demand.resolution
    with reading(service.engine) as conn:
        zones = list_zones(conn, operator_id)
    areas = [z for z in zones if z.kind is ZoneKind.SERVICE_AREA]
    mine = set().union(*(cells_over_area(z.area.to_geojson(), res) for z in areas))
    unknown = sorted(cells - mine)
    if unknown:
        msg = f"unknown demand cell(s) {', '.join(unknown[:5])}: not cells of the service area"
        raise InvalidValue(msg)
    if zone_id is None:
        return cells
    zone = next((z for z in zones if z.id == zone_id), None)
    if zone is None:
        msg = f"no zone {zone_id}"
        raise NotFound(msg)
    inside_zone = cells_over_area(zone.area.to_geojson(), res) & mine
    point = zone.area.geometry.representative_point()  # a zone smaller than a cell
    inside_zone |= {cell_of(Position(point.y, point.x), res)} & mine
    return frozenset(cells | inside_zone)


def _may_drop(zones: Sequence[Zone], at: datetime) -> Callable[[Position], bool]:
    areas = [z for z in zones if z.kind is ZoneKind.SERVICE_AREA]
    barring = [
        z for z in zones if z.kind in (ZoneKind.NO_PARKING, ZoneKind.NO_RIDE) or z.closes_roads(at)
    ]

    def may_drop(p: Position) -> bool:
        in_area = any(bool(inside(a, [p])[0]) for a in areas)
        return in_area and not any(bool(inside(z, [p])[0]) for z in barring)

    return may_drop


def _cells(
    service: CrewService,
    rows: Sequence[demand_db.CellForecast],
    may_drop: Callable[[Position], bool],
    wanted: frozenset[str],
) -> list[CellDemand]:
    """Cell demand over the horizon: the forecast hours added up, with drop points on the car
    network near each cell's centre."""
    total: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0, 0.0])
    for r in rows:
        if wanted and r.cell not in wanted:
            continue
        t = total[r.cell]
        t[0] += r.pickups
        t[1] += r.pickups_p10
        t[2] += r.pickups_p90
        t[3] += r.dropoffs
    net = service.routers.router(Mode.CAR).network
    lat, lon = np.asarray(net.lat), np.asarray(net.lon)
    cells = []
    for cell, (mean, p10, p90, drops) in sorted(total.items()):
        mid = centre(cell)
        order = np.argsort((lat - mid.lat) ** 2 + ((lon - mid.lon) * 0.8) ** 2)[: DROP_POINTS * 4]
        points = [Position(float(lat[i]), float(lon[i])) for i in order]
        points = [p for p in points if cell_of(p, service.demand.resolution) == cell]
        points = [p for p in points if may_drop(p)][:DROP_POINTS]
        cells.append(CellDemand(cell, mid, mean, p10, p90, drops, tuple(points)))
    return cells


def _fleet(
    service: CrewService, all_vehicles: Sequence[Vehicle], busy: set[str], courier_held: set[str]
) -> list[FleetVehicle]:
    """The carried classes' vehicles a van can reach, movable or not."""
    mine = [v for v in all_vehicles if v.vehicle_class in CARRIED]
    router = service.routers.router(Mode.CAR)
    snaps = router.snap_many([v.position for v in mine], strict=False)
    res = service.demand.resolution
    return [
        FleetVehicle(
            v.id,
            v.vehicle_class,
            v.position,
            v.soc_pct,
            v.status in TAKEABLE and v.id not in busy and v.id not in courier_held,
            cell_of(v.position, res),
        )
        for v, s in zip(mine, snaps, strict=True)
        if s.edge >= 0  # a van cannot reach it: no crew plan touches it
    ]


def _closed_in(fleet: Sequence[Vehicle], closures: Sequence[Zone], at: datetime) -> set[str]:
    """Vehicles standing in a closure in force: no crew may go for them."""
    cut = np.zeros(len(fleet), dtype=bool)
    for zone in closures:
        if zone.closes_roads(at):
            cut |= inside(zone, [v.position for v in fleet])
    return {v.id for v, c in zip(fleet, cut, strict=True) if c}


def _vans(
    shifts: Sequence[crews_db.ShiftWithVan],
    active: Mapping[str, tuple[datetime, Position]],
    at: datetime,
) -> list[Van]:
    """The vans on (or about to start) shift, each free from the end of the work it has."""
    vans = []
    for s in shifts:
        busy_until, where = active.get(s.shift.id, (at, s.depot))
        free = max(at, s.shift.start_at, busy_until)
        if free >= s.shift.end_at:
            continue
        vans.append(
            Van(
                s.shift.id,
                s.shift.crew_id,
                where,
                s.depot,
                free,
                s.shift.end_at,
                dict(s.van.capacity_vehicles),
                s.van.capacity_packs,
            )
        )
    return vans


def snapshot(service: CrewService, operator_id: str, request: PlanRequest) -> CrewSnapshot:
    """Read everything a plan of ``request.kind`` is computed from, bringing the stations' packs'
    charge up to now.

    Cells are checked when the plan is requested (:func:`resolve_cells`).
    """
    at = service.clock.now()
    horizon = HORIZON[request.kind]
    hours = max(1, int(horizon.total_seconds() // 3600))
    with writing(service.engine) as conn:
        stock_db.charge_docked(conn, operator_id, at, service.catalog)
        stock = stock_db.station_stock(conn, operator_id)
        zones = list_zones(conn, operator_id)
        page = list_vehicles(conn, operator_id=operator_id, limit=1_000_000)
        busy = plans_db.vehicles_in_active_tasks(conn, operator_id)
        held = courier_held(conn, operator_id, at)
        shifts = crews_db.shifts_on(conn, operator_id, at)
        active = plans_db.busy_until(conn, [s.shift.id for s in shifts])
        start = at.replace(minute=0, second=0, microsecond=0)
        rows = demand_db.forecasts_between(conn, operator_id, start, start + horizon)
    may_drop = _may_drop(zones, at)
    closures = [z for z in zones if z.closes_roads(at)]
    router = service.routers.router(Mode.CAR)

    def matrix(points: Sequence[Position]) -> tuple[Sequence[Sequence[int]], ...]:
        # a place inside a closure is cut off (unreachable), not an error: the rest is planned
        durations, distances = open_matrix(router, points, closures, at)
        return durations.tolist(), distances.tolist()

    thresholds = {
        c: float(request.threshold_pct)
        if request.threshold_pct is not None
        else float(service.catalog[c].low_battery_pct)
        for c in CARRIED
    }
    return CrewSnapshot(
        operator_id=operator_id,
        kind=request.kind,
        at=at,
        horizon_s=hours * 3600,
        vehicles=_fleet(service, page.items, busy | _closed_in(page.items, closures, at), held),
        stations=[
            StationStock(s.site_id, s.name, s.position, s.charged, s.free_slots) for s in stock
        ],
        vans=_vans(shifts, active, at),
        cells=_cells(service, rows, may_drop, request.cells),
        swap_threshold_pct=thresholds,
        soc_per_ride_pct={
            c: service.catalog[c].energy_wh_per_km
            * RIDE_M
            / 1000
            / service.catalog[c].battery_wh
            * 100
            for c in CARRIED
        },
        service=service.service_times,
        matrix=matrix,  # type: ignore[arg-type]
        may_drop=may_drop,
    )
