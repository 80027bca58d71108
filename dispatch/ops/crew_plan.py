"""Plan the crews: battery swaps or rebalancing moves for the vans on shift (the use case, pure).

Needs (``dispatch.ops.needs``) → candidate visits and one travel matrix
(``dispatch.ops.crew_places``) → the crews' OR-Tools model (``routing.crew_model``) → a
:class:`Proposal` (``dispatch.ops.crew_proposal``). A swap plan also plans the station visits its
swaps need; a rebalancing plan moves only vehicles charged enough for riders (a low one is the
swap plan's), so it never swaps.
"""

from __future__ import annotations

from collections.abc import Callable
from time import monotonic

from dispatch.ops.crew_input import CrewSnapshot, Proposal
from dispatch.ops.crew_places import Places, places
from dispatch.ops.crew_proposal import NO_VAN, NOTHING, Leg, nothing_to_plan, proposal
from dispatch.ops.greedy import greedy_routes
from dispatch.ops.needs import SwapNeed, needs_of
from fleet.catalog import VehicleClass
from routing.crew_model import (
    TRIP_VALUE_S,
    CrewProblem,
    CrewSolution,
    StationSpec,
    Stop,
    VanSpec,
    VisitSpec,
    solve_crews,
)

__all__ = [
    "NOTHING",
    "NO_VAN",
    "crew_problem",
    "legs_of",
    "nothing_to_plan",
    "plan_crews",
    "stops_of",
]

Progress = Callable[[float, str], None]

#: Seconds kept from the solver's share of the limit to read its answer and write the proposal.
RESERVE_S = 0.25
#: The solver always gets this long, even when the matrix took the whole limit.
MIN_SOLVE_S = 0.2


def _quiet(fraction: float, message: str) -> None:
    del fraction, message


def plan_crews(
    snapshot: CrewSnapshot,
    *,
    time_limit_s: float,
    seed: int = 0,
    progress: Progress | None = None,
) -> Proposal:
    """The crews' plan of ``snapshot.kind`` for its vans, within ``time_limit_s`` in all.

    The limit is the whole plan's: reading the needs and the travel matrix come out of it, and
    the solver gets what is left (less :data:`RESERVE_S` for writing the proposal). The search
    starts from the greedy baseline's routes (``dispatch.ops.greedy``), so the plan is never
    worse than greedy's on the model's own objective. Never raises on an empty fleet, no van or
    no pack: the proposal is then empty and its ``undone`` says why. ``progress(fraction,
    message)`` is told of each stage.
    """
    deadline = monotonic() + time_limit_s
    tell = progress or _quiet
    tell(0.0, "reading needs")
    needs = needs_of(snapshot)
    empty = nothing_to_plan(snapshot, needs)
    if empty is not None:
        tell(1.0, "done")
        return empty
    tell(0.1, "travel matrix")
    where = places(snapshot, needs)
    tell(0.3, "solving")
    problem, classes = crew_problem(snapshot, where)
    start = stops_of(where, greedy_routes(snapshot, where)[0], classes)
    left_s = max(deadline - monotonic() - RESERVE_S, MIN_SOLVE_S)
    solution = solve_crews(problem, left_s, seed=seed, initial=start)
    routes = legs_of(where, solution, classes)
    solver = f"or-tools ({solution.status}, {time_limit_s:g} s, seed {seed})"
    out = proposal(snapshot, where, routes, solution.ends_s, solver, problem.trip_value_s)
    tell(1.0, "done")
    return out


def crew_problem(snapshot: CrewSnapshot, where: Places) -> tuple[CrewProblem, list[VehicleClass]]:
    """The model's problem over these places, and the classes its types stand for."""
    classes = sorted({c.vehicle_class for c in where.candidates})
    kind = {cls: t for t, cls in enumerate(classes)}
    s = snapshot.service
    vans = [
        VanSpec(
            v.start,
            v.end,
            v.ready_s,
            v.shift_end_s,
            tuple(v.van.capacity_vehicles.get(cls, 0) for cls in classes),
            v.van.capacity_packs,
            tuple(v.van.packs_on_board.get(cls, 0) for cls in classes),
        )
        for v in where.vans
    ]
    visits: list[VisitSpec] = []
    pairs = []
    for c in where.candidates:
        t = kind[c.vehicle_class]
        if isinstance(c.need, SwapNeed):
            visits.append(VisitSpec(c.pick, s.swap_s, c.prize, pack_type=t))
            continue
        assert c.drop is not None
        pairs.append((len(visits), len(visits) + 1))
        visits.append(VisitSpec(c.pick, s.pickup_s, c.prize, carry_type=t, carry=1))
        visits.append(VisitSpec(c.drop, s.drop_s, 0.0, carry_type=t, carry=-1))
    stations = [
        StationSpec(place, tuple(st.charged.get(cls, 0) for cls in classes), s.load_packs_s)
        for st, place in where.stations
    ]
    problem = CrewProblem(
        where.durations,
        vans,
        visits,
        stations,
        pairs,
        len(classes),
        len(classes),
        TRIP_VALUE_S,
        snapshot.horizon_s,
    )
    return problem, classes


def legs_of(where: Places, solution: CrewSolution, classes: list[VehicleClass]) -> list[list[Leg]]:
    """The model's routes as legs over the candidates (visit k → its candidate and half)."""
    owner: list[tuple[int, bool]] = []
    for k, c in enumerate(where.candidates):
        owner.append((k, False))
        if c.drop is not None:
            owner.append((k, True))
    routes = []
    for stops in solution.routes:
        legs = []
        for stop in stops:
            if stop.visit is not None:
                k, drop = owner[stop.visit]
                legs.append(Leg(stop.arrival_s, candidate=k, drop=drop))
            else:
                loaded = {classes[t]: n for t, n in enumerate(stop.loaded) if n}
                legs.append(Leg(stop.arrival_s, station=stop.station, loaded=loaded))
        routes.append(legs)
    return routes


def stops_of(
    where: Places, routes: list[list[Leg]], classes: list[VehicleClass]
) -> list[list[Stop]]:
    """Legs over the candidates (another planner's routes) as the model's stops: the inverse
    of :func:`legs_of`."""
    visit_of: list[int] = []  # candidate k → its visit (a move's drop is the next one)
    n = 0
    for c in where.candidates:
        visit_of.append(n)
        n += 1 if c.drop is None else 2
    kind = {cls: t for t, cls in enumerate(classes)}
    out = []
    for legs in routes:
        stops = []
        for leg in legs:
            if leg.candidate is not None:
                stops.append(Stop(leg.arrival_s, visit=visit_of[leg.candidate] + leg.drop))
                continue
            loaded = [0] * len(classes)
            for cls, packs in leg.loaded.items():
                loaded[kind[cls]] += packs
            stops.append(Stop(leg.arrival_s, station=leg.station, loaded=tuple(loaded)))
        out.append(stops)
    return out
