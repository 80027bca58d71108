"""MDS 2.0 items (micromobility mode) from fleetops values: vehicle, vehicle status, trip,
telemetry, and the shape every event shares. Pure: plain values in, plain dicts out.

Ids: ``device_id`` is the vehicle's stable uuid, ``provider_id`` the operator's uuid,
``trip_id`` the booking's uuid. Items fleetops keeps no uuid for (events, telemetry samples) get
a name-based uuid (uuid5) of what they come from, so asking twice gives the same ids."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from fleet.catalog import VehicleClass, VehicleType
from fleet.db.mds import TelemetryRow, TripRow
from fleet.geo import Position
from fleet.vehicles import Vehicle, VehicleStatus

#: The MDS version the feeds speak (the envelope's ``version``; the media type says "2.0").
MDS_VERSION = "2.0.0"
#: Where the uuid5 ids of events and telemetry are named from.
NAMESPACE = uuid.UUID("6f0c6a52-3b1e-5d55-9a34-7d1f2b8e4c11")

#: Rider classes as MDS micromobility vehicles: (vehicle_type, propulsion_types). Work EVs are
#: left out: MDS would have them in another mode (car-share) under another provider_id.
VEHICLE_TYPES: Mapping[VehicleClass, tuple[str, tuple[str, ...]]] = {
    VehicleClass.E_KICKBOARD: ("scooter_standing", ("electric",)),
    VehicleClass.E_BIKE: ("bicycle", ("electric_assist",)),
    VehicleClass.E_MOPED: ("moped", ("electric",)),
}
#: The vehicle classes the MDS feeds publish.
MDS_CLASSES: tuple[str, ...] = tuple(str(c) for c in VEHICLE_TYPES)

#: A vehicle's status as an MDS micromobility ``vehicle_state`` and the event type that most
#: plainly puts it there (used when the status stands without a logged cause).
STATUS_STATE: Mapping[VehicleStatus, tuple[str, str]] = {
    VehicleStatus.AVAILABLE: ("available", "unspecified"),
    VehicleStatus.RESERVED: ("reserved", "reservation_start"),
    VehicleStatus.IN_USE: ("on_trip", "trip_start"),
    VehicleStatus.LOW_BATTERY: ("non_operational", "battery_low"),
    VehicleStatus.MAINTENANCE: ("non_operational", "maintenance"),
    VehicleStatus.CHARGING: ("removed", "maintenance_pick_up"),
    VehicleStatus.IN_TRANSIT: ("removed", "rebalance_pick_up"),
    VehicleStatus.OFFLINE: ("non_contactable", "comms_lost"),
}


def ms(at: datetime) -> int:
    """Milliseconds since the UNIX epoch (MDS timestamps)."""
    return int(at.timestamp() * 1000)


def name_id(*parts: object) -> str:
    """The uuid5 of ``parts`` in :data:`NAMESPACE`."""
    return str(uuid.uuid5(NAMESPACE, ":".join(str(p) for p in parts)))


def gps(where: Position, speed_kph: float | None = None) -> dict[str, Any]:
    """An MDS GPS point (``speed`` in metres per second)."""
    point: dict[str, Any] = {"lat": where.lat, "lng": where.lon}
    if speed_kph is not None:
        point["speed"] = round(speed_kph / 3.6, 2)
    return point


def percent(soc_pct: float) -> int:
    """A charge as MDS's whole percent within 0–100."""
    return max(0, min(100, round(soc_pct)))


def vehicle_item(vehicle: Vehicle, provider_id: str, vehicle_type: VehicleType) -> dict[str, Any]:
    """The MDS vehicle (properties that seldom change) of a rider-class vehicle."""
    form, propulsion = VEHICLE_TYPES[vehicle.vehicle_class]
    item: dict[str, Any] = {
        "device_id": vehicle.id,
        "provider_id": provider_id,
        "vehicle_id": vehicle.plate or vehicle.code,
        "vehicle_type": form,
        "propulsion_types": list(propulsion),
    }
    if vehicle_type.max_speed_kph is not None:
        item["maximum_speed"] = vehicle_type.max_speed_kph
    if vehicle.model:
        item["vehicle_attributes"] = {"model": vehicle.model[:255]}
    return item


