"""Courier shifts as managers and couriers change them: listed with names, checked for overlap,
moved through their machine, and their work given back when one ends early or is cancelled."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, select, update

from fleet.db.couriers import shift_from_row as _shift
from fleet.db.stops import still_working
from fleet.db.tables import courier_shifts, courier_stops, delivery_jobs, users, vehicles
from fleet.delivery import ON_BOARD_STATUSES, SHIFT_MACHINE, CourierShift, JobStatus, ShiftStatus
from fleet.exceptions import ChangedMeanwhile, NotFound
from fleet.plans import StopKind, StopStatus

#: A shift in one of these holds its courier and its moped.
OPEN = (str(ShiftStatus.SCHEDULED), str(ShiftStatus.ON_DUTY))


@dataclass(frozen=True, slots=True)
class NamedShift:
    """A shift with the names people use: the courier's and the moped's code."""

    shift: CourierShift
    courier_name: str
    vehicle_code: str


def _named(conn: Connection, where: list[Any], limit: int, offset: int) -> list[NamedShift]:
    rows = conn.execute(
        select(
            courier_shifts,
            users.c.display_name.label("courier_name"),
            vehicles.c.code.label("vehicle_code"),
        )
        .join(users, users.c.id == courier_shifts.c.courier_id)
        .join(vehicles, vehicles.c.id == courier_shifts.c.vehicle_id)
        .where(*where)
        .order_by(courier_shifts.c.start_at, courier_shifts.c.id)
        .limit(limit)
        .offset(offset)
    ).mappings()
    return [NamedShift(_shift(r), r["courier_name"], r["vehicle_code"]) for r in rows]


def list_shifts(
    conn: Connection,
    operator_id: str,
    statuses: Collection[ShiftStatus] = (),
    *,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[NamedShift], int]:
    """A page of the operator's shifts by start, and how many there are."""
    where = [courier_shifts.c.operator_id == operator_id]
    if statuses:
        where.append(courier_shifts.c.status.in_([str(s) for s in statuses]))
    total = conn.execute(
        select(func.count()).select_from(courier_shifts).where(*where)
    ).scalar_one()
    return _named(conn, where, limit, offset), int(total)


def get_shift(conn: Connection, operator_id: str, shift_id: str) -> NamedShift:
    """One of the operator's shifts.

    Raises
    ------
    NotFound
        No such shift of this operator.
    """
    where = [courier_shifts.c.operator_id == operator_id, courier_shifts.c.id == shift_id]
    found = _named(conn, where, 1, 0)
    if not found:
        msg = f"no courier shift {shift_id}"
        raise NotFound(msg)
    return found[0]


def clashing(
    conn: Connection,
    shift: CourierShift,
    *,
    ignore_id: str | None = None,
) -> str | None:
    """Why ``shift`` cannot be: its courier or its moped is on another open shift that
    overlaps it (``None`` when it can). The rows are locked so a concurrent manager waits."""
    where = [
        courier_shifts.c.status.in_(OPEN),
        courier_shifts.c.start_at < shift.window.end,
        courier_shifts.c.end_at > shift.window.start,
    ]
    if ignore_id is not None:
        where.append(courier_shifts.c.id != ignore_id)
    # lock the courier's and the moped's rows: two managers' overlapping shifts queue here
    conn.execute(select(users.c.id).where(users.c.id == shift.courier_id).with_for_update())
    conn.execute(select(vehicles.c.id).where(vehicles.c.id == shift.vehicle_id).with_for_update())
    for column, value, what in (
        (courier_shifts.c.courier_id, shift.courier_id, "the courier"),
        (courier_shifts.c.vehicle_id, shift.vehicle_id, "the moped"),
    ):
        other = conn.execute(
            select(courier_shifts.c.id).where(*where, column == value).limit(1)
        ).scalar()
        if other is not None:
            return f"{what} is already on shift {other} at that time"
    return None


def change_shift(
    conn: Connection, shift: CourierShift, target: ShiftStatus | None, **values: Any
) -> None:
    """Write the shift's new times, moped or status, only over the status read.

    Raises
    ------
    IllegalTransition
        The machine does not allow the move.
    ChangedMeanwhile
        The shift's status changed since it was read.
    """
    if target is not None and target is not shift.status:
        values["status"] = str(SHIFT_MACHINE.check(shift.status, target))
    changed = conn.execute(
        update(courier_shifts)
        .where(courier_shifts.c.id == shift.id, courier_shifts.c.status == str(shift.status))
        .values(plan_version=courier_shifts.c.plan_version + 1, **values)
    ).rowcount
    if changed != 1:
        msg = f"shift {shift.id} changed meanwhile; read it again"
        raise ChangedMeanwhile(msg)


def parcels_on_board(conn: Connection, shift_id: str) -> int:
    """Parcels picked up on the shift and not yet delivered or returned."""
    return int(
        conn.execute(
            select(func.count())
            .select_from(courier_stops)
            .join(delivery_jobs, delivery_jobs.c.id == courier_stops.c.job_id)
            .where(
                courier_stops.c.shift_id == shift_id,
                courier_stops.c.status == str(StopStatus.PLANNED),
                courier_stops.c.kind.in_([str(StopKind.DROPOFF), str(StopKind.RETURN)]),
                delivery_jobs.c.status.in_([str(s) for s in ON_BOARD_STATUSES]),
            )
        ).scalar_one()
    )


def give_back(conn: Connection, shift_id: str, reason: str) -> list[str]:
    """Drop the shift's planned stops and give its jobs not yet picked up back (unassigned,
    with ``reason``) for the next re-plan; their ids."""
    jobs = [
        r.job_id
        for r in conn.execute(
            select(courier_stops.c.job_id).where(
                courier_stops.c.shift_id == shift_id,
                courier_stops.c.status == str(StopStatus.PLANNED),
                courier_stops.c.job_id.is_not(None),
            )
        )
    ]
    conn.execute(
        delete(courier_stops).where(
            courier_stops.c.shift_id == shift_id,
            courier_stops.c.status == str(StopStatus.PLANNED),
        )
    )
    if jobs:
        conn.execute(
            update(delivery_jobs)
            .where(
                delivery_jobs.c.id.in_(jobs),
                delivery_jobs.c.status == str(JobStatus.ASSIGNED),
            )
            .values(status=str(JobStatus.UNASSIGNED), courier_id=None, reason=reason)
        )
    return sorted(set(jobs))


def open_shift_of(conn: Connection, courier_id: str, now: datetime) -> CourierShift | None:
    """The courier's shift on duty, else their scheduled one that covers ``now``."""
    rows = conn.execute(
        select(courier_shifts)
        .where(courier_shifts.c.courier_id == courier_id, still_working(now))
        .order_by(courier_shifts.c.start_at)
    ).mappings()
    shifts = [_shift(r) for r in rows]
    for shift in shifts:
        if shift.status is ShiftStatus.ON_DUTY:
            return shift
    return next((s for s in shifts if s.window.start <= now), None)
