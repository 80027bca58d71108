"""Cheapest feasible insertion of a new delivery job into couriers' current plans.

Pure: plain stops, a travel-time matrix between their places, and the clock. Each plan is tried
with the pickup at every position and the drop-off at every later one; a position is feasible
when, driving from the courier's place now, every stop is reached before its window closes
(waiting if early), the box never overflows, the battery's range is not exceeded and the shift is
not overrun. The insertion that adds
the least driving time wins.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from numpy.typing import NDArray

#: Handing over a parcel at a pickup or a drop-off, seconds.
SERVICE_S = 120


@dataclass(frozen=True, slots=True)
class Stop:
    """A stop of a plan. ``place`` indexes the travel-time matrix; ``load_l`` is what it puts
    in the box (negative at a drop-off)."""

    job_id: str
    kind: str  # "pickup" or "dropoff"
    place: int
    opens: datetime
    closes: datetime
    load_l: int


@dataclass(frozen=True, slots=True)
class CourierPlan:
    """A courier's shift and the stops still ahead."""

    shift_id: str
    place: int  # where the courier is now
    shift_end: datetime
    box_capacity_l: int
    on_board_l: int
    stops: tuple[Stop, ...]
    range_m: int | None = None  # metres the battery still carries the courier


@dataclass(frozen=True, slots=True)
class Insertion:
    """Where a job goes: the new stop order of one plan and its arrival times."""

    shift_id: str
    stops: tuple[Stop, ...]
    etas: tuple[datetime, ...]
    added_s: int


def simulate(
    plan: CourierPlan,
    stops: Sequence[Stop],
    durations: NDArray[np.int64],
    now: datetime,
    distances: NDArray[np.int64] | None = None,
) -> tuple[list[datetime], int] | None:
    """Arrival times at each stop and the driving seconds, or ``None`` if a rule breaks."""
    t, here, load, driving, ridden = now, plan.place, plan.on_board_l, 0, 0
    etas = []
    for stop in stops:
        leg = int(durations[here, stop.place])
        driving += leg
        if distances is not None and plan.range_m is not None:
            ridden += int(distances[here, stop.place])
            if ridden > plan.range_m:
                return None
        t = max(t + timedelta(seconds=leg), stop.opens)
        if t > stop.closes:
            return None
        etas.append(t)
        load += stop.load_l
        if not 0 <= load <= plan.box_capacity_l:
            return None
        t += timedelta(seconds=SERVICE_S)
        here = stop.place
    if t > plan.shift_end:
        return None
    return etas, driving


def best_insertion(
    plans: Sequence[CourierPlan],
    pickup: Stop,
    dropoff: Stop,
    durations: NDArray[np.int64],
    now: datetime,
    distances: NDArray[np.int64] | None = None,
) -> Insertion | None:
    """The cheapest feasible insertion over all plans, or ``None``."""
    best: Insertion | None = None
    for plan in plans:
        base = simulate(plan, plan.stops, durations, now, distances)
        if base is None:  # the plan is already late: do not make it worse
            continue
        stops = list(plan.stops)
        for i in range(len(stops) + 1):
            for j in range(i, len(stops) + 1):
                trial = [*stops[:i], pickup, *stops[i:j], dropoff, *stops[j:]]
                result = simulate(plan, trial, durations, now, distances)
                if result is None:
                    continue
                added = result[1] - base[1]
                if best is None or added < best.added_s:
                    best = Insertion(plan.shift_id, tuple(trial), tuple(result[0]), added)
    return best
