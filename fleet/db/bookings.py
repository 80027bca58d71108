"""Bookings in the database: the conditional hold that never gives a vehicle twice, and the
moves of a booking with its vehicle, each in the caller's transaction and audited."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, exists, func, insert, select
from sqlalchemy.exc import IntegrityError

from fleet.bookings import BOOKING_MACHINE, Booking, BookingStatus, Receipt
from fleet.carbon import Footprint
from fleet.db import carbon as carbon_db
from fleet.db.audit import record
from fleet.db.tables import bookings
from fleet.db.transitions import Move, move_status
from fleet.db.vehicles import on_courier_shift, set_vehicle_status
from fleet.exceptions import Conflict, NotFound
from fleet.geo import Position
from fleet.records import AuditEntry
from fleet.vehicles import VehicleStatus

OPEN_STATUSES = (str(BookingStatus.HELD), str(BookingStatus.ACTIVE))


def _booking(row: Mapping[Any, Any]) -> Booking:
    receipt = None
    if row["price_minor"] is not None:
        receipt = Receipt(
            row["distance_m"],
            row["duration_s"],
            row["price_minor"],
            row["currency"],
            row["co2_avoided_g"],
            row["receipt_flag"],
            row["distance_method"],
        )
    start = None
    if row["start_lat"] is not None:
        start = Position(row["start_lat"], row["start_lon"])
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
        start=start,
        receipt=receipt,
    )


def get_booking(conn: Connection, operator_id: str, booking_id: str) -> Booking:
    """The booking (another operator's booking is not found)."""
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
    return _booking(row)


def open_booking_of(conn: Connection, rider_id: str) -> Booking | None:
    """The rider's held or active booking, if any."""
    row = (
        conn.execute(
            select(bookings).where(
                bookings.c.rider_id == rider_id, bookings.c.status.in_(OPEN_STATUSES)
            )
        )
        .mappings()
        .first()
    )
    return _booking(row) if row is not None else None


def bookings_of(
    conn: Connection,
    rider_id: str,
    statuses: Collection[BookingStatus] = (),
    *,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Booking], int]:
    """A page of the rider's bookings, newest first, and how many there are in all."""
    where = [bookings.c.rider_id == rider_id]
    if statuses:
        where.append(bookings.c.status.in_([str(s) for s in statuses]))
    total = conn.execute(select(func.count()).select_from(bookings).where(*where)).scalar_one()
    rows = conn.execute(
        select(bookings)
        .where(*where)
        .order_by(bookings.c.created_at.desc(), bookings.c.id)
        .limit(limit)
        .offset(offset)
    ).mappings()
    return [_booking(r) for r in rows], int(total)


