"""The routes the managers' map draws: each courier's planned stops and each crew member's
open tasks as one line along the roads (couriers on the moped network, crews' vans on the car
network), around the closures in force now, as the couriers' planner and the crews' task list
route them. Also the roads of a crew plan's vans through their tasks, for the plan review."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise

from dispatch.ops.crews import CrewService
from fleet.db import crews as crews_db
from fleet.db import ops_plans as plans_db
from fleet.db.engine import reading
from fleet.db.route_board import Way, courier_ways, crew_ways
from fleet.db.sites import list_zones
from fleet.exceptions import InvalidValue
from fleet.geo import Position
from fleet.ops import TaskStatus
from fleet.zones import Zone
from routing.engine import Router
from routing.modes import Mode


def road_line(
    router: Router, points: Sequence[Position], closures: Iterable[Zone], at: datetime
) -> list[tuple[float, float]]:
    """``[lon, lat]`` pairs along the fastest open roads through ``points`` in order. A leg no
    open road leads along (an end inside a closure made since the plan) is drawn straight, so
    the line still reaches every stop."""
    shut = list(closures)
    line: list[tuple[float, float]] = []
    for a, b in pairwise(points):
        try:
            route = router.route(a, b, closures=shut, at=at)
        except InvalidValue:
            route = None
        leg = list(route.coordinates) if route else [(a.lon, a.lat), (b.lon, b.lat)]
        line.extend(leg[1:] if line and leg and leg[0] == line[-1] else leg)
    if not line and points:
        line = [(points[0].lon, points[0].lat)]
    return line


@dataclass(frozen=True, slots=True)
class RouteLine:
    """Someone's route as a line, with the stops it passes."""

    way: Way
    coordinates: list[tuple[float, float]]


def route_lines(service: CrewService, operator_id: str) -> list[RouteLine]:
    """Every courier with a planned route and every crew member with open tasks, as lines."""
    now = service.clock.now()
    with reading(service.engine) as conn:
        ways = courier_ways(conn, operator_id, now) + crew_ways(conn, operator_id, now)
        zones = list_zones(conn, operator_id)
    closures = [z for z in zones if z.closes_roads(now)]
    modes = {"courier": Mode.MOPED, "crew": Mode.CAR}
    return [
        RouteLine(
            way,
            road_line(
                service.routers.router(modes[way.kind]),
                [way.start, *(s.position for s in way.stops)],
                closures,
                now,
            ),
        )
        for way in ways
    ]


@dataclass(frozen=True, slots=True)
class VanRoad:
    """The road a van of a crew plan drives through its tasks in sequence, from its depot."""

    shift_id: str
    van_id: str
    crew_user_id: str
    coordinates: list[tuple[float, float]]


def plan_roads(service: CrewService, operator_id: str, plan_id: str) -> list[VanRoad]:
    """Per van of the plan whose shift is not over, the road from its depot through its tasks
    (cancelled ones left out) in sequence. ``NotFound`` for another operator's plan."""
    now = service.clock.now()
    with reading(service.engine) as conn:
        plans_db.get_plan(conn, operator_id, plan_id)
        tasks = plans_db.plan_tasks(conn, plan_id)
        shifts = {s.shift.id: s for s in crews_db.shifts_on(conn, operator_id, now)}
        zones = list_zones(conn, operator_id)
    closures = [z for z in zones if z.closes_roads(now)]
    router = service.routers.router(Mode.CAR)
    roads = []
    for shift_id in dict.fromkeys(t.shift_id for t in tasks if t.shift_id):
        s = shifts.get(shift_id)
        points = [
            t.target
            for t in tasks
            if t.shift_id == shift_id and t.target and t.status is not TaskStatus.CANCELLED
        ]
        if s is None or not points:
            continue
        line = road_line(router, [s.depot, *points], closures, now)
        roads.append(VanRoad(shift_id, s.van.id, s.shift.crew_id, line))
    return roads
