"""The crews as the managers' dashboard shows them: each crew member with their shift (on now,
else the next), its van, where the van is and what it carries, and their open tasks. A handful
of queries over the operator's crews, never one per person."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, func, select

from fleet.catalog import VehicleClass
from fleet.crews import CrewShift, Van
from fleet.db.crews import shifts_on
from fleet.db.dashboard import TASKS_OVER
from fleet.db.tables import battery_packs, ops_tasks, users
from fleet.geo import Position
from fleet.identity import Role
from fleet.ops import TaskStatus
from fleet.sites import CHARGED_PCT, PackLocation


@dataclass(frozen=True, slots=True)
class CrewBoard:
    """One crew member: their shift and van (``None`` off shift), where the van is (its last
    task done this shift, else its depot), the packs on board per class (charged and spent) and
    how many tasks are open for them."""

    user_id: str
    display_name: str
    shift: CrewShift | None
    van: Van | None
    van_at: Position | None
    charged_on_board: dict[VehicleClass, int]
    spent_on_board: dict[VehicleClass, int]
    open_tasks: int


def _last_done(conn: Connection, shift_ids: list[str]) -> dict[str, Position]:
    """Per shift, the place of its latest task done (where its van stands now)."""
    if not shift_ids:
        return {}
    rows = conn.execute(
        select(ops_tasks.c.shift_id, ops_tasks.c.target_lat, ops_tasks.c.target_lon)
        .where(
            ops_tasks.c.shift_id.in_(shift_ids),
            ops_tasks.c.status == str(TaskStatus.DONE),
            ops_tasks.c.target_lat.is_not(None),
        )
        .order_by(ops_tasks.c.updated_at, ops_tasks.c.sequence)
    ).all()
    return {shift_id: Position(lat, lon) for shift_id, lat, lon in rows}


def _packs(
    conn: Connection, shift_ids: list[str]
) -> dict[str, tuple[dict[VehicleClass, int], dict[VehicleClass, int]]]:
    """Per shift, the packs in its van: charged and spent, per class."""
    found: dict[str, tuple[dict[VehicleClass, int], dict[VehicleClass, int]]] = defaultdict(
        lambda: ({}, {})
    )
    if not shift_ids:
        return found
    charged = battery_packs.c.soc_pct >= CHARGED_PCT
    for shift_id, pack_class, is_charged, n in conn.execute(
        select(battery_packs.c.location_id, battery_packs.c.pack_class, charged, func.count())
        .where(
            battery_packs.c.location == str(PackLocation.VAN),
            battery_packs.c.location_id.in_(shift_ids),
        )
        .group_by(battery_packs.c.location_id, battery_packs.c.pack_class, charged)
    ):
        found[shift_id][0 if is_charged else 1][VehicleClass(pack_class)] = int(n)
    return found


def crew_board(conn: Connection, operator_id: str, now: datetime) -> list[CrewBoard]:
    """Every crew member of the operator, by name."""
    people = conn.execute(
        select(users.c.id, users.c.display_name)
        .where(users.c.operator_id == operator_id, users.c.role == str(Role.CREW))
        .order_by(users.c.display_name, users.c.id)
    ).all()
    shifts: dict[str, tuple[CrewShift, Van, Position]] = {}
    for s in shifts_on(conn, operator_id, now):  # by start: the first is on now, or next
        shifts.setdefault(s.shift.crew_id, (s.shift, s.van, s.depot))
    ids = [s.id for s, _, _ in shifts.values()]
    done_at, packs = _last_done(conn, ids), _packs(conn, ids)
    open_counts: dict[str, int] = dict(
        conn.execute(
            select(ops_tasks.c.assignee_id, func.count())
            .where(
                ops_tasks.c.operator_id == operator_id,
                ops_tasks.c.assignee_id.is_not(None),
                ops_tasks.c.status.not_in([str(s) for s in TASKS_OVER]),
            )
            .group_by(ops_tasks.c.assignee_id)
        ).all()
    )
    board = []
    for user_id, name in people:
        shift, van, depot = shifts.get(user_id, (None, None, None))
        charged, spent = packs[shift.id] if shift is not None else ({}, {})
        at = done_at.get(shift.id, depot) if shift is not None else None
        board.append(
            CrewBoard(
                user_id, name, shift, van, at, charged, spent, int(open_counts.get(user_id, 0))
            )
        )
    return board
