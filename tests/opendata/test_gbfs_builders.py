"""The GBFS builders on plain data (no database): a small canned city with one zone of every
kind, a few vehicles and two stations. Each file validates against its official schema, and
says what the rules and the tariff say."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from dispatch.opendata.gbfs_fleet import public_vehicle_id
from dispatch.opendata.gbfs_format import FILES, Version
from dispatch.opendata.gbfs_snapshot import FeedSetup, Snapshot
from dispatch.opendata.gbfs_system import build
from fleet.catalog import DEFAULT_CATALOG, VehicleClass
from fleet.db.gbfs import ListedVehicle
from fleet.exceptions import NotFound
from fleet.geo import Area, Position
from fleet.identity import Operator
from fleet.pricing import Tariff
from fleet.sites import ParkingKind, Site, SiteKind
from fleet.vehicles import Vehicle, VehicleStatus
from fleet.zones import Zone, ZoneKind
from tests.opendata.gbfs_schemas import official_schemas

SEOUL = ZoneInfo("Asia/Seoul")
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=SEOUL)
ORIGIN = Position(37.48, 126.87)
KICK, BIKE, MOPED = VehicleClass.E_KICKBOARD, VehicleClass.E_BIKE, VehicleClass.E_MOPED


def square(dx: float, dy: float, half: float) -> Area:
    """A square of ``2 * half`` degrees, its centre ``(dx, dy)`` degrees from the origin."""
    x, y = ORIGIN.lon + dx, ORIGIN.lat + dy
    return Area.from_ring([[x - half, y - half], [x + half, y - half], [x + half, y + half],
                           [x - half, y + half]])  # fmt: skip


def zone(kind: ZoneKind, name: str, area: Area, **extra) -> Zone:
    return Zone(f"z-{name}", "op", kind, name, area, **extra)


ZONES = (
    zone(ZoneKind.SERVICE_AREA, "city", square(0, 0, 0.05)),
    zone(ZoneKind.SLOW, "market", square(0.01, 0, 0.002), speed_limit_kph=10),
    zone(ZoneKind.NO_PARKING, "plaza", square(-0.01, 0, 0.002)),
    zone(ZoneKind.NO_RIDE, "park", square(0, 0.01, 0.002)),
    zone(ZoneKind.HAZARD_CLOSURE, "flood", square(0, -0.01, 0.002),
         active_from=NOW - timedelta(hours=1), active_until=NOW + timedelta(hours=2)),
    zone(ZoneKind.HAZARD_CLOSURE, "old works", square(0.02, 0.02, 0.002),
         active_from=NOW - timedelta(hours=5), active_until=NOW - timedelta(hours=1)),
    zone(ZoneKind.HAZARD_CLOSURE, "called off", square(0.03, 0.02, 0.002),
         active_from=NOW + timedelta(hours=5), active_until=NOW + timedelta(hours=5)),
)  # fmt: skip

STATIONS = (
    Site("s-rack", "op", SiteKind.PARKING, "Station rack", Position(37.49, 126.88), capacity=2,
         parking_kind=ParkingKind.DESIGNATED),
    Site("s-paint", "op", SiteKind.PARKING, "Painted bay", Position(37.47, 126.86), capacity=10,
         parking_kind=ParkingKind.VIRTUAL),
)  # fmt: skip


def vehicle(n: int, cls: VehicleClass, at: Position, status=VehicleStatus.AVAILABLE, trips=0):
    v = Vehicle(f"internal-{n}", "op", f"CODE-{n}", cls, at, 80.0, 1000 * n, status, NOW)
    return ListedVehicle(v, trips)


VEHICLES = (
    vehicle(1, KICK, STATIONS[0].position),  # at the rack
    vehicle(2, BIKE, STATIONS[0].position, VehicleStatus.RESERVED),
    vehicle(3, MOPED, Position(37.48, 126.87), VehicleStatus.LOW_BATTERY),
    vehicle(4, KICK, Position(37.47, 126.87)),  # inside the flood closure
    vehicle(5, BIKE, STATIONS[1].position, VehicleStatus.MAINTENANCE),
)

SETUP = FeedSetup(
    catalog=DEFAULT_CATALOG,
    tariff=Tariff("KRW", 1000, {KICK: 150, BIKE: 100, MOPED: 200}),
    timezone="Asia/Seoul",
    language="ko",
    hold_s=600,
    secret=b"test key",
    contact_email="opendata@example.org",
)
SNAPSHOT = Snapshot(Operator("op", "Demo Mobility", "synthetic"), NOW, VEHICLES, STATIONS, ZONES)


def links(version: Version, operator_id: str, name: str) -> str:
    return f"https://fleet.example.org/gbfs/{version}/{operator_id}/{name}.json"


@pytest.fixture
def schemas(data_dir):
    return official_schemas(data_dir)


@pytest.mark.parametrize("version", list(Version))
def test_every_file_validates(schemas, version):
    for name in FILES[version]:
        schemas(version, name, build(name, SNAPSHOT, SETUP, version, links))


def test_zones_run_from_the_strictest_rule_with_their_times_and_speeds():
    v3 = build("geofencing_zones", SNAPSHOT, SETUP, Version.V3, links)["data"]
    features = v3["geofencing_zones"]["features"]
    names = [f["properties"]["name"][0]["text"] for f in features]
    assert names == ["flood", "park", "plaza", "market", "city"]  # ended closures left out
    rules = [f["properties"]["rules"][0] for f in features]
    allowed = [(r["ride_start_allowed"], r["ride_end_allowed"], r["ride_through_allowed"])
               for r in rules]  # fmt: skip
    shut, ride_only = (False, False, False), (True, False, True)
    assert allowed == [shut, shut, ride_only, (True, True, True), (True, True, True)]
    assert rules[3]["maximum_speed_kph"] == 10
    assert features[0]["properties"]["start"] == "2026-03-02T08:00:00+09:00"
    assert features[0]["properties"]["end"] == "2026-03-02T11:00:00+09:00"
    assert v3["global_rules"] == [
        {"ride_start_allowed": False, "ride_end_allowed": False, "ride_through_allowed": True}
    ]
    v2 = build("geofencing_zones", SNAPSHOT, SETUP, Version.V2, links)["data"]
    v2_rules = [f["properties"]["rules"][0] for f in v2["geofencing_zones"]["features"]]
    assert [r["ride_allowed"] for r in v2_rules] == [False, False, False, True, True]
    assert v2["geofencing_zones"]["features"][0]["properties"]["end"] == int(
        (NOW + timedelta(hours=2)).timestamp()
    )


def test_alerts_are_the_closures_in_force_or_to_come():
    alerts = build("system_alerts", SNAPSHOT, SETUP, Version.V3, links)["data"]["alerts"]
    assert [a["alert_id"] for a in alerts] == ["z-flood"]
    assert "flood" in alerts[0]["summary"][0]["text"]


def test_plans_follow_the_tariff():
    plans = build("system_pricing_plans", SNAPSHOT, SETUP, Version.V3, links)["data"]["plans"]
    kick = next(p for p in plans if p["plan_id"] == "e_kickboard_per_minute")
    assert kick["price"] == 1000 and kick["currency"] == "KRW"
    assert kick["per_min_pricing"] == [{"start": 0, "rate": 150, "interval": 1}]


def test_vehicles_flag_holds_and_what_cannot_be_ridden():
    data = build("vehicle_status", SNAPSHOT, SETUP, Version.V3, links)["data"]["vehicles"]
    by_id = {v["vehicle_id"]: v for v in data}
    flags = {
        lv.vehicle.id: (by_id[public_vehicle_id(SETUP.secret, lv)]["is_reserved"],
                        by_id[public_vehicle_id(SETUP.secret, lv)]["is_disabled"])
        for lv in VEHICLES
    }  # fmt: skip
    assert flags == {
        "internal-1": (False, False),
        "internal-2": (True, False),
        "internal-3": (False, True),  # low battery
        "internal-4": (False, True),  # stands in a closure in force
        "internal-5": (False, True),  # maintenance
    }
    kick = by_id[public_vehicle_id(SETUP.secret, VEHICLES[0])]
    assert kick["station_id"] == "s-rack" and kick["current_fuel_percent"] == 0.8
    assert kick["current_range_meters"] == DEFAULT_CATALOG[KICK].range_m(80.0)
    assert [v["vehicle_id"] for v in data] == sorted(by_id)  # no order that links ids


def test_stations_count_what_stands_there():
    data = build("station_status", SNAPSHOT, SETUP, Version.V3, links)["data"]["stations"]
    rack = next(s for s in data if s["station_id"] == "s-rack")
    paint = next(s for s in data if s["station_id"] == "s-paint")
    assert rack["num_vehicles_available"] == 1 and rack["num_docks_available"] == 0
    assert paint["num_vehicles_available"] == 0 and paint["num_vehicles_disabled"] == 1
    assert "num_docks_available" not in paint  # a virtual station takes any number


def test_public_ids_change_with_each_trip_and_only_then():
    first = public_vehicle_id(b"k", VEHICLES[0])
    assert public_vehicle_id(b"k", VEHICLES[0]) == first
    ridden = ListedVehicle(VEHICLES[0].vehicle, VEHICLES[0].trips + 1)
    assert public_vehicle_id(b"k", ridden) != first
    assert public_vehicle_id(b"another key", VEHICLES[0]) != first
    assert "internal" not in first


def test_an_unknown_file_is_named():
    with pytest.raises(NotFound, match="free_bike_status"):
        build("vehicle_status", SNAPSHOT, SETUP, Version.V2, links)
