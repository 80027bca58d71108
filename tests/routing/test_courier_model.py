"""Re-optimisation keeps what is committed: a property test over random courier days."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routing.courier_model import (
    SERVICE_S,
    SWAP_S,
    CourierProblem,
    CourierSpec,
    StationSpec,
    StopSpec,
    solve_couriers,
)


@st.composite
def courier_days(draw):
    """2–3 couriers, 3–6 open jobs, some parcels already on board, some stops under way, and
    sometimes swap stations (then a courier may start too flat to reach its on-board drop-off)."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n_couriers = draw(st.integers(2, 3))
    n_jobs = draw(st.integers(3, 6))
    n_board = draw(st.integers(0, n_couriers))
    n_stations = draw(st.integers(0, 2))
    n_places = n_couriers + 2 * n_jobs + n_board + n_stations
    xy = rng.uniform(0, 3000, size=(n_places, 2))  # metres; 5 m/s
    durations = (np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1)) / 5).astype(int)
    couriers, stops, pairs, pinned = [], [], [], {}
    for v in range(n_couriers):
        couriers.append(CourierSpec(place=v, capacity_l=90, on_board_l=0, shift_end_s=4 * 3600))
    place = n_couriers
    for _ in range(n_jobs):
        opens = int(rng.integers(0, 3600))
        stops.append(StopSpec(place, opens, opens + 3600, 20))
        stops.append(StopSpec(place + 1, opens, opens + 7200, -20))
        pairs.append((len(stops) - 2, len(stops) - 1))
        place += 2
    for b in range(n_board):  # a parcel on board of courier b: its drop-off is pinned
        stops.append(StopSpec(place, 0, 3 * 3600, -30))
        pinned[len(stops) - 1] = b
        couriers[b] = CourierSpec(b, 90, 30, 4 * 3600)
        place += 1
    committed = {}
    if pinned and draw(st.booleans()):  # courier 0 is on its way to its on-board drop-off
        stop = next(s for s, v in pinned.items() if v == 0) if 0 in pinned.values() else None
        if stop is not None:
            couriers[0] = CourierSpec(0, 90, couriers[0].on_board_l, 4 * 3600, stop)
            committed[0] = stop
    stations = [StationSpec(place + s, n_couriers, 30_000) for s in range(n_stations)]
    ranges = [int(rng.integers(3_000, 40_000)) for _ in couriers]
    for stop, owner in pinned.items():  # a parcel on board can always still be delivered
        direct = int(durations[owner][stops[stop].place]) * 5 + 1
        via = [int(durations[owner][s.place] * 5 + 1) for s in stations]  # or after a swap
        if not stations:
            ranges[owner] = max(ranges[owner], direct)
        elif min(via) > ranges[owner]:
            ranges[owner] = max(min(direct, min(via)), ranges[owner])
    couriers = [
        CourierSpec(c.place, c.capacity_l, c.on_board_l, c.shift_end_s, c.committed_stop, r)
        for c, r in zip(couriers, ranges, strict=True)
    ]
    metres = (durations * 5).tolist()  # the speed above: 5 m/s
    problem = CourierProblem(durations.tolist(), couriers, stops, pairs, pinned, metres, stations)
    return problem, committed


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(courier_days())
def test_committed_stops_and_parcels_on_board_never_move(day):
    problem, committed = day
    solution = solve_couriers(problem, time_limit_s=30, solution_limit=10)
    assert solution is not None
    where = {
        k: v for v, route in enumerate(solution.routes) for k, _t, _s in route if k is not None
    }
    for stop, courier in problem.pinned.items():
        assert where.get(stop) == courier  # on-board parcels stay with their courier
    for courier, stop in committed.items():  # the stop under way stays first (after a swap
        route = solution.routes[courier]  # if the courier is too flat to reach it)
        flat = (
            problem.couriers[courier].range_m
            < problem.distances[courier][problem.stops[stop].place]
        )
        assert route[0].stop == stop or (flat and route[0].station is not None)
        assert stop in [v.stop for v in route]
    for pickup, dropoff in problem.pairs:  # a job is served whole by one courier, or dropped
        assert (pickup in where) == (dropoff in where)
        if pickup in where:
            assert where[pickup] == where[dropoff]
            order = [k for k, _t, _s in solution.routes[where[pickup]]]
            assert order.index(pickup) < order.index(dropoff)
    swaps = [0] * len(problem.stations)
    for v, route in enumerate(solution.routes):  # windows, box, range, walked independently
        courier = problem.couriers[v]
        t, load, here, charge = 0, courier.on_board_l, courier.place, courier.range_m
        for k, arrival, station in route:
            where = problem.stops[k].place if k is not None else problem.stations[station].place
            charge -= problem.distances[here][where]
            assert charge >= 0, "a courier ran out of charge"
            t += problem.durations[here][where]
            if k is None:  # a swap: the station's pack
                swaps[station] += 1
                charge = problem.stations[station].range_after_m
                t = max(t, arrival) + SWAP_S
            else:
                stop = problem.stops[k]
                t = max(t, stop.opens_s)
                assert t <= stop.closes_s and arrival >= t - 1
                t = max(t, arrival) + SERVICE_S
                load += stop.load_l
                assert 0 <= load <= courier.capacity_l
            here = where
    for station, used in zip(problem.stations, swaps, strict=True):
        assert used <= station.packs  # no station hands out more packs than it has


