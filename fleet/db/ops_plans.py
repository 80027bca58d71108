"""Crew plans and their tasks in the database.

Every status change is one conditional UPDATE on the status (and version) it was read at, so
two managers approving at once, or a crew completing a task a manager is cancelling, never both
win: the loser sees ``False`` and reads again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from fleet.catalog import VehicleClass
from fleet.crews import PLAN_MACHINE, OpsPlan, PlanStatus
from fleet.db.audit import record
from fleet.db.tables import operators, ops_plans, ops_tasks
from fleet.exceptions import NotFound
from fleet.geo import Position
from fleet.ops import TASK_MACHINE, OpsTask, TaskKind, TaskStatus
from fleet.records import AuditEntry

#: Task statuses of work not finished: its vehicle is the crew's.
ACTIVE = (TaskStatus.OPEN, TaskStatus.ASSIGNED, TaskStatus.IN_PROGRESS)


def _plan(r: Mapping[Any, Any]) -> OpsPlan:
    return OpsPlan(
        id=r["id"],
        operator_id=r["operator_id"],
        kind=r["kind"],
        status=PlanStatus(r["status"]),
        created_at=r["created_at"],
        expires_at=r["expires_at"],
        bucket=r["bucket"],
        horizon_s=int(r["horizon_s"]),
        expected_gain_trips=float(r["expected_gain_trips"]),
        solver=r["solver"],
        summary=r["summary"] or {},
        decided_at=r["decided_at"],
        decided_by=r["decided_by"],
        job_id=r["job_id"],
        version=int(r["version"]),
    )


def task_from_row(r: Mapping[Any, Any]) -> OpsTask:
    """An ops task from its row."""
    target = None
    if r["target_lat"] is not None and r["target_lon"] is not None:
        target = Position(r["target_lat"], r["target_lon"])
    return OpsTask(
        id=r["id"],
        operator_id=r["operator_id"],
        kind=TaskKind(r["kind"]),
        priority=int(r["priority"]),
        status=TaskStatus(r["status"]),
        created_at=r["created_at"],
        vehicle_id=r["vehicle_id"],
        site_id=r["site_id"],
        assignee_id=r["assignee_id"],
        note=r["note"] or "",
        plan_id=r["plan_id"],
        shift_id=r["shift_id"],
        sequence=r["sequence"],
        target=target,
        arrive_at=r["arrive_at"],
        reason=r["reason"] or "",
        pack_class=VehicleClass(r["pack_class"]) if r["pack_class"] else None,
        packs=int(r["packs"]),
        pair_sequence=r["pair_sequence"],
        is_drop=bool(r["is_drop"]),
        gain_trips=float(r["gain_trips"]),
        failure_reason=r["failure_reason"],
        version=int(r["version"]),
    )


def _task_values(t: OpsTask) -> dict[str, Any]:
    return {
        "id": t.id,
        "operator_id": t.operator_id,
        "kind": str(t.kind),
        "priority": t.priority,
        "status": str(t.status),
        "created_at": t.created_at,
        "vehicle_id": t.vehicle_id,
        "site_id": t.site_id,
        "assignee_id": t.assignee_id,
        "note": t.note,
        "plan_id": t.plan_id,
        "shift_id": t.shift_id,
        "sequence": t.sequence,
        "target_lat": t.target.lat if t.target else None,
        "target_lon": t.target.lon if t.target else None,
        "arrive_at": t.arrive_at,
        "reason": t.reason,
        "pack_class": str(t.pack_class) if t.pack_class else None,
        "packs": t.packs,
        "pair_sequence": t.pair_sequence,
        "is_drop": t.is_drop,
        "gain_trips": t.gain_trips,
        "failure_reason": t.failure_reason,
        "updated_at": t.created_at,
        "version": t.version,
    }


def insert_plan(
    conn: Connection, plan: OpsPlan, tasks: Iterable[OpsTask], idempotency_key: str | None
) -> tuple[OpsPlan, bool]:
    """Store a proposed plan and its tasks unless the operator already has a plan of its kind
    in its bucket (or under ``idempotency_key``): the plan stored, and whether it is new. The
    insert runs in a savepoint, so a duplicate made concurrently leaves the caller's transaction
    usable."""
    existing = find_plan(conn, plan.operator_id, plan.kind, plan.bucket, idempotency_key)
    if existing is not None:
        return existing, False
    try:
        with conn.begin_nested():
            conn.execute(
                insert(ops_plans).values(
                    id=plan.id,
                    operator_id=plan.operator_id,
                    kind=plan.kind,
                    status=str(plan.status),
                    created_at=plan.created_at,
                    expires_at=plan.expires_at,
                    bucket=plan.bucket,
                    idempotency_key=idempotency_key,
                    job_id=plan.job_id,
                    horizon_s=plan.horizon_s,
                    expected_gain_trips=plan.expected_gain_trips,
                    solver=plan.solver,
                    summary=dict(plan.summary),
                    version=1,
                )
            )
            rows = [_task_values(t) for t in tasks]
            if rows:
                conn.execute(insert(ops_tasks), rows)
    except IntegrityError:
        existing = find_plan(conn, plan.operator_id, plan.kind, plan.bucket, idempotency_key)
        if existing is None:
            raise
        return existing, False
    return plan, True


def find_plan(
    conn: Connection, operator_id: str, kind: str, bucket: str, idempotency_key: str | None
) -> OpsPlan | None:
    """The operator's plan of ``kind`` in ``bucket``, or under ``idempotency_key``."""
    same_bucket = (ops_plans.c.kind == kind) & (ops_plans.c.bucket == bucket)
    condition = (
        same_bucket
        if idempotency_key is None
        else same_bucket | (ops_plans.c.idempotency_key == idempotency_key)
    )
    row = (
        conn.execute(
            select(ops_plans)
            .where(ops_plans.c.operator_id == operator_id, condition)
            .order_by(ops_plans.c.created_at)
        )
        .mappings()
        .first()
    )
    return _plan(row) if row is not None else None


