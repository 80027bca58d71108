"""One planning pipeline for couriers: a snapshot becomes a :class:`Frame` (every place involved
and the moped travel between them, computed once), which either planner reads: the cheapest
insertion of a new job (:func:`insertion_plans`) or the OR-Tools re-plan of every courier
(:func:`courier_problem`). Both answer with a :class:`fleet.plans.PlanChange` for the one plan
writer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import numpy as np
from numpy.typing import NDArray

from dispatch.couriers.insertion import CourierPlan, Insertion, Stop, simulate
from fleet.delivery import DeliveryJob, JobStatus
from fleet.geo import Position
from fleet.plans import PlanChange, PlanSnapshot, StopKind, StopPlan
from fleet.zones import Zone, first_inside, inside
from routing.engine import UNREACHABLE, Router


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


def return_stop(job: DeliveryJob, store_place: int, opens: datetime, closes: datetime) -> Stop:
    """Taking the job's parcel back to its store (at ``store_place``, its pickup's place): due
    by ``closes``, the end of the shift of the courier who has it."""
    return Stop(job.id, StopKind.RETURN, store_place, opens, max(opens, closes), -job.parcel_l)


def frame(
    snapshot: PlanSnapshot, router: Router, energy: Energy, extra: Sequence[DeliveryJob] = ()
) -> Frame:
    """The frame of ``snapshot`` (and of ``extra`` jobs not stored yet), with one matrix. A
    parcel on its way back to its store has a return stop at its pickup's place."""
    places = [s.position for s in snapshot.shifts]
    stops: dict[tuple[str, StopKind], Stop] = {}
    ends = {s.shift.courier_id: s.shift.window.end for s in snapshot.shifts}
    for job in [*snapshot.jobs.values(), *extra]:
        pickup, dropoff = job_stops(job, len(places))
        places += [job.pickup, job.dropoff]
        stops[(job.id, StopKind.PICKUP)], stops[(job.id, StopKind.DROPOFF)] = pickup, dropoff
        if job.status is JobStatus.RETURNING:
            end = ends.get(job.courier_id or "", snapshot.at)
            stops[(job.id, StopKind.RETURN)] = return_stop(job, pickup.place, snapshot.at, end)
    stations: dict[str, int] = {}
    for station in snapshot.stations:
        stations[station.site_id] = len(places)
        places.append(station.position)
    for stop in snapshot.stops:  # a planned swap at a station that has run out of packs
        if stop.site_id is not None and stop.site_id not in stations:
            stations[stop.site_id] = len(places)
            places.append(stop.position)
    durations, distances = open_matrix(router, places, snapshot.zones, snapshot.at)
    return Frame(snapshot, places, durations, distances, stops, stations, energy)


def cut_off(snapshot: PlanSnapshot, job: DeliveryJob) -> str | None:
    """Why no courier can serve ``job`` while a closure in force covers its pick-up or its
    drop-off (the planners see such a place as unreachable), or ``None``."""
    closed = [z for z in snapshot.zones if z.closes_roads(snapshot.at)]
    for what, place in (("pick-up", job.pickup), ("drop-off", job.dropoff)):
        zone = first_inside(closed, place)
        if zone is not None:
            return (
                f"its {what} lies in the closure {zone.name!r}, whose roads are closed; a "
                "re-plan after the closure ends takes it up"
            )
    return None


def open_matrix(
    router: Router, places: Sequence[Position], zones: Sequence[Zone], at: datetime
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Moped seconds and metres between ``places`` with the closures in force at ``at``. A
    place inside one is cut off (``UNREACHABLE`` to and from it) rather than refused, so that a
    closure over one job, station or courier leaves the rest of the operator's plans to be
    made: the planners leave a cut-off job unassigned, or keep committed work late."""
    cut = np.zeros(len(places), dtype=bool)
    for zone in zones:
        if zone.closes_roads(at):
            cut |= inside(zone, places)
    keep = np.flatnonzero(~cut)
    open_places = [places[int(i)] for i in keep]
    matrix = router.matrix(open_places, open_places, closures=zones, at=at)
    if not cut.any():
        return matrix.duration_s, matrix.distance_m
    durations = np.full((len(places), len(places)), UNREACHABLE, dtype=np.int64)
    distances = durations.copy()
    durations[np.ix_(keep, keep)], distances[np.ix_(keep, keep)] = (
        matrix.duration_s,
        matrix.distance_m,
    )
    np.fill_diagonal(durations, 0)
    np.fill_diagonal(distances, 0)
    return durations, distances


# --- insertion ---------------------------------------------------------------------------

#: Stops where a parcel leaves the box: at the customer's, or back at the store.
DELIVERING = (StopKind.DROPOFF, StopKind.RETURN)


def insertion_plans(frame: Frame) -> list[CourierPlan]:
    """Every open shift's plan as the insertion sees it (:func:`courier_plan`). A courier whose
    moped cannot be ridden takes no new job."""
    return [
        courier_plan(frame, k)
        for k, open_shift in enumerate(frame.snapshot.shifts)
        if open_shift.vehicle_usable
    ]


def courier_plan(frame: Frame, k: int) -> CourierPlan:
    """Shift ``k``'s plan as a planner sees it: its stops, what is on board, its range, and the
    nearest station to swap at when the plan has no swap and a pack would add range."""
    open_shift = frame.snapshot.shifts[k]
    shift = open_shift.shift
    end = shift.window.end
    stops = tuple(
        frame.swap_stop(p.site_id, end)
        if p.site_id is not None
        else frame.stops[(p.job_id, p.kind)]  # type: ignore[index]
        for p in frame.snapshot.stops_of(shift.id)
    )
    picked = {s.job_id for s in stops if s.kind is StopKind.PICKUP}
    on_board = sum(-s.load_l for s in stops if s.kind in DELIVERING and s.job_id not in picked)
    charge = frame.energy.range_m(open_shift.soc_pct)
    plan = CourierPlan(
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
    return _late_but_committed(frame, plan, picked)


def _late_but_committed(frame: Frame, plan: CourierPlan, picked: set[str | None]) -> CourierPlan:
    """A parcel on board, or the stop under way, whose window has passed still counts: its
    window is stretched to when the current plan gets there, so an insertion may not make it
    any later, and the late stop does not bar the courier from new jobs."""
    committed = {s.job_id for s in plan.stops if s.kind in DELIVERING} - picked
    if plan.stops and plan.stops[0].job_id is not None:
        committed.add(plan.stops[0].job_id)
    if not committed:
        return plan
    far = plan.shift_end + timedelta(days=1)
    relaxed = [replace(s, closes=far) if s.job_id in committed else s for s in plan.stops]
    base = simulate(replace(plan, shift_end=far), relaxed, frame.durations, frame.now)
    if base is None:
        return plan
    stops = tuple(
        replace(s, closes=max(original.closes, eta)) if s.job_id in committed else s
        for s, original, eta in zip(relaxed, plan.stops, base[0], strict=True)
    )
    return replace(plan, stops=stops)


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
        routes={shift.shift.id: stop_plans(frame, insertion.stops, insertion.etas)},
    )


def stop_plans(
    frame: Frame, stops: Sequence[Stop], etas: Sequence[datetime]
) -> tuple[StopPlan, ...]:
    return tuple(
        StopPlan(s.kind, frame.places[s.place], eta, s.job_id, s.site_id)
        for s, eta in zip(stops, etas, strict=True)
    )
