"""The OR-Tools model of the couriers' day: re-optimise every open plan at once.

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

from dataclasses import dataclass, field
from typing import NamedTuple

from ortools.constraint_solver import pywrapcp, routing_enums_pb2

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


@dataclass(frozen=True, slots=True)
class StopSpec:
    """A stop still to make: its place, window (seconds from now) and load change."""

    place: int
    opens_s: int
    closes_s: int
    load_l: int


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


class Visit(NamedTuple):
    """One visit of a planned route: a stop (``stop`` indexes the stops) or a swap (``station``
    indexes the stations, ``stop`` is ``None``); arrival in seconds from now."""

    stop: int | None
    arrival_s: int
    station: int | None = None


@dataclass(frozen=True, slots=True)
class CourierSolution:
    """Per courier, the visits in order; the stops dropped."""

    routes: list[list[Visit]]
    dropped: list[int]


def solve_couriers(
    problem: CourierProblem, time_limit_s: float = 1.0, *, solution_limit: int | None = None
) -> CourierSolution | None:
    """Plan every courier's visits; ``None`` if even dropping jobs leaves no solution.

    ``solution_limit`` stops the search after that many improving solutions (with the time
    limit as a safety net), so a result does not depend on how fast the machine is.
    """
    n_couriers, n_stops = len(problem.couriers), len(problem.stops)
    end = n_couriers  # one shared free end: couriers stop where their last stop is
    first_stop = n_couriers + 1
    # Each station is a few optional nodes, one per pack it can hand out (at most one per
    # courier): a node is visited once, a station may serve several couriers.
    station_of: list[int] = []
    if problem.distances is not None:
        for s, station in enumerate(problem.stations):
            station_of += [s] * min(station.packs, n_couriers)
    first_swap = first_stop + n_stops
    n_nodes = first_swap + len(station_of)
    place = [c.place for c in problem.couriers] + [-1] + [s.place for s in problem.stops]
    place += [problem.stations[s].place for s in station_of]
    manager = pywrapcp.RoutingIndexManager(
        n_nodes, n_couriers, list(range(n_couriers)), [end] * n_couriers
    )
    model = pywrapcp.RoutingModel(manager)

    def node(index: int) -> int:
        return int(manager.IndexToNode(index))

    def drive(i: int, j: int) -> int:
        if i == end or j == end:
            return 0
        return problem.durations[place[i]][place[j]]

    def service(i: int) -> int:
        if i >= first_swap:
            return SWAP_S
        return SERVICE_S if i >= first_stop else 0

    def transit(a: int, b: int) -> int:
        i, j = node(a), node(b)
        return drive(i, j) + service(i)

    def cost(a: int, b: int) -> int:  # driving, and the time a swap takes (never for free)
        i = node(a)
        return drive(i, node(b)) + (SWAP_S if i >= first_swap else 0)

    drive_cb = model.RegisterTransitCallback(cost)
    model.SetArcCostEvaluatorOfAllVehicles(drive_cb)
    time_cb = model.RegisterTransitCallback(transit)
    horizon = max([c.shift_end_s for c in problem.couriers] + [s.closes_s for s in problem.stops])
    model.AddDimension(time_cb, horizon, horizon, True, "time")
    time = model.GetDimensionOrDie("time")
    for k, stop in enumerate(problem.stops):
        time.CumulVar(manager.NodeToIndex(first_stop + k)).SetRange(stop.opens_s, stop.closes_s)
    for v, courier in enumerate(problem.couriers):
        time.CumulVar(model.End(v)).SetMax(courier.shift_end_s)

    def load(index: int) -> int:
        i = node(index)
        return problem.stops[i - first_stop].load_l if first_stop <= i < first_swap else 0

    load_cb = model.RegisterUnaryTransitCallback(load)
    model.AddDimensionWithVehicleCapacity(
        load_cb, 0, [c.capacity_l for c in problem.couriers], False, "load"
    )
    box = model.GetDimensionOrDie("load")
    for v, courier in enumerate(problem.couriers):
        box.CumulVar(model.Start(v)).SetValue(courier.on_board_l)

    solver = model.solver()
    if problem.distances is not None:
        _add_charge(model, manager, problem, place, end, first_swap, station_of)
    for pickup, dropoff in problem.pairs:
        p = manager.NodeToIndex(first_stop + pickup)
        d = manager.NodeToIndex(first_stop + dropoff)
        model.AddPickupAndDelivery(p, d)
        solver.Add(model.VehicleVar(p) == model.VehicleVar(d))
        solver.Add(time.CumulVar(p) <= time.CumulVar(d))
        model.AddDisjunction([p], DROP_PENALTY)
        model.AddDisjunction([d], DROP_PENALTY)
        solver.Add(model.ActiveVar(p) == model.ActiveVar(d))
    for pinned_stop, owner in problem.pinned.items():
        model.VehicleVar(manager.NodeToIndex(first_stop + pinned_stop)).SetValue(owner)
    for i in range(first_swap, n_nodes):  # a swap is made only where it pays (or is needed)
        model.AddDisjunction([manager.NodeToIndex(i)], 0)
    free_swaps = list(range(first_swap, n_nodes))
    for v, courier in enumerate(problem.couriers):
        swap_first = courier.committed_station
        if courier.committed_stop is not None:
            swap_first = _swap_before(problem, courier)
        node_first = None
        if swap_first is not None:  # the first free visit of that station
            node_first = next(
                (i for i in free_swaps if station_of[i - first_swap] == swap_first), None
            )
        if node_first is not None:
            free_swaps.remove(node_first)
        elif courier.committed_stop is not None:
            node_first = first_stop + courier.committed_stop
        if node_first is not None:
            model.NextVar(model.Start(v)).SetValue(manager.NodeToIndex(node_first))
            model.VehicleVar(manager.NodeToIndex(node_first)).SetValue(v)
        if courier.committed_stop is not None:  # it stays theirs, after a swap too
            model.VehicleVar(manager.NodeToIndex(first_stop + courier.committed_stop)).SetValue(v)

    search = pywrapcp.DefaultRoutingSearchParameters()
    search.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    search.time_limit.FromMilliseconds(int(time_limit_s * 1000))
    if solution_limit is not None:
        search.solution_limit = solution_limit
    solution = None
    for strategy in FIRST_SOLUTIONS:
        search.first_solution_strategy = strategy
        solution = model.SolveWithParameters(search)
        if solution is not None:
            break
    if solution is None:
        return None
    routes: list[list[Visit]] = []
    served: set[int] = set()
    for v in range(n_couriers):
        route = []
        index = solution.Value(model.NextVar(model.Start(v)))
        while not model.IsEnd(index):
            i, arrival = node(index), int(solution.Value(time.CumulVar(index)))
            if i >= first_swap:
                route.append(Visit(None, arrival, station_of[i - first_swap]))
            else:
                route.append(Visit(i - first_stop, arrival))
                served.add(i - first_stop)
            index = solution.Value(model.NextVar(index))
        routes.append(route)
    return CourierSolution(routes, [k for k in range(n_stops) if k not in served])


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
    place: list[int],
    end: int,
    first_swap: int,
    station_of: list[int],
) -> None:
    """The "charge" dimension: metres of range left. It starts at each courier's range, each
    leg takes its road metres off, it never goes below the reserve at a stop (nor below zero at a
    station), and leaving a station it is what the station's pack gives (the slack there is the
    charge the swap adds; elsewhere there is none)."""
    assert problem.distances is not None
    metres = problem.distances

    def used(a: int, b: int) -> int:
        i, j = manager.IndexToNode(a), manager.IndexToNode(b)
        return 0 if i == end or j == end else -metres[place[i]][place[j]]

    unlimited = sum(max(row) for row in metres) + 1
    fresh = max((s.range_after_m for s in problem.stations), default=0)
    starts = [c.range_m if c.range_m is not None else unlimited for c in problem.couriers]
    capacities = [max(start, fresh) for start in starts]
    model.AddDimensionWithVehicleCapacity(
        model.RegisterTransitCallback(used), max(capacities), capacities, False, "charge"
    )
    charge = model.GetDimensionOrDie("charge")
    for v, start in enumerate(starts):
        charge.CumulVar(model.Start(v)).SetValue(start)
        charge.SlackVar(model.Start(v)).SetValue(0)
    solver = model.solver()
    for i in range(first_swap - len(problem.stops), first_swap):
        charge.SlackVar(manager.NodeToIndex(i)).SetValue(0)
        charge.CumulVar(manager.NodeToIndex(i)).SetMin(problem.reserve_m)
    for c, s in enumerate(station_of):
        index = manager.NodeToIndex(first_swap + c)
        after = problem.stations[s].range_after_m
        solver.Add(charge.CumulVar(index) + charge.SlackVar(index) == after)
