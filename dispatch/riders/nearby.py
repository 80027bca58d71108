"""What a rider sees around a place: every vehicle they may book within a walk, nearest by
walking time first (``GET /api/v1/vehicles?lat&lon``). Split from ``bookings``, which holds one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from dispatch.holds import expire_due_holds
from dispatch.riders.bookings import RiderService, no_work_evs
from fleet.catalog import VehicleClass
from fleet.db import riding as riding_db
from fleet.db import vehicles as vehicles_db
from fleet.db.engine import reading
from fleet.db.sites import list_zones
from fleet.geo import Position
from fleet.vehicles import Vehicle
from fleet.zones import barred
from routing.engine import UNREACHABLE
from routing.modes import Mode


@dataclass(frozen=True, slots=True)
class Nearby:
    """A vehicle a rider may book, and the walk to it."""

    vehicle: Vehicle
    walk_s: int
    distance_m: int


def vehicles_near(
    service: RiderService,
    position: Position,
    *,
    operator_id: str | None,
    classes: Sequence[VehicleClass],
    radius_m: int,
) -> list[Nearby]:
    """The vehicles riders may book within ``radius_m`` of walking of ``position``, nearest by
    walking time first (ties by code). Work EVs and couriers' mopeds on shift are never among
    them.

    Raises
    ------
    InvalidValue
        A class riders cannot book.
    """
    wanted = list(classes) or list(vehicles_db.RIDER_CLASSES)
    no_work_evs(wanted)
    now = service.clock.now()
    expire_due_holds(service.engine, service.clock)
    with reading(service.engine) as conn:
        near = riding_db.available_near(conn, operator_id, wanted, position, radius_m, now)
        zones = [z for op in sorted({v.operator_id for v in near}) for z in list_zones(conn, op)]
    # a vehicle in a no-ride zone or a closure in force is not offered (riding may not start
    # there), and the walk keeps off closed roads
    shut = barred(zones, [v.position for v in near], now)
    near = [v for v, out in zip(near, shut, strict=True) if not out]
    if not near:
        return []
    walk = service.routers.router(Mode.WALK)
    matrix = walk.matrix(
        [position], [v.position for v in near], closures=zones, at=now,
        far_destinations_unreachable=True,
    )  # fmt: skip
    found = [
        Nearby(v, int(matrix.duration_s[0, k]), int(matrix.distance_m[0, k]))
        for k, v in enumerate(near)
        if matrix.duration_s[0, k] != UNREACHABLE and matrix.distance_m[0, k] <= radius_m
    ]
    found.sort(key=lambda n: (n.walk_s, n.vehicle.code))
    return found