def solve_small(problem: CourierProblem):
    """Days of a few nodes: the first solution is already optimal within milliseconds and
    guided local search would run until the time limit, so the limit is short."""
    return solve_couriers(problem, time_limit_s=2, solution_limit=10)


def test_an_impossible_job_is_dropped_not_fatal():
    durations = [[0, 100, 100_000], [100, 0, 100_000], [100_000, 100_000, 0]]
    problem = CourierProblem(
        durations,
        [CourierSpec(0, 90, 0, 3600)],
        [StopSpec(1, 0, 600, 10), StopSpec(2, 0, 900, -10)],
        [(0, 1)],
    )
    solution = solve_small(problem)
    assert solution is not None and sorted(solution.dropped) == [0, 1]


def test_a_job_beyond_the_battery_range_is_dropped():
    durations = [[0, 60, 120], [60, 0, 60], [120, 60, 0]]
    metres = [[0, 3000, 6000], [3000, 0, 3000], [6000, 3000, 0]]
    stops = [StopSpec(1, 0, 3600, 10), StopSpec(2, 0, 3600, -10)]
    full = CourierProblem(
        durations, [CourierSpec(0, 90, 0, 7200, None, 10_000)], stops, [(0, 1)], {}, metres
    )
    assert solve_small(full).dropped == []
    flat = CourierProblem(
        durations, [CourierSpec(0, 90, 0, 7200, None, 5_000)], stops, [(0, 1)], {}, metres
    )
    assert sorted(solve_small(flat).dropped) == [0, 1]


