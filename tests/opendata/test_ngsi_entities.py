"""The pure builders of dispatch/opendata/ngsi_entities.py on small canned values: where a
vehicle is parked, and the zones the demo does not seed (a slow zone, a closure's window)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dispatch.opendata.ngsi_entities import parked_at, vehicle_entity, zone_entity
from fleet.catalog import VehicleClass
from fleet.geo import Area, Position
from fleet.sites import ParkingKind, Site, SiteKind
from fleet.vehicles import Vehicle, VehicleStatus
from fleet.zones import Zone, ZoneKind

AT = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
RING = [[126.94, 37.54], [126.95, 37.54], [126.95, 37.55], [126.94, 37.54]]
#: About 11 m of latitude.
STEP = 0.0001


def station(name: str, lat: float) -> Site:
    """A designated parking station for ten vehicles at ``lat``, 126.95."""
    return Site(
        name, "op", SiteKind.PARKING, name, Position(lat, 126.95), 10,
        parking_kind=ParkingKind.DESIGNATED,
    )  # fmt: skip


def vehicle(code: str, lat: float, status: VehicleStatus = VehicleStatus.AVAILABLE) -> Vehicle:
    """A kickboard at ``lat``, 126.95."""
    return Vehicle(
        code, "op", code, VehicleClass.E_KICKBOARD, Position(lat, 126.95), 55.0, 1000, status, AT
    )


def test_a_vehicle_stands_at_the_nearest_station_within_reach():
    stations = [station("north", 37.55 + 2 * STEP), station("south", 37.55)]
    fleet = [
        vehicle("near-south", 37.55 + 0.5 * STEP),
        vehicle("near-north", 37.55 + 1.6 * STEP),
        vehicle("far", 37.55 - 3 * STEP),  # 33 m: beyond the 25 m of a station
        vehicle("riding", 37.55, VehicleStatus.IN_USE),
    ]
    assert parked_at(fleet, stations) == {"near-south": "south", "near-north": "north"}
    assert parked_at(fleet, []) == {}


def test_a_moving_vehicle_shows_no_position_and_a_parked_one_its_station():
    riding = vehicle_entity(
        vehicle("v", 37.55, VehicleStatus.IN_USE), "urn:ngsi-ld:Operator:o", None
    )
    assert "location" not in riding and riding["serviceStatus"]["value"] == "onRoute"
    parked = vehicle_entity(vehicle("w", 37.55), "urn:ngsi-ld:Operator:o", "s1")
    assert parked["refDockingStation"] == {
        "type": "Relationship",
        "object": "urn:ngsi-ld:BikeHireDockingStation:s1",
    }
    assert parked["battery"]["value"] == 0.55


def test_a_slow_zone_and_a_closure_say_their_limit_and_window():
    area = Area.from_ring(RING)
    slow = zone_entity(Zone("z1", "op", ZoneKind.SLOW, "school", area, 10), "urn:o")
    assert slow["maximumAllowedSpeed"] == {"type": "Property", "value": 10, "unitCode": "KMH"}
    assert slow["rideAllowed"]["value"] and slow["parkingAllowed"]["value"]
    closure = zone_entity(
        Zone("z2", "op", ZoneKind.HAZARD_CLOSURE, "flood", area, None, AT, AT + timedelta(hours=3)),
        "urn:o",
    )
    assert closure["validFrom"]["value"] == {"@type": "DateTime", "@value": "2026-03-02T00:00:00Z"}
    assert closure["validThrough"]["value"]["@value"] == "2026-03-02T03:00:00Z"
    assert not closure["rideAllowed"]["value"] and not closure["parkingAllowed"]["value"]
    ring = closure["location"]["value"]["coordinates"][0]
    assert isinstance(ring, list) and all(isinstance(p, list) for p in ring)
