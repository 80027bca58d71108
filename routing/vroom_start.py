"""A first solution from VROOM (pyvroom, BSD-2) for the OR-Tools model to start from.

VROOM's constructive heuristics and local search find good PDPTW/VRPTW solutions in a fraction
of a second; OR-Tools, which holds the platform's own constraints, then improves from there
instead of from its own cheapest insertion.
"""

from __future__ import annotations

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
    """VROOM's routes (node indices, depot left out), or ``None`` if it served nobody."""
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
    solution = problem.solve(
        exploration_level=exploration, nb_threads=threads, timeout=timedelta(seconds=time_limit_s)
    )
    steps = solution.routes
    routes: dict[int, list[int]] = {}
    for vehicle, kind, node in zip(steps["vehicle_id"], steps["type"], steps["id"], strict=True):
        if kind in ("job", "pickup", "delivery"):
            routes.setdefault(int(vehicle), []).append(int(node))
    return [routes[v] for v in sorted(routes)] or None
