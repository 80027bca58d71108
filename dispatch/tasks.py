"""RQ job functions. Thin and id-based: each reads what it needs from the database."""

from __future__ import annotations

from collections import Counter

from rq import get_current_job
from sqlalchemy import select

from dispatch.context import current
from fleet.db.tables import courier_shifts, delivery_jobs, vehicles
from fleet.delivery import OPEN_JOB_STATUSES, ShiftStatus


def fleet_snapshot(operator_id: str) -> dict[str, dict[str, int]]:
    """Counts of an operator's vehicles by status and by class (the dashboard's header).

    Read-only, so running it twice does no harm.
    """
    context = current()
    with context.engine.connect() as conn:
        rows = conn.execute(
            select(vehicles.c.status, vehicles.c.vehicle_class).where(
                vehicles.c.operator_id == operator_id
            )
        ).all()
    return {
        "by_status": dict(sorted(Counter(r.status for r in rows).items())),
        "by_class": dict(sorted(Counter(r.vehicle_class for r in rows).items())),
    }


def expire_holds() -> int:
    """Free the vehicles of holds that ran out; how many. Safe to run any number of times."""
    from dispatch.bookings import expire_due_holds

    context = current()
    return expire_due_holds(context.engine, context.clock.now())


def handle_late_returns(reserve_pct: int = 15) -> int:
    """Move or flag the reservations of EVs not returned on time; how many changed."""
    from dispatch.reservations import EvService, handle_overdue

    context = current()
    return len(handle_overdue(EvService(context.engine, context.clock, reserve_pct)))


def reoptimise_deliveries(operator_id: str, city: str, time_limit_s: float = 1.0) -> dict[str, int]:
    """Re-plan the operator's couriers with OR-Tools (see ``dispatch.replan.reoptimise``)."""
    from dispatch.couriers import CourierService
    from dispatch.replan import reoptimise
    from dispatch.schedule import replan_started

    context = current()
    if context.routers is None or context.routers.get(city) is None:
        msg = f"the worker has no road network for city {city!r}"
        raise RuntimeError(msg)
    job = get_current_job()
    if job is not None:
        replan_started(job.connection, operator_id)
    service = CourierService(context.engine, context.routers[city], context.clock)
    return reoptimise(service, operator_id, time_limit_s)


def replan_all(city: str, time_limit_s: float = 1.0) -> list[str]:
    """Request a re-plan for every operator with a courier on shift and a job still open (the
    scheduler's periodic job); the operators it was requested for."""
    from dispatch.schedule import request_replan

    job = get_current_job()
    if job is None:
        msg = "replan_all runs on the queue: it enqueues a re-plan per operator"
        raise RuntimeError(msg)
    context = current()
    now = context.clock.now()
    open_jobs = [str(s) for s in OPEN_JOB_STATUSES]
    with context.engine.connect() as conn:
        operators = sorted(
            conn.execute(
                select(courier_shifts.c.operator_id)
                .distinct()
                .join(delivery_jobs, delivery_jobs.c.operator_id == courier_shifts.c.operator_id)
                .where(
                    courier_shifts.c.end_at > now,
                    courier_shifts.c.status.in_(
                        [str(ShiftStatus.SCHEDULED), str(ShiftStatus.ON_DUTY)]
                    ),
                    delivery_jobs.c.status.in_(open_jobs),
                    delivery_jobs.c.dropoff_end > now,
                )
            ).scalars()
        )
    return [op for op in operators if request_replan(job.connection, op, city, time_limit_s)]
