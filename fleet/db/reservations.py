"""Work-EV reservations in the database (audited; the caller's transaction)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from fleet.catalog import VehicleClass
from fleet.db.audit import record
from fleet.db.tables import reservations, vehicles
from fleet.db.transitions import Move, move_status
from fleet.db.vehicles import vehicle_from_row
from fleet.delivery import TimeWindow
from fleet.exceptions import Conflict, NotFound
from fleet.geo import haversine_m
from fleet.records import AuditEntry
from fleet.sites import Site
from fleet.vehicles import Vehicle, VehicleStatus
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


def create(conn: Connection, reservation: Reservation, now: datetime) -> Reservation:
    """Store a new reservation (confirmed on its EV)."""
    slot = reservation.slot
    conn.execute(
        insert(reservations).values(
            id=reservation.id,
            operator_id=reservation.operator_id,
            company_id=reservation.company_id,
            employee_id=reservation.employee_id,
            hub_id=reservation.hub_id,
            vehicle_id=reservation.vehicle_id,
            start_at=slot.start,
            end_at=slot.end,
            planned_distance_m=reservation.planned_distance_m,
            status=str(reservation.status),
            reason=reservation.reason,
        )
    )
    record(
        conn,
        AuditEntry(
            now,
            reservation.operator_id,
            reservation.employee_id,
            "reservation.create",
            "reservation",
            reservation.id,
            {
                "vehicle_id": reservation.vehicle_id,
                "hub_id": reservation.hub_id,
                "start": slot.start.isoformat(),
                "end": slot.end.isoformat(),
            },
        ),
    )
    return reservation


def get(
    conn: Connection, operator_id: str, reservation_id: str, *, lock: bool = False
) -> Reservation:
    """The reservation (another operator's is not found). With ``lock`` (PostgreSQL) its row
    stays locked to the end of the transaction, so a pick-up, a cancel and a reassign of one
    reservation take turns and each sees what the one before wrote."""
    query = select(reservations).where(
        reservations.c.id == reservation_id, reservations.c.operator_id == operator_id
    )
    if lock:
        query = query.with_for_update()
    row = conn.execute(query).mappings().first()
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
    move_status(
        conn,
        reservations,
        RESERVATION_MACHINE,
        Move(
            "reservation",
            reservation.id,
            reservation.operator_id,
            reservation.status,
            target,
            now,
            actor_id,
        ),
        values,
    )
    return get(conn, reservation.operator_id, reservation.id)


def reassign(
    conn: Connection,
    reservation: Reservation,
    vehicle_id: str,
    now: datetime,
    reason: str,
    actor_id: str | None = None,
) -> Reservation:
    """Put a confirmed or flagged reservation on another EV.

    Raises
    ------
    Conflict
        The reservation left ``confirmed`` meanwhile (picked up or cancelled).
    """
    values: dict[str, Any] = {"vehicle_id": vehicle_id, "reason": None}
    if reservation.status is ReservationStatus.FLAGGED:
        return move(conn, reservation, ReservationStatus.CONFIRMED, now, actor_id, **values)
    changed = conn.execute(
        update(reservations)
        .where(
            reservations.c.id == reservation.id,
            reservations.c.status == str(ReservationStatus.CONFIRMED),
        )
        .values(**values)
    )
    if changed.rowcount != 1:
        msg = f"reservation {reservation.id} is no longer confirmed"
        raise Conflict(msg)
    record(
        conn,
        AuditEntry(
            now,
            reservation.operator_id,
            actor_id,
            "reservation.reassign",
            "reservation",
            reservation.id,
            {"vehicle_id": [reservation.vehicle_id, vehicle_id], "reason": reason},
        ),
    )
    return get(conn, reservation.operator_id, reservation.id)


def evs_at_hub(
    conn: Connection, operator_id: str, hub: Site, radius_m: float, *, lock: bool
) -> list[Vehicle]:
    """The operator's work EVs in service standing within ``radius_m`` of the hub. With
    ``lock`` (PostgreSQL) their rows stay locked until the transaction ends, so one writer at a
    time plans a hub's EVs."""
    query = (
        select(vehicles)
        .where(
            vehicles.c.operator_id == operator_id,
            vehicles.c.vehicle_class == str(VehicleClass.WORK_EV),
            vehicles.c.status.notin_([str(VehicleStatus.MAINTENANCE), str(VehicleStatus.OFFLINE)]),
        )
        .order_by(vehicles.c.id)
    )
    if lock:
        query = query.with_for_update()
    return [
        vehicle
        for vehicle in (vehicle_from_row(r) for r in conn.execute(query).mappings())
        if haversine_m(
            vehicle.position.lat, vehicle.position.lon, hub.position.lat, hub.position.lon
        )
        <= radius_m
    ]


def overdue(conn: Connection, now: datetime) -> list[Reservation]:
    """Reservations whose EV was picked up and is not back after the slot's end."""
    rows = conn.execute(
        select(reservations)
        .where(
            reservations.c.status == str(ReservationStatus.PICKED_UP),
            reservations.c.end_at < now,
        )
        .order_by(reservations.c.end_at, reservations.c.id)
    ).mappings()
    return [_reservation(r) for r in rows]
