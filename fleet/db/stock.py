"""Swap stations' stock of packs per type: charging them up to date, counting what a planner may
count on, and reserving packs for an approved plan.

A docked pack charges from ``soc_at`` (``fleet.charging``); rather than a job ticking every pack
every minute, each reader of stock first brings the operator's docked packs up to ``now`` in its
own transaction (:func:`charge_docked`), so every read sees the charge the packs have.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, and_, func, select, update

from fleet.catalog import Catalog, VehicleClass
from fleet.charging import charged_soc
from fleet.db.tables import battery_packs, sites, station_slots
from fleet.geo import Position
from fleet.sites import CHARGED_PCT, PackLocation, SiteKind


def charge_docked(conn: Connection, operator_id: str, now: datetime, catalog: Catalog) -> int:
    """Bring the charge of the operator's packs in stations up to ``now``; how many changed.
    A pack docked with no ``soc_at`` starts charging now.

    Every reader of stock runs this (each dashboard's poll among them), so it skips the packs
    another transaction holds (``SKIP LOCKED`` on PostgreSQL; SQLite's writers queue): that one
    is writing them, and waiting for it while holding others deadlocked readers against it."""
    rows = conn.execute(
        select(
            battery_packs.c.serial,
            battery_packs.c.soc_pct,
            battery_packs.c.soc_at,
            battery_packs.c.pack_class,
        )
        .where(
            battery_packs.c.operator_id == operator_id,
            battery_packs.c.location == str(PackLocation.STATION),
            battery_packs.c.soc_pct < 100,
        )
        .order_by(battery_packs.c.serial)
        .with_for_update(skip_locked=True)
    ).all()
    changed = 0
    for serial, soc, soc_at, pack_class in rows:
        kind = catalog.get(VehicleClass(pack_class))
        new = soc if soc_at is None or kind is None else charged_soc(soc, soc_at, now, kind)
        changed += new != soc
        conn.execute(
            update(battery_packs)
            .where(battery_packs.c.serial == serial, battery_packs.c.soc_pct == soc)
            .values(soc_pct=round(new, 3), soc_at=now)
        )
    return changed


@dataclass(frozen=True, slots=True)
class Stock:
    """A swap station's stock: charged packs no plan reserved, and free slots, per class; and
    for people (the dashboard), the docked packs still charging and the slots per class."""

    site_id: str
    name: str
    position: Position
    charged: dict[VehicleClass, int]
    free_slots: dict[VehicleClass, int]
    charging: dict[VehicleClass, int] = field(default_factory=dict)
    slots: dict[VehicleClass, int] = field(default_factory=dict)


def station_stock(conn: Connection, operator_id: str) -> list[Stock]:
    """Every swap station of the operator with its stock, by name."""
    stations = conn.execute(
        select(sites.c.id, sites.c.name, sites.c.lat, sites.c.lon)
        .where(sites.c.operator_id == operator_id, sites.c.kind == str(SiteKind.SWAP_STATION))
        .order_by(sites.c.name)
    ).all()
    slots: dict[str, dict[VehicleClass, int]] = defaultdict(dict)
    for site_id, pack_class, n in conn.execute(
        select(station_slots.c.site_id, station_slots.c.pack_class, station_slots.c.slots)
        .join(sites, sites.c.id == station_slots.c.site_id)
        .where(sites.c.operator_id == operator_id)
    ):
        slots[site_id][VehicleClass(pack_class)] = int(n)
    docked: dict[str, dict[VehicleClass, int]] = defaultdict(lambda: defaultdict(int))
    charged: dict[str, dict[VehicleClass, int]] = defaultdict(lambda: defaultdict(int))
    charging: dict[str, dict[VehicleClass, int]] = defaultdict(lambda: defaultdict(int))
    for site_id, pack_class, soc, reserved in conn.execute(
        select(
            battery_packs.c.location_id,
            battery_packs.c.pack_class,
            battery_packs.c.soc_pct,
            battery_packs.c.reserved_by,
        ).where(
            battery_packs.c.operator_id == operator_id,
            battery_packs.c.location == str(PackLocation.STATION),
        )
    ):
        cls = VehicleClass(pack_class)
        docked[site_id][cls] += 1
        if soc >= CHARGED_PCT and reserved is None:
            charged[site_id][cls] += 1
        elif soc < CHARGED_PCT:
            charging[site_id][cls] += 1
    return [
        Stock(
            site_id,
            name,
            Position(lat, lon),
            dict(charged[site_id]),
            {c: max(0, n - docked[site_id][c]) for c, n in slots[site_id].items()},
            dict(charging[site_id]),
            dict(slots[site_id]),
        )
        for site_id, name, lat, lon in stations
    ]


def reserve_packs(
    conn: Connection, site_id: str, pack_class: VehicleClass, wanted: int, task_id: str
) -> int:
    """Reserve up to ``wanted`` of the station's charged, unreserved packs of ``pack_class`` for
    ``task_id``, fullest first; how many it got. Each pack is taken with a conditional update, so
    two approvals at once never reserve one pack twice."""
    candidates = conn.execute(
        select(battery_packs.c.serial)
        .where(
            battery_packs.c.location == str(PackLocation.STATION),
            battery_packs.c.location_id == site_id,
            battery_packs.c.pack_class == str(pack_class),
            battery_packs.c.soc_pct >= CHARGED_PCT,
            battery_packs.c.reserved_by.is_(None),
        )
        .order_by(battery_packs.c.soc_pct.desc(), battery_packs.c.serial)
    ).scalars()
    got = 0
    for serial in candidates:
        if got >= wanted:
            break
        got += conn.execute(
            update(battery_packs)
            .where(battery_packs.c.serial == serial, battery_packs.c.reserved_by.is_(None))
            .values(reserved_by=task_id)
        ).rowcount
    return got


def release_packs(conn: Connection, task_ids: Iterable[str]) -> int:
    """Release the packs reserved for these tasks; how many."""
    ids = list(task_ids)
    if not ids:
        return 0
    return conn.execute(
        update(battery_packs).where(battery_packs.c.reserved_by.in_(ids)).values(reserved_by=None)
    ).rowcount


def reserved_count(conn: Connection, task_id: str) -> int:
    """How many packs are reserved for ``task_id``."""
    return int(
        conn.execute(
            select(func.count())
            .select_from(battery_packs)
            .where(and_(battery_packs.c.reserved_by == task_id))
        ).scalar_one()
    )


def charged_in_van(
    conn: Connection, shift_id: str, pack_class: VehicleClass
) -> tuple[str, float] | None:
    """The fullest charged pack of ``pack_class`` in the van of crew shift ``shift_id``."""
    row = conn.execute(
        select(battery_packs.c.serial, battery_packs.c.soc_pct)
        .where(
            battery_packs.c.location == str(PackLocation.VAN),
            battery_packs.c.location_id == shift_id,
            battery_packs.c.pack_class == str(pack_class),
            battery_packs.c.soc_pct >= CHARGED_PCT,
        )
        .order_by(battery_packs.c.soc_pct.desc(), battery_packs.c.serial)
        .limit(1)
    ).first()
    return (str(row.serial), float(row.soc_pct)) if row is not None else None


def exchange(
    conn: Connection,
    vehicle_id: str,
    spent: str | None,
    spent_soc: float,
    fresh: str,
    shift_id: str,
    at: datetime,
) -> None:
    """Swap a vehicle's pack from the van: ``spent`` (if it is really the vehicle's) into the
    van at ``spent_soc``, ``fresh`` into the vehicle."""
    if spent is not None:
        conn.execute(
            update(battery_packs)
            .where(
                battery_packs.c.serial == spent,
                battery_packs.c.location == str(PackLocation.VEHICLE),
                battery_packs.c.location_id == vehicle_id,
            )
            .values(
                location=str(PackLocation.VAN), location_id=shift_id, soc_pct=spent_soc, soc_at=at
            )
        )
    conn.execute(
        update(battery_packs)
        .where(battery_packs.c.serial == fresh)
        .values(location=str(PackLocation.VEHICLE), location_id=vehicle_id, reserved_by=None)
    )


def load_reserved(conn: Connection, task_id: str, shift_id: str) -> int:
    """Move the packs reserved for ``task_id`` into the van of ``shift_id``; how many."""
    return conn.execute(
        update(battery_packs)
        .where(battery_packs.c.reserved_by == task_id)
        .values(location=str(PackLocation.VAN), location_id=shift_id, slot=None, reserved_by=None)
    ).rowcount


def dock_spent(conn: Connection, site_id: str, shift_id: str, at: datetime) -> int:
    """Dock the spent packs in the van of ``shift_id`` in the station's free slots of their
    type (a full cabinet leaves them in the van); how many. They charge from ``at``. Vans
    docking at one station take turns on its row, so two never pick the same free slot."""
    conn.execute(select(sites.c.id).where(sites.c.id == site_id).with_for_update())
    capacity = dict(
        conn.execute(
            select(station_slots.c.pack_class, station_slots.c.slots).where(
                station_slots.c.site_id == site_id
            )
        ).all()
    )
    rows = conn.execute(
        select(battery_packs.c.slot, battery_packs.c.pack_class).where(
            battery_packs.c.location == str(PackLocation.STATION),
            battery_packs.c.location_id == site_id,
        )
    ).all()
    used = {r.slot for r in rows}
    per_class: dict[str, int] = defaultdict(int)
    for r in rows:
        per_class[r.pack_class] += 1
    spent = conn.execute(
        select(battery_packs.c.serial, battery_packs.c.pack_class)
        .where(
            battery_packs.c.location == str(PackLocation.VAN),
            battery_packs.c.location_id == shift_id,
            battery_packs.c.soc_pct < CHARGED_PCT,
        )
        .order_by(battery_packs.c.serial)
    ).all()
    free_slot, docked = 1, 0
    for serial, cls in spent:
        if per_class[cls] >= capacity.get(cls, 0):
            continue  # that cabinet is full: the pack stays in the van
        while free_slot in used:
            free_slot += 1
        conn.execute(
            update(battery_packs)
            .where(battery_packs.c.serial == serial)
            .values(
                location=str(PackLocation.STATION), location_id=site_id, slot=free_slot, soc_at=at
            )
        )
        used.add(free_slot)
        per_class[cls] += 1
        docked += 1
    return docked
