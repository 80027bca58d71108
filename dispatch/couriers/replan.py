"""Re-planning every courier of an operator at once with OR-Tools (a queue job in the platform,
a direct call in a simulation).

Parcels on board stay with their courier, each courier's stop under way stays first, a job that
no longer fits comes back unassigned with the reason, and the battery's range bounds each plan: a
courier low on charge is routed via a swap station that has charged packs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from time import monotonic

from dispatch.couriers.planning import frame
from dispatch.couriers.posting import PLAN_ATTEMPTS, TURN_WAIT_S, energy
from dispatch.couriers.replanning import courier_problem, replan_change, solve
from dispatch.couriers.service import CourierService, SolverLimits
from fleet.db import couriers as couriers_db
from fleet.db.audit import record
from fleet.db.engine import reading, writing
from fleet.db.turns import planning_turn
from fleet.records import AuditEntry
from routing.modes import Mode


def reoptimise(service: CourierService, operator_id: str) -> dict[str, int]:
    """Re-plan every open courier shift of an operator with OR-Tools, within the service's
    solver limits.

    Parcels on board stay with their courier, each courier's first planned stop (under way)
    stays first, committed work is kept even when late, and a job that no longer fits comes
    back unassigned with the reason (``dispatch.couriers.replanning``). Running it
    twice in a row changes nothing the first run did not. A plan changed while the solver ran (a
    job inserted, a stop made) is never overwritten: the re-plan starts again from what is
    stored, this time in the operator's planning turn (posts wait for it, so they cannot
    change the plans again) and with ``RETRY_SHARE`` of the time limit, so that no post waits
    long. Returns counts for the job's result.

    Raises
    ------
    StalePlan
        The plans kept changing under every attempt (couriers' own actions; the queue retries
        the job).
    TurnTimeout
        Posts held the turn for ``TURN_WAIT_S`` (the queue retries the job).
    """
    try:
        return _reoptimise_once(service, operator_id, service.limits)
    except couriers_db.StalePlan:
        pass
    short = replace(
        service.limits,
        time_limit_s=max(service.limits.time_limit_s * RETRY_SHARE, RETRY_MIN_S),
    )
    with planning_turn(service.engine, operator_id, TURN_WAIT_S):
        for attempt in range(1, PLAN_ATTEMPTS):
            try:
                return _reoptimise_once(service, operator_id, short)
            except couriers_db.StalePlan:
                if attempt == PLAN_ATTEMPTS - 1:
                    raise
    raise AssertionError  # unreachable: the loop returns or raises


#: Share of the time limit a re-plan searches again for when posts changed the plans under its
#: first search (it holds the planning turn meanwhile); never less than ``RETRY_MIN_S``.
RETRY_SHARE = 0.25
RETRY_MIN_S = 0.5


def _reoptimise_once(
    service: CourierService, operator_id: str, limits: SolverLimits
) -> dict[str, int]:
    started = monotonic()
    now = service.clock.now()
    with reading(service.engine) as conn:
        snapshot = couriers_db.read_snapshot(conn, operator_id, now, all_open_jobs=True)
    counts = {"couriers": len(snapshot.shifts), "jobs": len(snapshot.jobs), "dropped": 0}
    if not snapshot.shifts or not snapshot.jobs:
        return counts
    seen = frame(snapshot, service.routers.router(Mode.MOPED), energy(service))
    problem = courier_problem(seen)
    solution = solve(problem, limits, spent_s=monotonic() - started)
    change = replan_change(seen, problem, solution)
    counts["dropped"] = len(change.dropped)
    with writing(service.engine) as conn:
        couriers_db.write_plans(conn, change, service.ids)
        record(
            conn,
            AuditEntry(now, operator_id, None, "plans.reoptimise", "operator", operator_id, counts),
        )
    return counts


@dataclass(slots=True)
class InlineReplans:
    """Re-plans at once, in the caller's process, by the same rule the queue follows: when a
    job found no courier, or when ``after_jobs`` jobs were posted since the last re-plan.

    For simulations and tests that run the platform without Redis; ``replan`` is the use case to
    run (``reoptimise`` on a courier service).
    """

    replan: Callable[[str], dict[str, int]]
    after_jobs: int
    posted: dict[str, int] = field(default_factory=dict)

    def job_posted(self, operator_id: str, *, unassigned: bool) -> None:
        """Count the job; re-plan the operator now if the rule says so."""
        self.posted[operator_id] = self.posted.get(operator_id, 0) + 1
        if unassigned or self.posted[operator_id] >= self.after_jobs:
            self.posted[operator_id] = 0
            self.replan(operator_id)

    def roads_changed(self, operator_id: str) -> None:
        """Re-plan the operator now."""
        self.posted[operator_id] = 0
        self.replan(operator_id)
