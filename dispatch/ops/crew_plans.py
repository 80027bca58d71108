"""Crew plans from proposal to decision: propose (once per operator, kind and bucket), approve
(re-checked against the fleet as it is then, packs reserved), reject, expire.

Approval is one transaction with the plan's row locked: stale tasks are cancelled with their
reason (a vehicle moved, booked or taken by another plan; packs gone), the packs of each
station visit reserved, the rest assigned to their crew. Two managers approving at once: one
wins, the other is told the plan is approved already.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from dispatch.ops.crew_input import PlanKind, Proposal, ProposedTask
from dispatch.ops.crew_plan import plan_crews
from dispatch.ops.crews import TAKEABLE, CrewService, PlanRequest, snapshot
from fleet.crews import PLAN_TTL, OpsPlan, PlanStatus
from fleet.db import crews as crews_db
from fleet.db import ops_plans as plans_db
from fleet.db import stock as stock_db
from fleet.db.audit import record
from fleet.db.engine import Connection, reading, writing
from fleet.db.sites import list_zones
from fleet.db.vehicles import vehicles_by_id
from fleet.exceptions import Conflict, InvalidValue
from fleet.geo import haversine_m
from fleet.ops import OpsTask, TaskKind, TaskStatus
from fleet.records import AuditEntry
from fleet.zones import first_inside

#: A vehicle farther than this from where the plan found it has moved: its task is stale.
MOVED_M = 50.0
Progress = Callable[[float, str], None]


def _priority(gain: float) -> int:
    """1 (most urgent) to 5 from the trips a visit serves."""
    return 1 if gain >= 3 else 2 if gain >= 1.5 else 3 if gain >= 0.75 else 4 if gain > 0 else 5


def _summary(proposal: Proposal) -> dict[str, object]:
    return {
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
        summary=_summary(proposal),
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


def _stale(
    conn: Connection, operator_id: str, tasks: Sequence[OpsTask], at: datetime
) -> dict[str, str]:
    """Tasks whose vehicle is no longer where and as the plan found it, or whose place a
    closure in force now covers, with the reason."""
    busy = plans_db.vehicles_in_active_tasks(conn, operator_id)
    found = vehicles_by_id(conn, operator_id, [t.vehicle_id for t in tasks if t.vehicle_id])
    closed = [z for z in list_zones(conn, operator_id) if z.closes_roads(at)]
    stale = {}
    for t in tasks:
        here = found[t.vehicle_id].position if t.vehicle_id in found and not t.is_drop else None
        for place in (here, t.target):
            shut = first_inside(closed, place) if place is not None else None
            if shut is not None and t.id not in stale:
                stale[t.id] = f"inside the closure {shut.name!r} now"
        if t.vehicle_id is None or t.is_drop or t.id in stale:
            continue
        v = found.get(t.vehicle_id)
        if v is None:
            stale[t.id] = "the vehicle is gone from the fleet"
        elif v.status not in TAKEABLE:
            stale[t.id] = f"the vehicle is {v.status} now"
        elif v.id in busy:
            stale[t.id] = "another approved plan has the vehicle"
        elif (
            t.target is not None
            and haversine_m(v.position.lat, v.position.lon, t.target.lat, t.target.lon) > MOVED_M
        ):
            stale[t.id] = "the vehicle has moved since the plan was made"
    return stale


def _reserve(conn: Connection, tasks: Sequence[OpsTask], drop: dict[str, str]) -> list[OpsTask]:
    """Reserve each kept station visit's packs; a van's swaps beyond the packs it could get are
    dropped, in route order. The kept tasks, with the packs actually reserved."""
    kept = []
    packs: dict[tuple[str | None, object], int] = defaultdict(int)
    for t in tasks:
        if t.id in drop:
            continue
        if t.kind is TaskKind.CHARGE and t.site_id and t.pack_class and t.packs > 0:
            got = stock_db.reserve_packs(conn, t.site_id, t.pack_class, t.packs, t.id)
            packs[(t.shift_id, t.pack_class)] += got
            t = replace(t, packs=got)
        elif t.kind is TaskKind.SWAP:
            key = (t.shift_id, t.pack_class)
            if packs[key] <= 0:
                drop[t.id] = "no charged pack left for it: the station's packs are gone"
                continue
            packs[key] -= 1
        kept.append(t)
    return kept


def _pairs(tasks: Sequence[OpsTask], drop: dict[str, str]) -> None:
    """A move is whole or not at all: drop the other half of every dropped half."""
    by_seq = {(t.shift_id, t.sequence): t for t in tasks}
    for t in tasks:
        if t.id in drop and t.pair_sequence is not None:
            other = by_seq.get((t.shift_id, t.pair_sequence))
            if other is not None and other.id not in drop:
                drop[other.id] = f"its other half was dropped: {drop[t.id]}"


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
        drop.update(
            {k: v for k, v in _stale(conn, operator_id, tasks, now).items() if k not in drop}
        )
        _pairs(tasks, drop)
        stock_db.charge_docked(conn, operator_id, now, service.catalog)
        kept = _reserve(conn, tasks, drop)
        _pairs(tasks, drop)
        kept = [t for t in kept if t.id not in drop]
        stock_db.release_packs(conn, list(drop))
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
        if not plans_db.set_plan_status(conn, plan, PlanStatus.APPROVED, now, manager_id, summary):
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
