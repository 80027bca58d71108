"""RQ job functions. Thin and id-based: each reads what it needs from the database."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select

from dispatch.context import current
from fleet.db.tables import vehicles


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


def reoptimise_deliveries(operator_id: str, city: str) -> dict[str, int]:
    """Re-plan the operator's couriers with OR-Tools (see ``dispatch.replan.reoptimise``)."""
    from dispatch.couriers import CourierService
    from dispatch.replan import reoptimise

    context = current()
    if context.routers is None or context.routers.get(city) is None:
        msg = f"the worker has no road network for city {city!r}"
        raise RuntimeError(msg)
    return reoptimise(
        CourierService(context.engine, context.routers[city], context.clock), operator_id
    )
