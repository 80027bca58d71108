"""A job leaves its courier's plan: the pick-up failed, or the merchant cancelled it.

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
from dispatch.couriers.planning import Frame, courier_plan, frame, stop_plans
from dispatch.couriers.posting import PLAN_ATTEMPTS, energy
from dispatch.couriers.service import CourierService
from fleet.db import couriers as couriers_db
from fleet.db import stops as stops_db
from fleet.db.engine import Connection, reading, writing
from fleet.exceptions import ChangedMeanwhile
from fleet.plans import PlanChange, PlanSnapshot
from routing.modes import Mode

#: What a use case does to the job itself, in the transaction that writes the plan (it may
#: close a stop with ``touch=False``: the plan is claimed already).
Act = Callable[[Connection, datetime], None]


def leave_plan(service: CourierService, operator_id: str, job_id: str, act: Act) -> None:
    """Take the job's planned stops out of its courier's plan (if it is in one) and ``act`` on
    the job, all in one transaction (see the module docstring).

    Raises
    ------
    ChangedMeanwhile
        The plans kept changing under every attempt: try again.
    """
    for _attempt in range(PLAN_ATTEMPTS):
        now = service.clock.now()
        with reading(service.engine) as conn:
            snapshot = couriers_db.read_snapshot(conn, operator_id, now, all_open_jobs=False)
        change = _without(service, snapshot, job_id)
        try:
            with writing(service.engine) as conn:
                if change is not None:
                    couriers_db.claim_plans(conn, change)
                act(conn, now)
                if change is not None:
                    couriers_db.write_routes(conn, change, service.ids)
                if stops_db.planned_kinds(conn, job_id):  # it joined a plan after the read
                    msg = "the job joined a courier's plan meanwhile"
                    raise couriers_db.StalePlan(msg)
        except couriers_db.StalePlan:
            continue
        return
    msg = "the couriers' plans kept changing meanwhile: try again"
    raise ChangedMeanwhile(msg)


def _without(service: CourierService, snapshot: PlanSnapshot, job_id: str) -> PlanChange | None:
    """The change that takes the job out of its courier's plan; ``None`` if it is in none."""
    shift = next(
        (
            s
            for s in snapshot.shifts
            if any(p.job_id == job_id for p in snapshot.stops_of(s.shift.id))
        ),
        None,
    )
    if shift is None:
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
    return PlanChange(
        operator_id=snapshot.operator_id,
        versions={shift.shift.id: shift.plan_version},
        routes={shift.shift.id: stop_plans(seen, stops, arrivals(seen, plan, stops))},
    )


#: Stretches windows and the shift end when arrival times are only computed, not checked.
_FAR = timedelta(days=2)


def arrivals(seen: Frame, plan: CourierPlan, stops: Sequence[Stop]) -> list[datetime]:
    """When the courier gets to each of ``stops`` riding them in this order from where they
    are (waiting for windows to open, late where they must be)."""
    far = seen.now + _FAR
    relaxed = [replace(s, closes=max(s.closes, far)) for s in stops]
    loose = replace(plan, shift_end=max(plan.shift_end, far), box_capacity_l=1 << 30)
    found = simulate(loose, relaxed, seen.durations, seen.now)
    assert found is not None, "a plan without limits is always feasible"
    return found[0]
