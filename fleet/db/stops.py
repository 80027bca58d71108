"""The stops of couriers' plans: how a stop row reads, a courier's route, and the stops they
make (each one marks the shift's plan changed, so a planner that read it plans again)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, or_, select, update

from fleet.db.tables import courier_shifts, courier_stops, delivery_jobs, sites, vehicles
from fleet.delivery import ShiftStatus
from fleet.exceptions import ChangedMeanwhile, NotFound
from fleet.geo import Position
from fleet.plans import PlannedStop, StopKind, StopStatus


def stop_from_row(row: Mapping[Any, Any]) -> PlannedStop:
    """The planned stop of a ``courier_stops`` row."""
    return PlannedStop(
        id=row["id"],
        shift_id=row["shift_id"],
        kind=StopKind(row["kind"]),
        seq=row["seq"],
        position=Position(row["lat"], row["lon"]),
        eta=row["eta"],
        status=StopStatus(row["status"]),
        job_id=row["job_id"],
        site_id=row["site_id"],
    )


#: A shift starting within this is planned already (its courier may start it early).
PLANNING_LEAD = timedelta(minutes=30)


def still_working(now: datetime) -> Any:
    """A condition on ``courier_shifts``: scheduled or on duty, and either not over or still
    holding planned stops. Committed work outlives the shift's end: its courier keeps the
    stops, planners see them (and plan no new work there), and nothing is left behind."""
    held = courier_stops.alias("held")  # its own name: a query of stops may hold this too
    holds_stops = (
        select(held.c.id)
        .where(held.c.shift_id == courier_shifts.c.id, held.c.status == str(StopStatus.PLANNED))
        .correlate(courier_shifts)
        .exists()
    )
    return and_(
        courier_shifts.c.status.in_([str(ShiftStatus.SCHEDULED), str(ShiftStatus.ON_DUTY)]),
        courier_shifts.c.start_at <= now + PLANNING_LEAD,  # a later shift is not planned yet
        or_(courier_shifts.c.end_at > now, holds_stops),
    )


def touch_plan(conn: Connection, shift_id: str) -> None:
    """Mark the shift's plan changed (a stop made): planners that read it must read again."""
    conn.execute(
        update(courier_shifts)
        .where(courier_shifts.c.id == shift_id)
        .values(plan_version=courier_shifts.c.plan_version + 1)
    )


def route_of(
    conn: Connection, courier_id: str, now: datetime
) -> list[tuple[PlannedStop, int | None, str | None]]:
    """The courier's planned stops in order (every shift not over), each with its parcel's
    litres (a job's stop) or its station's name (a swap)."""
    rows = conn.execute(
        select(courier_stops, delivery_jobs.c.parcel_l, sites.c.name.label("site_name"))
        .join(courier_shifts, courier_shifts.c.id == courier_stops.c.shift_id)
        .outerjoin(delivery_jobs, delivery_jobs.c.id == courier_stops.c.job_id)
        .outerjoin(sites, sites.c.id == courier_stops.c.site_id)
        .where(
            courier_shifts.c.courier_id == courier_id,
            still_working(now),
            courier_stops.c.status == str(StopStatus.PLANNED),
        )
        .order_by(courier_stops.c.shift_id, courier_stops.c.seq)
    ).mappings()
    return [(stop_from_row(r), r["parcel_l"], r["site_name"]) for r in rows]


def stop_of_courier(
    conn: Connection,
    courier_id: str,
    *,
    job_id: str | None = None,
    kind: StopKind,
    stop_id: str | None = None,
) -> tuple[PlannedStop, str]:
    """A stop of the courier's plans (by job and kind, or by id) and the shift's moped.

    Raises
    ------
    NotFound
        No such stop in the courier's plans.
    """
    query = (
        select(courier_stops, courier_shifts.c.courier_id, courier_shifts.c.vehicle_id)
        .join(courier_shifts, courier_shifts.c.id == courier_stops.c.shift_id)
        .where(courier_stops.c.kind == str(kind))
    )
    if stop_id is not None:
        query = query.where(courier_stops.c.id == stop_id)
    else:
        query = query.where(courier_stops.c.job_id == job_id)
    row = conn.execute(query).mappings().first()
    if row is None or row["courier_id"] != courier_id:
        what = f"swap {stop_id}" if kind is StopKind.SWAP else f"job {job_id}"
        msg = f"{what} is not in your plan"
        raise NotFound(msg)
    return stop_from_row(row), row["vehicle_id"]


def hold_plans_of(conn: Connection, courier_id: str) -> None:
    """Lock the courier's open shifts for this transaction and mark their plans changed: a
    courier's action then reads stops no planner can replace under it, and a planner that read
    the plans before plans again. (A planner claims shifts first too, so the two wait for each
    other in the same order and never deadlock.)"""
    conn.execute(
        update(courier_shifts)
        .where(
            courier_shifts.c.courier_id == courier_id,
            courier_shifts.c.status.in_([str(ShiftStatus.SCHEDULED), str(ShiftStatus.ON_DUTY)]),
        )
        .values(plan_version=courier_shifts.c.plan_version + 1)
    )