def get_plan(conn: Connection, operator_id: str, plan_id: str, *, lock: bool = False) -> OpsPlan:
    """The operator's plan (locked for update with ``lock``); another operator's is not found."""
    query = select(ops_plans).where(
        ops_plans.c.id == plan_id, ops_plans.c.operator_id == operator_id
    )
    if lock:
        query = query.with_for_update()
    row = conn.execute(query).mappings().first()
    if row is None:
        msg = f"no crew plan {plan_id}"
        raise NotFound(msg)
    return _plan(row)


def list_plans(
    conn: Connection, operator_id: str, status: PlanStatus | None, limit: int, offset: int
) -> tuple[list[OpsPlan], int]:
    """A page of the operator's plans, newest first, and how many there are."""
    where = [ops_plans.c.operator_id == operator_id]
    if status is not None:
        where.append(ops_plans.c.status == str(status))
    total = conn.execute(select(func.count()).select_from(ops_plans).where(*where)).scalar_one()
    rows = conn.execute(
        select(ops_plans)
        .where(*where)
        .order_by(ops_plans.c.created_at.desc(), ops_plans.c.id)
        .limit(limit)
        .offset(offset)
    ).mappings()
    return [_plan(r) for r in rows], int(total)


def plan_tasks(conn: Connection, plan_id: str) -> list[OpsTask]:
    """A plan's tasks by van and route order."""
    rows = conn.execute(
        select(ops_tasks)
        .where(ops_tasks.c.plan_id == plan_id)
        .order_by(ops_tasks.c.shift_id, ops_tasks.c.sequence)
    ).mappings()
    return [task_from_row(r) for r in rows]


def set_plan_status(
    conn: Connection,
    plan: OpsPlan,
    target: PlanStatus,
    at: datetime,
    by: str | None,
    summary: Mapping[str, object] | None = None,
    gain_trips: float | None = None,
) -> bool:
    """Move ``plan`` to ``target`` if it is still as read (with a new summary and expected
    gain, when given); whether it moved."""
    PLAN_MACHINE.check(plan.status, target)
    values: dict[str, Any] = {"status": str(target), "decided_at": at, "decided_by": by}
    if summary is not None:
        values["summary"] = dict(summary)
    if gain_trips is not None:
        values["expected_gain_trips"] = gain_trips
    return (
        conn.execute(
            update(ops_plans)
            .where(ops_plans.c.id == plan.id, ops_plans.c.version == plan.version)
            .values(version=plan.version + 1, **values)
        ).rowcount
        == 1
    )


def set_task_status(
    conn: Connection, task: OpsTask, target: TaskStatus, at: datetime, **values: Any
) -> bool:
    """Move ``task`` to ``target`` if it is still at the version read; whether it moved."""
    TASK_MACHINE.check(task.status, target)
    return (
        conn.execute(
            update(ops_tasks)
            .where(ops_tasks.c.id == task.id, ops_tasks.c.version == task.version)
            .values(status=str(target), updated_at=at, version=task.version + 1, **values)
        ).rowcount
        == 1
    )


