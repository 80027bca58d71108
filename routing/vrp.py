"""Benchmark instances (Solomon VRPTW, Li & Lim PDPTW) solved with the dispatcher's model.

An instance becomes a ``CourierProblem`` of ``routing/courier_model.py``: every vehicle starts
and ends at the depot, every customer is a mandatory stop with its window, demand and service
time, Li & Lim's pairs are pickup-and-delivery pairs, and on Li & Lim a vehicle costs more than
any distance it could save (fewest vehicles first). So the benchmark measures the model the
couriers are planned with. Costs and times are integers: instance units times :data:`SCALE`.
"""

from __future__ import annotations

import time as time_module
from dataclasses import dataclass

from routing.courier_model import CourierProblem, CourierSpec, StopSpec, solve_couriers
from routing.instances import Family, Instance
from routing.vroom_start import vroom_routes

#: Instance units → solver integers (Solomon's 0.1 truncation and Li & Lim's doubles both fit).
SCALE = 1000
#: Li & Lim minimise vehicles first: a vehicle costs more than any distance it could save.
VEHICLE_FIXED_COST = 10_000 * SCALE


@dataclass(frozen=True, slots=True)
class SolveParams:
    """How long and how to search. ``start``: ``"vroom"`` hands OR-Tools VROOM's solution as
    its first solution; ``"insertion"`` lets OR-Tools build its own (parallel cheapest
    insertion)."""

    time_limit_s: float = 5.0
    start: str = "vroom"
    #: Share of the time VROOM may take when it builds the first solution.
    vroom_share: float = 0.7
    #: Stop OR-Tools after this many improving solutions (``None``: the time limit alone), so
    #: a result does not depend on the machine's speed.
    solution_limit: int | None = None


@dataclass(frozen=True, slots=True)
class Plan:
    """Routes as node indices (depot left out), the solver's objective, and which engine found
    these routes (``"vroom"`` when OR-Tools could not improve VROOM's start)."""

    routes: list[list[int]]
    objective: int
    engine: str = "ortools"


def solve_instance(instance: Instance, params: SolveParams) -> Plan | None:
    """Solve a benchmark instance; ``None`` when no solution was found in time."""
    problem = to_problem(instance)
    started = time_module.monotonic()
    initial = None
    if params.start == "vroom":
        start = vroom_routes(instance, time_limit_s=params.time_limit_s * params.vroom_share)
        if start is not None:
            initial = [[customer - 1 for customer in route] for route in start]
    left_s = max(0.1, params.time_limit_s - (time_module.monotonic() - started))
    solution = solve_couriers(
        problem, left_s, initial=initial, solution_limit=params.solution_limit
    )
    if solution is None:
        return None
    routes = [
        [visit.stop + 1 for visit in route if visit.stop is not None] for route in solution.routes
    ]
    engine = "vroom" if initial is not None and not solution.improved else "ortools"
    return Plan([r for r in routes if r], solution.objective, engine)


def to_problem(instance: Instance) -> CourierProblem:
    """The instance as the dispatcher's problem: place 0 is the depot, stop ``k`` is customer
    ``k + 1``."""
    n = instance.n
    arcs = [[round(instance.distance(i, j) * SCALE) for j in range(n)] for i in range(n)]
    vehicle = CourierSpec(
        place=0,
        capacity_l=instance.capacity,
        on_board_l=0,
        shift_end_s=instance.due[0] * SCALE,
        end_place=0,
        ready_s=instance.ready[0] * SCALE,
    )
    stops = [
        StopSpec(
            c,
            instance.ready[c] * SCALE,
            instance.due[c] * SCALE,
            instance.demand[c],
            instance.service[c] * SCALE,
        )
        for c in range(1, n)
    ]
    return CourierProblem(
        arcs,
        [vehicle] * instance.vehicles,
        stops,
        pairs=[(p - 1, d - 1) for p, d in instance.pairs],
        drop_penalty=None,
        vehicle_fixed_cost=VEHICLE_FIXED_COST if instance.family is Family.LILIM else 0,
    )
