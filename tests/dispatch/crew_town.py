"""A small town for crew-plan tests: a dozen vehicles, a couple of vans and stations, H3 demand
cells with forecast P10/P90, and a van travel matrix over straight lines.

The matrix is a real (if simple) travel model, not a stand-in for one: crow-flies metres times
:data:`DETOUR` for the road, at :data:`VAN_M_PER_S`; it keeps the tests free of road graphs and
fast. Everything is drawn from a seed, so a test can run several towns.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np

from dispatch.forecast.cells import cell_of, centre
from dispatch.forecast.spread import quantiles
from dispatch.ops.crew_input import (
    CellDemand,
    CrewSnapshot,
    FleetVehicle,
    PlanKind,
    ServiceTimes,
    StationStock,
    Van,
)
from fleet.catalog import VehicleClass
from fleet.geo import Position

AT = datetime(2026, 7, 14, 8, 0, tzinfo=UTC)
ORIGIN = Position(37.4786, 126.8646)
DETOUR = 1.3
VAN_M_PER_S = 8.0
CLASSES = (VehicleClass.E_KICKBOARD, VehicleClass.E_BIKE, VehicleClass.E_MOPED)
THRESHOLDS = {VehicleClass.E_KICKBOARD: 15.0, VehicleClass.E_BIKE: 20.0, VehicleClass.E_MOPED: 20.0}
PER_RIDE = {VehicleClass.E_KICKBOARD: 6.0, VehicleClass.E_BIKE: 4.0, VehicleClass.E_MOPED: 5.0}


def straight_matrix(positions: Sequence[Position]) -> tuple[list[list[int]], list[list[int]]]:
    """Seconds and metres between every pair of positions by van (straight lines × detour)."""
    metres = [[round(a.distance_m(b) * DETOUR) for b in positions] for a in positions]
    seconds = [[math.ceil(m / VAN_M_PER_S) for m in row] for row in metres]
    return seconds, metres


def near(rng: np.random.Generator, spread_m: float) -> Position:
    """A position within ``spread_m`` of the town's origin (a square)."""
    dy, dx = rng.uniform(-spread_m, spread_m, 2)
    return Position(
        ORIGIN.lat + dy / 111_320.0,
        ORIGIN.lon + dx / (111_320.0 * math.cos(math.radians(ORIGIN.lat))),
    )


def town(
    seed: int,
    kind: PlanKind = PlanKind.BATTERY_SWAPS,
    *,
    vehicles: int = 14,
    vans: int = 2,
    shift_h: float = 2.0,
    spread_m: float = 900.0,
    forbidden: frozenset[Position] = frozenset(),
) -> CrewSnapshot:
    """A seeded town: vehicles of the three swappable classes (one in five not movable), one
    station per 6 vehicles with a few charged packs of each class, vans at the origin carrying
    two vehicles of each class and 6 packs (2 kickboard packs on board). For rebalancing, half
    the fleet stands in one quiet cell (0.3 trips expected) and the other cells wait for it."""
    rng = np.random.default_rng(seed)
    crowd = near(rng, spread_m)  # where half the fleet stands when rebalancing is needed
    fleet = []
    for k in range(vehicles):
        crowded = kind is PlanKind.REBALANCING and k % 2 == 0
        p = Position(crowd.lat + k * 1e-6, crowd.lon) if crowded else near(rng, spread_m)
        fleet.append(
            FleetVehicle(
                f"v{k}",
                CLASSES[k % 3],
                p,
                float(rng.choice([5.0, 12.0, 18.0, 25.0, 40.0, 70.0, 95.0])),
                movable=bool(rng.uniform() > 0.2),
                cell=cell_of(p),
            )
        )
    names = sorted({v.cell for v in fleet} | {cell_of(near(rng, spread_m)) for _ in range(4)})
    means = rng.gamma(1.5, 2.0, len(names))
    if kind is PlanKind.REBALANCING:
        means[names.index(cell_of(crowd))] = 0.3
    p10, p90 = quantiles(means, 0.3)
    cells = []
    for name, mean, low, high in zip(names, means, p10, p90, strict=True):
        c = centre(name)
        points = [c, Position(c.lat + 0.0004, c.lon)]
        cells.append(
            CellDemand(name, c, float(mean), float(low), float(high), float(mean) * 0.8, points)
        )
    stations = [
        StationStock(
            f"s{j}",
            f"Station {j}",
            near(rng, spread_m),
            {cls: int(rng.integers(0, 4)) for cls in CLASSES},
            {cls: 4 for cls in CLASSES},
        )
        for j in range(max(1, vehicles // 6))
    ]
    crews = [
        Van(
            f"shift{n}",
            f"crew{n}",
            ORIGIN,
            ORIGIN,
            AT,
            AT + timedelta(hours=shift_h),
            {cls: 2 for cls in CLASSES},
            6,
            {VehicleClass.E_KICKBOARD: 2},
        )
        for n in range(vans)
    ]
    return CrewSnapshot(
        "op1",
        kind,
        AT,
        7200,
        fleet,
        stations,
        crews,
        cells,
        THRESHOLDS,
        PER_RIDE,
        ServiceTimes(),
        straight_matrix,
        lambda p: p not in forbidden,
    )


def without_vans(snapshot: CrewSnapshot) -> CrewSnapshot:
    """The same town with no crew on shift."""
    return replace(snapshot, vans=[])
