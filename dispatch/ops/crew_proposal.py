"""Planned routes as a :class:`Proposal`: tasks in route order with their reasons, the vans'
routes, and every need left undone with why (pure).

Both planners (the crews' solver and the greedy baseline) hand their routes here as
:class:`Leg` lists, so their proposals read the same.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import pairwise

from dispatch.ops.crew_input import (
    CrewSnapshot,
    LeftUndone,
    Proposal,
    ProposedTask,
    VanRoute,
)
from dispatch.ops.crew_places import OnShift, Places
from dispatch.ops.needs import NO_PACK, MoveNeed, Needs, SwapNeed
from fleet.catalog import VehicleClass
from fleet.ops import TaskKind

NO_TIME = "no van had time in its shift to reach it"
TOO_COSTLY = "costs more driving than the trips it serves"
BUSY = "no van had time left in its shift (more valuable visits filled it)"
PACKS_USED = "no charged pack of this type left within reach (this plan uses them all)"
NO_VAN = "no crew on shift"
NOTHING = "nothing to do: no vehicle needs a swap or a move over the horizon"


@dataclass(frozen=True, slots=True)
class Leg:
    """A stop of a planned route: a candidate's visit (its drop if ``drop``), or a station
    (index into ``Places.stations``) loading charged packs per class; arrival in seconds."""

    arrival_s: int
    candidate: int | None = None
    drop: bool = False
    station: int | None = None
    loaded: Mapping[VehicleClass, int] = field(default_factory=dict)


def _sequences(legs: Sequence[Leg]) -> list[int]:
    """The sequence of each leg's first task (a station leg gives one task per class)."""
    out, seq = [], 1
    for leg in legs:
        out.append(seq)
        seq += max(len(leg.loaded), 1) if leg.station is not None else 1
    return out


def _tasks(
    snapshot: CrewSnapshot, places: Places, van: OnShift, legs: Sequence[Leg]
) -> list[ProposedTask]:
    seqs = _sequences(legs)
    pick_of = {leg.candidate: seqs[n] for n, leg in enumerate(legs) if not leg.drop}
    drop_of = {leg.candidate: seqs[n] for n, leg in enumerate(legs) if leg.drop}
    shift = van.van.shift_id
    tasks: list[ProposedTask] = []
    for leg, seq in zip(legs, seqs, strict=True):
        when = snapshot.at + timedelta(seconds=leg.arrival_s)
        if leg.station is not None:
            station = places.stations[leg.station][0]
            for n, (cls, packs) in enumerate(sorted(leg.loaded.items())):
                reason = f"load {packs} charged {cls} pack{'s' * (packs > 1)} for the swaps ahead"
                tasks.append(
                    ProposedTask(
                        shift,
                        seq + n,
                        TaskKind.CHARGE,
                        station.position,
                        when,
                        reason,
                        0.0,
                        site_id=station.site_id,
                        pack_class=cls,
                        packs=packs,
                    )
                )
            continue
        assert leg.candidate is not None
        need = places.candidates[leg.candidate].need
        vid = need.vehicle.id
        if isinstance(need, SwapNeed):
            tasks.append(
                ProposedTask(
                    shift,
                    seq,
                    TaskKind.SWAP,
                    need.vehicle.position,
                    when,
                    need.reason,
                    round(need.lost_trips, 3),
                    vehicle_id=vid,
                    pack_class=need.vehicle.vehicle_class,
                )
            )
        elif not leg.drop:
            reason = f"take to {need.to_cell}: {need.reason}"
            tasks.append(
                ProposedTask(
                    shift,
                    seq,
                    TaskKind.REBALANCE,
                    need.vehicle.position,
                    when,
                    reason,
                    0.0,
                    vehicle_id=vid,
                    pair=drop_of.get(leg.candidate),
                )
            )
        else:
            tasks.append(
                ProposedTask(
                    shift,
                    seq,
                    TaskKind.REBALANCE,
                    need.drop,
                    when,
                    need.reason,
                    round(need.gain_trips, 3),
                    vehicle_id=vid,
                    pair=pick_of.get(leg.candidate),
                    is_drop=True,
                )
            )
    return tasks


