"""Vans, crew shifts and swap stations' slots per pack type in the database."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from fleet.catalog import VehicleClass
from fleet.crews import CARRIED, CrewShift, Van
from fleet.db.tables import crew_shifts, sites, station_slots, vans
from fleet.exceptions import NotFound
from fleet.geo import Position


def insert_van(conn: Connection, van: Van) -> Van:
    """Store a van."""
    conn.execute(
        insert(vans).values(
            id=van.id,
            operator_id=van.operator_id,
            name=van.name,
            depot_id=van.depot_id,
            capacity_packs=van.capacity_packs,
            **{f"capacity_{c}": van.capacity_vehicles.get(c, 0) for c in CARRIED},
        )
    )
    return van


def _van(r: Mapping[Any, Any]) -> Van:
    return Van(
        id=r["id"],
        operator_id=r["operator_id"],
        name=r["name"],
        depot_id=r["depot_id"],
        capacity_vehicles={c: int(r[f"capacity_{c}"]) for c in CARRIED},
        capacity_packs=int(r["capacity_packs"]),
    )


def insert_crew_shift(conn: Connection, shift: CrewShift) -> CrewShift:
    """Store a crew shift."""
    conn.execute(
        insert(crew_shifts).values(
            id=shift.id,
            operator_id=shift.operator_id,
            crew_id=shift.crew_id,
            van_id=shift.van_id,
            start_at=shift.start_at,
            end_at=shift.end_at,
        )
    )
    return shift


def _shift(r: Mapping[Any, Any]) -> CrewShift:
    return CrewShift(
        id=r["id"],
        operator_id=r["operator_id"],
        crew_id=r["crew_id"],
        van_id=r["van_id"],
        start_at=r["start_at"],
        end_at=r["end_at"],
    )


@dataclass(frozen=True, slots=True)
class ShiftWithVan:
    """A crew shift, its van and where the van's depot is."""

    shift: CrewShift
    van: Van
    depot: Position


def shifts_on(conn: Connection, operator_id: str, at: datetime) -> list[ShiftWithVan]:
    """The operator's crew shifts on at ``at`` (or starting later and ending after it: a plan
    may be made for a shift about to start), with their vans, by start."""
    rows = conn.execute(
        select(
            crew_shifts,
            *(c.label(f"v__{c.name}") for c in vans.c),
            sites.c.lat.label("depot_lat"),
            sites.c.lon.label("depot_lon"),
        )
        .join(vans, vans.c.id == crew_shifts.c.van_id)
        .join(sites, sites.c.id == vans.c.depot_id)
        .where(crew_shifts.c.operator_id == operator_id, crew_shifts.c.end_at > at)
        .order_by(crew_shifts.c.start_at, crew_shifts.c.id)
    ).mappings()
    found = []
    for r in rows:
        van = _van({k.removeprefix("v__"): v for k, v in r.items() if k.startswith("v__")})
        found.append(ShiftWithVan(_shift(r), van, Position(r["depot_lat"], r["depot_lon"])))
    return found


def get_shift(conn: Connection, operator_id: str, shift_id: str) -> CrewShift:
    """The operator's crew shift; another operator's is not found."""
    row = (
        conn.execute(
            select(crew_shifts).where(
                crew_shifts.c.id == shift_id, crew_shifts.c.operator_id == operator_id
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        msg = f"no crew shift {shift_id}"
        raise NotFound(msg)
    return _shift(row)


def set_station_slots(conn: Connection, site_id: str, slots: Mapping[VehicleClass, int]) -> None:
    """Give a swap station its slots per pack type (replacing what it had); its total slots
    follow."""
    conn.execute(station_slots.delete().where(station_slots.c.site_id == site_id))
    rows = [
        {"site_id": site_id, "pack_class": str(c), "slots": n} for c, n in slots.items() if n > 0
    ]
    if rows:
        conn.execute(insert(station_slots), rows)
    conn.execute(update(sites).where(sites.c.id == site_id).values(slots=sum(slots.values())))
