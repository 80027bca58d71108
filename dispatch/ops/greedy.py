"""The greedy crew planner, the baseline the crews' solver is measured against (issue 14).

Over the same candidates and matrix as the solver (``dispatch.ops.crew_places``), it repeatedly
appends to some van the task with the most expected trips per added minute of driving that fits
the van (its capacity for the class; a charged pack on board, or a detour to the nearest station
holding one, where it loads as many of that class as fit) and the shift (the van is back by its
end). A task is worth doing only if its trips pay for its driving at the same price the solver
uses (``routing.crew_model.TRIP_VALUE_S`` seconds a trip). A move is carried straight from its
pick-up to its drop.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from dispatch.ops.crew_input import CrewSnapshot, Proposal
from dispatch.ops.crew_places import Candidate, OnShift, Places, places
from dispatch.ops.crew_proposal import NO_VAN, Leg, nothing_to_plan, proposal
from dispatch.ops.needs import SwapNeed, needs_of
from fleet.catalog import VehicleClass
from routing.crew_model import TRIP_VALUE_S

#: Driving shorter than this counts as this much (vehicles next to each other).
MIN_MINUTES = 0.5


@dataclass(slots=True)
class _Van:
    shift: OnShift
    place: int
    clock: int
    packs: dict[VehicleClass, int]
    legs: list[Leg] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Option:
    ratio: float
    van: int
    candidate: int
    station: int | None
    drive_s: int


def plan_greedy(
    snapshot: CrewSnapshot, progress: Callable[[float, str], None] | None = None
) -> Proposal:
    """The greedy plan of ``snapshot.kind`` (module docstring); same contract as
    :func:`dispatch.ops.crew_plan.plan_crews`, ``solver="greedy"``."""
    needs = needs_of(snapshot)
    empty = nothing_to_plan(snapshot, needs)
    if empty is not None:
        return empty
    if progress:
        progress(0.1, "travel matrix")
    where = places(snapshot, needs)
    routes, ends = greedy_routes(snapshot, where)
    solver = "greedy" if where.vans else f"greedy ({NO_VAN})"
    out = proposal(snapshot, where, routes, ends, solver, TRIP_VALUE_S)
    if progress:
        progress(1.0, "done")
    return out


def greedy_routes(snapshot: CrewSnapshot, where: Places) -> tuple[list[list[Leg]], list[int]]:
    """The greedy routes over these places (module docstring), one per van of ``where.vans``,
    and when each van is back at its end (seconds from the plan's time).

    The crews' solver starts its search from them, so it never answers worse than greedy on
    its own objective."""
    vans = [_Van(v, v.start, v.ready_s, dict(v.van.packs_on_board)) for v in where.vans]
    stock = [dict(s.charged) for s, _ in where.stations]
    left = set(range(len(where.candidates)))
    cache: list[dict[int, _Option]] = [{} for _ in vans]
    dirty = set(range(len(vans)))
    while left:
        for n in dirty:  # only a van that moved (or all, when a station's stock fell) changes
            cache[n] = _options(snapshot, where, vans, n, stock, left)
        choices = [o for n in range(len(vans)) for k, o in cache[n].items() if k in left]
        if not choices:
            break
        best = max(choices, key=lambda o: (o.ratio, -o.van, -o.candidate))
        _apply(snapshot, where, vans[best.van], stock, best)
        left.discard(best.candidate)
        dirty = set(range(len(vans))) if best.station is not None else {best.van}
    ends = [v.clock + int(where.durations[v.place, v.shift.end]) for v in vans]
    return [v.legs for v in vans], ends


def _options(
    snapshot: CrewSnapshot,
    where: Places,
    vans: list[_Van],
    n: int,
    stock: list[dict[VehicleClass, int]],
    left: set[int],
) -> dict[int, _Option]:
    """Van ``n``'s worthwhile options among the candidates left."""
    out = {}
    for k in left:
        option = _option(snapshot, where, vans[n], stock, where.candidates[k])
        if option is None:
            continue
        drive_s, station = option
        prize = where.candidates[k].prize
        if prize * TRIP_VALUE_S < drive_s:
            continue
        out[k] = _Option(prize / max(drive_s / 60, MIN_MINUTES), n, k, station, drive_s)
    return out


def _option(
    snapshot: CrewSnapshot,
    where: Places,
    van: _Van,
    stock: list[dict[VehicleClass, int]],
    c: Candidate,
) -> tuple[int, int | None] | None:
    """(driving seconds added, station to load at first) if ``c`` fits ``van``; else None."""
    d: NDArray[np.int64] = where.durations
    s = snapshot.service
    end, limit = van.shift.end, van.shift.shift_end_s
    if c.drop is not None:
        if van.shift.van.capacity_vehicles.get(c.vehicle_class, 0) < 1:
            return None
        drive = int(d[van.place, c.pick] + d[c.pick, c.drop])
        done = van.clock + drive + s.pickup_s + s.drop_s + int(d[c.drop, end])
        return (drive, None) if done <= limit else None
    if van.packs.get(c.vehicle_class, 0) > 0:
        drive = int(d[van.place, c.pick])
        done = van.clock + drive + s.swap_s + int(d[c.pick, end])
        return (drive, None) if done <= limit else None
    if van.shift.van.capacity_packs - sum(van.packs.values()) < 1:
        return None
    best: tuple[int, int | None] | None = None
    for j, (_, place) in enumerate(where.stations):
        if stock[j].get(c.vehicle_class, 0) <= 0:
            continue
        drive = int(d[van.place, place] + d[place, c.pick])
        done = van.clock + drive + s.load_packs_s + s.swap_s + int(d[c.pick, end])
        if done <= limit and (best is None or drive < best[0]):
            best = (drive, j)
    return best


def _apply(
    snapshot: CrewSnapshot,
    where: Places,
    van: _Van,
    stock: list[dict[VehicleClass, int]],
    option: _Option,
) -> None:
    d = where.durations
    s = snapshot.service
    c = where.candidates[option.candidate]
    cls = c.vehicle_class
    if option.station is not None:
        place = where.stations[option.station][1]
        van.clock += int(d[van.place, place])
        room = van.shift.van.capacity_packs - sum(van.packs.values())
        take = min(stock[option.station].get(cls, 0), room)
        stock[option.station][cls] -= take
        van.packs[cls] = van.packs.get(cls, 0) + take
        van.legs.append(Leg(van.clock, station=option.station, loaded={cls: take}))
        van.clock += s.load_packs_s
        van.place = place
    van.clock += int(d[van.place, c.pick])
    van.legs.append(Leg(van.clock, candidate=option.candidate))
    van.place = c.pick
    if isinstance(c.need, SwapNeed):
        van.packs[cls] -= 1
        van.clock += s.swap_s
        return
    assert c.drop is not None
    van.clock += s.pickup_s + int(d[c.pick, c.drop])
    van.legs.append(Leg(van.clock, candidate=option.candidate, drop=True))
    van.clock += s.drop_s
    van.place = c.drop
