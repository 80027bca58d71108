"""An operator's fleet as NGSI-LD entities in normalized form: pure functions of plain data.

Every entity has the id ``urn:ngsi-ld:<Type>:<our id>`` and every attribute is normalized: a
``Property`` (``value``, and ``observedAt`` / ``unitCode`` where they say something), a
``GeoProperty`` (a GeoJSON geometry) or a ``Relationship`` (``object``: another entity's id, all
of them in the same export). The types and attributes, and why each model was chosen, are in
docs/ngsi-ld.md.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from dispatch.opendata.ngsi_context import Contexts
from dispatch.riders.parking import PARKING_RADIUS_M
from fleet.catalog import VehicleClass
from fleet.db.ngsi import FleetSnapshot
from fleet.db.stock import Stock
from fleet.geo import degrees_around
from fleet.identity import Operator
from fleet.sites import Site
from fleet.vehicles import Vehicle, VehicleStatus
from fleet.zones import Zone, ZoneKind

#: smart-data-models' ``vehicleType`` (DATEX II's structural types) of each class. A standing
#: e-scooter has no type of its own there ("motorscooter" is a seated scooter): it is "other",
#: and ``vehicleClass`` says what it is.
VEHICLE_TYPES = {
    VehicleClass.E_KICKBOARD: "other",
    VehicleClass.E_BIKE: "bicycle",
    VehicleClass.E_MOPED: "moped",
    VehicleClass.WORK_EV: "car",
}
#: Riders rent these from the street; the rest serve companies.
PUBLIC_CLASSES = frozenset({VehicleClass.E_KICKBOARD, VehicleClass.E_BIKE, VehicleClass.E_MOPED})

#: smart-data-models' ``serviceStatus`` (parked, onRoute, broken, outOfService) of each status.
SERVICE_STATUS = {
    VehicleStatus.AVAILABLE: "parked",
    VehicleStatus.RESERVED: "parked",
    VehicleStatus.IN_USE: "onRoute",
    VehicleStatus.LOW_BATTERY: "outOfService",
    VehicleStatus.CHARGING: "outOfService",
    VehicleStatus.IN_TRANSIT: "outOfService",
    VehicleStatus.MAINTENANCE: "broken",
    VehicleStatus.OFFLINE: "outOfService",
}
#: Where a vehicle is while moving: its position is left out of the export (a rider's trip is
#: theirs), and it is parked at no station.
MOVING = frozenset({VehicleStatus.IN_USE, VehicleStatus.IN_TRANSIT})

#: UN/CEFACT common codes of the units we state.
UNIT_RATIO = "C62"  # "one": a fraction from 0 to 1
UNIT_KM = "KMT"
UNIT_KPH = "KMH"


def urn(entity_type: str, entity_id: str) -> str:
    """The NGSI-LD id of our entity ``entity_id`` of ``entity_type``."""
    return f"urn:ngsi-ld:{entity_type}:{entity_id}"


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def prop(
    value: Any, *, observed_at: datetime | None = None, unit: str | None = None
) -> dict[str, Any]:
    """A normalized ``Property``."""
    out: dict[str, Any] = {"type": "Property", "value": value}
    if observed_at is not None:
        out["observedAt"] = _utc(observed_at)
    if unit is not None:
        out["unitCode"] = unit
    return out


def date_time(moment: datetime) -> dict[str, Any]:
    """A ``Property`` whose value is a point in time (NGSI-LD's typed DateTime value)."""
    return prop({"@type": "DateTime", "@value": _utc(moment)})


def geo(geometry: dict[str, Any], *, observed_at: datetime | None = None) -> dict[str, Any]:
    """A normalized ``GeoProperty`` of a GeoJSON geometry."""
    out: dict[str, Any] = {"type": "GeoProperty", "value": geometry}
    if observed_at is not None:
        out["observedAt"] = _utc(observed_at)
    return out


def point(lat: float, lon: float) -> dict[str, Any]:
    """A GeoJSON Point (``[lon, lat]``)."""
    return {"type": "Point", "coordinates": [lon, lat]}


def plain(value: Any) -> Any:
    """``value`` with its tuples as lists (shapely writes coordinates as tuples): the export is
    plain JSON data, equal to itself after a trip through JSON."""
    if isinstance(value, tuple | list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def rel(target: str) -> dict[str, Any]:
    """A normalized ``Relationship`` to the entity ``target``."""
    return {"type": "Relationship", "object": target}


def parked_at(vehicles: Sequence[Vehicle], parking: Sequence[Site]) -> dict[str, str]:
    """Vehicle id → the parking station it stands at: the nearest within
    ``PARKING_RADIUS_M`` (the radius within which a trip ends *at* a station); moving
    vehicles stand nowhere. Stations are sorted by latitude, so each vehicle measures its
    distance only to those in its band (ten thousand vehicles, hundreds of stations)."""
    by_lat = sorted(parking, key=lambda s: s.position.lat)
    lats = [s.position.lat for s in by_lat]
    found: dict[str, str] = {}
    for vehicle in vehicles:
        if vehicle.status in MOVING:
            continue
        half_lat, _half_lon = degrees_around(vehicle.position, PARKING_RADIUS_M)
        lo = bisect_left(lats, vehicle.position.lat - half_lat)
        hi = bisect_right(lats, vehicle.position.lat + half_lat)
        best: tuple[float, str] | None = None
        for site in by_lat[lo:hi]:
            d = vehicle.position.distance_m(site.position)
            if d <= PARKING_RADIUS_M and (best is None or d < best[0]):
                best = (d, site.id)
        if best is not None:
            found[vehicle.id] = best[1]
    return found


def operator_entity(operator: Operator) -> dict[str, Any]:
    """The operator, which every other entity names as its ``owner``."""
    return {
        "id": urn("Operator", operator.id),
        "type": "Operator",
        "name": prop(operator.name),
        "areaServed": prop(operator.city),
    }


def vehicle_entity(vehicle: Vehicle, owner: str, station: str | None) -> dict[str, Any]:
    """A vehicle as smart-data-models' ``Vehicle``; ``station`` is the id of the parking
    station it stands at, if any. A moving vehicle has no ``location``."""
    seen = vehicle.updated_at
    entity: dict[str, Any] = {
        "id": urn("Vehicle", vehicle.id),
        "type": "Vehicle",
        "vehicleType": prop(VEHICLE_TYPES[vehicle.vehicle_class]),
        "category": prop(
            ["public" if vehicle.vehicle_class in PUBLIC_CLASSES else "private", "tracked"]
        ),
        "vehicleClass": prop(str(vehicle.vehicle_class)),
        "fleetVehicleId": prop(vehicle.code),
        "battery": prop(round(vehicle.soc_pct / 100, 4), observed_at=seen, unit=UNIT_RATIO),
        "serviceStatus": prop(SERVICE_STATUS[vehicle.status], observed_at=seen),
        "vehicleStatus": prop(str(vehicle.status), observed_at=seen),
        "mileageFromOdometer": prop(round(vehicle.odometer_m / 1000, 3), unit=UNIT_KM),
        "owner": rel(owner),
    }
    if vehicle.status not in MOVING:
        entity["location"] = geo(
            point(vehicle.position.lat, vehicle.position.lon), observed_at=seen
        )
    if vehicle.plate is not None:
        entity["vehiclePlateIdentifier"] = prop(vehicle.plate)
    if station is not None:
        entity["refDockingStation"] = rel(urn("BikeHireDockingStation", station))
    return entity


def parking_entity(
    site: Site, owner: str, parked: Sequence[Vehicle], at: datetime
) -> dict[str, Any]:
    """A parking station as smart-data-models' ``BikeHireDockingStation`` (the model of a
    shared-mobility station, as GBFS's station is); ``parked``: the vehicles standing at it."""
    available = sum(v.status is VehicleStatus.AVAILABLE for v in parked)
    entity: dict[str, Any] = {
        "id": urn("BikeHireDockingStation", site.id),
        "type": "BikeHireDockingStation",
        "name": prop(site.name),
        "location": geo(point(site.position.lat, site.position.lon)),
        "totalSlotNumber": prop(site.capacity),
        "availableBikeNumber": prop(available, observed_at=at),
        "freeSlotNumber": prop(max(0, site.capacity - len(parked)), observed_at=at),
        "owner": rel(owner),
    }
    if site.parking_kind is not None:
        entity["parkingKind"] = prop(str(site.parking_kind))
    return entity


def swap_station_entity(stock: Stock, owner: str, at: datetime) -> dict[str, Any]:
    """A battery-swap cabinet (no smart-data-models type fits one): its slots and its charged
    packs, per pack class (a moped's pack fits no e-bike)."""
    return {
        "id": urn("BatterySwapStation", stock.site_id),
        "type": "BatterySwapStation",
        "name": prop(stock.name),
        "location": geo(point(stock.position.lat, stock.position.lon)),
        "totalSlotNumber": prop(sum(stock.slots.values())),
        "freeSlotNumber": prop(sum(stock.free_slots.values()), observed_at=at),
        "chargedPackNumber": prop(sum(stock.charged.values()), observed_at=at),
        "chargingPackNumber": prop(sum(stock.charging.values()), observed_at=at),
        "chargedPacksByClass": prop(
            {str(c): n for c, n in sorted(stock.charged.items())}, observed_at=at
        ),
        "owner": rel(owner),
    }


def zone_entity(zone: Zone, owner: str) -> dict[str, Any]:
    """A rule zone (GBFS's geofencing zone, one entity each): its polygon, its kind, what it
    allows, its speed limit and when it is in force."""
    entity: dict[str, Any] = {
        "id": urn("GeofencingZone", zone.id),
        "type": "GeofencingZone",
        "name": prop(zone.name),
        "location": geo(plain(zone.area.to_geojson())),
        "zoneKind": prop(str(zone.kind)),
        "rideAllowed": prop(not zone.bars_riding(None)),
        "parkingAllowed": prop(zone.kind is not ZoneKind.NO_PARKING and not zone.bars_riding(None)),
        "owner": rel(owner),
    }
    if zone.speed_limit_kph is not None:
        entity["maximumAllowedSpeed"] = prop(zone.speed_limit_kph, unit=UNIT_KPH)
    if zone.active_from is not None:
        entity["validFrom"] = date_time(zone.active_from)
    if zone.active_until is not None:
        entity["validThrough"] = date_time(zone.active_until)
    return entity


def fleet_entities(snapshot: FleetSnapshot, contexts: Contexts) -> list[dict[str, Any]]:
    """Every entity of the operator, each with its ``@context``: the operator, its vehicles by
    code, parking stations, swap stations and zones by name."""
    owner = urn("Operator", snapshot.operator.id)
    at = snapshot.read_at
    stations = parked_at(snapshot.vehicles, snapshot.parking)
    parked: dict[str, list[Vehicle]] = {s.id: [] for s in snapshot.parking}
    for vehicle in snapshot.vehicles:
        if vehicle.id in stations:
            parked[stations[vehicle.id]].append(vehicle)
    entities = [operator_entity(snapshot.operator)]
    entities += [vehicle_entity(v, owner, stations.get(v.id)) for v in snapshot.vehicles]
    entities += [parking_entity(s, owner, parked[s.id], at) for s in snapshot.parking]
    entities += [swap_station_entity(s, owner, at) for s in snapshot.swap_stations]
    entities += [zone_entity(z, owner) for z in snapshot.zones]
    context = contexts.entity_context()
    return [{**entity, "@context": context} for entity in entities]