def _route(places: Places, van: OnShift, tasks: Sequence[ProposedTask], end_s: int) -> VanRoute:
    stops = [places.positions[van.start]]
    for t in tasks:
        if t.target != stops[-1]:
            stops.append(t.target)
    stops.append(places.positions[van.end])
    where = {p: i for i, p in enumerate(places.positions)}
    metres = sum(int(places.distances[where[a], where[b]]) for a, b in pairwise(stops))
    return VanRoute(van.van.shift_id, stops, metres, end_s - van.ready_s)


def why_undone(places: Places, routes: Sequence[Sequence[Leg]], k: int, trip_value_s: int) -> str:
    """Why candidate ``k`` is in no route (a plain sentence)."""
    c = places.candidates[k]
    d = places.durations
    far = c.pick if c.drop is None else c.drop
    if not any(
        v.ready_s + int(d[v.start, c.pick]) + int(d[c.pick, far]) + int(d[far, v.end])
        <= v.shift_end_s
        for v in places.vans
    ):
        return NO_TIME
    if isinstance(c.need, SwapNeed):
        cls = c.vehicle_class
        stock = sum(s.charged.get(cls, 0) for s, _ in places.stations)
        stock += sum(v.van.packs_on_board.get(cls, 0) for v in places.vans)
        used = sum(
            1
            for route in routes
            for leg in route
            if leg.candidate is not None
            and isinstance(places.candidates[leg.candidate].need, SwapNeed)
            and places.candidates[leg.candidate].vehicle_class == cls
        )
        if stock == 0:
            return NO_PACK
        if used >= stock:
            return PACKS_USED
    visited = [v.start for v in places.vans] + [
        places.candidates[leg.candidate].pick
        for r in routes
        for leg in r
        if leg.candidate is not None
    ]
    detour = min(int(d[a, c.pick]) + int(d[c.pick, a]) for a in visited) if visited else 0
    if c.prize * trip_value_s < detour:
        return TOO_COSTLY
    return BUSY


def proposal(
    snapshot: CrewSnapshot,
    places: Places,
    routes: Sequence[Sequence[Leg]],
    ends_s: Sequence[int],
    solver: str,
    trip_value_s: int,
) -> Proposal:
    """The proposal of these routes (one per van of ``places.vans``, ends in seconds)."""
    tasks: list[ProposedTask] = []
    van_routes = []
    for van, legs, end_s in zip(places.vans, routes, ends_s, strict=True):
        mine = _tasks(snapshot, places, van, legs)
        tasks += mine
        if mine:
            van_routes.append(_route(places, van, mine, end_s))
    done = {leg.candidate for r in routes for leg in r if leg.candidate is not None}
    undone = list(places.undone)
    for k, c in enumerate(places.candidates):
        if k in done:
            continue
        cell = c.need.vehicle.cell if isinstance(c.need, SwapNeed) else c.need.to_cell
        reason = why_undone(places, routes, k, trip_value_s)
        undone.append(
            LeftUndone(reason, round(c.prize, 3), vehicle_id=c.need.vehicle.id, cell=cell)
        )
    gain = round(sum(t.gain_trips for t in tasks), 3)
    return Proposal(snapshot.kind, tasks, van_routes, undone, gain, solver)


def count_reasons(p: Proposal) -> Counter[str]:
    """How many needs were left undone for each reason (for logs and benchmarks)."""
    return Counter(u.reason for u in p.undone)


def nothing_to_plan(snapshot: CrewSnapshot, needs: Needs) -> Proposal | None:
    """The empty proposal when there is nothing to route, or no van to route it; else None."""
    todo: list[SwapNeed | MoveNeed] = [*needs.swaps, *needs.moves]
    if todo and snapshot.vans:
        return None
    if not todo:
        undone = list(needs.undone) or [LeftUndone(NOTHING, 0.0)]
        return Proposal(snapshot.kind, [], [], undone, 0.0, "none (nothing to plan)")
    undone = list(needs.undone) + [
        LeftUndone(
            NO_VAN,
            round(n.lost_trips if isinstance(n, SwapNeed) else n.gain_trips, 3),
            vehicle_id=n.vehicle.id,
            cell=n.vehicle.cell,
        )
        for n in todo
    ]
    return Proposal(snapshot.kind, [], [], undone, 0.0, f"none ({NO_VAN})")
