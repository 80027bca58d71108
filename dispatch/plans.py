"""Couriers' plans as stored: the open shifts, their planned stops, and plan versions.

Every change to a shift's plan bumps its ``plan_version``. A planner (insertion of a new job,
re-optimisation) reads the plans, computes, and writes only over the versions it read
(``claim_plan``); when another wrote meanwhile it reads and plans again. Courier actions (a stop
made) bump the version too (``touch_plan``), so a plan computed before them is never written.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, update

from fleet.db.tables import courier_shifts, courier_stops, operators, vehicles
from fleet.delivery import ShiftStatus
from fleet.exceptions import Conflict


def open_shifts(conn: Connection, operator_id: str, now: datetime) -> list[Mapping[Any, Any]]:
    """Shifts of the operator not yet over, with their moped's place and charge."""
    return list(
        conn.execute(
            select(courier_shifts, vehicles.c.lat, vehicles.c.lon, vehicles.c.soc_pct)
            .join(vehicles, vehicles.c.id == courier_shifts.c.vehicle_id)
            .where(
                courier_shifts.c.operator_id == operator_id,
                courier_shifts.c.status.in_([str(ShiftStatus.SCHEDULED), str(ShiftStatus.ON_DUTY)]),
                courier_shifts.c.end_at > now,
            )
            .order_by(courier_shifts.c.id)
        ).mappings()
    )


def planned_stops(conn: Connection, shifts: list[Mapping[Any, Any]]) -> list[Mapping[Any, Any]]:
    """The stops still planned on these shifts, each shift's in order."""
    if not shifts:
        return []
    return list(
        conn.execute(
            select(courier_stops)
            .where(
                courier_stops.c.shift_id.in_([s["id"] for s in shifts]),
                courier_stops.c.status == "planned",
            )
            .order_by(courier_stops.c.shift_id, courier_stops.c.seq)
        ).mappings()
    )


#: Times a planner re-reads and re-plans when another wrote a plan it read meanwhile.
PLAN_ATTEMPTS = 5


class StalePlan(Conflict):
    """A shift's plan changed between a planner reading it and writing over it."""


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


def lock_operator(conn: Connection, operator_id: str) -> None:
    """Hold the operator's row until the transaction ends, so its jobs are inserted into plans
    one at a time (PostgreSQL; SQLite's write transactions are one at a time already)."""
    conn.execute(select(operators.c.id).where(operators.c.id == operator_id).with_for_update())


def touch_plan(conn: Connection, shift_id: str) -> None:
    """Mark the shift's plan changed (a stop made): planners that read it must read again."""
    conn.execute(
        update(courier_shifts)
        .where(courier_shifts.c.id == shift_id)
        .values(plan_version=courier_shifts.c.plan_version + 1)
    )
