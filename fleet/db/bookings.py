"""Bookings in the database: the conditional reservation that never gives a vehicle twice, and
the moves of a booking with its vehicle, each in the caller's transaction and audited."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from fleet.bookings import BOOKING_MACHINE, Booking, BookingStatus
from fleet.db.audit import record
from fleet.db.tables import bookings, vehicles
from fleet.exceptions import Conflict, NotFound
from fleet.records import AuditEntry
from fleet.vehicles import VEHICLE_MACHINE, VehicleStatus


@dataclass(frozen=True, slots=True)
class Receipt:
    """What a finished trip cost and did."""

    distance_m: int
    duration_s: int
    price_minor: int
    currency: str
    co2_avoided_g: int


def _booking(row: Mapping[Any, Any]) -> Booking:
    return Booking(
        id=row["id"],
        operator_id=row["operator_id"],
        rider_id=row["rider_id"],
        vehicle_id=row["vehicle_id"],
        status=BookingStatus(row["status"]),
        created_at=row["created_at"],
        hold_until=row["hold_until"],
        started_at=row["started_at"],
        ended_at=row["ended_at"],
    )


def receipt_of(row: Mapping[Any, Any]) -> Receipt | None:
    """The receipt stored with a completed booking."""
    if row["price_minor"] is None:
        return None
    return Receipt(
        row["distance_m"],
        row["duration_s"],
        row["price_minor"],
        row["currency"],
        row["co2_avoided_g"],
    )


def get_row(conn: Connection, operator_id: str, booking_id: str) -> Mapping[Any, Any]:
    """The booking's row (another operator's booking is not found)."""
    row = (
        conn.execute(
            select(bookings).where(
                bookings.c.id == booking_id, bookings.c.operator_id == operator_id
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        msg = f"no booking {booking_id}"
        raise NotFound(msg)
    return row


def get_booking(conn: Connection, operator_id: str, booking_id: str) -> Booking:
    """The booking."""
    return _booking(get_row(conn, operator_id, booking_id))


def open_booking_of(conn: Connection, rider_id: str) -> Booking | None:
    """The rider's held or active booking, if any."""
    row = (
        conn.execute(
            select(bookings).where(
                bookings.c.rider_id == rider_id,
                bookings.c.status.in_([str(BookingStatus.HELD), str(BookingStatus.ACTIVE)]),
            )
        )
        .mappings()
        .first()
    )
    return _booking(row) if row is not None else None


def set_vehicle_status(
    conn: Connection,
    vehicle_id: str,
    current: VehicleStatus,
    target: VehicleStatus,
    at: datetime,
    **values: Any,
) -> bool:
    """Move a vehicle from ``current`` to ``target`` if it is still in ``current`` (one
    conditional UPDATE: a concurrent writer makes it return False instead of both winning)."""
    VEHICLE_MACHINE.check(current, target)
    result = conn.execute(
        update(vehicles)
        .where(vehicles.c.id == vehicle_id, vehicles.c.status == str(current))
        .values(status=str(target), updated_at=at, version=vehicles.c.version + 1, **values)
    )
    return result.rowcount == 1


def hold(
    conn: Connection,
    *,
    operator_id: str,
    rider_id: str,
    vehicle_id: str,
    now: datetime,
    hold_until: datetime,
) -> Booking | None:
    """Reserve an available vehicle for a rider; ``None`` if someone else got it first.

    The vehicle moves ``available → reserved`` by a conditional update, and the booking row is
    guarded by a unique index on open bookings per vehicle and per rider, so across processes a
    vehicle is never held twice and a rider never holds two.
    """
    if not set_vehicle_status(
        conn, vehicle_id, VehicleStatus.AVAILABLE, VehicleStatus.RESERVED, now
    ):
        return None
    booking = Booking(
        id=str(uuid.uuid4()),
        operator_id=operator_id,
        rider_id=rider_id,
        vehicle_id=vehicle_id,
        status=BookingStatus.HELD,
        created_at=now,
        hold_until=hold_until,
    )
    try:
        with conn.begin_nested():
            conn.execute(
                insert(bookings).values(
                    id=booking.id,
                    operator_id=operator_id,
                    rider_id=rider_id,
                    vehicle_id=vehicle_id,
                    status=str(booking.status),
                    created_at=now,
                    hold_until=hold_until,
                )
            )
    except IntegrityError:
        msg = "you already have an open booking: unlock, end or cancel it first"
        raise Conflict(msg) from None
    record(
        conn,
        AuditEntry(
            now,
            operator_id,
            rider_id,
            "booking.hold",
            "booking",
            booking.id,
            {"vehicle_id": vehicle_id, "hold_until": hold_until.isoformat()},
        ),
    )
    return booking


def move(
    conn: Connection,
    booking: Booking,
    target: BookingStatus,
    now: datetime,
    actor_id: str | None,
    **values: Any,
) -> Booking:
    """Move a booking through its machine (conditional on its current status)."""
    BOOKING_MACHINE.check(booking.status, target)
    result = conn.execute(
        update(bookings)
        .where(bookings.c.id == booking.id, bookings.c.status == str(booking.status))
        .values(status=str(target), **values)
    )
    if result.rowcount != 1:
        msg = f"booking {booking.id} changed meanwhile; fetch it again"
        raise Conflict(msg)
    record(
        conn,
        AuditEntry(
            now,
            booking.operator_id,
            actor_id,
            f"booking.{target}",
            "booking",
            booking.id,
            {
                "status": [str(booking.status), str(target)],
                **{k: v for k, v in values.items() if not isinstance(v, datetime)},
            },
        ),
    )
    row = conn.execute(select(bookings).where(bookings.c.id == booking.id)).mappings().one()
    return _booking(row)


def expire_holds(conn: Connection, now: datetime) -> int:
    """Expire every hold past its time and free its vehicle; how many."""
    rows = (
        conn.execute(
            select(bookings).where(
                bookings.c.status == str(BookingStatus.HELD), bookings.c.hold_until <= now
            )
        )
        .mappings()
        .all()
    )
    for row in rows:
        booking = _booking(row)
        move(conn, booking, BookingStatus.EXPIRED, now, None)
        set_vehicle_status(
            conn, booking.vehicle_id, VehicleStatus.RESERVED, VehicleStatus.AVAILABLE, now
        )
    return len(rows)
