"""Couriers' shifts and plans in the database: the snapshot planners read, the one plan writer,
and the stops couriers make.

Every change to a shift's plan bumps its ``plan_version``. A planner reads the plans, computes,
and writes only over the versions it read (:func:`write_plans`); a courier's action bumps the
version too (``fleet.db.stops.touch_plan``), so a plan computed before it is never written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, or_, select, update

from fleet.db.deliveries import jobs_by_id, open_jobs
from fleet.db.packs import swap_stations
from fleet.db.sites import list_zones
from fleet.db.stops import still_working, stop_from_row
from fleet.db.tables import courier_shifts, courier_stops, delivery_jobs, vehicles
from fleet.delivery import (
    ON_BOARD_STATUSES,
    OPEN_JOB_STATUSES,
    CourierShift,
    JobStatus,
    ShiftStatus,
    TimeWindow,
)
from fleet.exceptions import ChangedMeanwhile
from fleet.geo import Position
from fleet.ids import Ids
from fleet.plans import OpenShift, PlanChange, PlannedStop, PlanSnapshot, StopKind, StopStatus

#: Jobs a planner may (re)assign: not yet picked up, not finished.
ASSIGNABLE = (str(JobStatus.POSTED), str(JobStatus.UNASSIGNED), str(JobStatus.ASSIGNED))


class StalePlan(ChangedMeanwhile):
    """A shift's plan, or a job in it, changed between a planner reading it and writing."""


def _shift(row: Mapping[Any, Any]) -> CourierShift:
    return CourierShift(
        id=row["id"],
        operator_id=row["operator_id"],
        courier_id=row["courier_id"],
        vehicle_id=row["vehicle_id"],
        window=TimeWindow(row["start_at"], row["end_at"]),
        box_capacity_l=row["box_capacity_l"],
        status=ShiftStatus(row["status"]),
    )


#: A shift from its row (for the other repositories of shifts).
shift_from_row = _shift


def open_shifts(conn: Connection, operator_id: str, now: datetime) -> list[OpenShift]:
    """Shifts of the operator still working (``still_working``), with their moped's place,
    charge and whether it can be ridden."""
    rows = conn.execute(
        select(
            courier_shifts,
            vehicles.c.lat,
            vehicles.c.lon,
            vehicles.c.soc_pct,
            vehicles.c.status.label("vehicle_status"),
        )
        .join(vehicles, vehicles.c.id == courier_shifts.c.vehicle_id)
        .where(
            courier_shifts.c.operator_id == operator_id,
            still_working(now),
        )
        .order_by(courier_shifts.c.id)
    ).mappings()
    return [
        OpenShift(
            _shift(r),
            Position(r["lat"], r["lon"]),
            float(r["soc_pct"]),
            r["plan_version"],
            r["vehicle_status"] in COURIER_USABLE,
        )
        for r in rows
    ]


#: A courier's moped in one of these can be ridden (low on battery: to a swap station).
COURIER_USABLE = ("available", "low_battery")


def planned_stops(conn: Connection, shift_ids: Sequence[str]) -> list[PlannedStop]:
    """The stops still planned on these shifts, each shift's in order."""
    if not shift_ids:
        return []
    rows = conn.execute(
        select(courier_stops)
        .where(
            courier_stops.c.shift_id.in_(list(shift_ids)),
            courier_stops.c.status == str(StopStatus.PLANNED),
        )
        .order_by(courier_stops.c.shift_id, courier_stops.c.seq)
    ).mappings()
    return [stop_from_row(r) for r in rows]


def read_snapshot(
    conn: Connection, operator_id: str, now: datetime, *, all_open_jobs: bool
) -> PlanSnapshot:
    """What a planner reads, in one go: the jobs in the plans and, with ``all_open_jobs`` (a
    re-plan), every other job still to do, picked-up ones whatever their window."""
    shifts = open_shifts(conn, operator_id, now)
    stops = planned_stops(conn, [s.shift.id for s in shifts])
    jobs = jobs_by_id(conn, [s.job_id for s in stops if s.job_id is not None])
    if all_open_jobs:
        jobs |= {j.id: j for j in open_jobs(conn, operator_id, now)}
    return PlanSnapshot(
        operator_id=operator_id,
        at=now,
        shifts=tuple(shifts),
        stops=tuple(stops),
        jobs=jobs,
        stations=tuple(swap_stations(conn, operator_id)),
        zones=tuple(list_zones(conn, operator_id)),
    )


def claim_plan(conn: Connection, shift_id: str, seen_version: int) -> None:
    """Take the right to write the shift's plan: only if it is still the version read.

    Raises
    ------
    StalePlan
        Someone changed the plan since (the caller's transaction must roll back).
    """
    changed = conn.execute(
        update(courier_shifts)
        .where(courier_shifts.c.id == shift_id, courier_shifts.c.plan_version == seen_version)
        .values(plan_version=seen_version + 1)
    ).rowcount
    if changed != 1:
        msg = "the courier's plan changed meanwhile; plan again"
        raise StalePlan(msg)


