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
  the plan.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

from ortools.constraint_solver import pywrapcp, routing_enums_pb2
from ortools.util import optional_boolean_pb2

SERVICE_S = 120
#: Parking at a swap station and changing the pack, seconds. Operators quote "under a minute"
#: at the cabinet; with parking and the app it is about two.
SWAP_S = 120
#: Dropping a job costs more than any detour it could save (seconds of driving).
DROP_PENALTY = 1_000_000

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


@dataclass(frozen=True, slots=True)
class StopSpec:
    """A stop still to make: its place, window (seconds from now), load change and how long
    the stop takes."""

    place: int
    opens_s: int
    closes_s: int
    load_l: int
    service_s: int = SERVICE_S


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
    nodes = _Nodes(problem)
    manager = pywrapcp.RoutingIndexManager(nodes.count, nodes.couriers, nodes.starts, nodes.ends)
    model = pywrapcp.RoutingModel(manager)
    # Arc values live in OR-Tools as matrices over nodes: no Python call per arc in the search.
    cost = model.RegisterTransitMatrix(nodes.matrix(nodes.cost))
    model.SetArcCostEvaluatorOfAllVehicles(cost)
    if problem.vehicle_fixed_cost:
        model.SetFixedCostOfAllVehicles(problem.vehicle_fixed_cost)
    horizon = max([c.shift_end_s for c in problem.couriers] + [s.closes_s for s in problem.stops])
    model.AddDimension(
        model.RegisterTransitMatrix(nodes.matrix(nodes.transit)), horizon, horizon, False, "time"
    )
    time = model.GetDimensionOrDie("time")
    for k, stop in enumerate(problem.stops):
        time.CumulVar(manager.NodeToIndex(nodes.stop(k))).SetRange(stop.opens_s, stop.closes_s)
    for v, courier in enumerate(problem.couriers):
        time.CumulVar(model.Start(v)).SetValue(courier.ready_s)
        time.CumulVar(model.End(v)).SetMax(courier.shift_end_s)
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
        _add_charge(model, manager, problem, nodes)
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
    _commit_first_visits(model, manager, problem, nodes)

    search = pywrapcp.DefaultRoutingSearchParameters()
    search.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    # Path LNS (re-solving the stops of a few routes together) moves the search on where
    # relocating and exchanging single stops stalls: measured from VROOM's start at 6 s,
    # R201 1156.6 → 1152.3 and RC201 1289.3 → 1285.7, nothing worse.
    search.local_search_operators.use_path_lns = optional_boolean_pb2.BOOL_TRUE
    search.local_search_operators.use_full_path_lns = optional_boolean_pb2.BOOL_TRUE
    search.time_limit.FromMilliseconds(int(time_limit_s * 1000))
    if solution_limit is not None:
        search.solution_limit = solution_limit
    solution, first = None, None
    if initial is not None:
        model.CloseModelWithParameters(search)
        padded = [[manager.NodeToIndex(nodes.stop(k)) for k in route] for route in initial]
        padded += [[] for _ in range(nodes.couriers - len(padded))]
        first = model.ReadAssignmentFromRoutes(padded, True)
        if first is not None:
            solution = model.SolveFromAssignmentWithParameters(first, search)
    for strategy in FIRST_SOLUTIONS:
        if solution is not None:
            break
        search.first_solution_strategy = strategy
        solution = model.SolveWithParameters(search)
    if solution is None:
        return None
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


class _Nodes:
    """The model's nodes: a start and an end per courier, the stops, and the swap visits (each
    station a few optional nodes, one per pack it can hand out and at most one per courier: a
    node is visited once, a station may serve several couriers)."""

    def __init__(self, problem: CourierProblem) -> None:
        self.problem = problem
        self.couriers = len(problem.couriers)
        self.starts = list(range(self.couriers))
        self.ends = [self.couriers + v for v in range(self.couriers)]
        self.first_stop = 2 * self.couriers
        self.station_of: list[int] = []
        if problem.distances is not None:
            for s, station in enumerate(problem.stations):
                self.station_of += [s] * min(station.packs, self.couriers)
        self.first_swap = self.first_stop + len(problem.stops)
        self.count = self.first_swap + len(self.station_of)
        self.swaps = range(self.first_swap, self.count)
        #: Each node's place in the matrices; -1 for a free end (every leg to it is free).
        self.place = [c.place for c in problem.couriers]
        self.place += [-1 if c.end_place is None else c.end_place for c in problem.couriers]
        self.place += [s.place for s in problem.stops]
        self.place += [problem.stations[s].place for s in self.station_of]

    def stop(self, k: int) -> int:
        """The node of stop ``k``."""
        return self.first_stop + k

    def drive(self, i: int, j: int) -> int:
        a, b = self.place[i], self.place[j]
        return 0 if a < 0 or b < 0 else self.problem.durations[a][b]

    def service(self, i: int) -> int:
        if i >= self.first_swap:
            return SWAP_S
        return self.problem.stops[i - self.first_stop].service_s if i >= self.first_stop else 0

    def cost(self, i: int, j: int) -> int:
        """Driving, and the time a swap takes (a swap is never free)."""
        return self.drive(i, j) + (SWAP_S if i >= self.first_swap else 0)

    def transit(self, i: int, j: int) -> int:
        """Time from arriving at ``i`` to arriving at ``j``: the stop's service, then the ride."""
        return self.service(i) + self.drive(i, j)

    def matrix(self, value: Callable[[int, int], int]) -> list[list[int]]:
        return [[value(i, j) for j in range(self.count)] for i in range(self.count)]


