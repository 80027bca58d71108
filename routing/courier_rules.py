"""Rules of the couriers' model beyond windows and boxes: the visit under way stays first, and
the battery's charge (metres left) bounds each route, with swap stations to refill it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ortools.constraint_solver import pywrapcp

from routing.courier_nodes import Nodes

if TYPE_CHECKING:
    from routing.courier_model import CourierProblem, CourierSpec

#: A second of committed work done late (or of a shift overrun), or a metre ridden into the
#: battery's reserve to finish it, costs this many seconds of riding: the model takes a long
#: detour before it lets a parcel on board wait.
LATE_COST_PER_S = 10


def commit_first_visits(
    model: pywrapcp.RoutingModel,
    manager: pywrapcp.RoutingIndexManager,
    problem: CourierProblem,
    nodes: Nodes,
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


def add_charge(
    model: pywrapcp.RoutingModel,
    manager: pywrapcp.RoutingIndexManager,
    problem: CourierProblem,
    nodes: Nodes,
) -> None:
    """The "charge" dimension: metres of range left. It starts at each courier's range, each
    leg takes its road metres off, it never goes below the reserve at a stop (nor below zero at a
    station), and leaving a station it is what the station's pack gives (the slack there is the
    charge the swap adds; elsewhere there is none)."""
    assert problem.distances is not None
    metres = nodes.metres()
    unlimited = int(metres.max(axis=1).sum()) + 1
    fresh = max((s.range_after_m for s in problem.stations), default=0)
    starts = [c.range_m if c.range_m is not None else unlimited for c in problem.couriers]
    capacities = [max(start, fresh) for start in starts]
    model.AddDimensionWithVehicleCapacity(
        model.RegisterTransitMatrix((-metres).tolist()),
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
    for k, stop in enumerate(problem.stops):
        index = manager.NodeToIndex(nodes.stop(k))
        charge.SlackVar(index).SetValue(0)
        if stop.late_ok:  # committed work goes on even into the reserve, at a cost
            charge.SetCumulVarSoftLowerBound(index, problem.reserve_m, LATE_COST_PER_S)
        else:
            charge.CumulVar(index).SetMin(problem.reserve_m)
    for i in nodes.swaps:
        index = manager.NodeToIndex(i)
        after = problem.stations[nodes.station_of[i - nodes.first_swap]].range_after_m
        solver.Add(charge.CumulVar(index) + charge.SlackVar(index) == after)