def write_plans(conn: Connection, change: PlanChange, ids: Ids) -> None:
    """Write a planner's change in the caller's transaction: claim every shift's plan at the
    version read, replace the planned stops of all of them at once (so a job moving between
    couriers never meets itself), assign the jobs picked up by their new courier and give the
    dropped ones back.

    Raises
    ------
    StalePlan
        A plan changed since it was read, or a job of the new plans is no longer assignable
        (the caller's transaction must roll back and plan again).
    """
    claim_plans(conn, change)
    write_routes(conn, change, ids)


def claim_plans(conn: Connection, change: PlanChange) -> None:
    """Claim every shift of the change at the version read (``claim_plan``), in one order
    everywhere, so planners and couriers' actions never deadlock.

    Raises
    ------
    StalePlan
        A plan changed since it was read.
    """
    for shift_id in sorted(change.versions):
        claim_plan(conn, shift_id, change.versions[shift_id])


def write_routes(conn: Connection, change: PlanChange, ids: Ids) -> None:
    """The second half of :func:`write_plans`, for a caller that claimed the plans already
    (``claim_plans``) and changed jobs in between."""
    shift_ids = sorted(change.routes)
    if shift_ids:
        conn.execute(
            delete(courier_stops).where(
                courier_stops.c.shift_id.in_(shift_ids),
                courier_stops.c.status == str(StopStatus.PLANNED),
            )
        )
    courier_of = dict(
        conn.execute(
            select(courier_shifts.c.id, courier_shifts.c.courier_id).where(
                courier_shifts.c.id.in_(shift_ids)
            )
        ).all()
    )
    rows = [
        {
            "id": ids.new_id(),
            "operator_id": change.operator_id,
            "shift_id": shift_id,
            "job_id": stop.job_id,
            "site_id": stop.site_id,
            "kind": str(stop.kind),
            "seq": seq,
            "lat": stop.position.lat,
            "lon": stop.position.lon,
            "eta": stop.eta,
            "status": str(StopStatus.PLANNED),
        }
        for shift_id in shift_ids
        for seq, stop in enumerate(change.routes[shift_id])
    ]
    if rows:
        conn.execute(insert(courier_stops), rows)
    for shift_id in shift_ids:
        picked = [s.job_id for s in change.routes[shift_id] if s.kind is StopKind.PICKUP]
        _assign(conn, [j for j in picked if j is not None], courier_of[shift_id])
    for job_id, reason in sorted(change.dropped.items()):
        conn.execute(
            update(delivery_jobs)
            .where(delivery_jobs.c.id == job_id, delivery_jobs.c.status.in_(ASSIGNABLE))
            .values(status=str(JobStatus.UNASSIGNED), courier_id=None, reason=reason)
        )


def _assign(conn: Connection, job_ids: list[str], courier_id: str) -> None:
    """Assign the jobs to the courier, all or none: one that is no longer assignable (picked
    up, cancelled meanwhile) makes the plan stale."""
    if not job_ids:
        return
    changed = conn.execute(
        update(delivery_jobs)
        .where(delivery_jobs.c.id.in_(job_ids), delivery_jobs.c.status.in_(ASSIGNABLE))
        .values(status=str(JobStatus.ASSIGNED), courier_id=courier_id, reason=None)
    ).rowcount
    if changed != len(set(job_ids)):
        msg = "a job of the plan changed meanwhile (picked up, cancelled); plan again"
        raise StalePlan(msg)


def add_shift(conn: Connection, shift: CourierShift) -> CourierShift:
    """Store a new shift."""
    conn.execute(
        insert(courier_shifts).values(
            id=shift.id,
            operator_id=shift.operator_id,
            courier_id=shift.courier_id,
            vehicle_id=shift.vehicle_id,
            start_at=shift.window.start,
            end_at=shift.window.end,
            box_capacity_l=shift.box_capacity_l,
            status=str(shift.status),
        )
    )
    return shift


def operators_with_open_work(conn: Connection, now: datetime) -> list[str]:
    """Operators with a courier on shift (or about to be) and a job still to deliver: one whose
    drop-off window is open, or a parcel on board."""
    open_jobs_ = [str(s) for s in OPEN_JOB_STATUSES]
    return sorted(
        conn.execute(
            select(courier_shifts.c.operator_id)
            .distinct()
            .join(delivery_jobs, delivery_jobs.c.operator_id == courier_shifts.c.operator_id)
            .where(
                still_working(now),
                delivery_jobs.c.status.in_(open_jobs_),
                or_(
                    delivery_jobs.c.dropoff_end > now,
                    delivery_jobs.c.status.in_([str(s) for s in ON_BOARD_STATUSES]),
                ),
            )
        ).scalars()
    )
