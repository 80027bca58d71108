"""The roads of a courier's route: from their moped to the first stop, then stop to stop.

The plan stores stops and times, not paths (the planner works on a travel-time matrix), so the
roads are found when the route is read, on the moped's network and around the closures in force,
the same way a crew's tasks get theirs (``dispatch.ops.crew_tasks``)."""

from __future__ import annotations

from dataclasses import dataclass

from dispatch.couriers.actions import RouteStop
from dispatch.couriers.service import CourierService
from fleet.db import stops as stops_db
from fleet.db.engine import reading
from fleet.db.sites import list_zones
from fleet.exceptions import InvalidValue
from fleet.identity import User
from routing.modes import Mode


@dataclass(frozen=True, slots=True)
class Leg:
    """A stop of the route with the road to it (lon, lat pairs; empty when no open road was
    found, as for a stop a closure made since covers)."""

    stop: RouteStop
    road: list[tuple[float, float]]
    distance_m: int
    duration_s: int


def route_with_roads(service: CourierService, courier: User) -> list[Leg]:
    """The courier's planned stops in order, each with the road from the one before (from the
    moped's last reported place for the first of a shift)."""
    now = service.clock.now()
    with reading(service.engine) as conn:
        stops = [RouteStop(*row) for row in stops_db.route_of(conn, courier.id, now)]
        last = stops_db.moped_positions(conn, {s.stop.shift_id for s in stops})
        zones = list_zones(conn, courier.operator_id)
    router = service.routers.router(Mode.MOPED)
    closures = [z for z in zones if z.closes_roads(now)]
    legs = []
    for s in stops:
        where, here = last.get(s.stop.shift_id), s.stop.position
        road = None
        if where is not None:
            try:
                road = router.route(where, here, closures=closures, at=now)
            except InvalidValue:  # a place inside a closure made since: no road drawn
                road = None
        last[s.stop.shift_id] = here
        legs.append(
            Leg(
                s,
                [(float(x), float(y)) for x, y in road.coordinates] if road else [],
                road.distance_m if road else 0,
                road.duration_s if road else 0,
            )
        )
    return legs
