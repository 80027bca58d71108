"""The OR-Tools model of the couriers' day: re-optimise every open plan at once.

Plain data in, plain data out; the platform's rules as constraints:
- pickup-and-delivery pairs on one courier, pickup first; time windows; box capacity, starting
  from what is already on board; shifts end;
- a parcel already picked up stays with its courier (its drop-off is pinned to that vehicle);
- a stop already under way stays each courier's first stop;
- a courier's battery range bounds the metres of its route;
- a job that cannot fit is dropped at a penalty, so it comes back unassigned instead of failing
  the plan.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ortools.constraint_solver import pywrapcp, routing_enums_pb2

SERVICE_S = 120
#: Dropping a job costs more than any detour it could save (seconds of driving).
DROP_PENALTY = 1_000_000


@dataclass(frozen=True, slots=True)
class CourierSpec:
    """A courier now: where (a place of the matrix), the box, what is on board, shift end
    (seconds from now), and the stop under way, if any (an index into the stops)."""

    place: int
    capacity_l: int
    on_board_l: int
    shift_end_s: int
    committed_stop: int | None = None
    #: Metres the battery still carries the courier (``None``: not limited).
    range_m: int | None = None


@dataclass(frozen=True, slots=True)
class StopSpec:
    """A stop still to make: its place, window (seconds from now) and load change."""

    place: int
    opens_s: int
    closes_s: int
    load_l: int


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


@dataclass(frozen=True, slots=True)
class CourierSolution:
    """Per courier, the stops in order with their arrival (seconds from now); dropped stops."""

    routes: list[list[tuple[int, int]]]
    dropped: list[int]


def solve_couriers(
    problem: CourierProblem, time_limit_s: float = 1.0, *, solution_limit: int | None = None
) -> CourierSolution | None:
    """Plan every courier's stops; ``None`` if even dropping jobs leaves no solution.

    ``solution_limit`` stops the search after that many improving solutions (with the time
    limit as a safety net), so a result does not depend on how fast the machine is.
    """
    n_couriers, n_stops = len(problem.couriers), len(problem.stops)
    end = n_couriers  # one shared free end: couriers stop where their last stop is
    first_stop = n_couriers + 1
    n_nodes = first_stop + n_stops
    place = [c.place for c in problem.couriers] + [-1] + [s.place for s in problem.stops]
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

    def transit(a: int, b: int) -> int:
        i, j = node(a), node(b)
        return drive(i, j) + (SERVICE_S if i >= first_stop else 0)

    drive_cb = model.RegisterTransitCallback(lambda a, b: drive(node(a), node(b)))
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
        return problem.stops[i - first_stop].load_l if i >= first_stop else 0

    load_cb = model.RegisterUnaryTransitCallback(load)
    model.AddDimensionWithVehicleCapacity(
        load_cb, 0, [c.capacity_l for c in problem.couriers], False, "load"
    )
    box = model.GetDimensionOrDie("load")
    for v, courier in enumerate(problem.couriers):
        box.CumulVar(model.Start(v)).SetValue(courier.on_board_l)

    if problem.distances is not None:
        metres = problem.distances

        def ride_m(a: int, b: int) -> int:
            i, j = node(a), node(b)
            return 0 if i == end or j == end else metres[place[i]][place[j]]

        unlimited = sum(max(row) for row in metres) + 1
        model.AddDimensionWithVehicleCapacity(
            model.RegisterTransitCallback(ride_m),
            0,
            [c.range_m if c.range_m is not None else unlimited for c in problem.couriers],
            True,
            "range",
        )

    solver = model.solver()
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
    for v, courier in enumerate(problem.couriers):
        if courier.committed_stop is not None:
            index = manager.NodeToIndex(first_stop + courier.committed_stop)
            model.NextVar(model.Start(v)).SetValue(index)
            model.VehicleVar(index).SetValue(v)

    search = pywrapcp.DefaultRoutingSearchParameters()
    search.first_solution_strategy = (
        routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
    )
    search.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    search.time_limit.FromMilliseconds(int(time_limit_s * 1000))
    if solution_limit is not None:
        search.solution_limit = solution_limit
    solution = model.SolveWithParameters(search)
    if solution is None:
        # Insertion heuristics can fail on tight days; starting with every optional job dropped
        # always works when the committed part is feasible, and local search re-inserts them.
        search.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.ALL_UNPERFORMED
        solution = model.SolveWithParameters(search)
    if solution is None:
        return None
    routes: list[list[tuple[int, int]]] = []
    served: set[int] = set()
    for v in range(n_couriers):
        route = []
        index = solution.Value(model.NextVar(model.Start(v)))
        while not model.IsEnd(index):
            k = node(index) - first_stop
            route.append((k, int(solution.Value(time.CumulVar(index)))))
            served.add(k)
            index = solution.Value(model.NextVar(index))
        routes.append(route)
    return CourierSolution(routes, [k for k in range(n_stops) if k not in served])
