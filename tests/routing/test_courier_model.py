"""Re-optimisation keeps what is committed: a property test over random courier days."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routing.courier_model import (
    SERVICE_S,
    CourierProblem,
    CourierSpec,
    StopSpec,
    solve_couriers,
)


@st.composite
def courier_days(draw):
    """2–3 couriers, 3–6 open jobs, some parcels already on board, some stops under way."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n_couriers = draw(st.integers(2, 3))
    n_jobs = draw(st.integers(3, 6))
    n_board = draw(st.integers(0, n_couriers))
    n_places = n_couriers + 2 * n_jobs + n_board
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
    ranges = [int(rng.integers(3_000, 40_000)) for _ in couriers]
    for stop, owner in pinned.items():  # a parcel on board can always still be delivered
        ranges[owner] = max(ranges[owner], int(durations[owner][stops[stop].place]) * 5 + 1)
    couriers = [
        CourierSpec(c.place, c.capacity_l, c.on_board_l, c.shift_end_s, c.committed_stop, r)
        for c, r in zip(couriers, ranges, strict=True)
    ]
    metres = (durations * 5).tolist()  # the speed above: 5 m/s
    problem = CourierProblem(durations.tolist(), couriers, stops, pairs, pinned, metres)
    return problem, committed


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(courier_days())
def test_committed_stops_and_parcels_on_board_never_move(day):
    problem, committed = day
    solution = solve_couriers(problem, time_limit_s=30, solution_limit=10)
    assert solution is not None
    where = {k: v for v, route in enumerate(solution.routes) for k, _t in route}
    for stop, courier in problem.pinned.items():
        assert where.get(stop) == courier  # on-board parcels stay with their courier
    for courier, stop in committed.items():
        assert solution.routes[courier][0][0] == stop  # the stop under way stays first
    for pickup, dropoff in problem.pairs:  # a job is served whole by one courier, or dropped
        assert (pickup in where) == (dropoff in where)
        if pickup in where:
            assert where[pickup] == where[dropoff]
            order = [k for k, _t in solution.routes[where[pickup]]]
            assert order.index(pickup) < order.index(dropoff)
    for v, route in enumerate(solution.routes):  # windows, box, range, walked independently
        t, load, here = 0, problem.couriers[v].on_board_l, problem.couriers[v].place
        ridden = 0
        for k, arrival in route:
            stop = problem.stops[k]
            ridden += problem.distances[here][stop.place]
            t = max(t + problem.durations[here][stop.place], stop.opens_s)
            assert t <= stop.closes_s and arrival >= t - 1
            t = max(t, arrival) + SERVICE_S
            load += stop.load_l
            assert 0 <= load <= problem.couriers[v].capacity_l
            here = stop.place
        assert ridden <= problem.couriers[v].range_m


def test_an_impossible_job_is_dropped_not_fatal():
    durations = [[0, 100, 100_000], [100, 0, 100_000], [100_000, 100_000, 0]]
    problem = CourierProblem(
        durations,
        [CourierSpec(0, 90, 0, 3600)],
        [StopSpec(1, 0, 600, 10), StopSpec(2, 0, 900, -10)],
        [(0, 1)],
    )
    solution = solve_couriers(problem, time_limit_s=30, solution_limit=10)
    assert solution is not None and sorted(solution.dropped) == [0, 1]


def test_a_job_beyond_the_battery_range_is_dropped():
    durations = [[0, 60, 120], [60, 0, 60], [120, 60, 0]]
    metres = [[0, 3000, 6000], [3000, 0, 3000], [6000, 3000, 0]]
    stops = [StopSpec(1, 0, 3600, 10), StopSpec(2, 0, 3600, -10)]
    full = CourierProblem(
        durations, [CourierSpec(0, 90, 0, 7200, None, 10_000)], stops, [(0, 1)], {}, metres
    )
    assert solve_couriers(full, time_limit_s=30, solution_limit=10).dropped == []
    flat = CourierProblem(
        durations, [CourierSpec(0, 90, 0, 7200, None, 5_000)], stops, [(0, 1)], {}, metres
    )
    assert sorted(solve_couriers(flat, time_limit_s=30, solution_limit=10).dropped) == [0, 1]
