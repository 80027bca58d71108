"""Crew plans from proposal to decision: propose (once per operator, kind and bucket), approve
(re-checked against the fleet as it is then, packs reserved), reject, expire.

Approval is one transaction with the plan's row locked: stale tasks are cancelled with their
reason (a vehicle moved, booked or taken by another plan; packs gone), the packs of each
station visit reserved, the rest assigned to their crew. Two managers approving at once: one
wins, the other is told the plan is approved already.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from dispatch.ops.crew_input import PlanKind, Proposal, ProposedTask
from dispatch.ops.crew_plan import plan_crews
from dispatch.ops.crews import CrewService, PlanRequest, snapshot
from dispatch.ops.plan_settling import settle
from fleet.clock import local_iso
from fleet.crews import PLAN_TTL, OpsPlan, PlanStatus
from fleet.db import crews as crews_db
from fleet.db import ops_plans as plans_db
from fleet.db import stock as stock_db
from fleet.db.audit import record
from fleet.db.engine import Connection, reading, writing
from fleet.exceptions import Conflict, InvalidValue
from fleet.ops import OpsTask, TaskStatus
from fleet.records import AuditEntry

#: The length of a plan bucket (``fleet.crews.bucket_of``).
BUCKET = timedelta(minutes=15)
Progress = Callable[[float, str], None]


def _priority(gain: float) -> int:
    """1 (most urgent) to 5 from the trips a visit serves."""
    return 1 if gain >= 3 else 2 if gain >= 1.5 else 3 if gain >= 0.75 else 4 if gain > 0 else 5


def request_settings(request: PlanRequest) -> dict[str, object]:
    """What a plan was asked for with, as stored in its summary."""
    return {"threshold_pct": request.threshold_pct, "cells": sorted(request.cells)}


def _summary(proposal: Proposal, request: PlanRequest) -> dict[str, object]:
    return {
        "request": request_settings(request),
        "routes": [
            {
                "shift_id": r.shift_id,
                "coordinates": [[p.lon, p.lat] for p in r.stops],
                "distance_m": r.distance_m,
                "duration_s": r.duration_s,
            }
            for r in proposal.routes
        ],
        "undone": [
            {
                "reason": u.reason,
                "lost_trips": round(u.lost_trips, 3),
                "vehicle_id": u.vehicle_id,
                "cell": u.cell,
            }
            for u in proposal.undone
        ],
        "dropped": [],
    }


def _task(service: CrewService, plan: OpsPlan, t: ProposedTask) -> OpsTask:
    return OpsTask(
        id=service.ids.new_id(),
        operator_id=plan.operator_id,
        kind=t.kind,
        priority=_priority(t.gain_trips),
        status=TaskStatus.OPEN,
        created_at=plan.created_at,
        vehicle_id=t.vehicle_id,
        site_id=t.site_id,
        plan_id=plan.id,
        shift_id=t.shift_id,
        sequence=t.sequence,
        target=t.target,
        arrive_at=t.arrive_at,
        reason=t.reason,
        pack_class=t.pack_class,
        packs=t.packs,
        pair_sequence=t.pair,
        is_drop=t.is_drop,
        gain_trips=round(t.gain_trips, 3),
    )


def bucket_taken(service: CrewService, operator_id: str, request: PlanRequest, bucket: str) -> None:
    """Refuse a request the bucket's plan was not made for: one plan per operator, kind and
    bucket, so a request with other settings cannot have its own until the next bucket.

    Raises
    ------
    Conflict
        The bucket has a plan of the kind made with other settings.
    """
    with reading(service.engine) as conn:
        found = plans_db.find_plan(conn, operator_id, str(request.kind), bucket, None)
    if found is None or found.summary.get("request") == request_settings(request):
        return
    start = datetime.strptime(bucket, "%Y-%m-%dT%H:%MZ").replace(tzinfo=UTC)
    then = local_iso(start + BUCKET, service.demand.zone)
    msg = (
        f"this quarter hour has a {request.kind} plan already ({found.id}, {found.status}), "
        f"made with other settings ({found.summary.get('request')}); decide it, or ask again "
        f"from {then}"
    )
    raise Conflict(msg)


def propose(
    service: CrewService,
    operator_id: str,
    request: PlanRequest,
    *,
    bucket: str,
    time_limit_s: float,
    job_id: str | None = None,
    idempotency_key: str | None = None,
    progress: Progress | None = None,
) -> tuple[OpsPlan, bool]:
    """The operator's plan of ``request.kind`` for ``bucket``: the one stored already (a retried
    job, the same Idempotency-Key), else a new proposal computed and stored; whether it is new.

    Raises
    ------
    InvalidValue
        A requested demand cell that is not the operator's.
    """
    with reading(service.engine) as conn:
        found = plans_db.find_plan(conn, operator_id, str(request.kind), bucket, idempotency_key)
    if found is not None:
        return found, False
    snap = snapshot(service, operator_id, request)
    proposal = plan_crews(snap, time_limit_s=time_limit_s, progress=progress)
    plan = OpsPlan(
        id=service.ids.new_id(),
        operator_id=operator_id,
        kind=str(request.kind),
        status=PlanStatus.PROPOSED,
        created_at=snap.at,
        expires_at=snap.at + PLAN_TTL,
        bucket=bucket,
        horizon_s=snap.horizon_s,
        expected_gain_trips=round(proposal.expected_gain_trips, 3),
        solver=proposal.solver[:64],
        summary=_summary(proposal, request),
        job_id=job_id,
    )
    tasks = [_task(service, plan, t) for t in proposal.tasks]
    with writing(service.engine) as conn:
        stored, new = plans_db.insert_plan(conn, plan, tasks, idempotency_key)
        if new:
            record(
                conn,
                AuditEntry(
                    plan.created_at, operator_id, None, "plan.propose", "ops_plan", plan.id,
                    {"kind": plan.kind, "tasks": len(tasks), "gain": plan.expected_gain_trips},
                ),
            )  # fmt: skip
    return stored, new


@dataclass(frozen=True, slots=True)
class Decision:
    """A decided plan, the tasks it keeps, and the tasks dropped with their reason."""

    plan: OpsPlan
    tasks: list[OpsTask]
    dropped: list[tuple[str, str]]


def expire_proposals(service: CrewService) -> None:
    """Expire the proposals nobody decided in time (before plans are read or decided)."""
    _expire(service, service.clock.now())


def _expire(service: CrewService, now: datetime) -> None:
    """Expire the proposals past their time in a transaction of its own, so a refusal to decide
    an expired plan does not roll the expiry back."""
    with writing(service.engine) as conn:
        plans_db.expire_due(conn, now)


def _decidable(conn: Connection, operator_id: str, plan_id: str, now: datetime) -> OpsPlan:
    plan = plans_db.get_plan(conn, operator_id, plan_id, lock=True)
    if plan.status is PlanStatus.PROPOSED and plan.expires_at <= now:
        msg = f"plan {plan_id} is expired already; only a proposed plan can be decided"
        raise Conflict(msg)
    if plan.status is not PlanStatus.PROPOSED:
        msg = f"plan {plan_id} is {plan.status} already; only a proposed plan can be decided"
        raise Conflict(msg)
    return plan


def approve(
    service: CrewService, operator_id: str, plan_id: str, manager_id: str,
    drop_task_ids: Collection[str] = (),
) -> Decision:  # fmt: skip
    """Approve a proposed plan, without the tasks the manager drops.

    Raises
    ------
    NotFound
        No such plan of the operator's, or a task to drop that is not the plan's.
    Conflict
        The plan is not proposed any more (approved, rejected or expired).
    """
    now = service.clock.now()
    _expire(service, now)
    with writing(service.engine) as conn:
        plans_db.take_turns(conn, operator_id)
        plan = _decidable(conn, operator_id, plan_id, now)
        tasks = plans_db.plan_tasks(conn, plan.id)
        unknown = set(drop_task_ids) - {t.id for t in tasks}
        if unknown:
            msg = f"task(s) {', '.join(sorted(unknown))} are not tasks of plan {plan_id}"
            raise InvalidValue(msg)
        drop = {tid: "dropped by the manager" for tid in drop_task_ids}
        stock_db.charge_docked(conn, operator_id, now, service.catalog)
        kept = settle(conn, operator_id, tasks, drop, now)
        crew = {
            s.shift.id: s.shift.crew_id
            for s in crews_db.shifts_on(conn, operator_id, plan.created_at)
        }
        for t in tasks:
            if t.id in drop:
                plans_db.set_task_status(
                    conn, t, TaskStatus.CANCELLED, now, failure_reason=drop[t.id]
                )
        assigned = []
        for t in kept:
            plans_db.set_task_status(
                conn, t, TaskStatus.ASSIGNED, now, assignee_id=crew.get(t.shift_id or ""),
                packs=t.packs,
            )  # fmt: skip
            assigned.append(replace(t, status=TaskStatus.ASSIGNED, version=t.version + 1))
        summary = dict(plan.summary)
        summary["dropped"] = [{"task_id": k, "reason": v} for k, v in drop.items()]
        gain = round(sum(t.gain_trips for t in kept), 3)  # what is left of the plan serves
        if not plans_db.set_plan_status(
            conn, plan, PlanStatus.APPROVED, now, manager_id, summary, gain
        ):
            msg = f"plan {plan_id} changed meanwhile; read it again"
            raise Conflict(msg)
        record(
            conn,
            AuditEntry(
                now, operator_id, manager_id, "plan.approve", "ops_plan", plan.id,
                {"kept": len(assigned), "dropped": drop},
            ),
        )  # fmt: skip
        decided = plans_db.get_plan(conn, operator_id, plan.id)
    return Decision(decided, assigned, sorted(drop.items()))


def reject(service: CrewService, operator_id: str, plan_id: str, manager_id: str) -> Decision:
    """Reject a proposed plan; its tasks are cancelled.

    Raises
    ------
    NotFound, Conflict
        As for :func:`approve`.
    """
    now = service.clock.now()
    _expire(service, now)
    with writing(service.engine) as conn:
        plans_db.take_turns(conn, operator_id)
        plan = _decidable(conn, operator_id, plan_id, now)
        tasks = plans_db.plan_tasks(conn, plan.id)
        for t in tasks:
            plans_db.set_task_status(
                conn, t, TaskStatus.CANCELLED, now, failure_reason="plan rejected"
            )
        if not plans_db.set_plan_status(conn, plan, PlanStatus.REJECTED, now, manager_id):
            msg = f"plan {plan_id} changed meanwhile; read it again"
            raise Conflict(msg)
        record(
            conn,
            AuditEntry(now, operator_id, manager_id, "plan.reject", "ops_plan", plan.id, {}),
        )
        decided = plans_db.get_plan(conn, operator_id, plan.id)
    return Decision(decided, [], [(t.id, "plan rejected") for t in tasks])


def plan_kind(value: str) -> PlanKind:
    """The plan kind named ``value`` (``InvalidValue`` naming the known ones)."""
    try:
        return PlanKind(value)
    except ValueError:
        known = ", ".join(k.value for k in PlanKind)
        msg = f"unknown plan kind {value!r}; known kinds: {known}"
        raise InvalidValue(msg) from None
