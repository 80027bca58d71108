"""The crews' OR-Tools model on canned problems: stock, capacity, pairs and shifts hold."""

from __future__ import annotations

import numpy as np

from routing.crew_model import (
    CrewProblem,
    StationSpec,
    Status,
    Stop,
    VanSpec,
    VisitSpec,
    solve_crews,
)


def grid(n: int, step_s: int = 60) -> np.ndarray:
    """Seconds between ``n`` places on a line, ``step_s`` apart."""
    x = np.arange(n)
    return (np.abs(x[:, None] - x[None, :]) * step_s).astype(np.int64)


def test_a_station_hands_out_no_more_than_its_stock():
    """Two empty vans, six swaps worth doing, one station with three packs: three swaps."""
    vans = [VanSpec(0, 0, 0, 3600, (0,), 6, (0,)), VanSpec(1, 1, 0, 3600, (0,), 6, (0,))]
    visits = [VisitSpec(2 + k, 60, 5.0, pack_type=0) for k in range(6)]
    problem = CrewProblem(grid(9), vans, visits, [StationSpec(8, (3,), 120)], [], 1, 1)
    solution = solve_crews(problem, 0.5)
    assert len(visits) - len(solution.dropped) == 3
    loaded = sum(s.loaded[0] for r in solution.routes for s in r if s.station is not None)
    assert loaded == 3


def test_a_pair_rides_one_van_pickup_first_within_capacity():
    """Three moves, one van that carries one vehicle at a time, another that carries none."""
    vans = [VanSpec(0, 0, 0, 7200, (1,), 0, (0,)), VanSpec(0, 0, 0, 7200, (0,), 0, (0,))]
    visits, pairs = [], []
    for k in range(3):
        pairs.append((len(visits), len(visits) + 1))
        visits += [
            VisitSpec(1 + k, 60, 4.0, carry_type=0, carry=1),
            VisitSpec(5 + k, 60, 0.0, carry_type=0, carry=-1),
        ]
    solution = solve_crews(CrewProblem(grid(9), vans, visits, [], pairs, 1, 0), 0.5, seed=1)
    assert solution.routes[1] == []
    order = [s.visit for s in solution.routes[0]]
    assert sorted(order) == list(range(6))
    for p, d in pairs:
        assert order.index(p) + 1 == order.index(d)  # capacity one: drop right after pick-up


def test_a_short_shift_drops_what_does_not_fit():
    vans = [VanSpec(0, 0, 0, 600, (0,), 2, (2,))]
    visits = [VisitSpec(k, 60, 5.0, pack_type=0) for k in (1, 8)]
    solution = solve_crews(CrewProblem(grid(9), vans, visits, [], [], 1, 1), 0.3)
    assert solution.dropped == [1]
    assert solution.ends_s[0] <= 600


def test_nothing_to_plan():
    solution = solve_crews(CrewProblem(grid(2), [], [], [], [], 0, 0), 0.1)
    assert solution.status is Status.EMPTY


def test_a_fading_prize_puts_the_valuable_visit_first():
    """Either order drives the same; the visit worth more is served earlier when prizes fade."""
    vans = [VanSpec(0, 0, 0, 3600, (0,), 2, (2,))]
    visits = [VisitSpec(1, 60, 1.0, pack_type=0), VisitSpec(2, 60, 10.0, pack_type=0)]
    problem = CrewProblem(grid(3), vans, visits, [], [], 1, 1, prize_horizon_s=3600)
    solution = solve_crews(problem, 0.3)
    assert [s.visit for s in solution.routes[0]] == [1, 0]


def test_the_search_starts_from_given_routes_and_keeps_the_stock():
    """A start that loads more packs than its swaps use still fits the station's pack nodes,
    and the answer serves at least what the start served."""
    vans = [VanSpec(0, 0, 0, 3600, (0,), 6, (0,))]
    visits = [VisitSpec(2 + k, 60, 5.0, pack_type=0) for k in range(2)]
    problem = CrewProblem(grid(9), vans, visits, [StationSpec(8, (3,), 120)], [], 1, 1)
    start = [[Stop(0, station=0, loaded=(3,)), Stop(0, visit=1), Stop(0, visit=0)]]
    solution = solve_crews(problem, 0.2, seed=3, initial=start)
    assert solution.dropped == []
    loaded = sum(s.loaded[0] for r in solution.routes for s in r if s.station is not None)
    assert loaded == 2
