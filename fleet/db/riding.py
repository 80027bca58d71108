"""Where riders find vehicles: the available ones near a place, and how many stand near a
spot (the parking rule). Split from ``fleet.db.vehicles``, which keeps the fleet's rows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, select, true

from fleet.catalog import VehicleClass
from fleet.db.tables import vehicles
from fleet.db.vehicles import on_courier_shift, vehicle_from_row
from fleet.geo import Position, degrees_around, haversine_m
from fleet.vehicles import Vehicle, VehicleStatus


def available_near(
    conn: Connection,
    operator_id: str | None,
    classes: Sequence[VehicleClass],
    near: Position,
    radius_m: float,
    now: datetime,
) -> list[Vehicle]:
    """The operator's available vehicles of these classes in the box of ``radius_m`` around
    ``near`` (a bounding box: callers measure the real distance), but for couriers' mopeds on
    shift at ``now``; ``operator_id`` ``None``: every operator's."""
    dlat, dlon = degrees_around(near, radius_m)
    rows = conn.execute(
        select(vehicles)
        .where(
            vehicles.c.operator_id == operator_id if operator_id is not None else true(),
            vehicles.c.status == str(VehicleStatus.AVAILABLE),
            ~on_courier_shift(now),
            vehicles.c.vehicle_class.in_([str(c) for c in classes]),
            vehicles.c.lat.between(near.lat - dlat, near.lat + dlat),
            vehicles.c.lon.between(near.lon - dlon, near.lon + dlon),
        )
        .order_by(vehicles.c.id)
    ).mappings()
    return [vehicle_from_row(r) for r in rows]


#: Statuses of a vehicle standing somewhere (not ridden or driven).
PARKED = (
    VehicleStatus.AVAILABLE,
    VehicleStatus.LOW_BATTERY,
    VehicleStatus.RESERVED,
    VehicleStatus.MAINTENANCE,
    VehicleStatus.CHARGING,
    VehicleStatus.OFFLINE,
)


def count_parked_near(
    conn: Connection, operator_id: str, position: Position, radius_m: float
) -> int:
    """How many of the operator's vehicles stand within ``radius_m`` of ``position``."""
    dlat, dlon = degrees_around(position, radius_m)
    rows = conn.execute(
        select(vehicles.c.lat, vehicles.c.lon).where(
            vehicles.c.operator_id == operator_id,
            vehicles.c.status.in_([str(s) for s in PARKED]),
            vehicles.c.lat.between(position.lat - dlat, position.lat + dlat),
            vehicles.c.lon.between(position.lon - dlon, position.lon + dlon),
        )
    ).all()
    return sum(1 for r in rows if haversine_m(r.lat, r.lon, position.lat, position.lon) <= radius_m)
