"""What the public GBFS feeds read: the operators, and each one's vehicles riders may book
with the count of trips each has made (the public id rotates on it). Read only; the feeds
never write."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, func, select

from fleet.db.tables import bookings, courier_shifts, operators, vehicles
from fleet.db.vehicles import RIDER_CLASSES, on_courier_shift, vehicle_from_row
from fleet.identity import Operator
from fleet.vehicles import Vehicle, VehicleStatus

#: Statuses of a vehicle out on the street between rides: an active rental (``in_use``) and
#: a crew carrying it (``in_transit``) are not listed, as GBFS asks.
LISTED = (
    VehicleStatus.AVAILABLE,
    VehicleStatus.RESERVED,
    VehicleStatus.LOW_BATTERY,
    VehicleStatus.CHARGING,
    VehicleStatus.MAINTENANCE,
    VehicleStatus.OFFLINE,
)


@dataclass(frozen=True, slots=True)
class ListedVehicle:
    """A vehicle the feeds list, and how many trips it has made (bookings unlocked and
    couriers' shifts begun): the public id is derived from both."""

    vehicle: Vehicle
    trips: int


def operators_by_age(conn: Connection) -> list[Operator]:
    """Every operator, the oldest first (ties by name): the first is the feeds' default."""
    rows = conn.execute(
        select(operators).order_by(operators.c.created_at, operators.c.name, operators.c.id)
    ).mappings()
    return [Operator(id=r["id"], name=r["name"], city=r["city"]) for r in rows]


def find_operator(conn: Connection, operator_id: str) -> Operator | None:
    """The operator with this id, or ``None``."""
    row = conn.execute(select(operators).where(operators.c.id == operator_id)).mappings().first()
    return None if row is None else Operator(id=row["id"], name=row["name"], city=row["city"])


def listed_vehicles(conn: Connection, operator_id: str, now: datetime) -> list[ListedVehicle]:
    """The operator's vehicles of the classes riders book, standing between rides at ``now``,
    but for couriers' mopeds held for a shift; by id."""
    started = (
        select(func.count())
        .select_from(bookings)
        .where(bookings.c.vehicle_id == vehicles.c.id, bookings.c.started_at.is_not(None))
        .scalar_subquery()
    )
    # courier_shifts has no index on vehicle_id: counted in one pass, not once per vehicle
    shifts = (
        select(courier_shifts.c.vehicle_id, func.count().label("n"))
        .where(courier_shifts.c.start_at <= now)
        .group_by(courier_shifts.c.vehicle_id)
        .subquery()
    )
    rows = conn.execute(
        select(
            vehicles,
            started.label("trips_started"),
            func.coalesce(shifts.c.n, 0).label("shifts_begun"),
        )
        .select_from(vehicles.outerjoin(shifts, shifts.c.vehicle_id == vehicles.c.id))
        .where(
            vehicles.c.operator_id == operator_id,
            vehicles.c.vehicle_class.in_([str(c) for c in RIDER_CLASSES]),
            vehicles.c.status.in_([str(s) for s in LISTED]),
            ~on_courier_shift(now),
        )
        .order_by(vehicles.c.id)
    ).mappings()
    return [
        ListedVehicle(vehicle_from_row(r), int(r["trips_started"]) + int(r["shifts_begun"]))
        for r in rows
    ]
