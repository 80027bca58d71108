"""The managers' dashboard figures, as a few aggregate queries: with 10,000 vehicles and a day
of rides, the database counts and sums; Python never walks the vehicles or the rides.

Each query takes the operator and the instants it needs (``now``, the local day's start) from the
caller: what "today" is belongs to the use case (``dispatch.ops.dashboard``), not to SQL.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Float, and_, case, cast, func, literal, or_, select

from fleet.catalog import VehicleClass
from fleet.crews import PlanStatus
from fleet.db.tables import bookings, courier_stops, delivery_jobs, ops_plans, ops_tasks, vehicles
from fleet.db.types import UTCDateTime
from fleet.db.vehicles import RIDER_CLASSES, on_courier_shift
from fleet.delivery import JobStatus
from fleet.ops import TaskStatus
from fleet.plans import StopKind, StopStatus
from fleet.vehicles import VehicleStatus

#: Charge bins of the histogram: [0, 10), [10, 20), ... [90, 100] (the last takes 100).
BINS = 10
BIN_PCT = 100 // BINS
#: Task statuses that are over: every other is open work.
TASKS_OVER = (TaskStatus.DONE, TaskStatus.FAILED, TaskStatus.CANCELLED)


@dataclass(frozen=True, slots=True)
class ClassFigures:
    """One vehicle class of an operator: how many are available to take now, how many stand
    below the class's low-battery threshold, and how many fall in each charge bin."""

    vehicle_class: VehicleClass
    available: int
    low_battery: int
    bins: tuple[int, ...]


def _bin_of() -> Any:
    """The charge bin of a vehicle as a CASE ladder (portable, where CAST rounds on PostgreSQL
    and truncates on SQLite)."""
    soc = vehicles.c.soc_pct
    return case(*((soc < BIN_PCT * (b + 1), b) for b in range(BINS - 1)), else_=BINS - 1)


def class_figures(
    conn: Connection, operator_id: str, now: datetime, low_pct: Mapping[VehicleClass, float]
) -> list[ClassFigures]:
    """Per class the operator has, in one grouped query: available (status ``available`` and
    not a courier's moped on, or about to start, a shift), below ``low_pct`` of its class (any
    status) and the charge histogram."""
    threshold = case(
        {str(c): float(p) for c, p in low_pct.items()},
        value=vehicles.c.vehicle_class,
        else_=0.0,
    )
    free = and_(vehicles.c.status == str(VehicleStatus.AVAILABLE), ~on_courier_shift(now))
    bin_of = _bin_of()
    rows = conn.execute(
        select(
            vehicles.c.vehicle_class,
            func.sum(case((free, 1), else_=0)),
            func.sum(case((vehicles.c.soc_pct < threshold, 1), else_=0)),
            *(func.sum(case((bin_of == b, 1), else_=0)) for b in range(BINS)),
        )
        .where(vehicles.c.operator_id == operator_id)
        .group_by(vehicles.c.vehicle_class)
        .order_by(vehicles.c.vehicle_class)
    ).all()
    return [
        ClassFigures(VehicleClass(r[0]), int(r[1]), int(r[2]), tuple(int(n) for n in r[3:]))
        for r in rows
    ]


def _riders_fleet(operator_id: str, now: datetime) -> Any:
    """The condition on vehicles of the riders' fleet now: riders' classes, no courier's moped
    on (or about to start) a shift; work EVs go through reservations, not rides."""
    return and_(
        vehicles.c.operator_id == operator_id,
        vehicles.c.vehicle_class.in_([str(c) for c in RIDER_CLASSES]),
        ~on_courier_shift(now),
    )


def _seconds(conn: Connection, start: Any, end: Any) -> Any:
    """``end - start`` in seconds, as each dialect says it."""
    if conn.dialect.name == "sqlite":
        return (func.julianday(end) - func.julianday(start)) * 86400.0
    return func.extract("epoch", end - start)


