"""An operator's CO2 per local day, summed in the database from what each ride and delivery
stored when it ended (``fleet.carbon``): two grouped queries, whatever the number of rides.

Days are given as their boundaries (local midnights, from the caller): a CASE ladder turns an
instant into the index of its day, the same on SQLite and PostgreSQL and right across a
daylight-saving change. ``ride_history`` (generated or imported rides) is never read here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, case, func, literal, select

from fleet.carbon import Footprint
from fleet.db.tables import bookings, courier_stops, delivery_jobs
from fleet.db.types import UTCDateTime
from fleet.delivery import JobStatus
from fleet.plans import StopKind, StopStatus

#: Per day index: how many, and their footprint.
DayRows = dict[int, tuple[int, Footprint]]


def _day_of(at: Any, bounds: Sequence[datetime]) -> Any:
    """The index of the day ``at`` falls in (``bounds[i] <= at < bounds[i + 1]``)."""
    edges = [literal(b, UTCDateTime()) for b in bounds[1:]]
    if len(edges) == 1:
        return literal(0)
    return case(*((at < edge, i) for i, edge in enumerate(edges[:-1])), else_=len(edges) - 1)


def _rows(conn: Connection, query: Any) -> DayRows:
    found: DayRows = {}
    for day, count, metres, car_g, charging_g in conn.execute(query).all():
        found[int(day)] = (
            int(count),
            Footprint(int(metres or 0), int(car_g or 0), int(charging_g or 0)),
        )
    return found


def rides_by_day(conn: Connection, operator_id: str, bounds: Sequence[datetime]) -> DayRows:
    """The operator's rides that ended within ``bounds`` and earned CO2 (a ride flagged
    implausible earns none and is not counted), per day. A ride ended before the two terms were
    stored counts its ``co2_avoided_g`` (then the car's alone) as its car baseline."""
    at = bookings.c.ended_at
    day = _day_of(at, bounds)
    query = (
        select(
            day,
            func.count(),
            func.sum(bookings.c.distance_m),
            func.sum(func.coalesce(bookings.c.co2_car_g, bookings.c.co2_avoided_g)),
            func.sum(func.coalesce(bookings.c.co2_charging_g, 0)),
        )
        .where(
            bookings.c.operator_id == operator_id,
            at >= bounds[0],
            at < bounds[-1],
            bookings.c.distance_m.is_not(None),
            bookings.c.co2_avoided_g.is_not(None),
            bookings.c.receipt_flag.is_(None),
        )
        .group_by(day)
    )
    return _rows(conn, query)


def deliveries_by_day(conn: Connection, operator_id: str, bounds: Sequence[datetime]) -> DayRows:
    """The operator's jobs delivered within ``bounds``, per day. The time of delivery is when
    the courier closed the drop-off stop (as the dashboard counts them); a job delivered before
    its CO2 was stored counts with no distance and no grams."""
    at = courier_stops.c.eta
    day = _day_of(at, bounds)
    query = (
        select(
            day,
            func.count(),
            func.sum(delivery_jobs.c.distance_m),
            func.sum(delivery_jobs.c.co2_car_g),
            func.sum(delivery_jobs.c.co2_charging_g),
        )
        .select_from(
            delivery_jobs.join(courier_stops, courier_stops.c.job_id == delivery_jobs.c.id)
        )
        .where(
            delivery_jobs.c.operator_id == operator_id,
            delivery_jobs.c.status == str(JobStatus.DELIVERED),
            courier_stops.c.kind == str(StopKind.DROPOFF),
            courier_stops.c.status == str(StopStatus.DONE),
            at >= bounds[0],
            at < bounds[-1],
        )
        .group_by(day)
    )
    return _rows(conn, query)