def _line(xs: list[int]) -> tuple[list[list[int]], list[list[int]]]:
    """Places on a straight road at these metres; 5 m/s."""
    metres = [[abs(a - b) for b in xs] for a in xs]
    return [[m // 5 for m in row] for row in metres], metres


def test_a_courier_low_on_charge_is_routed_via_a_swap_station():
    # courier at 0 with 2 km of charge; a parcel on board for 6 km away; a station at 1 km
    durations, metres = _line([0, 1000, 6000])
    stops = [StopSpec(2, 0, 7200, -20)]
    courier = CourierSpec(0, 90, 20, 7200, None, 2000)
    stranded = CourierProblem(durations, [courier], stops, [], {0: 0}, metres)
    assert solve_small(stranded) is None
    station = StationSpec(1, 3, 30_000)
    problem = CourierProblem(durations, [courier], stops, [], {0: 0}, metres, [station])
    solution = solve_small(problem)
    assert solution is not None
    assert [(v.stop, v.station) for v in solution.routes[0]] == [(None, 0), (0, None)]
    swap, dropoff = solution.routes[0]
    assert swap.arrival_s == 200  # 1 km at 5 m/s
    assert dropoff.arrival_s == 200 + SWAP_S + 1000  # then the swap, then 5 km


def test_a_charged_courier_does_not_detour_and_an_empty_station_is_no_help():
    durations, metres = _line([0, 1000, 6000])
    stops = [StopSpec(2, 0, 7200, -20)]
    charged = CourierSpec(0, 90, 20, 7200, None, 10_000)
    station = StationSpec(1, 3, 30_000)
    problem = CourierProblem(durations, [charged], stops, [], {0: 0}, metres, [station])
    solution = solve_small(problem)
    assert [v.station for v in solution.routes[0]] == [None]
    flat = CourierSpec(0, 90, 20, 7200, None, 2000)
    empty = StationSpec(1, 0, 30_000)
    problem = CourierProblem(durations, [flat], stops, [], {0: 0}, metres, [empty])
    assert solve_small(problem) is None


def test_a_swap_under_way_stays_first():
    # the courier is riding to the station at 3 km although a pickup at 500 m is on the way back
    durations, metres = _line([0, 3000, 500, 900])
    stops = [StopSpec(2, 0, 7200, 10), StopSpec(3, 0, 7200, -10)]
    courier = CourierSpec(0, 90, 0, 7200, None, 20_000, committed_station=0)
    problem = CourierProblem(
        durations, [courier], stops, [(0, 1)], {}, metres, [StationSpec(1, 2, 30_000)]
    )
    solution = solve_small(problem)
    assert [(v.stop, v.station) for v in solution.routes[0]] == [(None, 0), (0, None), (1, None)]


def test_only_the_ride_to_a_station_may_use_the_reserve():
    # 2 km of charge with a 1.5 km reserve: a pickup 600 m away would end below the reserve,
    # but the station 1.8 km away is within reach, and after the swap the job fits
    durations, metres = _line([0, 600, 1000, -1800])
    stops = [StopSpec(1, 0, 7200, 10), StopSpec(2, 0, 7200, -10)]
    courier = CourierSpec(0, 90, 0, 7200, None, 2000)
    alone = CourierProblem(durations, [courier], stops, [(0, 1)], {}, metres, reserve_m=1500)
    assert sorted(solve_small(alone).dropped) == [0, 1]
    station = StationSpec(3, 1, 30_000)
    problem = CourierProblem(
        durations, [courier], stops, [(0, 1)], {}, metres, [station], reserve_m=1500
    )
    solution = solve_small(problem)
    assert [(v.stop, v.station) for v in solution.routes[0]] == [(None, 0), (0, None), (1, None)]


def test_the_search_starts_from_initial_routes_when_they_are_feasible():
    # courier 0 is next to the job, courier 1 five kilometres away
    durations, _metres = _line([0, 5000, 100, 200])
    stops = [StopSpec(2, 0, 7200, 10), StopSpec(3, 0, 7200, -10)]
    couriers = [CourierSpec(0, 90, 0, 7200), CourierSpec(1, 90, 0, 7200)]
    problem = CourierProblem(durations, couriers, stops, [(0, 1)])
    kept = solve_couriers(problem, time_limit_s=2, solution_limit=1, initial=[[], [0, 1]])
    assert [len(r) for r in kept.routes] == [0, 2] and kept.improved is False
    better = solve_couriers(problem, time_limit_s=2, initial=[[], [0, 1]])
    assert [len(r) for r in better.routes] == [2, 0] and better.improved
    assert better.objective == 20 + 20 < kept.objective
    # a start that breaks a rule (drop-off first) is ignored: the strategies build one
    built = solve_couriers(problem, time_limit_s=2, initial=[[1, 0], []])
    assert [[v.stop for v in r] for r in built.routes] == [[0, 1], []]
