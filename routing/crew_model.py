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
  one unit for cost and feasibility makes the prize's price easy to read;
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

from dataclasses import dataclass, field
from enum import StrEnum
from time import monotonic

import numpy as np
from numpy.typing import NDArray
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from routing.crew_nodes import CrewNodes

#: What one expected trip served is worth, in seconds of van driving: a visit is made when its
#: trips are worth more than the detour to it. A crew hour costs the operator roughly what 12
#: rides bring in (driver, van, fuel against about ₩2,500 a ride), so a trip pays for ~5 min.
TRIP_VALUE_S = 300
#: Prizes are scaled to integers in hundredths of a trip before they are priced.
PRIZE_SCALE = 100

_FIRST = routing_enums_pb2.FirstSolutionStrategy
#: First-solution strategies tried in turn: insertion builds good prize-collecting starts;
#: starting with every visit left out always works, and local search inserts them.
FIRST_SOLUTIONS = (
    _FIRST.PARALLEL_CHEAPEST_INSERTION,
    _FIRST.PATH_CHEAPEST_ARC,
    _FIRST.ALL_UNPERFORMED,
)


class Status(StrEnum):
    """How a solve ended."""

    IMPROVED = "improved"  # a first solution, then local search until the limit
    FIRST_ONLY = "first-solution"  # local search found nothing better
    EMPTY = "nothing-to-plan"  # no van or no visit
    FAILED = "no-solution"  # not even the empty plan: a van cannot reach its end in time


@dataclass(frozen=True, slots=True)
class VanSpec:
    """A van: start and end places (indices into the matrix), when it may leave and must be
    back (seconds from the plan's time), vehicles it carries per vehicle type, packs it carries
    (charged or spent) and charged packs per pack type on board when it leaves."""

    start: int
    end: int
    ready_s: int
    shift_end_s: int
    capacity_vehicles: tuple[int, ...]
    capacity_packs: int
    packs_on_board: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class VisitSpec:
    """An optional visit: a swap (``pack_type`` set), a pick-up (``carry_type`` set, ``+1``) or
    a drop (``carry_type`` set, ``-1``); ``prize`` in expected trips."""

    place: int
    service_s: int
    prize: float
    pack_type: int | None = None
    carry_type: int | None = None
    carry: int = 0


@dataclass(frozen=True, slots=True)
class StationSpec:
    """A swap station: its place, charged packs per pack type it hands out, service seconds."""

    place: int
    stock: tuple[int, ...]
    service_s: int


@dataclass(frozen=True, slots=True)
class CrewProblem:
    """Everything to plan. ``durations`` is seconds between places; ``pairs`` are (pick-up,
    drop) visit indices; ``vehicle_types``/``pack_types`` count the carry and pack types."""

    durations: NDArray[np.int64]
    vans: list[VanSpec]
    visits: list[VisitSpec]
    stations: list[StationSpec] = field(default_factory=list)
    pairs: list[tuple[int, int]] = field(default_factory=list)
    vehicle_types: int = 0
    pack_types: int = 0
    trip_value_s: int = TRIP_VALUE_S


@dataclass(frozen=True, slots=True)
class Stop:
    """One stop of a route: a visit (index into the visits) or a station (index into the
    stations, with the charged packs loaded per pack type); arrival in seconds."""

    arrival_s: int
    visit: int | None = None
    station: int | None = None
    loaded: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class CrewSolution:
    """Per van its stops in order and its end time; the visits left out; status, objective."""

    routes: list[list[Stop]]
    ends_s: list[int]
    dropped: list[int]
    status: Status
    objective: int


def solve_crews(problem: CrewProblem, time_limit_s: float, *, seed: int = 0) -> CrewSolution:
    """Plan the vans' visits within ``time_limit_s`` seconds.

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
    return CrewProblem(
        problem.durations,
        problem.vans,
        [problem.visits[int(old)] for old in order],
        problem.stations,
        [(new_of[p], new_of[d]) for p, d in problem.pairs],
        problem.vehicle_types,
        problem.pack_types,
        problem.trip_value_s,
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
    model.SetArcCostEvaluatorOfAllVehicles(model.RegisterTransitMatrix(cost.tolist()))
    time = _add_time(model, problem, drive + nodes.stay())
    in_pair = {d for _, d in problem.pairs}
    for k, visit in enumerate(problem.visits):
        index = manager.NodeToIndex(nodes.first_visit + k)
        prize = 0 if k in in_pair else round(visit.prize * PRIZE_SCALE)
        model.AddDisjunction([index], prize * problem.trip_value_s // PRIZE_SCALE)
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
