"""Where riders find vehicles: the available ones near a place, and how many stand near a
spot (the parking rule). Split from ``fleet.db.vehicles``, which keeps the fleet's rows."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Connection, and_, or_, select, true

from fleet.catalog import VehicleClass
from fleet.db.tables import vehicles
from fleet.db.vehicles import on_courier_shift, vehicle_from_row
from fleet.geo import EARTH_RADIUS_M, Position, degrees_around, haversine_m
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


@dataclass(frozen=True, slots=True)
class NearRow:
    """An available vehicle as the nearest-first search reads it: only what ranking needs,
    and ``key``, its place in the order (squared equirectangular metres, then the id)."""

    vehicle_id: str
    vehicle_class: VehicleClass
    position: Position
    soc_pct: float
    key: tuple[float, str]

    @property
    def straight_m(self) -> float:
        """The equirectangular distance the order runs on (within a metre or so of the
        great-circle one at a walk's scale)."""
        return math.sqrt(self.key[0])


def available_nearest(
    conn: Connection,
    operator_id: str | None,
    classes: Sequence[VehicleClass],
    near: Position,
    radius_m: float,
    now: datetime,
    *,
    after: tuple[float, str] | None,
    limit: int,
) -> list[NearRow]:
    """:func:`available_near`'s vehicles nearest first by straight line (ties by id), the next
    ``limit`` of them past ``after`` (the last row's ``key`` of the page before): a booking
    reads a few dozen instead of thousands in a dense fleet. Only the box's vehicles come."""
    dlat, dlon = degrees_around(near, radius_m)
    m_lat = math.pi * EARTH_RADIUS_M / 180
    m_lon = m_lat * max(0.01, math.cos(math.radians(near.lat)))
    dy = (vehicles.c.lat - near.lat) * m_lat
    dx = (vehicles.c.lon - near.lon) * m_lon
    d2 = (dy * dy + dx * dx).label("d2")
    where: list[ColumnElement[bool]] = [
        vehicles.c.operator_id == operator_id if operator_id is not None else true(),
        vehicles.c.status == str(VehicleStatus.AVAILABLE),
        ~on_courier_shift(now),
        vehicles.c.vehicle_class.in_([str(c) for c in classes]),
        vehicles.c.lat.between(near.lat - dlat, near.lat + dlat),
        vehicles.c.lon.between(near.lon - dlon, near.lon + dlon),
    ]
    if after is not None:
        where.append(or_(d2 > after[0], and_(d2 == after[0], vehicles.c.id > after[1])))
    rows = conn.execute(
        select(vehicles.c.id, vehicles.c.vehicle_class, vehicles.c.lat, vehicles.c.lon)
        .add_columns(vehicles.c.soc_pct, d2)
        .where(*where)
        .order_by(d2, vehicles.c.id)
        .limit(limit)
    ).all()
    return [
        NearRow(r.id, VehicleClass(r.vehicle_class), Position(r.lat, r.lon), r.soc_pct,
                (float(r.d2), r.id))
        for r in rows
    ]  # fmt: skip


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
