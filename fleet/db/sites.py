"""Sites (depots, swap stations, EV hubs, parking), battery packs and zones."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select

from fleet.catalog import VehicleClass
from fleet.clock import Clock
from fleet.db.audit import record
from fleet.db.tables import battery_packs, sites, zones
from fleet.geo import Area, Position
from fleet.records import AuditEntry
from fleet.sites import BatteryPack, PackLocation, ParkingKind, Site, SiteKind
from fleet.zones import Zone, ZoneKind
from fleet.zones import check_in_service_area as in_service_area


def insert_site(conn: Connection, site: Site, clock: Clock, actor_id: str | None = None) -> Site:
    """Store a site."""
    conn.execute(
        insert(sites).values(
            id=site.id,
            operator_id=site.operator_id,
            kind=str(site.kind),
            name=site.name,
            lat=site.position.lat,
            lon=site.position.lon,
            capacity=site.capacity,
            slots=site.slots,
            chargers=site.chargers,
            charger_power_kw=site.charger_power_kw,
            parking_kind=str(site.parking_kind) if site.parking_kind else None,
        )
    )
    record(
        conn,
        AuditEntry(
            clock.now(),
            site.operator_id,
            actor_id,
            "site.create",
            "site",
            site.id,
            {"kind": str(site.kind), "name": site.name},
        ),
    )
    return site


def _site(r: Mapping[Any, Any]) -> Site:
    return Site(
        id=r["id"],
        operator_id=r["operator_id"],
        kind=SiteKind(r["kind"]),
        name=r["name"],
        position=Position(r["lat"], r["lon"]),
        capacity=r["capacity"],
        slots=r["slots"],
        chargers=r["chargers"],
        charger_power_kw=r["charger_power_kw"],
        parking_kind=ParkingKind(r["parking_kind"]) if r["parking_kind"] else None,
    )


def list_sites(conn: Connection, operator_id: str, kind: SiteKind | None = None) -> list[Site]:
    """The operator's sites, by name."""
    query = select(sites).where(sites.c.operator_id == operator_id)
    if kind is not None:
        query = query.where(sites.c.kind == str(kind))
    return [_site(r) for r in conn.execute(query.order_by(sites.c.name)).mappings()]


def insert_pack(conn: Connection, pack: BatteryPack, soc_at: datetime | None = None) -> BatteryPack:
    """Store a battery pack; ``soc_at``: when its charge was read (a docked pack charges on
    from then)."""
    conn.execute(
        insert(battery_packs).values(
            serial=pack.serial,
            operator_id=pack.operator_id,
            capacity_wh=pack.capacity_wh,
            soc_pct=pack.soc_pct,
            health_pct=pack.health_pct,
            location=str(pack.location),
            location_id=pack.location_id,
            slot=pack.slot,
            pack_class=str(pack.pack_class),
            soc_at=soc_at,
        )
    )
    return pack


def list_packs(
    conn: Connection, operator_id: str, location_id: str | None = None
) -> list[BatteryPack]:
    """The operator's packs (at one vehicle, station or van when ``location_id`` is given)."""
    query = select(battery_packs).where(battery_packs.c.operator_id == operator_id)
    if location_id is not None:
        query = query.where(battery_packs.c.location_id == location_id)
    rows = conn.execute(query.order_by(battery_packs.c.serial)).mappings()
    return [
        BatteryPack(
            serial=r["serial"],
            operator_id=r["operator_id"],
            capacity_wh=r["capacity_wh"],
            soc_pct=r["soc_pct"],
            health_pct=r["health_pct"],
            location=PackLocation(r["location"]),
            location_id=r["location_id"],
            slot=r["slot"],
            pack_class=VehicleClass(r["pack_class"]),
        )
        for r in rows
    ]


def insert_zone(conn: Connection, zone: Zone, clock: Clock, actor_id: str | None = None) -> Zone:
    """Store a zone."""
    conn.execute(
        insert(zones).values(
            id=zone.id,
            operator_id=zone.operator_id,
            kind=str(zone.kind),
            name=zone.name,
            geometry=zone.area.to_geojson(),
            speed_limit_kph=zone.speed_limit_kph,
            active_from=zone.active_from,
            active_until=zone.active_until,
        )
    )
    record(
        conn,
        AuditEntry(
            clock.now(),
            zone.operator_id,
            actor_id,
            "zone.create",
            "zone",
            zone.id,
            {
                "kind": str(zone.kind),
                "name": zone.name,
                **({"active_from": zone.active_from.isoformat()} if zone.active_from else {}),
                **({"active_until": zone.active_until.isoformat()} if zone.active_until else {}),
            },
        ),
    )
    return zone


def list_zones(conn: Connection, operator_id: str, kind: ZoneKind | None = None) -> list[Zone]:
    """The operator's zones, by name."""
    query = select(zones).where(zones.c.operator_id == operator_id)
    if kind is not None:
        query = query.where(zones.c.kind == str(kind))
    return [zone_from_row(r) for r in conn.execute(query.order_by(zones.c.name)).mappings()]


def zone_from_row(r: Mapping[Any, Any]) -> Zone:
    """The zone a row of ``zones`` holds."""
    return Zone(
        id=r["id"],
        operator_id=r["operator_id"],
        kind=ZoneKind(r["kind"]),
        name=r["name"],
        area=Area.from_geojson(r["geometry"]),
        speed_limit_kph=r["speed_limit_kph"],
        active_from=r["active_from"],
        active_until=r["active_until"],
    )


def check_in_service_area(conn: Connection, operator_id: str, position: Position) -> None:
    """Raise ``OutsideServiceArea`` unless ``position`` is in one of the operator's service areas
    (see ``fleet.zones.check_in_service_area``)."""
    in_service_area(list_zones(conn, operator_id, ZoneKind.SERVICE_AREA), position)


def count_rows(conn: Connection, table_name: str) -> int:
    """Rows in one of this module's tables (for summaries)."""
    table = {"sites": sites, "battery_packs": battery_packs, "zones": zones}[table_name]
    return int(conn.execute(select(func.count()).select_from(table)).scalar_one())
