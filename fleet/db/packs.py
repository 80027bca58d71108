"""Swap stations' packs in the database: what planners may count on, and the swap itself."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select, update

from fleet.db.audit import record
from fleet.db.stops import close_stop
from fleet.db.tables import battery_packs, sites
from fleet.db.vehicles import vehicle_version, write_if_version
from fleet.exceptions import ChangedMeanwhile, Conflict
from fleet.geo import Position
from fleet.plans import PlannedStop, StopStatus, SwapStation
from fleet.records import AuditEntry
from fleet.sites import CHARGED_PCT, PackLocation, SiteKind
from fleet.vehicles import Vehicle, status_for_charge


def swap_stations(conn: Connection, operator_id: str) -> list[SwapStation]:
    """The operator's swap stations that have a charged pack to hand out, by name."""
    rows = conn.execute(
        select(
            sites.c.id,
            sites.c.name,
            sites.c.lat,
            sites.c.lon,
            func.count(battery_packs.c.serial).label("charged"),
            func.max(battery_packs.c.soc_pct).label("best"),
        )
        .join(battery_packs, battery_packs.c.location_id == sites.c.id)
        .where(
            sites.c.operator_id == operator_id,
            sites.c.kind == str(SiteKind.SWAP_STATION),
            battery_packs.c.location == str(PackLocation.STATION),
            battery_packs.c.soc_pct >= CHARGED_PCT,
        )
        .group_by(sites.c.id, sites.c.name, sites.c.lat, sites.c.lon)
        .order_by(sites.c.name)
    ).all()
    return [
        SwapStation(r.id, r.name, Position(r.lat, r.lon), int(r.charged), float(r.best))
        for r in rows
    ]


@dataclass(frozen=True, slots=True)
class Exchange:
    """The packs a swap exchanged: the one now in the moped and its charge."""

    pack_in: str
    soc_pct: float
    pack_out: str | None


def _fullest_pack(conn: Connection, site_id: str) -> tuple[str, Mapping[Any, Any]]:
    """The station's name and its fullest charged pack.

    Raises
    ------
    Conflict
        The station has no charged pack left.
    """
    station = conn.execute(select(sites.c.name).where(sites.c.id == site_id)).scalar_one()
    fresh = (
        conn.execute(
            select(battery_packs)
            .where(
                battery_packs.c.location == str(PackLocation.STATION),
                battery_packs.c.location_id == site_id,
                battery_packs.c.soc_pct >= CHARGED_PCT,
            )
            .order_by(battery_packs.c.soc_pct.desc(), battery_packs.c.serial)
            .limit(1)
        )
        .mappings()
        .first()
    )
    if fresh is None:
        msg = f"{station} has no charged pack left: ride on to another station"
        raise Conflict(msg)
    return str(station), fresh


def swap_at(
    conn: Connection,
    stop: PlannedStop,
    vehicle_id: str,
    at: datetime,
    actor_id: str,
    low_battery_pct: float,
) -> Exchange:
    """Make the planned swap ``stop`` with the shift's moped, in the caller's transaction: the
    moped's pack goes into the slot of the station's fullest charged pack, which goes into the
    moped (its status following the charge). Every row is written only as it was read, so a
    concurrent change is a ``Conflict``, never a lost update.

    Raises
    ------
    Conflict
        The swap is already made, or the station has no charged pack left.
    ChangedMeanwhile
        The moped or the pack changed since read (roll back; a fresh read may succeed).
    """
    if stop.status is not StopStatus.PLANNED:
        msg = f"swap {stop.id} is already {stop.status}"
        raise Conflict(msg)
    assert stop.site_id is not None
    station, fresh = _fullest_pack(conn, stop.site_id)
    moped, version = vehicle_version(conn, vehicle_id)
    pack_out = _pack_in(conn, moped)  # read before the fresh pack joins the moped
    # free the slot first: (location_id, slot) is unique
    taken = conn.execute(
        update(battery_packs)
        .where(
            battery_packs.c.serial == fresh["serial"],
            battery_packs.c.location == str(PackLocation.STATION),
            battery_packs.c.location_id == stop.site_id,
        )
        .values(location=str(PackLocation.VEHICLE), location_id=moped.id, slot=None)
    ).rowcount
    if taken != 1:
        msg = f"pack {fresh['serial']} was taken from {station} meanwhile; swap again"
        raise ChangedMeanwhile(msg)
    if pack_out is not None:
        _dock(conn, pack_out, stop.site_id, fresh["slot"], moped.soc_pct)
    write_if_version(
        conn,
        replace(
            moped,
            battery_serial=fresh["serial"],
            soc_pct=(soc := fresh["soc_pct"]),
            status=status_for_charge(moped.status, soc, low_battery_pct),
            updated_at=at,
        ),
        version,
    )
    close_stop(conn, stop, StopStatus.DONE, at)
    record(
        conn,
        AuditEntry(
            at,
            moped.operator_id,
            actor_id,
            "courier.swap",
            "vehicle",
            moped.id,
            {
                "station": stop.site_id,
                "pack_in": fresh["serial"],
                "pack_out": pack_out,
                "soc_pct": [moped.soc_pct, fresh["soc_pct"]],
            },
        ),
    )
    return Exchange(fresh["serial"], float(fresh["soc_pct"]), pack_out)


def _pack_in(conn: Connection, moped: Vehicle) -> str | None:
    """The serial of the pack in ``moped``, or ``None``. A moped's ``battery_serial`` is only
    what a manager typed at registration: it may name no pack, or a pack elsewhere, even another
    operator's, which a swap must leave where it is."""
    if moped.battery_serial is None:
        return None
    found = conn.execute(
        select(battery_packs.c.serial).where(
            battery_packs.c.serial == moped.battery_serial,
            battery_packs.c.operator_id == moped.operator_id,
            battery_packs.c.location == str(PackLocation.VEHICLE),
            battery_packs.c.location_id == moped.id,
        )
    ).scalar_one_or_none()
    return str(found) if found is not None else None


def _dock(conn: Connection, serial: str, station_id: str, slot: int, soc_pct: float) -> None:
    """Put the pack ``serial``, taken out of a moped, into the station's ``slot``."""
    conn.execute(
        update(battery_packs)
        .where(battery_packs.c.serial == serial)
        .values(
            location=str(PackLocation.STATION), location_id=station_id, slot=slot, soc_pct=soc_pct
        )
    )
