"""One planning pipeline for couriers: a snapshot becomes a :class:`Frame` (every place involved
and the moped travel between them, computed once), which either planner reads: the cheapest
insertion of a new job (:func:`insertion_plans`) or the OR-Tools re-plan of every courier
(:func:`courier_problem`). Both answer with a :class:`fleet.plans.PlanChange` for the one plan
writer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from numpy.typing import NDArray

from dispatch.couriers.insertion import CourierPlan, Insertion, Stop
from fleet.delivery import DeliveryJob, JobStatus
from fleet.geo import Position
from fleet.plans import OpenShift, PlanChange, PlanSnapshot, StopKind, StopPlan
from routing.courier_model import (
    CourierProblem,
    CourierSolution,
    CourierSpec,
    StationSpec,
    StopSpec,
)
from routing.engine import Router

#: Why a re-plan gives a job back.
NO_LONGER_FITS = "it no longer fits any courier's plan in time"


@dataclass(frozen=True, slots=True)
class Energy:
    """The moped's charge rules as planners need them: metres a charge carries a courier, the
    reserve kept at every stop."""

    full_range_m: int
    reserve_m: int

    def range_m(self, soc_pct: float) -> int:
        """Metres the pack carries a courier at this charge."""
        return int(self.full_range_m * soc_pct / 100)


@dataclass(frozen=True, slots=True)
class Frame:
    """The places of one planning round: shift ``k``'s courier is place ``k``; every job's
    pickup and drop-off (``stops``) and every swap station (``stations``) has its place; the
    matrices hold moped seconds and metres between them (closures of the snapshot's time)."""

    snapshot: PlanSnapshot
    places: list[Position]
    durations: NDArray[np.int64]
    distances: NDArray[np.int64]
    stops: Mapping[tuple[str, StopKind], Stop]
    stations: Mapping[str, int]
    energy: Energy

    @property
    def now(self) -> datetime:
        """The instant planned from."""
        return self.snapshot.at

    def swap_stop(self, site_id: str, shift_end: datetime) -> Stop:
        """A swap at a station, giving what its fullest charged pack gives (nothing when it has
        none left)."""
        best = next((s for s in self.snapshot.stations if s.site_id == site_id), None)
        after = None if best is None else self.energy.range_m(best.best_soc_pct)
        place = self.stations[site_id]
        return Stop(None, StopKind.SWAP, place, self.now, shift_end, 0, site_id, after)


def job_stops(job: DeliveryJob, pickup_place: int) -> tuple[Stop, Stop]:
    """A job's pickup (at ``pickup_place``) and drop-off (the place after it)."""
    return (
        Stop(
            job.id,
            StopKind.PICKUP,
            pickup_place,
            job.pickup_window.start,
            job.pickup_window.end,
            job.parcel_l,
        ),
        Stop(
            job.id,
            StopKind.DROPOFF,
            pickup_place + 1,
            job.dropoff_window.start,
            job.dropoff_window.end,
            -job.parcel_l,
        ),
    )


def frame(
    snapshot: PlanSnapshot, router: Router, energy: Energy, extra: Sequence[DeliveryJob] = ()
) -> Frame:
    """The frame of ``snapshot`` (and of ``extra`` jobs not stored yet), with one matrix."""
    places = [s.position for s in snapshot.shifts]
    stops: dict[tuple[str, StopKind], Stop] = {}
    for job in [*snapshot.jobs.values(), *extra]:
        pickup, dropoff = job_stops(job, len(places))
        places += [job.pickup, job.dropoff]
        stops[(job.id, StopKind.PICKUP)], stops[(job.id, StopKind.DROPOFF)] = pickup, dropoff
    stations: dict[str, int] = {}
    for station in snapshot.stations:
        stations[station.site_id] = len(places)
        places.append(station.position)
    for stop in snapshot.stops:  # a planned swap at a station that has run out of packs
        if stop.site_id is not None and stop.site_id not in stations:
            stations[stop.site_id] = len(places)
            places.append(stop.position)
    matrix = router.matrix(places, places, closures=snapshot.zones, at=snapshot.at)
    return Frame(snapshot, places, matrix.duration_s, matrix.distance_m, stops, stations, energy)


# --- insertion ---------------------------------------------------------------------------


def insertion_plans(frame: Frame) -> list[CourierPlan]:
    """Every open shift's plan as the insertion sees it: its stops, what is on board, its
    range, and the nearest station to swap at when the plan has no swap and a pack would add
    range."""
    plans = []
    for k, open_shift in enumerate(frame.snapshot.shifts):
        shift = open_shift.shift
        end = shift.window.end
        stops = tuple(
            frame.swap_stop(p.site_id, end)
            if p.site_id is not None
            else frame.stops[(p.job_id, p.kind)]  # type: ignore[index]
            for p in frame.snapshot.stops_of(shift.id)
        )
        picked = {s.job_id for s in stops if s.kind is StopKind.PICKUP}
        on_board = sum(
            -s.load_l for s in stops if s.kind is StopKind.DROPOFF and s.job_id not in picked
        )
        charge = frame.energy.range_m(open_shift.soc_pct)
        plans.append(
            CourierPlan(
                shift.id,
                k,
                end,
                shift.box_capacity_l,
                on_board,
                stops,
                charge,
                _nearest_swap(frame, k, stops, charge, end),
                frame.energy.reserve_m,
            )
        )
    return plans


def _nearest_swap(
    frame: Frame, k: int, stops: Sequence[Stop], charge: int, end: datetime
) -> Stop | None:
    stations = frame.snapshot.stations
    if not stations or any(s.kind is StopKind.SWAP for s in stops):
        return None
    nearest = min(stations, key=lambda s: int(frame.durations[k, frame.stations[s.site_id]]))
    swap = frame.swap_stop(nearest.site_id, end)
    assert swap.range_after_m is not None
    return swap if swap.range_after_m > charge else None


def insertion_change(frame: Frame, insertion: Insertion) -> PlanChange:
    """The plan change an insertion makes: one shift's stops, over the version read."""
    shift = next(s for s in frame.snapshot.shifts if s.shift.id == insertion.shift_id)
    return PlanChange(
        operator_id=frame.snapshot.operator_id,
        versions={shift.shift.id: shift.plan_version},
        routes={shift.shift.id: _stop_plans(frame, insertion.stops, insertion.etas)},
    )


def _stop_plans(
    frame: Frame, stops: Sequence[Stop], etas: Sequence[datetime]
) -> tuple[StopPlan, ...]:
    return tuple(
        StopPlan(s.kind, frame.places[s.place], eta, s.job_id, s.site_id)
        for s, eta in zip(stops, etas, strict=True)
    )


# --- the OR-Tools re-plan ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Problem:
    """A re-plan as the OR-Tools model takes it, and what its stop and station indices mean."""

    model: CourierProblem
    keys: list[tuple[str, StopKind]]
    station_ids: list[str]


def _seconds(frame: Frame, at: datetime) -> int:
    return max(0, int((at - frame.now).total_seconds()))


def courier_problem(frame: Frame) -> Problem:
    """Every open job of the snapshot on every open shift: parcels on board pinned to their
    courier, each courier's stop under way first, the battery's range with swap stations."""
    shifts = frame.snapshot.shifts
    courier_of = {s.shift.courier_id: v for v, s in enumerate(shifts)}
    specs: list[StopSpec] = []
    keys: list[tuple[str, StopKind]] = []
    pairs: list[tuple[int, int]] = []
    pinned: dict[int, int] = {}
    on_board = [0] * len(shifts)

    def add(job: DeliveryJob, kind: StopKind) -> int:
        stop = frame.stops[(job.id, kind)]
        specs.append(
            StopSpec(
                stop.place, _seconds(frame, stop.opens), _seconds(frame, stop.closes), stop.load_l
            )
        )
        keys.append((job.id, kind))
        return len(specs) - 1

    for job in frame.snapshot.jobs.values():
        if job.status is JobStatus.PICKED_UP:
            if job.courier_id in courier_of:
                v = courier_of[job.courier_id]
                pinned[add(job, StopKind.DROPOFF)] = v
                on_board[v] += job.parcel_l
        else:
            pairs.append((add(job, StopKind.PICKUP), add(job, StopKind.DROPOFF)))
    station_ids = [s.site_id for s in frame.snapshot.stations]
    couriers = [
        _courier_spec(
            frame, v, shift, on_board[v], {key: k for k, key in enumerate(keys)}, station_ids
        )
        for v, shift in enumerate(shifts)
    ]
    stations = [
        StationSpec(
            frame.stations[s.site_id], s.charged_packs, frame.energy.range_m(s.best_soc_pct)
        )
        for s in frame.snapshot.stations
    ]
    model = CourierProblem(
        frame.durations.tolist(),
        couriers,
        specs,
        pairs,
        pinned,
        frame.distances.tolist(),
        stations,
        frame.energy.reserve_m,
    )
    return Problem(model, keys, station_ids)


def _courier_spec(
    frame: Frame,
    v: int,
    shift: OpenShift,
    on_board_l: int,
    index_of: Mapping[tuple[str, StopKind], int],
    station_ids: list[str],
) -> CourierSpec:
    """Courier ``v`` now; its first planned stop is under way and stays first."""
    first = next(iter(frame.snapshot.stops_of(shift.shift.id)), None)
    committed = committed_station = None
    if first is not None and first.kind is StopKind.SWAP:
        if first.site_id in station_ids:
            committed_station = station_ids.index(first.site_id)
    elif first is not None:
        committed = index_of.get((first.job_id, first.kind))  # type: ignore[arg-type]
    return CourierSpec(
        v,
        shift.shift.box_capacity_l,
        on_board_l,
        _seconds(frame, shift.shift.window.end),
        committed,
        frame.energy.range_m(shift.soc_pct),
        committed_station,
    )


def replan_change(frame: Frame, problem: Problem, solution: CourierSolution) -> PlanChange:
    """The plan change a re-plan makes: every shift's stops, the jobs it could not fit given
    back (a parcel on board is never given back)."""
    shifts = frame.snapshot.shifts
    routes: dict[str, tuple[StopPlan, ...]] = {}
    for v, shift in enumerate(shifts):
        planned = []
        for k, arrival_s, station in solution.routes[v]:
            eta = frame.now + timedelta(seconds=arrival_s)
            if k is None:
                assert station is not None
                site_id = problem.station_ids[station]
                where = frame.places[frame.stations[site_id]]
                planned.append(StopPlan(StopKind.SWAP, where, eta, site_id=site_id))
            else:
                job_id, kind = problem.keys[k]
                where = frame.places[problem.model.stops[k].place]
                planned.append(StopPlan(kind, where, eta, job_id=job_id))
        routes[shift.shift.id] = tuple(planned)
    jobs = frame.snapshot.jobs
    dropped = {
        problem.keys[k][0]: NO_LONGER_FITS
        for k in solution.dropped
        if jobs[problem.keys[k][0]].status is not JobStatus.PICKED_UP
    }
    return PlanChange(
        operator_id=frame.snapshot.operator_id,
        versions={s.shift.id: s.plan_version for s in shifts},
        routes=routes,
        dropped=dropped,
    )
