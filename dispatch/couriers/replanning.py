"""Re-planning every courier at once, as pure computation on a :class:`Frame`: the OR-Tools
problem (``routing.courier_model``), its start from the current plans, and the plan change.

Committed work is never dropped: a parcel on board, or the stop a courier is under way to,
stays in its courier's plan even when its window has passed (planned late, and the lateness
shows). Only jobs not yet picked up are given back, each with the reason. When the model finds
no plan with every rule (a courier too flat to reach the parcel on board, say), it is solved
again without the battery's range; when even that fails, each courier keeps its committed work
in the order planned and everything else is given back: a re-plan always has an answer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from dispatch.couriers.planning import Frame, cut_off
from dispatch.couriers.service import SolverLimits
from fleet.delivery import ON_BOARD_STATUSES, DeliveryJob, JobStatus
from fleet.plans import OpenShift, PlanChange, PlannedStop, StopKind, StopPlan
from routing.courier_model import (
    CourierProblem,
    CourierSolution,
    CourierSpec,
    StationSpec,
    StopSpec,
    Visit,
)
from routing.courier_split import solve_in_parts

#: Why a re-plan gives a job back.
NO_LONGER_FITS = "it no longer fits any courier's plan in time"
WINDOW_CLOSED = "its drop-off window closed before a courier could take it"
#: Share of a re-plan's time limit kept for writing the plans.
WRITE_SHARE = 0.1


@dataclass(frozen=True, slots=True)
class Problem:
    """A re-plan as the OR-Tools model takes it, what its stop and station indices mean, the
    current plans as a start, and the jobs left out because their window closed."""

    model: CourierProblem
    keys: list[tuple[str, StopKind]]
    station_ids: list[str]
    initial: list[list[int]]
    expired: list[str]


def _seconds(frame: Frame, at: datetime) -> int:
    return max(0, int((at - frame.now).total_seconds()))


def _committed_pickups_l(frame: Frame, stops: Sequence[PlannedStop], committed: set[str]) -> int:
    """Litres the courier's committed pickups still to make will add to the box."""
    return sum(
        frame.stops[(p.job_id, p.kind)].load_l
        for p in stops
        if p.job_id in committed and p.kind is StopKind.PICKUP and (p.job_id, p.kind) in frame.stops
    )


def committed_jobs(frame: Frame) -> set[str]:
    """Jobs whose stop is the first of its courier's plan (under way) or that are on board."""
    firsts = {
        stops[0].job_id
        for shift in frame.snapshot.shifts
        # past its end a shift keeps only its parcels on board: a pickup it was heading to
        # moves on to a courier still working
        if shift.shift.window.end > frame.now
        and (stops := frame.snapshot.stops_of(shift.shift.id))
        and stops[0].job_id is not None
    }
    on_board = {j.id for j in frame.snapshot.jobs.values() if j.status in ON_BOARD_STATUSES}
    return {j for j in firsts | on_board if j is not None}


