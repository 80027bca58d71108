"""The pure decisions of each room, on tiny named data: which vehicle a rider gets, where a
trip may end and what it costs, where a job goes in a courier's plan, which EV a slot gets."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from dispatch.couriers.insertion import CourierPlan, Stop, best_insertion, simulate
from dispatch.riders import parking
from dispatch.riders.ranking import Candidate, RiderRules, rank
from dispatch.riders.trips import end_of_trip
from dispatch.workev.choice import Charging, EvState, Slot, charge_pct_at, choose_ev
from fleet.carbon import CarbonFactors
from fleet.catalog import VehicleClass
from fleet.geo import Area, Position
from fleet.plans import StopKind
from fleet.pricing import Tariff
from fleet.sites import ParkingKind, Site, SiteKind
from fleet.vehicles import VehicleStatus
from fleet.zones import Zone, ZoneKind
from tests.dispatch.conftest import NOON

RULES = RiderRules(walk_limit_s=600, reserve_pct=15, min_range_m=3000)


def square(around: Position, half_m: float) -> Area:
    """A square area of ``2 × half_m`` metres around a position."""
    dlat, dlon = half_m / 111_320, half_m / (111_320 * np.cos(np.radians(around.lat)))
    return Area.from_ring(
        [
            [around.lon - dlon, around.lat - dlat],
            [around.lon + dlon, around.lat - dlat],
            [around.lon + dlon, around.lat + dlat],
            [around.lon - dlon, around.lat + dlat],
            [around.lon - dlon, around.lat - dlat],
        ]
    )


# --- riders: ranking ------------------------------------------------------------------


def test_the_nearest_charged_vehicle_ranks_first(walk, corners, catalog):
    rider = corners[0]
    near, far = corners[1], corners[12]
    ranking = rank(
        rider,
        [
            Candidate("far", VehicleClass.E_KICKBOARD, far, 90.0),
            Candidate("near", VehicleClass.E_KICKBOARD, near, 60.0),
            Candidate("flat", VehicleClass.E_KICKBOARD, near, 5.0),
        ],
        walk,
        rules=RULES,
        catalog=catalog,
        zones=[],
        at=NOON,
    )
    assert [r.candidate.vehicle_id for r in ranking.ranked] == ["near", "far"]
    assert ranking.ranked[0].walk_s <= ranking.ranked[1].walk_s
    assert ranking.rejected == {"with too little charge": 1}


def test_vehicles_in_no_ride_zones_and_active_closures_do_not_qualify(walk, corners, catalog):
    spot = corners[3]
    zones = [
        Zone("nr", "op", ZoneKind.NO_RIDE, "park", square(spot, 30)),
        Zone(
            "hz",
            "op",
            ZoneKind.HAZARD_CLOSURE,
            "works",
            square(corners[8], 30),
            active_from=NOON - timedelta(hours=1),
            active_until=NOON + timedelta(hours=1),
        ),
    ]
    candidates = [
        Candidate("in-park", VehicleClass.E_BIKE, spot, 80.0),
        Candidate("at-works", VehicleClass.E_BIKE, corners[8], 80.0),
    ]
    ranking = rank(corners[0], candidates, walk, rules=RULES, catalog=catalog, zones=zones, at=NOON)
    assert not ranking.ranked
    assert ranking.rejected == {"in a no-ride zone or closure": 2}
    later = rank(
        corners[0],
        candidates,
        walk,
        rules=RULES,
        catalog=catalog,
        zones=zones,
        at=NOON + timedelta(hours=2),  # the closure is over; the no-ride zone is not
    )
    assert [r.candidate.vehicle_id for r in later.ranked] == ["at-works"]


def test_a_destination_asks_for_the_trip_plus_the_reserve(walk, corners, catalog):
    kick = catalog[VehicleClass.E_KICKBOARD]
    trip_m = 10_000
    just_short = (trip_m * 1.15 - 100) / kick.range_full_m * 100
    ranking = rank(
        corners[0],
        [Candidate("k", VehicleClass.E_KICKBOARD, corners[1], just_short)],
        walk,
        rules=RULES,
        catalog=catalog,
        zones=[],
        at=NOON,
        trip_m={VehicleClass.E_KICKBOARD: trip_m},
    )
    assert ranking.rejected == {"with too little charge": 1}
    assert "too little charge" in ranking.explain()


# --- riders: parking and the trip's end ----------------------------------------------------


def station(name: str, at: Position, capacity: int = 2) -> Site:
    """A designated parking station."""
    return Site(
        name,
        "op",
        SiteKind.PARKING,
        name,
        at,
        capacity=capacity,
        parking_kind=ParkingKind.DESIGNATED,
    )


def test_parking_in_a_no_parking_zone_is_refused_with_the_nearest_station(corners):
    here, spot = corners[5], corners[6]
    zones = [Zone("np", "op", ZoneKind.NO_PARKING, "market", square(here, 40))]
    stations = [station("near", spot), station("full", corners[7], capacity=1)]
    refused = parking.refusal(zones, here, stations, {})
    assert refused is not None and "market" in refused.message
    nearest = parking.suggestion(zones, here, stations, {"near": 0, "full": 1})
    assert nearest is not None and nearest["site_id"] == "near"


def test_a_full_designated_station_refuses_and_suggests_another(corners):
    full, other = station("full", corners[2], capacity=1), station("other", corners[9])
    refused = parking.refusal([], corners[2], [full, other], {"full": 1})
    assert refused is not None and refused.exclude == "full"
    assert parking.refusal([], corners[2], [full, other], {"full": 0}) is None


def test_an_ended_trip_is_priced_drains_the_battery_and_credits_co2(catalog):
    tariff = Tariff("KRW", unlock_minor=1000, per_minute_minor={VehicleClass.E_BIKE: 150})
    end = end_of_trip(
        catalog[VehicleClass.E_BIKE],
        tariff,
        carbon=CarbonFactors(car_g_per_km=125, grid_g_per_kwh=417, charging_efficiency_pct=90),
        soc_pct=20.0,
        ridden_m=3000,
        started_at=NOON,
        ended_at=NOON + timedelta(minutes=12),
    )
    assert end.receipt.duration_s == 720 and end.receipt.distance_m == 3000
    assert end.receipt.price_minor == 1000 + 12 * 150  # unlock and twelve started minutes
    # the car's 3 × 125 g less 27 Wh / 90 % × 417 g/kWh = 12.51 g of charging, rounded: 13
    assert end.co2 is not None and (end.co2.car_g, end.co2.charging_g) == (375, 13)
    assert end.receipt.co2_avoided_g == 362
    assert end.soc_pct == pytest.approx(20.0 - 3 * 9 / 418 * 100, abs=0.1)  # 27 Wh of 418
    assert end.status is VehicleStatus.LOW_BATTERY  # 13.5 % is below the e-bike's 15 %


# --- couriers: insertion --------------------------------------------------------------

#: Four places on a line, 300 s of riding apart: the courier at 0, stops at 1, 2 and 3.
LINE = np.array([[abs(i - j) * 300 for j in range(4)] for i in range(4)], dtype=np.int64)


def job_stops(job: str, at: int, to: int, litres: int = 10) -> tuple[Stop, Stop]:
    """A job picked up at place ``at`` and dropped at ``to``, windows open all afternoon."""
    until = NOON + timedelta(hours=4)
    return (
        Stop(job, StopKind.PICKUP, at, NOON, until, litres),
        Stop(job, StopKind.DROPOFF, to, NOON, until, -litres),
    )


def courier(stops=(), box_l: int = 90, on_board_l: int = 0, range_m=None) -> CourierPlan:
    """A courier at place 0 until 16:00 with these stops ahead."""
    return CourierPlan(
        "shift", 0, NOON + timedelta(hours=4), box_l, on_board_l, tuple(stops), range_m
    )


def test_a_job_on_the_way_is_inserted_where_it_adds_least():
    a_pick, a_drop = job_stops("a", 1, 3)
    b_pick, b_drop = job_stops("b", 2, 3)
    found = best_insertion([courier([a_pick, a_drop])], b_pick, b_drop, LINE, NOON)
    assert found is not None and found.added_s == 0  # place 2 lies on the way from 1 to 3
    order = [(s.job_id, str(s.kind)) for s in found.stops]
    assert order[:2] == [("a", "pickup"), ("b", "pickup")]  # picked up on the way to 3
    assert order.index(("b", "pickup")) < order.index(("b", "dropoff"))
    assert list(found.etas) == sorted(found.etas)


def test_a_full_box_or_a_closed_window_leaves_no_insertion():
    pick, drop = job_stops("big", 1, 2, litres=50)
    assert best_insertion([courier(box_l=90, on_board_l=60)], pick, drop, LINE, NOON) is None
    late = Stop("late", StopKind.DROPOFF, 3, NOON, NOON + timedelta(seconds=400), -5)
    early = Stop("late", StopKind.PICKUP, 1, NOON, NOON + timedelta(hours=1), 5)
    assert best_insertion([courier()], early, late, LINE, NOON) is None  # 900 s + service


def test_a_plan_already_late_is_not_made_worse():
    stuck = Stop("x", StopKind.DROPOFF, 3, NOON, NOON + timedelta(seconds=60), -5)
    assert simulate(courier([stuck], on_board_l=5), [stuck], LINE, NOON) is None
    pick, drop = job_stops("new", 1, 2)
    assert best_insertion([courier([stuck], on_board_l=5)], pick, drop, LINE, NOON) is None


def test_a_courier_short_of_charge_is_sent_via_a_swap_first():
    metres = LINE * 5  # 5 m/s
    pick, drop = job_stops("j", 2, 3)
    swap = Stop(None, StopKind.SWAP, 1, NOON, NOON + timedelta(hours=4), 0, "st", 40_000)
    flat = CourierPlan("s", 0, NOON + timedelta(hours=4), 90, 0, (), 2_000, swap, 500)
    found = best_insertion([flat], pick, drop, LINE, NOON, metres)
    assert found is not None
    assert [s.kind for s in found.stops] == ["swap", "pickup", "dropoff"]
    no_swap = CourierPlan("s", 0, NOON + timedelta(hours=4), 90, 0, (), 2_000, None, 500)
    assert best_insertion([no_swap], pick, drop, LINE, NOON, metres) is None


# --- work EVs: which EV a slot gets ---------------------------------------------------


def test_the_ev_with_the_least_energy_to_spare_that_fits_is_chosen(catalog):
    charging = Charging(catalog[VehicleClass.WORK_EV], charger_kw=7.0, reserve_pct=15)
    wanted = Slot(NOON + timedelta(hours=1), NOON + timedelta(hours=2), 60_000)
    evs = [
        EvState("full", 100.0, ()),
        EvState("half", 50.0, ()),
        EvState("flat", 1.0, ()),  # an hour at 7 kW is not enough for 60 km and the reserve
        EvState("busy", 100.0, (Slot(NOON + timedelta(minutes=90), NOON + timedelta(hours=3), 1),)),
    ]
    assert choose_ev(evs, wanted, NOON, charging) == "half"
    assert choose_ev([evs[2], evs[3]], wanted, NOON, charging) is None


def test_a_booking_that_would_starve_a_later_one_is_refused(catalog):
    charging = Charging(catalog[VehicleClass.WORK_EV], charger_kw=0.001, reserve_pct=15)
    later = Slot(NOON + timedelta(hours=5), NOON + timedelta(hours=6), 140_000, "r1")
    ev = EvState("ev", 100.0, (later,))
    wanted = Slot(NOON + timedelta(hours=1), NOON + timedelta(hours=2), 60_000)
    assert choose_ev([ev], wanted, NOON, charging) is None  # 140 km + 15 % after 60 km: short
    short = Slot(NOON + timedelta(hours=1), NOON + timedelta(hours=2), 10_000)
    assert choose_ev([ev], short, NOON, charging) == "ev"


def test_only_a_plugged_in_ev_gains_charge_before_its_next_trip(catalog):
    charging = Charging(catalog[VehicleClass.WORK_EV], charger_kw=7.0, reserve_pct=15)
    wanted = Slot(NOON + timedelta(hours=4), NOON + timedelta(hours=5), 60_000)
    # 60 km need 10.3 kWh and the 15 % reserve (33.7 % of 35.2 kWh); 10 % plus four hours at
    # 7 kW (90 % reaching the battery) is 28.7 kWh, and 10 % alone is 3.5 kWh
    unplugged = EvState("unplugged", 10.0, ())
    plugged = EvState("plugged", 10.0, (), plugged_in_since=NOON - timedelta(minutes=30))
    assert choose_ev([unplugged], wanted, NOON, charging) is None
    assert choose_ev([unplugged, plugged], wanted, NOON, charging) == "plugged"
    two_h = NOON + timedelta(hours=1, minutes=30)
    assert charge_pct_at(plugged, two_h, charging) == round((3520 + 2 * 6300) / 35200 * 100, 1)
    assert charge_pct_at(plugged, NOON + timedelta(hours=9), charging) == 100.0
    assert charge_pct_at(unplugged, NOON + timedelta(hours=9), charging) == 10.0


def _brute_force(plan: CourierPlan, pick: Stop, drop: Stop, durations, metres):
    """Every pickup and drop-off position, each trial driven through ``simulate``: the readable
    definition the compiled search must match (same insertion, same tie-break)."""
    base = simulate(plan, plan.stops, durations, NOON, metres)
    if base is None:
        return None
    best = None
    stops = list(plan.stops)
    for i in range(min(1, len(stops)), len(stops) + 1):
        for j in range(i, len(stops) + 1):
            trial = [*stops[:i], pick, *stops[i:j], drop, *stops[j:]]
            result = simulate(plan, trial, durations, NOON, metres)
            if result is not None and (best is None or result[1] - base[1] < best[0]):
                best = (result[1] - base[1], tuple(trial))
    return best


@pytest.mark.parametrize("seed", range(40))
def test_the_compiled_insertion_search_picks_what_simulate_defines(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(6, 12))
    durations = rng.integers(60, 900, size=(n, n)).astype(np.int64)
    np.fill_diagonal(durations, 0)
    metres = durations * 6
    stops: list[Stop] = []
    load = 0
    for k in range(int(rng.integers(0, 7))):
        opens = NOON + timedelta(seconds=int(rng.integers(0, 3600)))
        closes = opens + timedelta(seconds=int(rng.integers(600, 7200)), microseconds=k)
        litres = int(rng.integers(1, 30))
        if load >= litres and rng.random() < 0.5:
            stops.append(
                Stop(f"j{k}", StopKind.DROPOFF, int(rng.integers(1, n)), opens, closes, -litres)
            )
            load -= litres
        else:
            stops.append(
                Stop(f"j{k}", StopKind.PICKUP, int(rng.integers(1, n)), opens, closes, litres)
            )
            load += litres
    range_m = None if rng.random() < 0.4 else int(rng.integers(5_000, 60_000))
    plan = CourierPlan("s", 0, NOON + timedelta(hours=3), 60, 0, tuple(stops), range_m, None, 300)
    pick = Stop(
        "new", StopKind.PICKUP, int(rng.integers(1, n)), NOON, NOON + timedelta(hours=1), 10
    )
    drop = Stop(
        "new", StopKind.DROPOFF, int(rng.integers(1, n)), NOON, NOON + timedelta(hours=2), -10
    )
    expected = _brute_force(plan, pick, drop, durations, metres)
    found = best_insertion([plan], pick, drop, durations, NOON, metres)
    if expected is None:
        assert found is None
    else:
        assert found is not None and (found.added_s, found.stops) == expected