def _commit_first_visits(
    model: pywrapcp.RoutingModel,
    manager: pywrapcp.RoutingIndexManager,
    problem: CourierProblem,
    nodes: _Nodes,
) -> None:
    """Each courier's visit under way stays first: a stop (after a swap when the courier is too
    flat to reach it, and it stays theirs), or a swap."""
    free_swaps = list(nodes.swaps)
    for v, courier in enumerate(problem.couriers):
        swap_first = courier.committed_station
        if courier.committed_stop is not None:
            swap_first = _swap_before(problem, courier)
        node_first = None
        if swap_first is not None:  # the first free visit of that station
            node_first = next(
                (i for i in free_swaps if nodes.station_of[i - nodes.first_swap] == swap_first),
                None,
            )
        if node_first is not None:
            free_swaps.remove(node_first)
        elif courier.committed_stop is not None:
            node_first = nodes.stop(courier.committed_stop)
        if node_first is not None:
            model.NextVar(model.Start(v)).SetValue(manager.NodeToIndex(node_first))
            model.VehicleVar(manager.NodeToIndex(node_first)).SetValue(v)
        if courier.committed_stop is not None:
            index = manager.NodeToIndex(nodes.stop(courier.committed_stop))
            model.VehicleVar(index).SetValue(v)


def _swap_before(problem: CourierProblem, courier: CourierSpec) -> int | None:
    """The station a courier too flat to reach the stop under way (keeping the reserve) swaps
    at first: the one with the least detour among those in reach; ``None`` when the courier
    can make the stop (or no station helps)."""
    if problem.distances is None or courier.range_m is None or courier.committed_stop is None:
        return None
    metres = problem.distances
    target = problem.stops[courier.committed_stop].place
    if courier.range_m - metres[courier.place][target] >= problem.reserve_m:
        return None
    reachable = [
        (metres[courier.place][s.place] + metres[s.place][target], k)
        for k, s in enumerate(problem.stations)
        if s.packs > 0 and metres[courier.place][s.place] <= courier.range_m
    ]
    return min(reachable)[1] if reachable else None


def _add_charge(
    model: pywrapcp.RoutingModel,
    manager: pywrapcp.RoutingIndexManager,
    problem: CourierProblem,
    nodes: _Nodes,
) -> None:
    """The "charge" dimension: metres of range left. It starts at each courier's range, each
    leg takes its road metres off, it never goes below the reserve at a stop (nor below zero at a
    station), and leaving a station it is what the station's pack gives (the slack there is the
    charge the swap adds; elsewhere there is none)."""
    assert problem.distances is not None
    metres = problem.distances

    def used(i: int, j: int) -> int:
        a, b = nodes.place[i], nodes.place[j]
        return 0 if a < 0 or b < 0 else -metres[a][b]

    unlimited = sum(max(row) for row in metres) + 1
    fresh = max((s.range_after_m for s in problem.stations), default=0)
    starts = [c.range_m if c.range_m is not None else unlimited for c in problem.couriers]
    capacities = [max(start, fresh) for start in starts]
    model.AddDimensionWithVehicleCapacity(
        model.RegisterTransitMatrix(nodes.matrix(used)),
        max(capacities),
        capacities,
        False,
        "charge",
    )
    charge = model.GetDimensionOrDie("charge")
    for v, start in enumerate(starts):
        charge.CumulVar(model.Start(v)).SetValue(start)
        charge.SlackVar(model.Start(v)).SetValue(0)
    solver = model.solver()
    for k in range(len(problem.stops)):
        index = manager.NodeToIndex(nodes.stop(k))
        charge.SlackVar(index).SetValue(0)
        charge.CumulVar(index).SetMin(problem.reserve_m)
    for i in nodes.swaps:
        index = manager.NodeToIndex(i)
        after = problem.stations[nodes.station_of[i - nodes.first_swap]].range_after_m
        solver.Add(charge.CumulVar(index) + charge.SlackVar(index) == after)
