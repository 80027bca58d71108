"""A first solution from VROOM (pyvroom, BSD-2) for the OR-Tools model to start from.

VROOM's constructive heuristics and local search find good PDPTW/VRPTW solutions in a fraction
of a second; OR-Tools, which holds the platform's own constraints, then improves from there
instead of from its own cheapest insertion.
"""

from __future__ import annotations

import math
import time
from datetime import timedelta

import numpy as np
import vroom

from routing.instances import Family, Instance

SCALE = 1000
#: Like the OR-Tools model: on Li & Lim a vehicle costs more than any distance it saves.
VEHICLE_FIXED_COST = 10_000 * SCALE


def vroom_routes(
    instance: Instance, *, time_limit_s: float, threads: int = 2, exploration: int = 5
) -> list[list[int]] | None:
    """VROOM's routes (node indices, depot left out), or ``None`` if it served nobody.

    Where distance alone counts (Solomon), VROOM's search tends to end on fewer, longer routes
    than the distance optimum; while time is left it runs again with a cap on stops per vehicle
    that asks for one or two more routes, and the shortest plan wins.
    """
    started = time.monotonic()
    best = _solve(instance, time_limit_s, threads, exploration, None)
    if best is None or instance.family is not Family.SOLOMON:
        return best
    best_length = _length(instance, best)
    extras = (1, 2)
    for k, extra in enumerate(extras):
        left = time_limit_s - (time.monotonic() - started)
        if left < 0.3:
            break
        cap = math.ceil((instance.n - 1) / (len(best) + extra))
        other = _solve(instance, left / (len(extras) - k), threads, exploration, cap)
        if other is not None and _length(instance, other) < best_length:
            best, best_length = other, _length(instance, other)
    return best


def vroom_once(
    instance: Instance, *, time_limit_s: float, threads: int = 2, exploration: int = 5
) -> list[list[int]] | None:
    """One plain VROOM run (the benchmark's pyvroom baseline)."""
    return _solve(instance, time_limit_s, threads, exploration, None)


def _length(instance: Instance, routes: list[list[int]]) -> float:
    legs = (zip([0, *r], [*r, 0], strict=True) for r in routes)
    return sum(instance.distance(a, b) for leg in legs for a, b in leg)


def _solve(
    instance: Instance,
    time_limit_s: float,
    threads: int,
    exploration: int,
    max_tasks: int | None,
) -> list[list[int]] | None:
    n = instance.n
    arcs = np.array(
        [[round(instance.distance(i, j) * SCALE) for j in range(n)] for i in range(n)],
        dtype=np.uint32,
    )
    problem = vroom.Input()
    problem.set_durations_matrix(profile="car", matrix_input=arcs)
    fixed = VEHICLE_FIXED_COST if instance.family is Family.LILIM else 0
    for v in range(instance.vehicles):
        problem.add_vehicle(
            vroom.Vehicle(
                id=v,
                start=0,
                end=0,
                capacity=[instance.capacity],
                time_window=vroom.TimeWindow(instance.ready[0] * SCALE, instance.due[0] * SCALE),
                costs=vroom.VehicleCosts(fixed=fixed),
                **({} if max_tasks is None else {"max_tasks": max_tasks}),
            )
        )

    def window(i: int) -> list[vroom.TimeWindow]:
        return [vroom.TimeWindow(instance.ready[i] * SCALE, instance.due[i] * SCALE)]

    if instance.pairs:
        for pickup, delivery in instance.pairs:
            problem.add_shipment(
                vroom.ShipmentStep(
                    pickup,
                    pickup,
                    default_service=instance.service[pickup] * SCALE,
                    time_windows=window(pickup),
                ),
                vroom.ShipmentStep(
                    delivery,
                    delivery,
                    default_service=instance.service[delivery] * SCALE,
                    time_windows=window(delivery),
                ),
                amount=vroom.Amount([instance.demand[pickup]]),
            )
    else:
        for i in range(1, n):
            problem.add_job(
                vroom.Job(
                    i,
                    i,
                    default_service=instance.service[i] * SCALE,
                    delivery=[instance.demand[i]],
                    time_windows=window(i),
                )
            )
    timeout = timedelta(seconds=max(0.1, time_limit_s))
    solution = problem.solve(exploration_level=exploration, nb_threads=threads, timeout=timeout)
    steps = solution.routes
    routes: dict[int, list[int]] = {}
    for vehicle, kind, node in zip(steps["vehicle_id"], steps["type"], steps["id"], strict=True):
        if kind in ("job", "pickup", "delivery"):
            routes.setdefault(int(vehicle), []).append(int(node))
    return [routes[v] for v in sorted(routes)] or None
