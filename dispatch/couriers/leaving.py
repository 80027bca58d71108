"""A job leaves its courier's plan (the pick-up failed, the merchant cancelled it), or its
parcel, on board, goes back to the store instead (the delivery failed, or the merchant cancelled
after the pick-up): a return stop at the store takes the drop-off's place in the plan, where
it adds the least driving with every rule kept (windows, box, charge, the shift's end). Where
no place keeps them all, it is still planned, as committed work: where it adds the least
driving with the box kept, late if it must be.

The same way as every planner (``fleet.plans``): the plan is read once, the courier's new stops
and their arrival times computed with no lock held, and the change written in one short
transaction over the plan version read, together with the job's own move (``act``). When a
planner or the courier changed the plan meanwhile, it is read and computed again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from dispatch.couriers.insertion import CourierPlan, Stop, simulate
from dispatch.couriers.planning import Frame, courier_plan, frame, return_stop, stop_plans
from dispatch.couriers.posting import PLAN_ATTEMPTS, energy
from dispatch.couriers.service import CourierService
from fleet.db import couriers as couriers_db
from fleet.db import stops as stops_db
from fleet.db.engine import Connection, reading, writing
from fleet.delivery import ON_BOARD_STATUSES
from fleet.exceptions import ChangedMeanwhile
from fleet.plans import PlanChange, PlanSnapshot, StopKind
from routing.modes import Mode

#: What a use case does to the job itself, in the transaction that writes the plan (it may
#: close a stop with ``touch=False``: the plan is claimed already).
Act = Callable[[Connection, datetime], None]


def leave_plan(
    service: CourierService, operator_id: str, job_id: str, act: Act, *, back: bool = False
) -> None:
    """Take the job's planned stops out of its courier's plan (if it is in one), with ``back``
    plan its return to the store instead, and ``act`` on the job, all in one transaction (see
    the module docstring).

    Raises
    ------
    ChangedMeanwhile
        The plans kept changing under every attempt: try again.
    """
    for _attempt in range(PLAN_ATTEMPTS):
        now = service.clock.now()
        with reading(service.engine) as conn:
            snapshot = couriers_db.read_snapshot(conn, operator_id, now, all_open_jobs=False)
        change = _without(service, snapshot, job_id, back=back)
        try:
            with writing(service.engine) as conn:
                if change is None and back:  # not on board as read: act says why, or read again
                    act(conn, now)
                    msg = "the parcel was picked up meanwhile"
                    raise couriers_db.StalePlan(msg)
                if change is not None:
                    couriers_db.claim_plans(conn, change)
                act(conn, now)
                if change is not None:
                    couriers_db.write_routes(conn, change, service.ids)
                left = [StopKind.RETURN] if back else []
                if stops_db.planned_kinds(conn, job_id) != left:  # a plan changed after the read
                    msg = "the job joined a courier's plan meanwhile"
                    raise couriers_db.StalePlan(msg)
        except couriers_db.StalePlan:
            continue
        return
    msg = "the couriers' plans kept changing meanwhile: try again"
    raise ChangedMeanwhile(msg)


def _without(
    service: CourierService, snapshot: PlanSnapshot, job_id: str, *, back: bool
) -> PlanChange | None:
    """The change that takes the job out of its courier's plan (``back``: and brings its parcel
    back to the store); ``None`` if it is in none."""
    shift = next(
        (
            s
            for s in snapshot.shifts
            if any(p.job_id == job_id for p in snapshot.stops_of(s.shift.id))
        ),
        None,
    )
    if shift is None or (back and snapshot.jobs[job_id].status not in ON_BOARD_STATUSES):
        return None
    mine = snapshot.stops_of(shift.shift.id)
    alone = replace(
        snapshot,
        shifts=(shift,),
        stops=tuple(mine),
        jobs={k: j for k, j in snapshot.jobs.items() if any(p.job_id == k for p in mine)},
    )
    seen = frame(alone, service.routers.router(Mode.MOPED), energy(service))
    plan = courier_plan(seen, 0)
    stops = [s for s in plan.stops if s.job_id != job_id]
    if back:
        job = alone.jobs[job_id]
        store = seen.stops[(job_id, StopKind.PICKUP)].place
        stops = _cheapest(seen, plan, stops, return_stop(job, store, seen.now, plan.shift_end))
    return PlanChange(
        operator_id=snapshot.operator_id,
        versions={shift.shift.id: shift.plan_version},
        routes={shift.shift.id: stop_plans(seen, stops, arrivals(seen, plan, stops))},
    )


def _cheapest(seen: Frame, plan: CourierPlan, stops: list[Stop], stop: Stop) -> list[Stop]:
    """``stops`` with ``stop`` where it adds the least driving keeping every rule, else (it is
    committed work) keeping the box alone; first in the plan always keeps the box."""
    loose = replace(plan, shift_end=max(plan.shift_end, seen.now + _FAR))
    for limits, distances in ((plan, seen.distances), (loose, None)):
        best: tuple[int, list[Stop]] | None = None
        for at in range(len(stops) + 1):
            trial = [*stops[:at], stop, *stops[at:]]
            checked = trial if distances is not None else _stretched(seen, trial)
            found = simulate(limits, checked, seen.durations, seen.now, distances)
            if found is not None and (best is None or found[1] < best[0]):
                best = (found[1], trial)
        if best is not None:
            return best[1]
    return [stop, *stops]


def _stretched(seen: Frame, stops: Sequence[Stop]) -> list[Stop]:
    far = seen.now + _FAR
    return [replace(s, closes=max(s.closes, far)) for s in stops]


#: Stretches windows and the shift end when arrival times are only computed, not checked.
_FAR = timedelta(days=2)


def arrivals(seen: Frame, plan: CourierPlan, stops: Sequence[Stop]) -> list[datetime]:
    """When the courier gets to each of ``stops`` riding them in this order from where they
    are (waiting for windows to open, late where they must be)."""
    far = seen.now + _FAR
    loose = replace(plan, shift_end=max(plan.shift_end, far), box_capacity_l=1 << 30)
    found = simulate(loose, _stretched(seen, stops), seen.durations, seen.now)
    assert found is not None, "a plan without limits is always feasible"
    return found[0]
