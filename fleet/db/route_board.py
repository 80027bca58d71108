"""What the managers' map draws routes through: every courier's planned stops from where their
moped is, and every crew member's open tasks from where their van is. One query per kind for
the whole operator; the roads between the points are the use case's (``dispatch.ops``)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, select

from fleet.db.crew_board import crew_board
from fleet.db.ops_plans import ACTIVE, shift_tasks
from fleet.db.stops import still_working
from fleet.db.tables import courier_shifts, courier_stops, users, vehicles
from fleet.geo import Position
from fleet.plans import StopStatus


@dataclass(frozen=True, slots=True)
class Waypoint:
    """A stop of someone's route: where, and when they are expected there (if planned)."""

    position: Position
    eta: datetime | None


@dataclass(slots=True)
class Way:
    """Someone's route: who, from where, through which stops in order."""

    kind: str  # "courier" | "crew"
    user_id: str
    display_name: str
    start: Position
    stops: list[Waypoint] = field(default_factory=list)


def courier_ways(conn: Connection, operator_id: str, now: datetime) -> list[Way]:
    """Each courier with planned stops (shifts still working), from their moped's position,
    through the stops in the order of their shifts and plans."""
    rows = conn.execute(
        select(
            courier_shifts.c.courier_id,
            users.c.display_name,
            vehicles.c.lat.label("at_lat"),
            vehicles.c.lon.label("at_lon"),
            courier_stops.c.lat,
            courier_stops.c.lon,
            courier_stops.c.eta,
        )
        .join(courier_shifts, courier_shifts.c.id == courier_stops.c.shift_id)
        .join(users, users.c.id == courier_shifts.c.courier_id)
        .join(vehicles, vehicles.c.id == courier_shifts.c.vehicle_id)
        .where(
            courier_shifts.c.operator_id == operator_id,
            still_working(now),
            courier_stops.c.status == str(StopStatus.PLANNED),
        )
        .order_by(
            users.c.display_name,
            courier_shifts.c.courier_id,
            courier_shifts.c.start_at,
            courier_stops.c.seq,
        )
    ).mappings()
    ways: dict[str, Way] = {}
    for r in rows:
        way = ways.setdefault(
            r["courier_id"],
            Way(
                "courier",
                r["courier_id"],
                r["display_name"],
                Position(r["at_lat"], r["at_lon"]),
            ),
        )
        way.stops.append(Waypoint(Position(r["lat"], r["lon"]), r["eta"]))
    return list(ways.values())


def crew_ways(conn: Connection, operator_id: str, now: datetime) -> list[Way]:
    """Each crew member on (or about to start) a shift with open tasks, from where their van is,
    through the tasks in route order."""
    board = [b for b in crew_board(conn, operator_id, now) if b.shift and b.van_at]
    tasks = shift_tasks(conn, [b.shift.id for b in board if b.shift])
    by_shift: dict[str, list[Waypoint]] = defaultdict(list)
    for t in tasks:
        if t.status in ACTIVE and t.target is not None and t.shift_id is not None:
            by_shift[t.shift_id].append(Waypoint(t.target, t.arrive_at))
    return [
        Way("crew", b.user_id, b.display_name, b.van_at, by_shift[b.shift.id])
        for b in board
        if b.shift is not None and b.van_at is not None and by_shift[b.shift.id]
    ]
