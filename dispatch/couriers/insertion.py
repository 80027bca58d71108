"""Cheapest feasible insertion of a new delivery job into couriers' current plans.

Pure: plain stops, a travel-time matrix between their places, and the clock. Each plan is tried
with the pickup at every position and the drop-off at every later one; a position is feasible
when, driving from the courier's place now, every stop is reached before its window closes
(waiting if early), the box never overflows, the battery's range is not exceeded and the shift is
not overrun. The insertion that adds the least driving time wins. Nothing is inserted before
the stop a courier is under way to (the first of its plan).

A swap stop in a plan puts the courier's range back to what the station's pack gives. A courier
whose plan cannot take the job on the charge left is also tried with a swap at their nearest
station (``CourierPlan.swap``) at every position before the job.

The search over positions runs in a compiled kernel (``routing.insertion_kernel``) that follows
:func:`simulate`'s rules step for step; :func:`simulate` then gives the chosen order's arrival
times.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
from numpy.typing import NDArray

from fleet.plans import StopKind
from routing import insertion_kernel as kernel
from routing.courier_model import SERVICE_S, SWAP_S

_NO_DISTANCES = np.zeros((0, 0), dtype=np.int64)


@dataclass(frozen=True, slots=True)
class Stop:
    """A stop of a plan. ``place`` indexes the travel-time matrix; ``load_l`` is what it puts
    in the box (negative at a drop-off). A swap has no job but a station, and the metres of
    range the station's pack gives."""

    job_id: str | None
    kind: StopKind
    place: int
    opens: datetime
    closes: datetime
    load_l: int
    site_id: str | None = None
    range_after_m: int | None = None


@dataclass(frozen=True, slots=True)
class CourierPlan:
    """A courier's shift and the stops still ahead."""

    shift_id: str
    place: int  # where the courier is now
    shift_end: datetime
    box_capacity_l: int
    on_board_l: int
    stops: tuple[Stop, ...]
    range_m: int | None = None  # metres the battery still carries the courier, reserve included
    swap: Stop | None = None  # where to swap if the charge left is not enough
    reserve_m: int = 0  # metres kept at every stop; only the ride to a swap may use them


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
    t, here, load, driving, charge = now, plan.place, plan.on_board_l, 0, plan.range_m
    etas = []
    for stop in stops:
        leg = int(durations[here, stop.place])
        driving += leg
        if distances is not None and charge is not None:
            charge -= int(distances[here, stop.place])
            if charge < (0 if stop.kind is StopKind.SWAP else plan.reserve_m):
                return None
        t = max(t + timedelta(seconds=leg), stop.opens)
        if t > stop.closes:
            return None
        etas.append(t)
        load += stop.load_l
        if not 0 <= load <= plan.box_capacity_l:
            return None
        if stop.kind is StopKind.SWAP:
            if charge is not None and stop.range_after_m is not None:
                charge = max(charge, stop.range_after_m)  # an empty cabinet gives nothing
            driving += SWAP_S  # a swap is never free: it costs its time
            t += timedelta(seconds=SWAP_S)
        else:
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
    """The cheapest feasible insertion over all plans, or ``None``. A plan's first stop is the
    one its courier is under way to: the new job goes after it. The swap variants are tried
    only for a plan the job would fit if charge were no object (the charge is what stops it)."""
    best: Insertion | None = None
    job = _Search.of_job(pickup, dropoff, durations, distances)
    for plan in plans:
        base = simulate(plan, plan.stops, durations, now, distances)
        if base is None:  # the plan is already late: do not make it worse
            continue
        under_way = min(1, len(plan.stops))
        stops = _StopArrays.of(plan.stops)
        state = _state(plan, now)
        found = _insert(plan, list(plan.stops), stops, state, base[1], job, now, under_way)
        if found is None and plan.swap is not None and _charge_bound(stops, state, job, under_way):
            for w in range(under_way, len(plan.stops) + 1):  # a swap, then the job after it
                option = _insert(
                    plan,
                    [*plan.stops[:w], plan.swap, *plan.stops[w:]],
                    stops.with_stop(w, plan.swap),
                    state,
                    base[1],
                    job,
                    now,
                    w + 1,
                )
                if option is not None and (found is None or option.added_s < found.added_s):
                    found = option
        if found is not None and (best is None or found.added_s < best.added_s):
            best = found
    return best


