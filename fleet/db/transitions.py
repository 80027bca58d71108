"""A status change of a row: checked by its state machine, conditional on the status read,
audited in the same transaction. Bookings, reservations and delivery jobs all move this way."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, Table, update

from fleet.db.audit import record
from fleet.exceptions import ChangedMeanwhile
from fleet.records import AuditEntry
from fleet.statemachine import Machine


@dataclass(frozen=True, slots=True)
class Move:
    """Who moves which row from what to what, and when."""

    entity: str  # "booking", "reservation", "job": the audit's entity and the action's prefix
    row_id: str
    operator_id: str
    current: StrEnum
    target: StrEnum
    at: datetime
    actor_id: str | None


def move_status(
    conn: Connection,
    table: Table,
    machine: Machine[Any],
    move: Move,
    values: Mapping[str, Any] | None = None,
    audit: Mapping[str, Any] | None = None,
) -> None:
    """Move ``move.row_id`` of ``table`` from ``current`` to ``target`` and write the other
    ``values`` with it, in one conditional UPDATE; then append the audit entry (the status
    change and ``audit``, by default the values).

    Raises
    ------
    IllegalTransition
        The machine does not allow the move.
    Conflict
        The row is no longer in ``current`` (someone moved it meanwhile).
    """
    machine.check(move.current, move.target)
    values = dict(values or {})
    changed = conn.execute(
        update(table)
        .where(table.c.id == move.row_id, table.c.status == str(move.current))
        .values(status=str(move.target), **values)
    ).rowcount
    if changed != 1:
        msg = f"{move.entity} {move.row_id} changed meanwhile; fetch it again"
        raise ChangedMeanwhile(msg)
    record(
        conn,
        AuditEntry(
            move.at,
            move.operator_id,
            move.actor_id,
            f"{move.entity}.{move.target}",
            move.entity,
            move.row_id,
            {
                "status": [str(move.current), str(move.target)],
                **(values if audit is None else audit),
            },
        ),
    )