def trip_item(trip: TripRow, provider_id: str) -> dict[str, Any]:
    """The MDS trip of an ended booking."""
    item: dict[str, Any] = {
        "provider_id": provider_id,
        "device_id": trip.vehicle_id,
        "trip_id": trip.booking_id,
        "trip_type": ["rider"],
        "start_time": ms(trip.started_at),
        "end_time": ms(trip.ended_at),
        "start_location": gps(trip.start),
        "end_location": gps(trip.end),
        "duration": max(0, trip.duration_s),
        "distance": max(0, trip.distance_m),
    }
    if trip.price_minor is not None and trip.currency:
        item["actual_cost"] = max(0, trip.price_minor)
        item["currency"] = trip.currency.upper()
    return item


def telemetry_item(sample: TelemetryRow, provider_id: str) -> dict[str, Any]:
    """The MDS telemetry point of a stored sample."""
    return {
        "device_id": sample.vehicle_id,
        "provider_id": provider_id,
        "telemetry_id": name_id("telemetry", sample.sample_id),
        "timestamp": ms(sample.at),
        "trip_ids": [sample.trip_id] if sample.trip_id else None,
        "journey_id": None,
        "location": gps(sample.position, sample.speed_kph),
        "battery_percent": percent(sample.soc_pct),
    }


def row_telemetry(vehicle: Vehicle, provider_id: str, trip_id: str | None) -> dict[str, Any]:
    """A telemetry point from the vehicle's row (where and how charged it was last written),
    for a vehicle that has reported no sample."""
    return {
        "device_id": vehicle.id,
        "provider_id": provider_id,
        "telemetry_id": name_id("vehicle-row", vehicle.id, ms(vehicle.updated_at)),
        "timestamp": ms(vehicle.updated_at),
        "trip_ids": [trip_id] if trip_id else None,
        "journey_id": None,
        "location": gps(vehicle.position),
        "battery_percent": percent(vehicle.soc_pct),
    }


def event_item(
    *,
    event_id: str,
    device_id: str,
    provider_id: str,
    state: str,
    types: Iterable[str],
    at: datetime,
    where: Position,
    soc_pct: float | None = None,
    trip_id: str | None = None,
) -> dict[str, Any]:
    """An MDS event."""
    item: dict[str, Any] = {
        "device_id": device_id,
        "provider_id": provider_id,
        "event_id": event_id,
        "vehicle_state": state,
        "event_types": list(dict.fromkeys(types)),
        "timestamp": ms(at),
        "location": gps(where),
    }
    if soc_pct is not None:
        item["battery_percent"] = percent(soc_pct)
    if trip_id is not None:
        item["trip_ids"] = [trip_id]
    return item


def status_event(vehicle: Vehicle, provider_id: str, trip_id: str | None) -> dict[str, Any]:
    """The vehicle's standing status as an MDS event, stamped when the row was last written."""
    state, reason = STATUS_STATE[vehicle.status]
    on_trip = vehicle.status is VehicleStatus.IN_USE and trip_id is not None
    if vehicle.status is VehicleStatus.IN_USE and not on_trip:
        reason = "unspecified"  # in use, but on no rider's trip (a courier's moped)
    return event_item(
        event_id=name_id("vehicle-status", vehicle.id, ms(vehicle.updated_at), vehicle.status),
        device_id=vehicle.id,
        provider_id=provider_id,
        state=state,
        types=[reason],
        at=vehicle.updated_at,
        where=vehicle.position,
        soc_pct=vehicle.soc_pct,
        trip_id=trip_id if on_trip else None,
    )


def vehicle_status_item(
    vehicle: Vehicle,
    provider_id: str,
    trip_id: str | None,
    sample: TelemetryRow | None,
    logged: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The MDS vehicle status. The last event is the last ``logged`` one (from the audit log)
    if it left the vehicle in the state its status is in now, else the standing status as an
    event (a status set without a logged cause). The last telemetry is the newest sample, else
    the row's position and charge."""
    standing = STATUS_STATE[vehicle.status][0]
    agrees = logged is not None and logged["vehicle_state"] == standing
    return {
        "device_id": vehicle.id,
        "provider_id": provider_id,
        "last_event": logged if agrees else status_event(vehicle, provider_id, trip_id),
        "last_telemetry": (
            telemetry_item(sample, provider_id)
            if sample is not None
            else row_telemetry(vehicle, provider_id, trip_id)
        ),
    }
