"""The OR-Tools vehicle-routing model for benchmark instances (VRPTW and PDPTW).

The routing module's one door to OR-Tools: index manager, callbacks and dimensions live here.
Costs and times are integers: instance units times :data:`SCALE`.
"""

from __future__ import annotations

import time as time_module
from dataclasses import dataclass

from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from routing.instances import Family, Instance
from routing.vroom_start import vroom_routes

#: Instance units → solver integers (Solomon's 0.1 truncation and Li & Lim's doubles both fit).
SCALE = 1000
#: Li & Lim minimise vehicles first: a vehicle costs more than any distance it could save.
VEHICLE_FIXED_COST = 10_000 * SCALE
FIRST_SOLUTION = routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
METAHEURISTIC = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH


@dataclass(frozen=True, slots=True)
class SolveParams:
    """How long and how to search. ``start``: ``"vroom"`` hands OR-Tools VROOM's solution as
    its first solution; ``"insertion"`` lets OR-Tools build its own (parallel cheapest
    insertion)."""

    time_limit_s: float = 5.0
    start: str = "vroom"
    #: Share of the time VROOM may take when it builds the first solution.
    vroom_share: float = 0.7


@dataclass(frozen=True, slots=True)
class Plan:
    """Routes as node indices (depot left out), the solver's objective, and which engine found
    these routes (``"vroom"`` when OR-Tools could not improve VROOM's start)."""

    routes: list[list[int]]
    objective: int
    engine: str = "ortools"


def solve_instance(instance: Instance, params: SolveParams) -> Plan | None:
    """Solve a benchmark instance; ``None`` when no solution was found in time."""
    n = instance.n
    arcs = [[round(instance.distance(i, j) * SCALE) for j in range(n)] for i in range(n)]
    service = [s * SCALE for s in instance.service]
    manager = pywrapcp.RoutingIndexManager(n, instance.vehicles, 0)
    model = pywrapcp.RoutingModel(manager)

    def node(index: int) -> int:
        return int(manager.IndexToNode(index))

    def arc_cost(from_index: int, to_index: int) -> int:
        return arcs[node(from_index)][node(to_index)]

    def travel_time(from_index: int, to_index: int) -> int:
        i = node(from_index)
        return service[i] + arcs[i][node(to_index)]

    def demand(index: int) -> int:
        return instance.demand[node(index)]

    cost_cb = model.RegisterTransitCallback(arc_cost)
    model.SetArcCostEvaluatorOfAllVehicles(cost_cb)
    time_cb = model.RegisterTransitCallback(travel_time)
    horizon = instance.due[0] * SCALE
    model.AddDimension(time_cb, horizon, horizon, False, "time")
    time = model.GetDimensionOrDie("time")
    for customer in range(1, n):
        time.CumulVar(manager.NodeToIndex(customer)).SetRange(
            instance.ready[customer] * SCALE, instance.due[customer] * SCALE
        )
    for v in range(instance.vehicles):
        time.CumulVar(model.Start(v)).SetRange(instance.ready[0] * SCALE, horizon)
        time.CumulVar(model.End(v)).SetRange(instance.ready[0] * SCALE, horizon)
    demand_cb = model.RegisterUnaryTransitCallback(demand)
    model.AddDimensionWithVehicleCapacity(
        demand_cb, 0, [instance.capacity] * instance.vehicles, True, "load"
    )
    solver = model.solver()
    for pickup, delivery in instance.pairs:
        p, d = manager.NodeToIndex(pickup), manager.NodeToIndex(delivery)
        model.AddPickupAndDelivery(p, d)
        solver.Add(model.VehicleVar(p) == model.VehicleVar(d))
        solver.Add(time.CumulVar(p) <= time.CumulVar(d))
    if instance.family is Family.LILIM:
        model.SetFixedCostOfAllVehicles(VEHICLE_FIXED_COST)

    started = time_module.monotonic()
    start_routes = None
    if params.start == "vroom":
        start_routes = vroom_routes(instance, time_limit_s=params.time_limit_s * params.vroom_share)
    search = pywrapcp.DefaultRoutingSearchParameters()
    search.first_solution_strategy = FIRST_SOLUTION
    search.local_search_metaheuristic = METAHEURISTIC
    left_s = max(0.1, params.time_limit_s - (time_module.monotonic() - started))
    search.time_limit.FromMilliseconds(int(left_s * 1000))
    solution = None
    if start_routes is not None:
        model.CloseModelWithParameters(search)
        first = model.ReadAssignmentFromRoutes(_pad(start_routes, instance.vehicles), True)
        if first is not None:
            solution = model.SolveFromAssignmentWithParameters(first, search)
    if solution is None:
        solution = model.SolveWithParameters(search)
    if solution is None:
        return None
    routes = []
    for v in range(instance.vehicles):
        index = solution.Value(model.NextVar(model.Start(v)))
        route = []
        while not model.IsEnd(index):
            route.append(node(index))
            index = solution.Value(model.NextVar(index))
        if route:
            routes.append(route)
    same = start_routes is not None and sorted(routes) == sorted(start_routes)
    return Plan(routes, solution.ObjectiveValue(), "vroom" if same else "ortools")


def _pad(routes: list[list[int]], vehicles: int) -> list[list[int]]:
    return [*routes, *([] for _ in range(vehicles - len(routes)))]