def hold(conn: Connection, booking: Booking) -> Booking | None:
    """Store a new held ``booking``, reserving its vehicle; ``None`` if someone else got the
    vehicle first.

    The vehicle moves ``available → reserved`` by a conditional update, which also refuses a
    courier's moped on shift, and the booking row is guarded by a unique index on open bookings
    per vehicle and per rider, so across processes a vehicle is never held twice, a rider never
    holds two, and no rider holds a courier's moped.
    """
    if not set_vehicle_status(
        conn,
        booking.vehicle_id,
        VehicleStatus.AVAILABLE,
        VehicleStatus.RESERVED,
        booking.created_at,
        only_if=~on_courier_shift(booking.created_at),
    ):
        return None
    try:
        with conn.begin_nested():
            conn.execute(
                insert(bookings).values(
                    id=booking.id,
                    operator_id=booking.operator_id,
                    rider_id=booking.rider_id,
                    vehicle_id=booking.vehicle_id,
                    status=str(booking.status),
                    created_at=booking.created_at,
                    hold_until=booking.hold_until,
                )
            )
    except IntegrityError:
        msg = "you already have an open booking: unlock, end or cancel it first"
        raise Conflict(msg) from None
    record(
        conn,
        AuditEntry(
            booking.created_at,
            booking.operator_id,
            booking.rider_id,
            "booking.hold",
            "booking",
            booking.id,
            {"vehicle_id": booking.vehicle_id, "hold_until": booking.hold_until.isoformat()},
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
    """Move a booking through its machine (conditional on its current status); the booking as
    stored after the move."""
    move_status(
        conn,
        bookings,
        BOOKING_MACHINE,
        Move("booking", booking.id, booking.operator_id, booking.status, target, now, actor_id),
        values,
        {k: v for k, v in values.items() if not isinstance(v, datetime)},
    )
    return get_booking(conn, booking.operator_id, booking.id)


def start_trip(conn: Connection, booking: Booking, now: datetime, where: Position) -> Booking:
    """The rider unlocked: the booking becomes active from ``where``, the vehicle in use.

    Raises
    ------
    Conflict
        The vehicle is no longer reserved for this booking.
    """
    started = move(
        conn,
        booking,
        BookingStatus.ACTIVE,
        now,
        booking.rider_id,
        started_at=now,
        start_lat=where.lat,
        start_lon=where.lon,
    )
    if not set_vehicle_status(
        conn, booking.vehicle_id, VehicleStatus.RESERVED, VehicleStatus.IN_USE, now
    ):
        msg = "the vehicle is no longer reserved for you"
        raise Conflict(msg)
    return started


def cancel(conn: Connection, booking: Booking, now: datetime) -> Booking:
    """The rider gave the held vehicle back: the booking is cancelled, the vehicle available."""
    cancelled = move(conn, booking, BookingStatus.CANCELLED, now, booking.rider_id, ended_at=now)
    set_vehicle_status(
        conn, booking.vehicle_id, VehicleStatus.RESERVED, VehicleStatus.AVAILABLE, now
    )
    return cancelled


def complete_trip(
    conn: Connection,
    booking: Booking,
    now: datetime,
    where: Position,
    receipt: Receipt,
    *,
    soc_pct: float,
    after: VehicleStatus,
    co2: Footprint | None = None,
) -> Booking:
    """The trip ended at ``where``: the booking completes with its receipt, the vehicle stands
    there with the charge left and the distance on its odometer, and the CO2 ledger is credited
    ``co2`` (``None``: nothing, as for a flagged trip). A vehicle the ride left in another status
    than available (low on battery) has that change audited too, after the booking's: the
    regulator's feed says trip_end, then battery_low."""
    ended = move(
        conn,
        booking,
        BookingStatus.COMPLETED,
        now,
        booking.rider_id,
        ended_at=now,
        end_lat=where.lat,
        end_lon=where.lon,
        distance_m=receipt.distance_m,
        duration_s=receipt.duration_s,
        price_minor=receipt.price_minor,
        currency=receipt.currency,
        co2_avoided_g=receipt.co2_avoided_g,
        receipt_flag=receipt.flag,
        distance_method=receipt.distance_method,
    )
    set_vehicle_status(
        conn,
        booking.vehicle_id,
        VehicleStatus.IN_USE,
        after,
        now,
        soc_pct=soc_pct,
        lat=where.lat,
        lon=where.lon,
        odometer_increase_m=receipt.distance_m,
    )
    if after is not VehicleStatus.AVAILABLE:  # the ride left it low: a change of its own
        record(
            conn,
            AuditEntry(
                now,
                booking.operator_id,
                booking.rider_id,
                "vehicle.update",
                "vehicle",
                booking.vehicle_id,
                {"status": [str(VehicleStatus.IN_USE), str(after)], "soc_pct": soc_pct},
            ),
        )
    if co2 is not None:
        carbon_db.credit(conn, booking.operator_id, "ride", booking.id, now, co2)
    return ended


def any_hold_due(conn: Connection, now: datetime) -> bool:
    """Whether some hold has run out (a cheap read before taking the write lock)."""
    due = select(bookings.c.id).where(
        bookings.c.status == str(BookingStatus.HELD), bookings.c.hold_until <= now
    )
    return bool(conn.execute(select(exists(due))).scalar())


def expire_holds(conn: Connection, now: datetime) -> int:
    """Expire every hold past its time and free its vehicle; how many.

    Every listing of vehicles runs this, so many requests expire the same holds at once: each
    takes the due holds no other has locked (``SKIP LOCKED`` on PostgreSQL; SQLite's writers
    queue), so the second of two never finds a hold moved under it and fails its request."""
    rows = (
        conn.execute(
            select(bookings)
            .where(bookings.c.status == str(BookingStatus.HELD), bookings.c.hold_until <= now)
            .with_for_update(skip_locked=True)
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
