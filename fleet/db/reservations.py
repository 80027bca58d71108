"""Work-EV reservations in the database (audited; the caller's transaction)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from fleet.db.audit import record
from fleet.db.tables import reservations
from fleet.delivery import TimeWindow
from fleet.exceptions import Conflict, NotFound
from fleet.records import AuditEntry
from fleet.workev import RESERVATION_MACHINE, Reservation, ReservationStatus

#: Reservations that hold an EV's time.
HOLDING = (ReservationStatus.CONFIRMED, ReservationStatus.PICKED_UP, ReservationStatus.FLAGGED)


def _reservation(row: Mapping[Any, Any]) -> Reservation:
    return Reservation(
        id=row["id"],
        operator_id=row["operator_id"],
        company_id=row["company_id"],
        employee_id=row["employee_id"],
        hub_id=row["hub_id"],
        slot=TimeWindow(row["start_at"], row["end_at"]),
        planned_distance_m=row["planned_distance_m"],
        status=ReservationStatus(row["status"]),
        vehicle_id=row["vehicle_id"],
        reason=row["reason"],
    )


def create(
    conn: Connection,
    *,
    operator_id: str,
    company_id: str,
    employee_id: str,
    hub_id: str,
    slot: TimeWindow,
    planned_distance_m: int,
    vehicle_id: str,
    now: datetime,
) -> Reservation:
    """Store a confirmed reservation on ``vehicle_id``."""
    reservation = Reservation(
        id=str(uuid.uuid4()),
        operator_id=operator_id,
        company_id=company_id,
        employee_id=employee_id,
        hub_id=hub_id,
        slot=slot,
        planned_distance_m=planned_distance_m,
        status=ReservationStatus.CONFIRMED,
        vehicle_id=vehicle_id,
    )
    conn.execute(
        insert(reservations).values(
            id=reservation.id,
            operator_id=operator_id,
            company_id=company_id,
            employee_id=employee_id,
            hub_id=hub_id,
            vehicle_id=vehicle_id,
            start_at=slot.start,
            end_at=slot.end,
            planned_distance_m=planned_distance_m,
            status=str(reservation.status),
            reason=None,
        )
    )
    record(
        conn,
        AuditEntry(
            now,
            operator_id,
            employee_id,
            "reservation.create",
            "reservation",
            reservation.id,
            {
                "vehicle_id": vehicle_id,
                "hub_id": hub_id,
                "start": slot.start.isoformat(),
                "end": slot.end.isoformat(),
            },
        ),
    )
    return reservation


def get(conn: Connection, operator_id: str, reservation_id: str) -> Reservation:
    """The reservation (another operator's is not found)."""
    row = (
        conn.execute(
            select(reservations).where(
                reservations.c.id == reservation_id, reservations.c.operator_id == operator_id
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        msg = f"no reservation {reservation_id}"
        raise NotFound(msg)
    return _reservation(row)


def holding(
    conn: Connection, *, vehicle_ids: Sequence[str] = (), employee_id: str | None = None
) -> list[Reservation]:
    """Reservations holding time on these vehicles, or of this employee."""
    query = select(reservations).where(reservations.c.status.in_([str(s) for s in HOLDING]))
    if vehicle_ids:
        query = query.where(reservations.c.vehicle_id.in_(list(vehicle_ids)))
    if employee_id is not None:
        query = query.where(reservations.c.employee_id == employee_id)
    rows = conn.execute(query.order_by(reservations.c.start_at)).mappings()
    return [_reservation(r) for r in rows]


def listing(
    conn: Connection,
    operator_id: str,
    *,
    company_id: str | None = None,
    employee_id: str | None = None,
    status: str | None = None,
) -> list[Reservation]:
    """Reservations of an operator, narrowed to a company, an employee or a status."""
    query = select(reservations).where(reservations.c.operator_id == operator_id)
    if company_id is not None:
        query = query.where(reservations.c.company_id == company_id)
    if employee_id is not None:
        query = query.where(reservations.c.employee_id == employee_id)
    if status is not None:
        query = query.where(reservations.c.status == status)
    rows = conn.execute(query.order_by(reservations.c.start_at)).mappings()
    return [_reservation(r) for r in rows]


def move(
    conn: Connection,
    reservation: Reservation,
    target: ReservationStatus,
    now: datetime,
    actor_id: str | None,
    **values: Any,
) -> Reservation:
    """Move a reservation through its machine (conditional on its current status)."""
    RESERVATION_MACHINE.check(reservation.status, target)
    result = conn.execute(
        update(reservations)
        .where(
            reservations.c.id == reservation.id, reservations.c.status == str(reservation.status)
        )
        .values(status=str(target), **values)
    )
    if result.rowcount != 1:
        msg = f"reservation {reservation.id} changed meanwhile; fetch it again"
        raise Conflict(msg)
    record(
        conn,
        AuditEntry(
            now,
            reservation.operator_id,
            actor_id,
            f"reservation.{target}",
            "reservation",
            reservation.id,
            {"status": [str(reservation.status), str(target)], **values},
        ),
    )
    return get(conn, reservation.operator_id, reservation.id)


def reassign(
    conn: Connection, reservation: Reservation, vehicle_id: str, now: datetime, reason: str
) -> Reservation:
    """Put a confirmed or flagged reservation on another EV."""
    values: dict[str, Any] = {"vehicle_id": vehicle_id, "reason": None}
    if reservation.status is ReservationStatus.FLAGGED:
        return move(conn, reservation, ReservationStatus.CONFIRMED, now, None, **values)
    conn.execute(update(reservations).where(reservations.c.id == reservation.id).values(**values))
    record(
        conn,
        AuditEntry(
            now,
            reservation.operator_id,
            None,
            "reservation.reassign",
            "reservation",
            reservation.id,
            {"vehicle_id": [reservation.vehicle_id, vehicle_id], "reason": reason},
        ),
    )
    return get(conn, reservation.operator_id, reservation.id)
