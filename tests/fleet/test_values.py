"""Domain values check themselves when built."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fleet.catalog import DEFAULT_CATALOG, VehicleClass, parse_vehicle_class
from fleet.clock import FixedClock
from fleet.delivery import TimeWindow
from fleet.exceptions import InvalidValue, UnknownVehicleClass
from fleet.geo import Area, Position
from fleet.identity import Role, User, parse_role
from fleet.sites import BatteryPack, PackLocation, Site, SiteKind
from fleet.vehicles import Vehicle, VehicleStatus, check_soc
from fleet.zones import Zone, ZoneKind

T0 = datetime(2026, 3, 2, tzinfo=UTC)


@pytest.mark.parametrize("bad", [-0.1, 100.01, float("nan"), float("inf"), "50", True])
def test_soc_outside_0_to_100_is_refused(bad):
    with pytest.raises(InvalidValue, match="soc_pct"):
        check_soc(bad)


@pytest.mark.parametrize("good", [0, 0.0, 42.5, 100])
def test_soc_inside_0_to_100_is_kept(good):
    assert check_soc(good) == float(good)


def test_unknown_class_names_the_known_ones():
    with pytest.raises(UnknownVehicleClass, match="e_kickboard, e_bike, e_moped, work_ev"):
        parse_vehicle_class("hoverboard")


@pytest.mark.parametrize(("lat", "lon"), [(91, 0), (0, 181), (float("nan"), 0)])
def test_positions_off_the_globe_are_refused(lat, lon):
    with pytest.raises(InvalidValue):
        Position(lat, lon)


def test_catalog_ranges_follow_from_battery_and_consumption():
    kick = DEFAULT_CATALOG[VehicleClass.E_KICKBOARD]
    assert kick.range_full_m == 551 * 1000 // 14
    assert kick.range_m(50) == kick.range_full_m // 2
    assert kick.max_speed_kph == 25
    assert DEFAULT_CATALOG[VehicleClass.WORK_EV].max_speed_kph is None
    assert set(DEFAULT_CATALOG) == set(VehicleClass)


def test_vehicle_refuses_naive_time_and_negative_odometer():
    base = dict(
        id="v",
        operator_id="o",
        code="K-1",
        vehicle_class="e_bike",
        position=Position(37.5, 127.0),
        soc_pct=50,
        odometer_m=0,
        status="available",
        updated_at=T0,
    )
    assert Vehicle(**base).vehicle_class is VehicleClass.E_BIKE
    with pytest.raises(ValueError, match="timezone-aware"):
        Vehicle(**{**base, "updated_at": datetime(2026, 1, 1)})
    with pytest.raises(InvalidValue, match="odometer"):
        Vehicle(**{**base, "odometer_m": -1})
    with pytest.raises(InvalidValue, match="unknown vehicle status"):
        Vehicle(**{**base, "status": "flying"})
    assert Vehicle(**base).status is VehicleStatus.AVAILABLE


def test_users_of_companies_and_roles():
    assert parse_role("manager") is Role.MANAGER
    with pytest.raises(InvalidValue, match="unknown role"):
        parse_role("admin")
    with pytest.raises(InvalidValue, match="must belong to a company"):
        User("u", "o", "staff1", "Staff", Role.EMPLOYEE)
    with pytest.raises(InvalidValue, match="cannot belong"):
        User("u", "o", "rider1", "Rider", Role.RIDER, company_id="c")
    with pytest.raises(InvalidValue, match="username"):
        User("u", "o", "Bad Name", "x", Role.RIDER)


def test_sites_need_what_their_kind_needs():
    here = Position(37.55, 126.95)
    with pytest.raises(InvalidValue, match="slot"):
        Site("s", "o", SiteKind.SWAP_STATION, "Cabinet", here)
    with pytest.raises(InvalidValue, match="chargers"):
        Site("s", "o", SiteKind.EV_HUB, "Hub", here)
    with pytest.raises(InvalidValue, match="designated or virtual"):
        Site("s", "o", SiteKind.PARKING, "Racks", here, capacity=10)
    with pytest.raises(InvalidValue, match="slot is given exactly"):
        BatteryPack("PK-1", "o", 1700, 100, 95, PackLocation.STATION, "s")
    pack = BatteryPack("PK-1", "o", 1700, 96, 95, PackLocation.STATION, "s", slot=1)
    assert pack.charged() and not pack.charged(threshold_pct=97)


def test_zones_and_windows():
    area = Area.from_ring([[0, 0], [1, 0], [1, 1], [0, 1]])
    assert area.contains(Position(0.5, 0.5)) and not area.contains(Position(2, 2))
    with pytest.raises(InvalidValue, match="hazard closure"):
        Zone("z", "o", ZoneKind.HAZARD_CLOSURE, "Flood", area)
    with pytest.raises(InvalidValue, match="speed limit"):
        Zone("z", "o", ZoneKind.SLOW, "School", area)
    flood = Zone(
        "z",
        "o",
        ZoneKind.HAZARD_CLOSURE,
        "Flood",
        area,
        active_from=T0,
        active_until=T0 + timedelta(hours=2),
    )
    assert flood.active(T0 + timedelta(hours=1)) and not flood.active(T0 + timedelta(hours=2))
    with pytest.raises(InvalidValue, match="end after"):
        TimeWindow(T0, T0)
    window = TimeWindow(T0, T0 + timedelta(minutes=30))
    assert window.duration_s == 1800
    assert window.overlaps(TimeWindow(T0 + timedelta(minutes=29), T0 + timedelta(hours=1)))
    assert not window.overlaps(TimeWindow(T0 + timedelta(minutes=30), T0 + timedelta(hours=1)))
    with pytest.raises(InvalidValue, match="Polygon"):
        Area.from_geojson({"type": "Point", "coordinates": [0, 0]})


def test_fixed_clock_moves_only_when_told():
    clock = FixedClock(T0)
    assert clock.now() == T0
    assert clock.advance(60) == T0 + timedelta(seconds=60)
    with pytest.raises(ValueError, match="timezone-aware"):
        FixedClock(datetime(2026, 1, 1))