def lock_plans_of(conn: Connection, courier_id: str) -> None:
    """Lock the courier's open shifts for this transaction, as :func:`hold_plans_of` does, but
    without marking their plans changed: for a courier's try that may change nothing (a proof
    code), so that tries take turns and a wrong one leaves the plans as they were."""
    conn.execute(
        select(courier_shifts.c.id)
        .where(
            courier_shifts.c.courier_id == courier_id,
            courier_shifts.c.status.in_([str(ShiftStatus.SCHEDULED), str(ShiftStatus.ON_DUTY)]),
        )
        .with_for_update()
    )


def close_stop(
    conn: Connection, stop: PlannedStop, status: StopStatus, at: datetime, *, touch: bool = True
) -> None:
    """The courier made (or failed) the stop at ``at``; the shift's plan changed (unless
    ``touch`` is false: the caller writes the new plan over the version it claimed).

    Raises
    ------
    ChangedMeanwhile
        The stop is no longer planned (the caller's transaction must roll back).
    """
    if touch:
        touch_plan(conn, stop.shift_id)
    closed = conn.execute(
        update(courier_stops)
        .where(courier_stops.c.id == stop.id, courier_stops.c.status == str(StopStatus.PLANNED))
        .values(status=str(status), eta=at)
    ).rowcount
    if closed != 1:
        msg = "your plan changed meanwhile: read your route again"
        raise ChangedMeanwhile(msg)


def etas_of(conn: Connection, job_ids: Iterable[str]) -> dict[tuple[str, StopKind], datetime]:
    """Planned (or made) times of the jobs' stops, by (job, kind)."""
    ids = list(job_ids)
    if not ids:
        return {}
    rows = conn.execute(
        select(courier_stops.c.job_id, courier_stops.c.kind, courier_stops.c.eta).where(
            courier_stops.c.job_id.in_(ids)
        )
    )
    return {(r.job_id, StopKind(r.kind)): r.eta for r in rows}


def mopeds_of(conn: Connection, job_ids: Iterable[str]) -> dict[str, tuple[str, str, str | None]]:
    """The moped (id, code, plate) of the shift whose plan holds each job's pick-up, by job;
    jobs in no plan are left out."""
    ids = sorted(set(job_ids))
    if not ids:
        return {}
    rows = conn.execute(
        select(courier_stops.c.job_id, vehicles.c.id, vehicles.c.code, vehicles.c.plate)
        .join(courier_shifts, courier_shifts.c.id == courier_stops.c.shift_id)
        .join(vehicles, vehicles.c.id == courier_shifts.c.vehicle_id)
        .where(courier_stops.c.job_id.in_(ids), courier_stops.c.kind == str(StopKind.PICKUP))
    )
    return {r.job_id: (r.id, r.code, r.plate) for r in rows}


def box_of(conn: Connection, shift_id: str) -> int:
    """The litres of the shift's box."""
    found = conn.execute(
        select(courier_shifts.c.box_capacity_l).where(courier_shifts.c.id == shift_id)
    ).scalar_one()
    return int(found)


def planned_kinds(conn: Connection, job_id: str) -> list[StopKind]:
    """The kinds of the job's stops still planned, in any courier's plan."""
    rows = conn.execute(
        select(courier_stops.c.kind).where(
            courier_stops.c.job_id == job_id, courier_stops.c.status == str(StopStatus.PLANNED)
        )
    ).scalars()
    return sorted(StopKind(k) for k in rows)


def moped_of_job(conn: Connection, job_id: str) -> tuple[Position, datetime] | None:
    """Where the moped of the shift whose plan holds the job's pick-up last reported being, and
    when; ``None`` for a job in no plan."""
    row = conn.execute(
        select(vehicles.c.lat, vehicles.c.lon, vehicles.c.updated_at)
        .join(courier_shifts, courier_shifts.c.vehicle_id == vehicles.c.id)
        .join(courier_stops, courier_stops.c.shift_id == courier_shifts.c.id)
        .where(courier_stops.c.job_id == job_id, courier_stops.c.kind == str(StopKind.PICKUP))
    ).first()
    return None if row is None else (Position(row.lat, row.lon), row.updated_at)


def moped_positions(conn: Connection, shift_ids: Iterable[str]) -> dict[str, Position]:
    """Where each shift's moped last reported being, by shift."""
    ids = sorted(set(shift_ids))
    if not ids:
        return {}
    rows = conn.execute(
        select(courier_shifts.c.id, vehicles.c.lat, vehicles.c.lon)
        .join(vehicles, vehicles.c.id == courier_shifts.c.vehicle_id)
        .where(courier_shifts.c.id.in_(ids))
    )
    return {r.id: Position(r.lat, r.lon) for r in rows}
