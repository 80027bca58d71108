"""Large days solved in parts: couriers in groups of a few, each group with the jobs nearest it.

Building a first solution takes OR-Tools time that grows much faster than the number of stops
(measured on the Mapo extract: 400 stops, 0.4 s; 1,000 stops, 4–40 s), so beyond
:data:`WHOLE_MAX_STOPS` a day is split. Couriers are grouped around seeds far apart (by riding
time), a job goes with its courier when it is planned or on board, else to the nearest group
that still has room (rooms in proportion to the couriers), a station's packs are dealt to the
groups in turn, and each group is solved on its own share of the time. The parts' plans are put
back together as one solution.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from time import monotonic

from routing.courier_model import (
    CourierProblem,
    CourierSolution,
    StationSpec,
    Visit,
    solve_couriers,
)

#: Up to this many stops a day is solved whole.
WHOLE_MAX_STOPS = 300
#: Couriers per group when a day is split.
GROUP_COURIERS = 5


@dataclass(frozen=True, slots=True)
class Part:
    """One group: its couriers, stops and stations (indices into the whole problem)."""

    couriers: list[int]
    stops: list[int]
    station_packs: list[int]


def solve_in_parts(
    problem: CourierProblem,
    time_limit_s: float,
    *,
    solution_limit: int | None = None,
    initial: list[list[int]] | None = None,
) -> CourierSolution | None:
    """``solve_couriers``, split into groups when the day is large; ``None`` when a group has
    no solution even dropping jobs."""
    if len(problem.stops) <= WHOLE_MAX_STOPS or len(problem.couriers) <= GROUP_COURIERS:
        return solve_couriers(
            problem, time_limit_s=time_limit_s, solution_limit=solution_limit, initial=initial
        )
    deadline = monotonic() + time_limit_s
    parts = split(problem, initial)
    routes: list[list[Visit]] = [[] for _ in problem.couriers]
    dropped: list[int] = []
    objective = 0
    for n, part in enumerate(parts):
        sub, mine = _subproblem(problem, part), {k: i for i, k in enumerate(part.stops)}
        start = None
        if initial is not None:
            start = [[mine[k] for k in initial[v] if k in mine] for v in part.couriers]
        left = max(0.05, (deadline - monotonic()) / (len(parts) - n))
        solution = solve_couriers(
            sub, time_limit_s=left, solution_limit=solution_limit, initial=start
        )
        if solution is None:
            return None
        for i, v in enumerate(part.couriers):
            routes[v] = [
                Visit(None if k is None else part.stops[k], arrival, station)
                for k, arrival, station in solution.routes[i]
            ]
        dropped += [part.stops[k] for k in solution.dropped]
        objective += solution.objective
    return CourierSolution(routes, sorted(dropped), objective, improved=True)


def split(problem: CourierProblem, initial: list[list[int]] | None) -> list[Part]:
    """The groups of a large day (see the module docstring)."""
    durations = problem.durations
    places = [c.place for c in problem.couriers]
    groups = math.ceil(len(places) / GROUP_COURIERS)
    seeds = [0]
    while len(seeds) < groups:  # the courier farthest from every seed so far
        seeds.append(
            max(
                (v for v in range(len(places)) if v not in seeds),
                key=lambda v: (min(durations[places[s]][places[v]] for s in seeds), -v),
            )
        )
    members: list[list[int]] = [[] for _ in seeds]
    for v in sorted(range(len(places)), key=lambda v: (v not in seeds, v)):
        open_groups = [g for g in range(groups) if len(members[g]) < GROUP_COURIERS]
        g = min(open_groups, key=lambda g: (durations[places[seeds[g]]][places[v]], g))
        members[g].append(v)
    group_of = {v: g for g, vs in enumerate(members) for v in vs}
    stops: list[list[int]] = [[] for _ in members]
    owner: dict[int, int] = {k: v for k, v in problem.pinned.items()}
    for v, route in enumerate(initial or []):
        owner.update(dict.fromkeys(route, v))
    for v, courier in enumerate(problem.couriers):
        if courier.committed_stop is not None:
            owner[courier.committed_stop] = v
    _deal_stops(problem, members, group_of, owner, stops)
    packs = [[0] * len(problem.stations) for _ in members]
    for s, station in enumerate(problem.stations):
        # a group whose courier is under way to this station gets a pack first
        needs = sorted(
            {group_of[v] for v, c in enumerate(problem.couriers) if c.committed_station == s}
        )
        order = needs + [g for g in range(groups) if g not in needs]
        for n in range(station.packs):
            packs[order[n % groups]][s] += 1
    return [Part(members[g], sorted(stops[g]), packs[g]) for g in range(groups)]


def _deal_stops(
    problem: CourierProblem,
    members: list[list[int]],
    group_of: dict[int, int],
    owner: dict[int, int],
    stops: list[list[int]],
) -> None:
    """Stops with an owner go with it; the other jobs to the nearest group with room."""
    partner = {p: d for p, d in problem.pairs} | {d: p for p, d in problem.pairs}
    free = [p for p, _ in problem.pairs if p not in owner and partner[p] not in owner]
    total = len(problem.pairs)
    room = [math.ceil(total * len(vs) / len(problem.couriers) * 1.1) for vs in members]
    taken = [0] * len(members)
    for k, v in sorted(owner.items()):
        g = group_of[v]
        for stop in {k, partner.get(k, k)}:
            if stop not in stops[g]:
                stops[g].append(stop)
        taken[g] += 1
    durations = problem.durations
    for pickup in free:
        place = problem.stops[pickup].place
        by_distance = sorted(
            range(len(members)),
            key=lambda g: (
                min(durations[problem.couriers[v].place][place] for v in members[g]),
                g,
            ),
        )
        g = next((g for g in by_distance if taken[g] < room[g]), by_distance[0])
        stops[g] += [pickup, partner[pickup]]
        taken[g] += 1


def _subproblem(problem: CourierProblem, part: Part) -> CourierProblem:
    """The group's problem: its couriers, stops and pack shares, indices renumbered."""
    index = {k: i for i, k in enumerate(part.stops)}
    couriers = []
    for v in part.couriers:
        c = problem.couriers[v]
        committed = None if c.committed_stop is None else index[c.committed_stop]
        couriers.append(replace(c, committed_stop=committed))
    return CourierProblem(
        problem.durations,
        couriers,
        [problem.stops[k] for k in part.stops],
        [(index[p], index[d]) for p, d in problem.pairs if p in index],
        {index[k]: part.couriers.index(v) for k, v in problem.pinned.items() if k in index},
        problem.distances,
        [
            StationSpec(s.place, part.station_packs[n], s.range_after_m)
            for n, s in enumerate(problem.stations)
        ],
        problem.reserve_m,
        problem.drop_penalty,
        problem.vehicle_fixed_cost,
    )
