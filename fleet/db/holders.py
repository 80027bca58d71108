"""Who holds a vehicle now: a rider's held or active booking, or staff out with a work EV."""

from __future__ import annotations

from sqlalchemy import Connection, select

from fleet.bookings import BookingStatus
from fleet.db.tables import bookings, reservations
from fleet.exceptions import Conflict
from fleet.vehicles import Vehicle
from fleet.workev import ReservationStatus


def check_not_taken(conn: Connection, vehicle: Vehicle) -> None:
    """Refuse to move the status of a vehicle someone holds or rides: the booking or
    reservation owns it until it ends (else the rider could not unlock it, nor book again)."""
    booking = conn.execute(
        select(bookings.c.id, bookings.c.status).where(
            bookings.c.vehicle_id == vehicle.id,
            bookings.c.status.in_((str(BookingStatus.HELD), str(BookingStatus.ACTIVE))),
        )
    ).first()
    if booking is not None and booking.status == BookingStatus.HELD:
        msg = (
            f"vehicle {vehicle.code} is held for a rider (booking {booking.id}): it stays "
            "theirs until they unlock it, cancel or the hold runs out"
        )
        raise Conflict(msg)
    if booking is not None:
        msg = (
            f"vehicle {vehicle.code} is in a ride (booking {booking.id}): its status changes "
            "when the ride ends"
        )
        raise Conflict(msg)
    taken = conn.execute(
        select(reservations.c.id).where(
            reservations.c.vehicle_id == vehicle.id,
            reservations.c.status == str(ReservationStatus.PICKED_UP),
        )
    ).first()
    if taken is not None:
        msg = f"work EV {vehicle.code} is out with staff (reservation {taken.id}) until returned"
        raise Conflict(msg)
