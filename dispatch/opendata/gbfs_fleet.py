"""The GBFS files about the vehicles riders may book and where they stand: vehicle_types,
vehicle_status (v2.3: free_bike_status), station_information and station_status. Pure: a
:class:`Snapshot` and its :class:`FeedSetup` in, a file's ``data`` out.

A vehicle's public id is a keyed hash of its internal id and how many trips it has made, so
it changes with every trip and cannot be linked to the vehicle by anyone without the key.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from collections.abc import Mapping, Sequence
from typing import Any

from dispatch.opendata.gbfs_format import Version, stamp, text
from dispatch.opendata.gbfs_snapshot import FeedSetup, Snapshot
from dispatch.riders.parking import PARKING_RADIUS_M
from fleet.catalog import VehicleClass
from fleet.db.gbfs import ListedVehicle
from fleet.geo import Position, degrees_around
from fleet.sites import ParkingKind, Site
from fleet.vehicles import VehicleStatus
from fleet.zones import barred

#: GBFS's form factor and propulsion of each class riders book.
FORM: Mapping[VehicleClass, tuple[str, str]] = {
    VehicleClass.E_KICKBOARD: ("scooter_standing", "electric"),
    VehicleClass.E_BIKE: ("bicycle", "electric_assist"),
    VehicleClass.E_MOPED: ("moped", "electric"),
}

#: Public names of the classes, by language.
TYPE_NAMES: Mapping[VehicleClass, Mapping[str, str]] = {
    VehicleClass.E_KICKBOARD: {"en": "E-kickboard", "ko": "전동킥보드"},
    VehicleClass.E_BIKE: {"en": "Pedal-assist e-bike", "ko": "전기자전거"},
    VehicleClass.E_MOPED: {"en": "Electric moped", "ko": "전기이륜차"},
}

#: Statuses in which a vehicle stands but cannot be ridden.
DISABLED = frozenset(
    {
        VehicleStatus.LOW_BATTERY,
        VehicleStatus.CHARGING,
        VehicleStatus.MAINTENANCE,
        VehicleStatus.OFFLINE,
    }
)

#: Corners of the polygon drawn for a virtual station's area.
_AREA_CORNERS = 16


def plan_id(vehicle_class: VehicleClass) -> str:
    """The pricing plan of a class (``gbfs_rules.pricing_plans`` writes them)."""
    return f"{vehicle_class}_per_minute"


def public_vehicle_id(secret: bytes, listed: ListedVehicle) -> str:
    """The vehicle's id in the feeds: an HMAC-SHA256 over its internal id, its trip count and
    its odometer, so it is new after every trip (and after a crew moves it) and the same in
    between."""
    v = listed.vehicle
    message = f"{v.id}|{listed.trips}|{v.odometer_m}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()[:32]


def vehicle_types(snapshot: Snapshot, setup: FeedSetup, version: Version) -> dict[str, Any]:
    """``vehicle_types``: one per class riders book, with its range, speed cap and plan."""
    types = []
    for cls in setup.classes:
        kind = setup.catalog[cls]
        form, propulsion = FORM[cls]
        name = TYPE_NAMES[cls].get(setup.language, TYPE_NAMES[cls]["en"])
        entry: dict[str, Any] = {
            "vehicle_type_id": str(cls),
            "form_factor": form,
            "propulsion_type": propulsion,
            "max_range_meters": kind.range_full_m,
            "name": text(version, setup.language, name),
            "rider_capacity": kind.seats,
            "cargo_volume_capacity": kind.cargo_l,
            "wheel_count": 2,
            "default_reserve_time": setup.hold_s // 60,
            "return_constraint": "hybrid",
        }
        if kind.max_speed_kph is not None:
            entry["max_permitted_speed"] = kind.max_speed_kph
        if cls in setup.tariff.per_minute_minor:
            entry["default_pricing_plan_id"] = plan_id(cls)
            entry["pricing_plan_ids"] = [plan_id(cls)]
        types.append(entry)
    return {"vehicle_types": types}


def _station_of(stations: Sequence[Site], position: Position) -> str | None:
    """The nearest station within :data:`PARKING_RADIUS_M` of ``position``, if any: a trip
    ending that near a station ends at it (the parking rule), so a vehicle there stands at it."""
    near = [(position.distance_m(s.position), s.id) for s in stations]
    inside = [n for n in near if n[0] <= PARKING_RADIUS_M]
    return min(inside)[1] if inside else None


def vehicle_status(snapshot: Snapshot, setup: FeedSetup, version: Version) -> dict[str, Any]:
    """``vehicle_status`` (v2.3: ``free_bike_status``): every vehicle riders may book that is
    not in a trip; held ones ``is_reserved``, ones that cannot be ridden (low battery,
    charging, maintenance, offline, or standing where a ride may not start) ``is_disabled``."""
    zone = setup.zone
    listed = [lv for lv in snapshot.vehicles if lv.vehicle.vehicle_class in setup.classes]
    shut = barred(snapshot.zones, [lv.vehicle.position for lv in listed], snapshot.now)
    out = []
    for lv, closed in zip(listed, shut, strict=True):
        v = lv.vehicle
        kind = setup.catalog[v.vehicle_class]
        entry: dict[str, Any] = {
            ("bike_id" if version is Version.V2 else "vehicle_id"): public_vehicle_id(
                setup.secret, lv
            ),
            "lat": round(v.position.lat, 6),
            "lon": round(v.position.lon, 6),
            "is_reserved": v.status is VehicleStatus.RESERVED,
            "is_disabled": v.status in DISABLED or bool(closed),
            "vehicle_type_id": str(v.vehicle_class),
            "last_reported": stamp(version, v.updated_at, zone),
            "current_range_meters": kind.range_m(v.soc_pct),
            "current_fuel_percent": round(v.soc_pct / 100, 3),
        }
        station = _station_of(snapshot.stations, v.position)
        if station is not None:
            entry["station_id"] = station
        if v.vehicle_class in setup.tariff.per_minute_minor:
            entry["pricing_plan_id"] = plan_id(v.vehicle_class)
        out.append(entry)
    # in the order of the public ids: an order by anything stable would link a rotated id
    # to the one before it
    id_key = "bike_id" if version is Version.V2 else "vehicle_id"
    out.sort(key=lambda e: str(e[id_key]))
    return {"bikes" if version is Version.V2 else "vehicles": out}


def _area(position: Position) -> dict[str, Any]:
    """A virtual station's area: the circle of :data:`PARKING_RADIUS_M` around it, as a
    GeoJSON MultiPolygon (counter-clockwise, closed)."""
    dlat, dlon = degrees_around(position, PARKING_RADIUS_M)
    ring = [
        [
            round(position.lon + dlon * math.cos(2 * math.pi * k / _AREA_CORNERS), 7),
            round(position.lat + dlat * math.sin(2 * math.pi * k / _AREA_CORNERS), 7),
        ]
        for k in range(_AREA_CORNERS)
    ]
    ring.append(list(ring[0]))
    return {"type": "MultiPolygon", "coordinates": [[ring]]}


def station_information(snapshot: Snapshot, setup: FeedSetup, version: Version) -> dict[str, Any]:
    """``station_information``: the parking stations. Virtual ones (painted or geofenced) say
    so and carry their area; every one its capacity."""
    stations = []
    for site in sorted(snapshot.stations, key=lambda s: (s.name, s.id)):
        virtual = site.parking_kind is ParkingKind.VIRTUAL
        entry: dict[str, Any] = {
            "station_id": site.id,
            "name": text(version, setup.language, site.name),
            "lat": round(site.position.lat, 6),
            "lon": round(site.position.lon, 6),
            "is_virtual_station": virtual,
            "capacity": site.capacity,
        }
        if virtual:
            entry["station_area"] = _area(site.position)
        stations.append(entry)
    return {"stations": stations}


def _counts(snapshot: Snapshot, setup: FeedSetup) -> dict[str, dict[str, Any]]:
    """Per station: the vehicles ready to ride there by class, and the disabled ones."""
    counts: dict[str, dict[str, Any]] = {
        s.id: {"ready": dict.fromkeys(setup.classes, 0), "disabled": 0, "all": 0}
        for s in snapshot.stations
    }
    shut = barred(snapshot.zones, [lv.vehicle.position for lv in snapshot.vehicles], snapshot.now)
    for lv, closed in zip(snapshot.vehicles, shut, strict=True):
        v = lv.vehicle
        station = _station_of(snapshot.stations, v.position)
        if station is None or v.vehicle_class not in setup.classes:
            continue
        counts[station]["all"] += 1
        if v.status in DISABLED or closed:
            counts[station]["disabled"] += 1
        elif v.status is VehicleStatus.AVAILABLE:
            counts[station]["ready"][v.vehicle_class] += 1
    return counts


def station_status(snapshot: Snapshot, setup: FeedSetup, version: Version) -> dict[str, Any]:
    """``station_status``: how many vehicles are ready at each station, by type, and how many
    disabled; room left at designated stations (virtual ones take any number, and GBFS leaves
    their docks out)."""
    counts = _counts(snapshot, setup)
    noun = "bikes" if version is Version.V2 else "vehicles"
    reported = stamp(version, snapshot.now, setup.zone)
    stations = []
    for site in sorted(snapshot.stations, key=lambda s: (s.name, s.id)):
        here = counts[site.id]
        entry: dict[str, Any] = {
            "station_id": site.id,
            f"num_{noun}_available": sum(here["ready"].values()),
            f"num_{noun}_disabled": here["disabled"],
            "vehicle_types_available": [
                {"vehicle_type_id": str(cls), "count": n} for cls, n in here["ready"].items()
            ],
            "is_installed": True,
            "is_renting": True,
            "is_returning": True,
            "last_reported": reported,
        }
        if site.parking_kind is ParkingKind.DESIGNATED:
            entry["num_docks_available"] = max(0, site.capacity - here["all"])
        stations.append(entry)
    return {"stations": stations}
