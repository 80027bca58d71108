"""An independent feasibility check of a routing plan on a benchmark instance.

It shares nothing with the solver but the instance: it walks each route, waiting for windows to
open, and reports every broken rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from routing.instances import Instance

EPS = 1e-6


@dataclass(frozen=True, slots=True)
class Check:
    """The verdict on a plan."""

    feasible: bool
    distance: float
    vehicles: int
    problems: list[str] = field(default_factory=list)


def check(instance: Instance, routes: Sequence[Sequence[int]]) -> Check:
    """Check routes (node indices, depot left out) against every rule of the instance."""
    problems: list[str] = []
    routes = [list(r) for r in routes if r]
    seen: dict[int, int] = {}
    for k, route in enumerate(routes):
        for node in route:
            if not 0 < node < instance.n:
                problems.append(f"route {k}: node {node} does not exist")
            elif node in seen:
                problems.append(f"node {instance.ids[node]} is visited twice")
            seen[node] = k
    missing = [instance.ids[i] for i in range(1, instance.n) if i not in seen]
    if missing:
        problems.append(f"{len(missing)} customers are never visited, e.g. {missing[:5]}")
    if len(routes) > instance.vehicles:
        problems.append(f"{len(routes)} routes for {instance.vehicles} vehicles")
    total = 0.0
    for k, route in enumerate(routes):
        t, load, prev = 0.0, 0, 0
        for node in [*route, 0]:
            if not 0 <= node < instance.n:
                break
            arc = instance.distance(prev, node)
            total += arc
            t = max(t + (instance.service[prev] if prev else 0) + arc, instance.ready[node])
            if t > instance.due[node] + EPS:
                problems.append(
                    f"route {k}: arrives at {instance.ids[node]} at {t:.1f}, "
                    f"after its window closes at {instance.due[node]}"
                )
            if node:
                load += instance.demand[node]
                if not 0 <= load <= instance.capacity:
                    problems.append(
                        f"route {k}: load {load} at {instance.ids[node]} outside "
                        f"0–{instance.capacity}"
                    )
            prev = node
    for pickup, delivery in instance.pairs:
        if pickup in seen and delivery in seen:
            if seen[pickup] != seen[delivery]:
                problems.append(
                    f"pair {instance.ids[pickup]}→{instance.ids[delivery]} split over two vehicles"
                )
            else:
                route = routes[seen[pickup]]
                if route.index(pickup) > route.index(delivery):
                    problems.append(f"delivery {instance.ids[delivery]} before its pickup")
    return Check(not problems, total, len(routes), problems)
