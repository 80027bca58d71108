"""The OR-Tools model of crews in vans: battery swaps and rebalancing moves, prize-collecting.

Plain data in (:class:`CrewProblem`), plain data out (:class:`CrewSolution`); the crew room
(``dispatch.ops.crew_plan``) turns a fleet snapshot into the one and the other into a plan.

The model:

- a van starts at its start place no earlier than ``ready_s`` and is at its end place by
  ``shift_end_s`` (the "time" dimension: driving seconds plus each visit's service seconds;
  waiting is allowed);
- every visit is optional: leaving it out costs its prize (expected trips) times
  :data:`TRIP_VALUE_S`, so the objective is driving seconds minus the trips served, priced in
  seconds. Seconds rather than metres because the shift, the binding limit, is in seconds, and
  one unit for cost and feasibility makes the prize's price easy to read. With
  ``prize_horizon_s`` a prize fades with the time it is earned (a soft upper bound at 0 on the
  visit's time), since demand comes through the horizon and a late visit serves less of it;
- moves are pick-up and drop pairs on the same van, pick-up first; the van carries at most its
  capacity of each vehicle type (one "carry" dimension per type, a pick-up +1, a drop -1);
- packs: a "packs-<type>" dimension per pack type counts the charged packs of that type on
  board (a swap takes one), and a "packs" dimension counts them all, bounded by the van's
  ``capacity_packs``. A station offers one optional node per charged pack it holds (see
  ``routing.crew_nodes``): taking it adds one, so no station is ever overdrawn.

Simplification of the packs: a swap trades a charged pack for a spent one, so the number of
packs in the van changes only at a station. The model assumes a station takes back every spent
pack a van brings (into the slots of the packs it hands out, or free slots) — stations keep
free slots for exactly this — so right after a station (or at the start) the van holds only
charged packs, and bounding the charged packs there by ``capacity_packs`` bounds every pack on
board until the next station.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from time import monotonic

import numpy as np
from numpy.typing import NDArray
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from routing.crew_nodes import CrewNodes
from routing.crew_types import (
    TRIP_VALUE_S,
    CrewProblem,
    CrewSolution,
    StationSpec,
    Status,
    Stop,
    VanSpec,
    VisitSpec,
)

__all__ = [
    "TRIP_VALUE_S",
    "CrewProblem",
    "CrewSolution",
    "StationSpec",
    "Status",
    "Stop",
    "VanSpec",
    "VisitSpec",
    "solve_crews",
]

#: The objective counts hundredths of a second, so a prize that fades by a fraction of a
#: second each second (see ``CrewProblem.prize_horizon_s``) is still an integer cost.
COST_SCALE = 100

_FIRST = routing_enums_pb2.FirstSolutionStrategy
#: First-solution strategies tried in turn: insertion builds good prize-collecting starts;
#: starting with every visit left out always works, and local search inserts them.
FIRST_SOLUTIONS = (
    _FIRST.PARALLEL_CHEAPEST_INSERTION,
    _FIRST.PATH_CHEAPEST_ARC,
    _FIRST.ALL_UNPERFORMED,
)


def solve_crews(
    problem: CrewProblem,
    time_limit_s: float,
    *,
    seed: int = 0,
    initial: Sequence[Sequence[Stop]] | None = None,
) -> CrewSolution:
    """Plan the vans' visits within ``time_limit_s`` seconds (model building included).

    ``initial``: routes to start the search from (one per van, as a :class:`CrewSolution`
    gives them; a station stop may say it loads more packs than the swaps after it use). The
    answer is then never worse than they are on the model's objective; without them, or if
    they break a rule, the search starts from :data:`FIRST_SOLUTIONS`.

    ``seed`` orders the visits in the model (ties in the first solution and the neighbourhoods
    break differently), since the routing library has no random seed of its own; the same seed
    and time limit give the same plan on the same machine load.
    """
    if not problem.vans or not problem.visits:
        return _empty(problem, Status.EMPTY)
    deadline = monotonic() + time_limit_s
    order = np.random.default_rng(seed).permutation(len(problem.visits)) if seed else None
    shuffled = _reorder(problem, order)
    nodes = CrewNodes(shuffled)
    manager = pywrapcp.RoutingIndexManager(
        nodes.count, len(shuffled.vans), nodes.starts, nodes.ends
    )
    model = pywrapcp.RoutingModel(manager)
    _build(model, manager, shuffled, nodes)
    search = _search_parameters(time_limit_s)
    model.CloseModelWithParameters(search)
    first = None
    if initial is not None:
        routes = nodes.routes_of(shuffled, _renumber(initial, order))
        indices = [[manager.NodeToIndex(n) for n in route] for route in routes]
        first = model.ReadAssignmentFromRoutes(indices, True)
    if first is None:
        first = _first_solution(model, search, deadline)
    if first is None:
        return _empty(problem, Status.FAILED)
    search.time_limit.FromMilliseconds(max(10, int((deadline - monotonic()) * 1000)))
    found = model.SolveFromAssignmentWithParameters(first, search)
    solution = found if found is not None else first
    improved = solution.ObjectiveValue() < first.ObjectiveValue()
    status = Status.IMPROVED if improved else Status.FIRST_ONLY
    read = _read(shuffled, model, manager, nodes, solution, status)
    return _restore(read, order)


def _renumber(
    routes: Sequence[Sequence[Stop]], order: NDArray[np.int64] | None
) -> list[list[Stop]]:
    """Routes of the original problem with visit indices of the reordered one."""
    if order is None:
        return [list(r) for r in routes]
    new_of = np.argsort(order)
    return [
        [s if s.visit is None else replace(s, visit=int(new_of[s.visit])) for s in route]
        for route in routes
    ]


def _empty(problem: CrewProblem, status: Status) -> CrewSolution:
    return CrewSolution(
        [[] for _ in problem.vans],
        [v.ready_s for v in problem.vans],
        list(range(len(problem.visits))),
        status,
        0,
    )


def _reorder(problem: CrewProblem, order: NDArray[np.int64] | None) -> CrewProblem:
    """The problem with its visits in ``order`` (pairs renumbered)."""
    if order is None:
        return problem
    new_of = {int(old): new for new, old in enumerate(order)}
    return replace(
        problem,
        visits=[problem.visits[int(old)] for old in order],
        pairs=[(new_of[p], new_of[d]) for p, d in problem.pairs],
    )


def _restore(solution: CrewSolution, order: NDArray[np.int64] | None) -> CrewSolution:
    """Visit indices of a solution of the reordered problem, in the original numbering."""
    if order is None:
        return solution
    routes = [
        [
            Stop(s.arrival_s, None if s.visit is None else int(order[s.visit]), s.station, s.loaded)
            for s in route
        ]
        for route in solution.routes
    ]
    dropped = sorted(int(order[k]) for k in solution.dropped)
    return CrewSolution(routes, solution.ends_s, dropped, solution.status, solution.objective)


def _first_solution(
    model: pywrapcp.RoutingModel, search: pywrapcp.RoutingSearchParameters, deadline: float
) -> pywrapcp.Assignment | None:
    """A first solution by the strategies in turn, within a third of the time left each."""
    build = pywrapcp.DefaultRoutingSearchParameters()
    build.CopyFrom(search)
    build.solution_limit = 1
    for strategy in FIRST_SOLUTIONS:
        build.first_solution_strategy = strategy
        build.time_limit.FromMilliseconds(max(10, int((deadline - monotonic()) * 1000 / 3)))
        found = model.SolveWithParameters(build)
        if found is not None:
            return found
    return None


def _build(
    model: pywrapcp.RoutingModel,
    manager: pywrapcp.RoutingIndexManager,
    problem: CrewProblem,
    nodes: CrewNodes,
) -> pywrapcp.RoutingDimension:
    """Arc costs, prizes, the time, carry and pack dimensions; the time dimension."""
    drive = nodes.drive(problem.durations)
    # A station stop costs its service too, so the search never parks at one for nothing.
    cost = drive + np.where(nodes.place[:, None] != nodes.place[None, :], nodes.parking, 0)
    cost *= COST_SCALE
    model.SetArcCostEvaluatorOfAllVehicles(model.RegisterTransitMatrix(cost.tolist()))
    time = _add_time(model, problem, drive + nodes.stay())
    earned_at = dict(problem.pairs)
    drops = set(earned_at.values())
    for k, visit in enumerate(problem.visits):
        index = manager.NodeToIndex(nodes.first_visit + k)
        worth = 0.0 if k in drops else visit.prize * problem.trip_value_s * COST_SCALE
        model.AddDisjunction([index], round(worth))
        if problem.prize_horizon_s > 0 and worth > 0:
            # Served at t, the visit earns worth × (1 - t/horizon): a cost of t × worth/horizon.
            earned = manager.NodeToIndex(nodes.first_visit + earned_at.get(k, k))
            fade = max(1, round(worth / problem.prize_horizon_s))
            time.SetCumulVarSoftUpperBound(earned, 0, fade)
    for n in range(nodes.first_pack, nodes.count):  # loading is free but not required
        model.AddDisjunction([manager.NodeToIndex(n)], 0)
    solver = model.solver()
    for pickup, drop in problem.pairs:
        p = manager.NodeToIndex(nodes.first_visit + pickup)
        d = manager.NodeToIndex(nodes.first_visit + drop)
        model.AddPickupAndDelivery(p, d)
        solver.Add(model.VehicleVar(p) == model.VehicleVar(d))
        solver.Add(model.ActiveVar(p) == model.ActiveVar(d))
        solver.Add(time.CumulVar(p) <= time.CumulVar(d))
    _add_carry(model, problem, nodes)
    _add_packs(model, problem, nodes)
    return time


def _add_time(
    model: pywrapcp.RoutingModel, problem: CrewProblem, transit: NDArray[np.int64]
) -> pywrapcp.RoutingDimension:
    horizon = max(v.shift_end_s for v in problem.vans)
    model.AddDimension(
        model.RegisterTransitMatrix(transit.tolist()), horizon, horizon, False, "time"
    )
    time = model.GetDimensionOrDie("time")
    for v, van in enumerate(problem.vans):
        time.CumulVar(model.Start(v)).SetRange(min(van.ready_s, van.shift_end_s), van.shift_end_s)
        time.CumulVar(model.End(v)).SetMax(van.shift_end_s)
        model.AddVariableMinimizedByFinalizer(time.CumulVar(model.End(v)))
    return time


def _add_carry(model: pywrapcp.RoutingModel, problem: CrewProblem, nodes: CrewNodes) -> None:
    """A "carry" dimension per vehicle type: vehicles of that type in the van."""
    for t in range(problem.vehicle_types):
        change = [0] * nodes.count
        for k, visit in enumerate(problem.visits):
            if visit.carry_type == t:
                change[nodes.first_visit + k] = visit.carry
        if not any(change):
            continue
        model.AddDimensionWithVehicleCapacity(
            model.RegisterUnaryTransitVector(change),
            0,
            [van.capacity_vehicles[t] for van in problem.vans],
            True,
            f"carry-{t}",
        )


def _add_packs(model: pywrapcp.RoutingModel, problem: CrewProblem, nodes: CrewNodes) -> None:
    """The "packs-<type>" dimensions (charged packs of each type on board) and "packs" (all
    charged packs, within the van's capacity): a swap takes one, a pack node adds one."""
    if not any(v.pack_type is not None for v in problem.visits):
        return
    # A van loaded over its capacity at the start still leaves (and never loads more).
    capacities = [max(van.capacity_packs, sum(van.packs_on_board)) for van in problem.vans]
    for name, types in [("packs", range(problem.pack_types))] + [
        (f"packs-{t}", [t]) for t in range(problem.pack_types)
    ]:
        change = [0] * nodes.count
        for k, visit in enumerate(problem.visits):
            if visit.pack_type in types:
                change[nodes.first_visit + k] = -1
        for j, (_, t) in enumerate(nodes.pack_of):
            if t in types:
                change[nodes.first_pack + j] = 1
        model.AddDimensionWithVehicleCapacity(
            model.RegisterUnaryTransitVector(change), 0, capacities, False, name
        )
        packs = model.GetDimensionOrDie(name)
        for v, van in enumerate(problem.vans):
            packs.CumulVar(model.Start(v)).SetValue(sum(van.packs_on_board[t] for t in types))


def _read(
    problem: CrewProblem,
    model: pywrapcp.RoutingModel,
    manager: pywrapcp.RoutingIndexManager,
    nodes: CrewNodes,
    solution: pywrapcp.Assignment,
    status: Status,
) -> CrewSolution:
    """Routes as stops at their earliest times (the search may leave waits in the cumuls);
    consecutive pack nodes of one station become one stop."""
    transit = nodes.drive(problem.durations) + nodes.stay()
    routes: list[list[Stop]] = []
    ends: list[int] = []
    done: set[int] = set()
    for v in range(len(problem.vans)):
        route: list[Stop] = []
        index = solution.Value(model.NextVar(model.Start(v)))
        previous, clock = nodes.starts[v], problem.vans[v].ready_s
        while True:
            n = manager.IndexToNode(index)
            clock += int(transit[previous, n])
            parked = nodes.place[previous] != nodes.place[n]
            previous, arrival = n, clock - int(nodes.parking[n] if parked else 0)
            if model.IsEnd(index):
                break
            pack = nodes.station_and_type(n)
            if pack is None:
                route.append(Stop(arrival, visit=n - nodes.first_visit))
                done.add(n - nodes.first_visit)
            else:
                station, t = pack
                loaded = [0] * problem.pack_types
                if route and route[-1].station == station:
                    arrival, loaded = route[-1].arrival_s, list(route.pop().loaded)
                loaded[t] += 1
                route.append(Stop(arrival, station=station, loaded=tuple(loaded)))
            index = solution.Value(model.NextVar(index))
        routes.append(route)
        ends.append(clock)
    dropped = [k for k in range(len(problem.visits)) if k not in done]
    return CrewSolution(routes, ends, dropped, status, int(solution.ObjectiveValue()))


def _search_parameters(time_limit_s: float) -> pywrapcp.RoutingSearchParameters:
    search = pywrapcp.DefaultRoutingSearchParameters()
    search.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    search.time_limit.FromMilliseconds(max(1, int(time_limit_s * 1000)))
    return search