@dataclass(frozen=True, slots=True)
class _StopArrays:
    """A plan's stops as the kernel reads them (``routing.insertion_kernel``)."""

    place: NDArray[np.int64]
    opens_us: NDArray[np.int64]
    closes_us: NDArray[np.int64]
    load_l: NDArray[np.int64]
    swap: NDArray[np.int64]
    range_after_m: NDArray[np.int64]

    @classmethod
    def of(cls, stops: Sequence[Stop]) -> _StopArrays:
        rows = np.array([_row(s) for s in stops], dtype=np.int64).reshape(len(stops), 6)
        return cls(*(np.ascontiguousarray(rows[:, k]) for k in range(6)))

    def with_stop(self, at: int, stop: Stop) -> _StopArrays:
        """These stops with ``stop`` inserted at position ``at``."""
        values = _row(stop)
        return _StopArrays(
            *(
                np.insert(column, at, value)
                for column, value in zip(
                    (
                        self.place,
                        self.opens_us,
                        self.closes_us,
                        self.load_l,
                        self.swap,
                        self.range_after_m,
                    ),
                    values,
                    strict=True,
                )
            )
        )


def _row(s: Stop) -> tuple[int, int, int, int, int, int]:
    after = -1 if s.range_after_m is None else s.range_after_m
    return (s.place, _us(s.opens), _us(s.closes), s.load_l, int(s.kind is StopKind.SWAP), after)


@dataclass(frozen=True, slots=True)
class _Search:
    """The new job and the matrices, as the kernel reads them."""

    pickup: Stop
    dropoff: Stop
    new_stop: NDArray[np.int64]
    durations: NDArray[np.int64]
    distances: NDArray[np.int64] | None

    @classmethod
    def of_job(
        cls,
        pickup: Stop,
        dropoff: Stop,
        durations: NDArray[np.int64],
        distances: NDArray[np.int64] | None,
    ) -> _Search:
        new_stop = np.array(
            [[s.place, _us(s.opens), _us(s.closes), s.load_l] for s in (pickup, dropoff)],
            dtype=np.int64,
        )
        return cls(
            pickup,
            dropoff,
            new_stop,
            np.ascontiguousarray(durations, dtype=np.int64),
            None if distances is None else np.ascontiguousarray(distances, dtype=np.int64),
        )


def _kernel(
    stops: _StopArrays, state: NDArray[np.int64], job: _Search, earliest: int
) -> tuple[int, int, int]:
    driving, i, j = kernel.best_pair(
        stops.place,
        stops.opens_us,
        stops.closes_us,
        stops.load_l,
        stops.swap,
        stops.range_after_m,
        job.new_stop,
        job.durations,
        _NO_DISTANCES if job.distances is None else job.distances,
        state,
        earliest,
    )
    return int(driving), int(i), int(j)


def _charge_bound(
    stops: _StopArrays, state: NDArray[np.int64], job: _Search, earliest: int
) -> bool:
    """Whether the job would fit this plan if the battery's range were no bound."""
    if job.distances is None or state[kernel.STATE_TRACK_CHARGE] == 0:
        return False
    free = state.copy()
    free[kernel.STATE_TRACK_CHARGE] = 0
    return _kernel(stops, free, job, earliest)[0] >= 0


def _insert(
    plan: CourierPlan,
    stops: list[Stop],
    arrays: _StopArrays,
    state: NDArray[np.int64],
    base_s: int,
    job: _Search,
    now: datetime,
    earliest: int = 0,
) -> Insertion | None:
    """The cheapest feasible insertion of the job into ``stops`` (pickup at ``earliest`` or
    later); the cost is the driving added to ``base_s``, the plan as it was."""
    driving, i, j = _kernel(arrays, state, job, earliest)
    if driving < 0:
        return None
    trial = [*stops[:i], job.pickup, *stops[i:j], job.dropoff, *stops[j:]]
    result = simulate(plan, trial, job.durations, now, job.distances)
    assert result is not None and result[1] == driving, "the kernel and simulate disagree"
    return Insertion(plan.shift_id, tuple(trial), tuple(result[0]), driving - base_s)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _us(at: datetime) -> int:
    """Microseconds since the epoch, exactly."""
    return (at - _EPOCH) // timedelta(microseconds=1)


def _state(plan: CourierPlan, now: datetime) -> NDArray[np.int64]:
    state = np.zeros(kernel.STATE_SIZE, dtype=np.int64)
    state[kernel.STATE_PLACE] = plan.place
    state[kernel.STATE_NOW_US] = _us(now)
    state[kernel.STATE_SHIFT_END_US] = _us(plan.shift_end)
    state[kernel.STATE_CAPACITY_L] = plan.box_capacity_l
    state[kernel.STATE_ON_BOARD_L] = plan.on_board_l
    state[kernel.STATE_TRACK_CHARGE] = plan.range_m is not None
    state[kernel.STATE_RANGE_M] = plan.range_m or 0
    state[kernel.STATE_RESERVE_M] = plan.reserve_m
    state[kernel.STATE_SERVICE_S] = SERVICE_S
    state[kernel.STATE_SWAP_S] = SWAP_S
    return state
