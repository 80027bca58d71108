"""Couriers' battery swaps: what the swap stations can hand out, and the swap itself.

A courier low on charge is routed via a station by the planners (``dispatch.insertion`` and
``routing.courier_model``); at the cabinet the courier's pack goes into the slot of the charged
pack they take, and the moped's charge becomes that pack's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Connection, func, select, update

from dispatch.plans import touch_plan
from fleet.catalog import DEFAULT_CATALOG, VehicleClass
from fleet.db.audit import record
from fleet.db.engine import writing
from fleet.db.tables import battery_packs, courier_shifts, courier_stops, sites, vehicles
from fleet.exceptions import Conflict, NotFound
from fleet.geo import Position
from fleet.identity import User
from fleet.records import AuditEntry
from fleet.sites import PackLocation, SiteKind

if TYPE_CHECKING:
    from dispatch.couriers import CourierService

MOPED = DEFAULT_CATALOG[VehicleClass.E_MOPED]
#: A pack at or above this charge counts as charged inventory (``BatteryPack.charged``).
CHARGED_PCT = 95.0


def range_m(soc_pct: float) -> int:
    """Metres a moped's pack at this charge carries a courier (down to empty)."""
    return MOPED.range_m(soc_pct)


#: Metres of range a courier keeps at every stop (the moped's low-battery threshold): only the
#: ride to a swap station may use it.
RESERVE_M = MOPED.range_m(MOPED.low_battery_pct)


@dataclass(frozen=True, slots=True)
class Station:
    """A swap station as the planners see it: charged packs on hand and the best one's range."""

    site_id: str
    name: str
    position: Position
    charged_packs: int
    range_after_m: int


def stations(conn: Connection, operator_id: str) -> list[Station]:
    """The operator's swap stations that have a charged pack to hand out."""
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
        Station(r.id, r.name, Position(r.lat, r.lon), int(r.charged), range_m(float(r.best)))
        for r in rows
    ]


@dataclass(frozen=True, slots=True)
class Swapped:
    """The outcome of a swap: the pack now in the moped and what it gives."""

    pack_serial: str
    soc_pct: float
    range_m: int


def swapped(service: CourierService, courier: User, stop_id: str) -> Swapped:
    """The courier made the planned swap ``stop_id`` (see ``swap_at_stop``), in one transaction."""
    now = service.clock.now()
    with writing(service.engine) as conn:
        return swap_at_stop(conn, courier, stop_id, now)


def swap_at_stop(conn: Connection, courier: User, stop_id: str, now: datetime) -> Swapped:
    """Make the planned swap ``stop_id`` of the courier: their pack goes into the slot of the
    station's fullest charged pack, which goes into the moped.

    Raises
    ------
    NotFound
        No such swap in the courier's plan.
    Conflict
        The swap is already made, or the station has no charged pack left.
    """
    stop = (
        conn.execute(
            select(courier_stops, courier_shifts.c.courier_id, courier_shifts.c.vehicle_id)
            .join(courier_shifts, courier_shifts.c.id == courier_stops.c.shift_id)
            .where(courier_stops.c.id == stop_id, courier_stops.c.kind == "swap")
        )
        .mappings()
        .first()
    )
    if stop is None or stop["courier_id"] != courier.id:
        msg = f"swap {stop_id} is not in your plan"
        raise NotFound(msg)
    if stop["status"] != "planned":
        msg = f"swap {stop_id} is already {stop['status']}"
        raise Conflict(msg)
    station = conn.execute(select(sites.c.name).where(sites.c.id == stop["site_id"])).scalar_one()
    fresh = (
        conn.execute(
            select(battery_packs)
            .where(
                battery_packs.c.location == str(PackLocation.STATION),
                battery_packs.c.location_id == stop["site_id"],
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
    moped = (
        conn.execute(select(vehicles).where(vehicles.c.id == stop["vehicle_id"])).mappings().one()
    )
    slot = fresh["slot"]
    # free the slot first: (location_id, slot) is unique
    conn.execute(
        update(battery_packs)
        .where(battery_packs.c.serial == fresh["serial"])
        .values(location=str(PackLocation.VEHICLE), location_id=moped["id"], slot=None)
    )
    if moped["battery_serial"] is not None:
        conn.execute(
            update(battery_packs)
            .where(battery_packs.c.serial == moped["battery_serial"])
            .values(
                location=str(PackLocation.STATION),
                location_id=stop["site_id"],
                slot=slot,
                soc_pct=moped["soc_pct"],
            )
        )
    conn.execute(
        update(vehicles)
        .where(vehicles.c.id == moped["id"])
        .values(
            battery_serial=fresh["serial"],
            soc_pct=fresh["soc_pct"],
            updated_at=now,
            version=moped["version"] + 1,
        )
    )
    conn.execute(
        update(courier_stops).where(courier_stops.c.id == stop_id).values(status="done", eta=now)
    )
    touch_plan(conn, stop["shift_id"])
    record(
        conn,
        AuditEntry(
            now,
            courier.operator_id,
            courier.id,
            "courier.swap",
            "vehicle",
            moped["id"],
            {
                "station": stop["site_id"],
                "pack_in": fresh["serial"],
                "pack_out": moped["battery_serial"],
                "soc_pct": [moped["soc_pct"], fresh["soc_pct"]],
            },
        ),
    )
    return Swapped(fresh["serial"], float(fresh["soc_pct"]), range_m(float(fresh["soc_pct"])))
