"""What an operator's NGSI-LD export reads: the operator, all its vehicles, its parking
stations, its swap stations' stock and its zones, in one read."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select

from fleet.db.identity import get_operator
from fleet.db.sites import list_sites, list_zones
from fleet.db.stock import Stock, station_stock
from fleet.db.tables import vehicles
from fleet.db.vehicles import vehicle_from_row
from fleet.identity import Operator
from fleet.sites import Site, SiteKind
from fleet.vehicles import Vehicle
from fleet.zones import Zone


@dataclass(frozen=True, slots=True)
class FleetSnapshot:
    """One operator's fleet as the open data shows it, read at ``read_at``."""

    operator: Operator
    vehicles: Sequence[Vehicle]
    parking: Sequence[Site]
    swap_stations: Sequence[Stock]
    zones: Sequence[Zone]
    read_at: datetime


def read_fleet(conn: Connection, operator_id: str, now: datetime) -> FleetSnapshot:
    """Everything of ``operator_id`` its export shows (``NotFound`` for no such operator):
    vehicles by code, stations and zones by name."""
    operator = get_operator(conn, operator_id)
    rows = conn.execute(
        select(vehicles).where(vehicles.c.operator_id == operator_id).order_by(vehicles.c.code)
    ).mappings()
    return FleetSnapshot(
        operator=operator,
        vehicles=[vehicle_from_row(r) for r in rows],
        parking=list_sites(conn, operator_id, SiteKind.PARKING),
        swap_stations=station_stock(conn, operator_id),
        zones=list_zones(conn, operator_id),
        read_at=now,
    )
