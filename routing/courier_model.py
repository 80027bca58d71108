"""The OR-Tools model of the couriers' day: re-optimise every open plan at once.

The one routing model of fleetops: the dispatcher re-plans couriers with it, and
``routing/vrp.py`` solves the public benchmark instances with it (vehicles starting and ending at
a depot, every stop mandatory), so the benchmark measures what couriers get.

Plain data in, plain data out; the platform's rules as constraints:
- pickup-and-delivery pairs on one courier, pickup first; time windows; box capacity, starting
  from what is already on board; shifts end;
- a parcel already picked up stays with its courier (its drop-off is pinned to that vehicle);
- a stop already under way stays each courier's first stop (after a swap if the courier is too
  flat to reach it);
- a courier's battery range bounds the metres of its route, and a courier low on charge can be
  routed via a swap station: its charge is the "charge" dimension (metres left, falling by each
  leg); every stop keeps a reserve (the low-battery threshold), which only the ride to a station
  may use, and a visit to a station puts the charge back to what the station's pack gives;
- a job that cannot fit is dropped at a penalty, so it comes back unassigned instead of failing
  the plan;
- committed work is never dropped: a parcel on board, or a stop under way, whose window has
  passed (``StopSpec.late_ok``) is still planned, late, at a cost per second of lateness, and a
  courier carrying it may overrun the shift at the same cost (``CourierSpec.overtime_ok``), so
  a re-plan always has an answer that keeps it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from time import monotonic
from typing import NamedTuple

from ortools.constraint_solver import pywrapcp, routing_enums_pb2
from ortools.util import optional_boolean_pb2

from routing.courier_nodes import SWAP_S as SWAP_S
from routing.courier_nodes import Nodes
from routing.courier_rules import LATE_COST_PER_S as LATE_COST_PER_S
from routing.courier_rules import add_charge, commit_first_visits

SERVICE_S = 120
#: Dropping a job costs more than any detour it could save (seconds of driving).
DROP_PENALTY = 1_000_000
#: How far past the last window or shift end late committed work may still be planned.
LATE_HORIZON_S = 8 * 3600

_FIRST = routing_enums_pb2.FirstSolutionStrategy
#: First-solution strategies, tried in turn until one finds a plan. Insertion is the strongest
#: start, but it places one node at a time and can fail on a tight day; extending paths arc by
#: arc (the constraint solver propagating as it goes) is tried next; starting with every
#: optional job dropped works whenever the committed part is feasible, and local search
#: re-inserts the jobs.
FIRST_SOLUTIONS = (
    _FIRST.PARALLEL_CHEAPEST_INSERTION,
    _FIRST.PATH_CHEAPEST_ARC,
    _FIRST.ALL_UNPERFORMED,
)


@dataclass(frozen=True, slots=True)
class CourierSpec:
    """A courier now: where (a place of the matrix), the box, what is on board, shift end
    (seconds from now), and the stop under way, if any (an index into the stops). The stop under
    way stays first, unless the courier is too flat to reach it keeping the reserve: then the
    courier swaps first at the station of least detour, and the stop stays theirs."""

    place: int
    capacity_l: int
    on_board_l: int
    shift_end_s: int
    committed_stop: int | None = None
    #: Metres the battery still carries the courier, reserve included (``None``: not limited).
    range_m: int | None = None
    #: The swap station under way, if that is the courier's next stop (an index into stations;
    #: it must have a pack to hand out).
    committed_station: int | None = None
    #: Where the route must end (a place); ``None``: where its last stop is.
    end_place: int | None = None
    #: When the courier sets off (seconds from now).
    ready_s: int = 0
    #: The shift end is soft (overrun costs ``LATE_COST_PER_S``): the courier carries work
    #: that must be finished even after it.
    overtime_ok: bool = False


@dataclass(frozen=True, slots=True)
class StopSpec:
    """A stop still to make: its place, window (seconds from now), load change and how long
    the stop takes."""

    place: int
    opens_s: int
    closes_s: int
    load_l: int
    service_s: int = SERVICE_S
    #: Committed work (a parcel on board, the stop under way): past ``closes_s`` it is late at
    #: ``LATE_COST_PER_S``, never infeasible, and it keeps a battery reserve only softly.
    late_ok: bool = False


@dataclass(frozen=True, slots=True)
class StationSpec:
    """A swap station: its place, how many charged packs it can hand out, and the metres the
    fullest of them carries a courier."""

    place: int
    packs: int
    range_after_m: int


@dataclass(frozen=True, slots=True)
class CourierProblem:
    """Everything to plan: ``pairs`` are (pickup, drop-off) stop indices of jobs not yet picked
    up; ``pinned`` maps the drop-off of each parcel on board to its courier."""

    durations: list[list[int]]
    couriers: list[CourierSpec]
    stops: list[StopSpec]
    pairs: list[tuple[int, int]] = field(default_factory=list)
    pinned: dict[int, int] = field(default_factory=dict)
    #: Road metres between places, for the couriers' battery range (``None``: not checked).
    distances: list[list[int]] | None = None
    #: Swap stations couriers may detour via (only with ``distances``).
    stations: list[StationSpec] = field(default_factory=list)
    #: Metres of range every courier keeps at each stop; only a ride to a station goes below.
    reserve_m: int = 0
    #: What dropping a job (pair) costs; ``None``: every stop must be served.
    drop_penalty: int | None = DROP_PENALTY
    #: What using a courier at all costs (hierarchical objectives: fewest vehicles first).
    vehicle_fixed_cost: int = 0


class Visit(NamedTuple):
    """One visit of a planned route: a stop (``stop`` indexes the stops) or a swap (``station``
    indexes the stations, ``stop`` is ``None``); arrival in seconds from now."""

    stop: int | None
    arrival_s: int
    station: int | None = None


@dataclass(frozen=True, slots=True)
class CourierSolution:
    """Per courier, the visits in order; the stops dropped; the objective (driving, swaps,
    penalties and fixed costs) and whether the search improved on the initial routes given."""

    routes: list[list[Visit]]
    dropped: list[int]
    objective: int = 0
    improved: bool = True


def solve_couriers(
    problem: CourierProblem,
    time_limit_s: float,
    *,
    solution_limit: int | None = None,
    initial: list[list[int]] | None = None,
) -> CourierSolution | None:
    """Plan every courier's visits; ``None`` if even dropping jobs leaves no solution.

    ``solution_limit`` stops the search after that many improving solutions (with the time
    limit as a safety net), so a result does not depend on how fast the machine is. ``initial``
    (stop indices per courier, in order) is where the search starts when it is feasible; else
    the first-solution strategies build one.
    """
    deadline = monotonic() + time_limit_s
    nodes = Nodes(problem)
    manager = pywrapcp.RoutingIndexManager(nodes.count, nodes.couriers, nodes.starts, nodes.ends)
    model = pywrapcp.RoutingModel(manager)
    time = _build(model, manager, problem, nodes)
    search = _search_parameters(time_limit_s, solution_limit)
    model.CloseModelWithParameters(search)
    first = None
    if initial is not None:
        padded = [[manager.NodeToIndex(nodes.stop(k)) for k in route] for route in initial]
        padded += [[] for _ in range(nodes.couriers - len(padded))]
        first = model.ReadAssignmentFromRoutes(padded, True)
    start = first
    covered = sum(len(route) for route in initial or [])
    if first is None or covered < len(problem.stops):  # some stops are not planned yet
        built = _first_solution(model, search, deadline, share=0.5 if first else 1.0)
        if built is not None and (first is None or built.ObjectiveValue() < first.ObjectiveValue()):
            start = built
    if start is None:
        return None
    search.time_limit.FromMilliseconds(_left_ms(deadline))
    solution = model.SolveFromAssignmentWithParameters(start, search) or start
    return _read(problem, model, manager, nodes, time, solution, first)


def _left_ms(deadline: float, share: float = 1.0) -> int:
    return max(10, int((deadline - monotonic()) * share * 1000))


def _first_solution(
    model: pywrapcp.RoutingModel,
    search: pywrapcp.RoutingSearchParameters,
    deadline: float,
    share: float,
) -> pywrapcp.Assignment | None:
    """A first solution by the strategies in turn, within ``share`` of the time left."""
    build = pywrapcp.DefaultRoutingSearchParameters()
    build.CopyFrom(search)
    build.solution_limit = 1
    build.time_limit.FromMilliseconds(_left_ms(deadline, share))
    for strategy in FIRST_SOLUTIONS:
        build.first_solution_strategy = strategy
        found = model.SolveWithParameters(build)
        if found is not None:
            return found
    return None


def _read(
    problem: CourierProblem,
    model: pywrapcp.RoutingModel,
    manager: pywrapcp.RoutingIndexManager,
    nodes: Nodes,
    time: pywrapcp.RoutingDimension,
    solution: pywrapcp.Assignment,
    first: pywrapcp.Assignment | None,
) -> CourierSolution:
    routes: list[list[Visit]] = []
    served: set[int] = set()
    for v in range(nodes.couriers):
        route = []
        index = solution.Value(model.NextVar(model.Start(v)))
        while not model.IsEnd(index):
            i, arrival = int(manager.IndexToNode(index)), int(solution.Value(time.CumulVar(index)))
            if i >= nodes.first_swap:
                route.append(Visit(None, arrival, nodes.station_of[i - nodes.first_swap]))
            else:
                route.append(Visit(i - nodes.first_stop, arrival))
                served.add(i - nodes.first_stop)
            index = solution.Value(model.NextVar(index))
        routes.append(route)
    objective = int(solution.ObjectiveValue())
    improved = first is None or objective < int(first.ObjectiveValue())
    dropped = [k for k in range(len(problem.stops)) if k not in served]
    return CourierSolution(routes, dropped, objective, improved)


def _build(
    model: pywrapcp.RoutingModel,
    manager: pywrapcp.RoutingIndexManager,
    problem: CourierProblem,
    nodes: Nodes,
) -> pywrapcp.RoutingDimension:
    """Costs, dimensions and rules of the model; the time dimension."""
    # Arc values live in OR-Tools as matrices over nodes: no Python call per arc in the search.
    cost = model.RegisterTransitMatrix(nodes.cost().tolist())
    model.SetArcCostEvaluatorOfAllVehicles(cost)
    if problem.vehicle_fixed_cost:
        model.SetFixedCostOfAllVehicles(problem.vehicle_fixed_cost)
    time = _add_time(model, manager, problem, nodes)
    loads = [0] * nodes.count
    for k, stop in enumerate(problem.stops):
        loads[nodes.stop(k)] = stop.load_l
    model.AddDimensionWithVehicleCapacity(
        model.RegisterUnaryTransitVector(loads),
        0,
        [c.capacity_l for c in problem.couriers],
        False,
        "load",
    )
    box = model.GetDimensionOrDie("load")
    for v, courier in enumerate(problem.couriers):
        box.CumulVar(model.Start(v)).SetValue(courier.on_board_l)
    solver = model.solver()
    if problem.distances is not None:
        add_charge(model, manager, problem, nodes)
    for pickup, dropoff in problem.pairs:
        p = manager.NodeToIndex(nodes.stop(pickup))
        d = manager.NodeToIndex(nodes.stop(dropoff))
        model.AddPickupAndDelivery(p, d)
        solver.Add(model.VehicleVar(p) == model.VehicleVar(d))
        solver.Add(time.CumulVar(p) <= time.CumulVar(d))
        if problem.drop_penalty is not None:
            model.AddDisjunction([p], problem.drop_penalty)
            model.AddDisjunction([d], problem.drop_penalty)
            solver.Add(model.ActiveVar(p) == model.ActiveVar(d))
    for pinned_stop, owner in problem.pinned.items():
        model.VehicleVar(manager.NodeToIndex(nodes.stop(pinned_stop))).SetValue(owner)
    for i in nodes.swaps:  # a swap is made only where it pays (or is needed)
        model.AddDisjunction([manager.NodeToIndex(i)], 0)
    commit_first_visits(model, manager, problem, nodes)
    return time


def _add_time(
    model: pywrapcp.RoutingModel,
    manager: pywrapcp.RoutingIndexManager,
    problem: CourierProblem,
    nodes: Nodes,
) -> pywrapcp.RoutingDimension:
    """The "time" dimension: windows and shift ends; late committed work is soft."""
    late = any(s.late_ok for s in problem.stops) or any(c.overtime_ok for c in problem.couriers)
    horizon = max(
        [c.shift_end_s for c in problem.couriers] + [s.closes_s for s in problem.stops] + [0]
    ) + (LATE_HORIZON_S if late else 0)
    model.AddDimension(
        model.RegisterTransitMatrix(nodes.transit().tolist()), horizon, horizon, False, "time"
    )
    time = model.GetDimensionOrDie("time")
    for k, stop in enumerate(problem.stops):
        index = manager.NodeToIndex(nodes.stop(k))
        if stop.late_ok:
            time.CumulVar(index).SetMin(stop.opens_s)
            time.SetCumulVarSoftUpperBound(index, stop.closes_s, LATE_COST_PER_S)
        else:
            time.CumulVar(index).SetRange(stop.opens_s, stop.closes_s)
    solver = model.solver()
    for v, courier in enumerate(problem.couriers):
        time.CumulVar(model.Start(v)).SetValue(courier.ready_s)
        if not courier.overtime_ok:
            time.CumulVar(model.End(v)).SetMax(courier.shift_end_s)
            continue
        time.SetCumulVarSoftUpperBound(model.End(v), courier.shift_end_s, LATE_COST_PER_S)
        # The overrun is for the committed work only: a new stop this courier takes must be
        # served by the shift's end, or the route's soft end would carry new work for hours.
        for k, stop in enumerate(problem.stops):
            if stop.late_ok:
                continue
            index = manager.NodeToIndex(nodes.stop(k))
            elsewhere = 1 - solver.IsEqualCstVar(model.VehicleVar(index), v)
            latest = courier.shift_end_s - stop.service_s
            solver.Add(time.CumulVar(index) <= latest + horizon * elsewhere)
    return time


def _search_parameters(
    time_limit_s: float, solution_limit: int | None
) -> pywrapcp.RoutingSearchParameters:
    search = pywrapcp.DefaultRoutingSearchParameters()
    search.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    # Path LNS (re-solving the stops of a few routes together) moves the search on where
    # relocating and exchanging single stops stalls: measured from VROOM's start at 6 s,
    # R201 1156.6 → 1152.3 and RC201 1289.3 → 1285.7, nothing worse.
    search.local_search_operators.use_path_lns = optional_boolean_pb2.BOOL_TRUE
    search.local_search_operators.use_full_path_lns = optional_boolean_pb2.BOOL_TRUE
    search.time_limit.FromMilliseconds(max(1, int(time_limit_s * 1000)))
    if solution_limit is not None:
        search.solution_limit = solution_limit
    return search