def ride_seconds(
    conn: Connection, operator_id: str, day_start: datetime, now: datetime
) -> tuple[int, float]:
    """The riders' fleet now (how many vehicles) and the seconds of rides on them that overlap
    ``[day_start, now]`` (a ride under way counts up to ``now``), summed in the database."""
    riders = _riders_fleet(operator_id, now)
    fleet = int(conn.execute(select(func.count()).select_from(vehicles).where(riders)).scalar_one())
    start_at = literal(day_start, UTCDateTime())
    now_at = literal(now, UTCDateTime())
    began = case((bookings.c.started_at < start_at, start_at), else_=bookings.c.started_at)
    ended = case(
        (or_(bookings.c.ended_at.is_(None), bookings.c.ended_at > now_at), now_at),
        else_=bookings.c.ended_at,
    )
    total = conn.execute(
        select(func.coalesce(func.sum(cast(_seconds(conn, began, ended), Float)), 0.0))
        .select_from(bookings)
        .where(
            # the operator's own vehicles scope it: a second filter on bookings.operator_id led
            # PostgreSQL without statistics (a fleet just seeded) to AND two bitmap scans per
            # vehicle, every booking of the operator 10,000 times over (a minute)
            bookings.c.vehicle_id.in_(select(vehicles.c.id).where(riders)),
            bookings.c.started_at.is_not(None),
            bookings.c.started_at < now_at,
            or_(bookings.c.ended_at.is_(None), bookings.c.ended_at > start_at),
        )
    ).scalar_one()
    return fleet, max(0.0, float(total))


@dataclass(frozen=True, slots=True)
class Delivered:
    """A job delivered in the period: where it went from and to (lat, lon), and whether it was
    delivered by the end of its drop-off window."""

    pickup: tuple[float, float]
    dropoff: tuple[float, float]
    on_time: bool


def delivered_between(
    conn: Connection, operator_id: str, day_start: datetime, now: datetime
) -> list[Delivered]:
    """The operator's jobs delivered in ``[day_start, now]``. The time of delivery is when the
    courier closed the drop-off stop (``courier_stops.eta`` of a ``done`` drop-off, which
    ``fleet.db.stops.close_stop`` sets to the moment)."""
    at = courier_stops.c.eta
    rows = conn.execute(
        select(
            delivery_jobs.c.pickup_lat,
            delivery_jobs.c.pickup_lon,
            delivery_jobs.c.dropoff_lat,
            delivery_jobs.c.dropoff_lon,
            case((at <= delivery_jobs.c.dropoff_end, 1), else_=0),
        )
        .select_from(
            delivery_jobs.join(courier_stops, courier_stops.c.job_id == delivery_jobs.c.id)
        )
        .where(
            delivery_jobs.c.operator_id == operator_id,
            delivery_jobs.c.status == str(JobStatus.DELIVERED),
            courier_stops.c.kind == str(StopKind.DROPOFF),
            courier_stops.c.status == str(StopStatus.DONE),
            at >= day_start,
            at <= now,
        )
    ).all()
    return [Delivered((r[0], r[1]), (r[2], r[3]), bool(r[4])) for r in rows]


def open_task_count(conn: Connection, operator_id: str) -> int:
    """The operator's crew tasks not yet done, failed or cancelled.

    Tasks of a plan still proposed are not counted: until a manager approves it they are a
    suggestion, not work for the crews (a scheduler's proposal every half hour would otherwise
    show as a wave of open tasks no crew holds)."""
    undecided = select(ops_plans.c.id).where(
        ops_plans.c.operator_id == operator_id,
        ops_plans.c.status == str(PlanStatus.PROPOSED),
    )
    return int(
        conn.execute(
            select(func.count())
            .select_from(ops_tasks)
            .where(
                ops_tasks.c.operator_id == operator_id,
                ops_tasks.c.status.not_in([str(s) for s in TASKS_OVER]),
                or_(ops_tasks.c.plan_id.is_(None), ops_tasks.c.plan_id.not_in(undecided)),
            )
        ).scalar_one()
    )
