"""The OR-Tools vehicle-routing model for benchmark instances (VRPTW and PDPTW).

The routing module's one door to OR-Tools: index manager, callbacks and dimensions live here.
Costs and times are integers: instance units times :data:`SCALE`.
"""

from __future__ import annotations

from dataclasses import dataclass

from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from routing.instances import Family, Instance

#: Instance units → solver integers (Solomon's 0.1 truncation and Li & Lim's doubles both fit).
SCALE = 1000
#: Li & Lim minimise vehicles first: a vehicle costs more than any distance it could save.
VEHICLE_FIXED_COST = 10_000 * SCALE
FIRST_SOLUTION = routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
METAHEURISTIC = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH


@dataclass(frozen=True, slots=True)
class SolveParams:
    """How long and how to search."""

    time_limit_s: float = 5.0
    seed: int = 0


@dataclass(frozen=True, slots=True)
class Plan:
    """Routes as node indices (depot left out), and the solver's objective."""

    routes: list[list[int]]
    objective: int


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

    search = pywrapcp.DefaultRoutingSearchParameters()
    search.first_solution_strategy = FIRST_SOLUTION
    search.local_search_metaheuristic = METAHEURISTIC
    search.time_limit.FromMilliseconds(int(params.time_limit_s * 1000))
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
    return Plan(routes, solution.ObjectiveValue())
