"""The CO2 arithmetic (fleet.carbon) on known rides and deliveries, each expected gram worked
out by hand in the comments; the cities' factors as docs/carbon.md sources them."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from config.cities import available_cities, load_city, parse_city
from config.exceptions import SettingsError
from fleet.carbon import (
    EUROPEAN_FACTORS,
    MAX_REPORT_DAYS,
    NO_CREDIT,
    CarbonFactors,
    DayCarbon,
    Footprint,
    day_bounds,
    footprint,
    report_days,
)
from fleet.catalog import DEFAULT_CATALOG, VehicleClass
from fleet.exceptions import InvalidValue

#: Korea: Ministry of Environment's new cars of 2020 (125.2 g/km), the 2023 grid (417 g/kWh).
KOREA = CarbonFactors(car_g_per_km=125, grid_g_per_kwh=417, charging_efficiency_pct=90)
KICK = DEFAULT_CATALOG[VehicleClass.E_KICKBOARD].energy_wh_per_km  # 14 Wh/km
BIKE = DEFAULT_CATALOG[VehicleClass.E_BIKE].energy_wh_per_km  # 9 Wh/km
MOPED = DEFAULT_CATALOG[VehicleClass.E_MOPED].energy_wh_per_km  # 30 Wh/km
WORK_EV = DEFAULT_CATALOG[VehicleClass.WORK_EV].energy_wh_per_km  # 172 Wh/km


def test_a_kickboard_ride_of_2_5_km_in_seoul():
    # car: 2.5 km × 125 g/km = 312.5 → 313 (halves up)
    # charging: 2.5 km × 14 Wh/km = 35 Wh at the battery, 35 / 0.9 = 38.89 Wh from the grid,
    # × 0.417 g/Wh = 16.22 → 16
    ride = footprint(KOREA, KICK, 2500)
    assert ride == Footprint(distance_m=2500, car_g=313, charging_g=16)
    assert ride.net_g == 297


def test_an_e_bike_ride_of_3_km_and_one_of_a_metre():
    # car 3 × 125 = 375; charging 27 Wh / 0.9 = 30 Wh × 0.417 = 12.51 → 13
    assert footprint(KOREA, BIKE, 3000).net_g == 375 - 13
    # 1 m: car 0.125 → 0, charging 0.0042 → 0
    assert footprint(KOREA, BIKE, 1) == Footprint(1, 0, 0)
    assert footprint(KOREA, BIKE, 0) == Footprint(0, 0, 0)


def test_a_delivery_of_4_2_road_km_on_a_moped():
    # car 4.2 × 125 = 525; charging 4.2 × 30 = 126 Wh / 0.9 = 140 Wh × 0.417 = 58.38 → 58
    parcel = footprint(KOREA, MOPED, 4200)
    assert (parcel.car_g, parcel.charging_g, parcel.net_g) == (525, 58, 467)


def test_a_european_ride_weighs_less_charging():
    # Monaco, Andorra: car 2.5 × 122 = 305; charging 35 Wh / 0.9 × 0.281 = 10.93 → 11
    assert footprint(EUROPEAN_FACTORS, KICK, 2500) == Footprint(2500, 305, 11)


def test_a_net_loss_is_reported_as_it_is():
    # a work EV (172 Wh/km) on a coal-heavy 900 g/kWh grid charged at 80 %, against a frugal
    # 100 g/km car: car 10 × 100 = 1000; charging 1720 Wh / 0.8 = 2150 Wh × 0.9 = 1935
    dirty = CarbonFactors(car_g_per_km=100, grid_g_per_kwh=900, charging_efficiency_pct=80)
    trip = footprint(dirty, WORK_EV, 10_000)
    assert (trip.car_g, trip.charging_g, trip.net_g) == (1000, 1935, -935)


def test_halves_round_up_exactly_in_integers():
    # 500 m × 125 g/km = 62.5 → 63; 4 m × 125 = 0.5 → 1; 3 m → 0.375 → 0
    assert footprint(KOREA, 0, 500).car_g == 63
    assert footprint(KOREA, 0, 4).car_g == 1
    assert footprint(KOREA, 0, 3).car_g == 0
    # a whole grid at 100 %: 1000 km × 1000 Wh/km = 1 MWh × 417 g/kWh = 417,000 g exactly
    whole = CarbonFactors(car_g_per_km=1, grid_g_per_kwh=417, charging_efficiency_pct=100)
    assert footprint(whole, 1000, 1_000_000).charging_g == 417_000


def test_a_day_sums_rides_and_deliveries():
    day = DayCarbon(date(2026, 3, 2))
    day = day.plus(2, 0, Footprint(5500, 313 + 375, 16 + 13))  # the kickboard and the e-bike
    day = day.plus(0, 1, footprint(KOREA, MOPED, 4200))
    assert (day.rides, day.deliveries, day.distance_m) == (2, 1, 9700)
    assert (day.car_g, day.charging_g, day.net_g) == (688 + 525, 29 + 58, 297 + 362 + 467)
    assert NO_CREDIT.net_g == 0


@pytest.mark.parametrize(
    ("car", "grid", "eff"), [(0, 400, 90), (-1, 400, 90), (120, -1, 90), (120, 400, 0), (1, 1, 101)]
)
def test_factors_out_of_range_are_refused(car, grid, eff):
    with pytest.raises(InvalidValue):
        CarbonFactors(car_g_per_km=car, grid_g_per_kwh=grid, charging_efficiency_pct=eff)


def test_negative_distances_are_refused():
    with pytest.raises(InvalidValue, match="negative"):
        footprint(KOREA, KICK, -1)


def test_report_days_refuse_reversed_and_long_ranges():
    assert report_days(date(2026, 3, 1), date(2026, 3, 3)) == [
        date(2026, 3, 1),
        date(2026, 3, 2),
        date(2026, 3, 3),
    ]
    with pytest.raises(InvalidValue, match="reversed"):
        report_days(date(2026, 3, 3), date(2026, 3, 1))
    first = date(2026, 1, 1)
    assert len(report_days(first, date.fromordinal(first.toordinal() + MAX_REPORT_DAYS - 1))) == 92
    with pytest.raises(InvalidValue, match="93 days"):
        report_days(first, date.fromordinal(first.toordinal() + MAX_REPORT_DAYS))


def test_days_are_the_citys_even_across_a_clock_change():
    seoul = day_bounds([date(2026, 3, 2)], ZoneInfo("Asia/Seoul"))
    assert [b.astimezone(UTC) for b in seoul] == [
        datetime(2026, 3, 1, 15, tzinfo=UTC),
        datetime(2026, 3, 2, 15, tzinfo=UTC),
    ]
    # Monaco springs forward on 29 March 2026: that day has 23 hours
    days = report_days(date(2026, 3, 29), date(2026, 3, 30))
    bounds = day_bounds(days, ZoneInfo("Europe/Monaco"))
    utc = [b.astimezone(UTC) for b in bounds]
    lengths = [(b - a).total_seconds() / 3600 for a, b in itertools.pairwise(utc)]
    assert [b.hour for b in utc] == [23, 22, 22]
    assert lengths == [23.0, 24.0]


def test_each_city_has_its_countrys_factors():
    korean = {"seoul-mapo", "gwangmyeong", "synthetic"}
    assert korean | {"andorra", "monaco"} == set(available_cities())
    for name in available_cities():
        factors = load_city(name, Path("/nonexistent")).carbon
        assert factors == (KOREA if name in korean else EUROPEAN_FACTORS), name


def _doc(carbon: dict | None) -> dict:
    doc = {
        "name": "x",
        "title": "X",
        "timezone": "Asia/Seoul",
        "currency": "KRW",
        "osm": {"place": "X"},
        "fleet_mix": {"e_bike": 1.0},
    }
    if carbon is not None:
        doc["carbon"] = carbon
    return doc


def test_a_profile_without_carbon_gets_europes_and_a_bad_one_is_named():
    assert parse_city(_doc(None), Path("/x")).carbon == EUROPEAN_FACTORS
    parsed = parse_city(_doc({"car_g_per_km": 150, "grid_g_per_kwh": 500}), Path("/x"))
    assert parsed.carbon == CarbonFactors(150, 500, 90)
    with pytest.raises(SettingsError, match="grid_kwh"):
        parse_city(_doc({"car_g_per_km": 150, "grid_kwh": 500}), Path("/x"))
    with pytest.raises(InvalidValue, match="car_g_per_km"):
        parse_city(_doc({"car_g_per_km": 0, "grid_g_per_kwh": 500}), Path("/x"))