def courier_problem(frame: Frame) -> Problem:
    """Every open job of the snapshot on every open shift (see the module docstring)."""
    shifts = frame.snapshot.shifts
    courier_of = {s.shift.courier_id: v for v, s in enumerate(shifts)}
    committed = committed_jobs(frame)
    specs: list[StopSpec] = []
    keys: list[tuple[str, StopKind]] = []
    pairs: list[tuple[int, int]] = []
    pinned: dict[int, int] = {}
    on_board = [0] * len(shifts)
    expired: list[str] = []

    def add(job: DeliveryJob, kind: StopKind) -> int:
        stop = frame.stops[(job.id, kind)]
        opens, closes = _seconds(frame, stop.opens), _seconds(frame, stop.closes)
        specs.append(StopSpec(stop.place, opens, closes, stop.load_l, late_ok=job.id in committed))
        keys.append((job.id, kind))
        return len(specs) - 1

    for job in frame.snapshot.jobs.values():
        if job.status in ON_BOARD_STATUSES:
            if job.courier_id in courier_of:
                v = courier_of[job.courier_id]
                kind = StopKind.RETURN if job.status is JobStatus.RETURNING else StopKind.DROPOFF
                pinned[add(job, kind)] = v
                on_board[v] += job.parcel_l
        elif job.id not in committed and job.dropoff_window.end <= frame.now:
            expired.append(job.id)
        else:
            pairs.append((add(job, StopKind.PICKUP), add(job, StopKind.DROPOFF)))
    index_of = {key: k for k, key in enumerate(keys)}
    station_ids = [s.site_id for s in frame.snapshot.stations]
    couriers = [
        _courier_spec(frame, v, shift, on_board[v], index_of, station_ids, committed)
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
    initial = [
        [
            index_of[(p.job_id, p.kind)]
            for p in frame.snapshot.stops_of(shift.shift.id)
            if p.job_id is not None and (p.job_id, p.kind) in index_of
        ]
        for shift in shifts
    ]
    model = replace(model, couriers=_overtime_only_if_needed(model, initial))
    return Problem(model, keys, station_ids, initial, expired)


def _committed_route(model: CourierProblem, initial: list[list[int]], v: int) -> list[int]:
    """Courier ``v``'s committed stops in the order planned (their parcels on board last if
    the plan does not hold them)."""
    mine = [k for k in initial[v] if model.stops[k].late_ok]
    return mine + [k for k, owner in model.pinned.items() if owner == v and k not in mine]


def _overtime_only_if_needed(model: CourierProblem, initial: list[list[int]]) -> list[CourierSpec]:
    """A courier may overrun the shift only when their committed work alone, ridden in the
    order planned, cannot be done by its end; everyone else keeps a hard shift end."""
    couriers = []
    for v, courier in enumerate(model.couriers):
        if courier.overtime_ok:
            t, here = courier.ready_s, courier.place
            for k in _committed_route(model, initial, v):
                stop = model.stops[k]
                t = max(t + model.durations[here][stop.place], stop.opens_s) + stop.service_s
                here = stop.place
            if t <= courier.shift_end_s:
                courier = replace(courier, overtime_ok=False)
        couriers.append(courier)
    return couriers


def _courier_spec(
    frame: Frame,
    v: int,
    shift: OpenShift,
    on_board_l: int,
    index_of: Mapping[tuple[str, StopKind], int],
    station_ids: list[str],
    committed: set[str],
) -> CourierSpec:
    """Courier ``v`` now; its first planned stop is under way and stays first. A courier with
    committed work may overrun the shift to finish it. A courier whose moped cannot be ridden
    is planned as if the shift ended now: no new work, only what they are committed to."""
    stops = frame.snapshot.stops_of(shift.shift.id)
    first = stops[0] if stops else None
    committed_stop = committed_station = None
    if first is not None and first.kind is StopKind.SWAP:
        if first.site_id in station_ids:
            committed_station = station_ids.index(first.site_id)
    elif first is not None and first.job_id is not None:
        committed_stop = index_of.get((first.job_id, first.kind))
    carries = any(p.job_id in committed for p in stops) or on_board_l > 0
    return CourierSpec(
        v,
        # a box already overfilled (stops made out of order), or overfilled by the pickup under
        # way, must not make the model infeasible: it holds what the committed work needs
        max(shift.shift.box_capacity_l, on_board_l + _committed_pickups_l(frame, stops, committed)),
        on_board_l,
        _seconds(frame, shift.shift.window.end) if shift.vehicle_usable else 0,
        committed_stop,
        frame.energy.range_m(shift.soc_pct),
        committed_station,
        overtime_ok=carries,
    )


def solve(problem: Problem, limits: SolverLimits, spent_s: float = 0.0) -> CourierSolution:
    """The re-plan's solution, down the ladder of the module docstring, within what is left of
    the time limit once ``spent_s`` (reading, the matrix) is taken off."""
    model = problem.model
    left = limits.time_limit_s * (1 - WRITE_SHARE) - spent_s
    for attempt in (model, replace(model, distances=None, stations=[])):
        solution = solve_in_parts(
            attempt,
            time_limit_s=max(0.1, left),
            solution_limit=limits.solution_limit,
            initial=problem.initial,
        )
        if solution is not None:
            return solution
        left /= 2  # the ladder's next step gets what is left
    return keep_committed(problem)


def keep_committed(problem: Problem) -> CourierSolution:
    """Each courier's committed stops in the order planned (arrivals ridden one after the
    other, waiting for windows to open); every other stop dropped."""
    model = problem.model
    routes: list[list[Visit]] = []
    kept: set[int] = set()
    for v, courier in enumerate(model.couriers):
        mine = _committed_route(model, problem.initial, v)
        t, here, route = courier.ready_s, courier.place, []
        for k in mine:
            stop = model.stops[k]
            t = max(t + model.durations[here][stop.place], stop.opens_s)
            route.append(Visit(k, t))
            t, here = t + stop.service_s, stop.place
        routes.append(route)
        kept.update(mine)
    dropped = [k for k in range(len(model.stops)) if k not in kept]
    return CourierSolution(routes, dropped, objective=0, improved=False)


def replan_change(frame: Frame, problem: Problem, solution: CourierSolution) -> PlanChange:
    """The plan change a re-plan makes: every shift's stops; the jobs it could not fit, and
    those whose window closed, given back (a parcel on board is never given back)."""
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
        problem.keys[k][0]: cut_off(frame.snapshot, jobs[problem.keys[k][0]]) or NO_LONGER_FITS
        for k in solution.dropped
        if jobs[problem.keys[k][0]].status not in ON_BOARD_STATUSES
    }
    dropped |= dict.fromkeys(problem.expired, WINDOW_CLOSED)
    return PlanChange(
        operator_id=frame.snapshot.operator_id,
        versions={s.shift.id: s.plan_version for s in shifts},
        routes=routes,
        dropped=dropped,
    )