def get_task(conn: Connection, operator_id: str, task_id: str) -> OpsTask:
    """The operator's task; another operator's is not found."""
    row = (
        conn.execute(
            select(ops_tasks).where(
                ops_tasks.c.id == task_id, ops_tasks.c.operator_id == operator_id
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        msg = f"no task {task_id}"
        raise NotFound(msg)
    return task_from_row(row)


def shift_tasks(conn: Connection, shift_ids: Iterable[str]) -> list[OpsTask]:
    """The tasks of these crew shifts' approved plans, by shift and route order."""
    ids = list(shift_ids)
    if not ids:
        return []
    rows = conn.execute(
        select(ops_tasks)
        .join(ops_plans, ops_plans.c.id == ops_tasks.c.plan_id)
        .where(ops_tasks.c.shift_id.in_(ids), ops_plans.c.status == str(PlanStatus.APPROVED))
        .order_by(ops_tasks.c.shift_id, ops_plans.c.created_at, ops_tasks.c.sequence)
    ).mappings()
    return [task_from_row(r) for r in rows]


def vehicles_in_active_tasks(conn: Connection, operator_id: str) -> set[str]:
    """Vehicles an approved plan's unfinished task names: a new plan leaves them alone."""
    rows = conn.execute(
        select(ops_tasks.c.vehicle_id)
        .join(ops_plans, ops_plans.c.id == ops_tasks.c.plan_id)
        .where(
            ops_tasks.c.operator_id == operator_id,
            ops_tasks.c.vehicle_id.is_not(None),
            ops_tasks.c.status.in_([str(s) for s in ACTIVE]),
            ops_plans.c.status == str(PlanStatus.APPROVED),
        )
    ).scalars()
    return set(rows)


def expire_due(conn: Connection, now: datetime) -> list[str]:
    """Mark proposed plans past their expiry as expired (their tasks cancelled); their ids."""
    rows = conn.execute(
        select(ops_plans.c.id, ops_plans.c.operator_id).where(
            ops_plans.c.status == str(PlanStatus.PROPOSED), ops_plans.c.expires_at <= now
        )
    ).all()
    due = [plan_id for plan_id, _operator in rows]
    for plan_id, operator_id in rows:
        record(conn, AuditEntry(now, operator_id, None, "plan.expire", "ops_plan", plan_id, {}))
    if due:
        conn.execute(
            update(ops_plans)
            .where(ops_plans.c.id.in_(due), ops_plans.c.status == str(PlanStatus.PROPOSED))
            .values(status=str(PlanStatus.EXPIRED), decided_at=now, version=ops_plans.c.version + 1)
        )
        conn.execute(
            update(ops_tasks)
            .where(ops_tasks.c.plan_id.in_(due), ops_tasks.c.status == str(TaskStatus.OPEN))
            .values(status=str(TaskStatus.CANCELLED), updated_at=now, failure_reason="plan expired")
        )
    return due


def busy_until(conn: Connection, shift_ids: Iterable[str]) -> dict[str, tuple[datetime, Position]]:
    """Per crew shift with unfinished work in an approved plan: when its last task is due and
    where (a new plan for the van starts from there)."""
    ids = list(shift_ids)
    if not ids:
        return {}
    rows = conn.execute(
        select(
            ops_tasks.c.shift_id,
            ops_tasks.c.arrive_at,
            ops_tasks.c.target_lat,
            ops_tasks.c.target_lon,
        )
        .join(ops_plans, ops_plans.c.id == ops_tasks.c.plan_id)
        .where(
            ops_tasks.c.shift_id.in_(ids),
            ops_tasks.c.status.in_([str(s) for s in ACTIVE]),
            ops_plans.c.status == str(PlanStatus.APPROVED),
            ops_tasks.c.arrive_at.is_not(None),
        )
        .order_by(ops_tasks.c.arrive_at)
    ).all()
    last: dict[str, tuple[datetime, Position]] = {}
    for shift_id, arrive_at, lat, lon in rows:
        last[shift_id] = (arrive_at, Position(lat, lon))
    return last


def take_turns(conn: Connection, operator_id: str) -> None:
    """Decisions on one operator's plans take turns (``FOR UPDATE`` on the operator's row; on
    SQLite writers take turns anyway): two plans approved at once are checked one after the
    other, so they never both take a vehicle."""
    conn.execute(select(operators.c.id).where(operators.c.id == operator_id).with_for_update())
