"""Crew plans for managers: request one (202 and a job to follow), follow the job, read plans
with their tasks, routes and what they leave undone, approve (dropping tasks) or reject."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from apiflask import Schema, fields, validators

from dispatch.ops import crew_plans
from dispatch.ops.crew_input import PlanKind
from dispatch.ops.crews import PlanRequest, resolve_cells
from dispatch.ops.route_lines import VanRoad, plan_roads
from fleet.crews import OpsPlan, PlanStatus, bucket_of
from fleet.db import ops_plans as plans_db
from fleet.db.engine import reading
from fleet.db.sites import list_sites
from fleet.db.vehicles import vehicles_by_id
from fleet.ops import OpsTask
from web.api import api
from web.api.idempotency import HEADER, idempotent
from web.api.schemas import PageInfo, PageQuery, local_iso, one_of, page_info, paging
from web.auth import MANAGERS, api_auth, current_user
from web.context import ctx
from web.errors import api_error

ERRORS = {401: "no valid token", 403: "not a manager", 404: "no such plan or job"}


class PlanIn(Schema):
    kind = fields.String(required=True, metadata=one_of(PlanKind))
    threshold_pct = fields.Float(
        load_default=None,
        validate=validators.Range(min=0, max=100),
        metadata={
            "description": "swap below this charge (percent), every class; default: "
            "each class's low-battery threshold"
        },
    )
    cells = fields.List(
        fields.String(validate=validators.Length(min=1, max=16)),
        load_default=list,
        validate=validators.Length(max=500),
        metadata={"description": "demand cells (H3) to work in; default: all"},
    )
    zone_id = fields.String(
        load_default=None,
        validate=validators.Length(min=1, max=64),
        metadata={"description": "work in this zone's demand cells (with any cells named)"},
    )


class JobOut(Schema):
    id = fields.String()
    kind = fields.String(allow_none=True)
    status = fields.String()
    progress = fields.Dict()
    plan_id = fields.String(allow_none=True)
    error = fields.String(allow_none=True)
    status_url = fields.String()


class TaskOut(Schema):
    id = fields.String()
    kind = fields.String()
    status = fields.String()
    shift_id = fields.String(allow_none=True)
    assignee_id = fields.String(allow_none=True)
    sequence = fields.Integer(allow_none=True)
    vehicle_id = fields.String(allow_none=True)
    vehicle_code = fields.String(allow_none=True)
    site_id = fields.String(allow_none=True)
    site_name = fields.String(allow_none=True)
    plan_id = fields.String(allow_none=True)
    lat = fields.Float(allow_none=True)
    lon = fields.Float(allow_none=True)
    arrive_at = fields.String(allow_none=True)
    reason = fields.String()
    pack_class = fields.String(allow_none=True)
    packs = fields.Integer()
    pair_sequence = fields.Integer(allow_none=True)
    is_drop = fields.Boolean()
    gain_trips = fields.Float()
    priority = fields.Integer()
    failure_reason = fields.String(allow_none=True)


class PlanTask(TaskOut):
    """A task inside a plan (its own class: apispec registers each schema class once)."""


class PlanOut(Schema):
    id = fields.String()
    kind = fields.String()
    status = fields.String()
    created_at = fields.String()
    expires_at = fields.String()
    decided_at = fields.String(allow_none=True)
    expected_gain_trips = fields.Float()
    solver = fields.String()
    routes = fields.List(fields.Dict())
    undone = fields.List(fields.Dict())
    dropped = fields.List(fields.Dict())
    tasks = fields.List(fields.Nested(PlanTask))


class PlanItem(Schema):
    id = fields.String()
    kind = fields.String()
    status = fields.String()
    created_at = fields.String()
    expected_gain_trips = fields.Float()


class PlanList(Schema):
    data = fields.List(fields.Nested(PlanItem))
    pagination = fields.Nested(PageInfo)


class PlanListQuery(PageQuery):
    status = fields.String(load_default=None, metadata=one_of(PlanStatus))


class ApproveIn(Schema):
    drop_tasks = fields.List(
        fields.String(validate=validators.Length(min=1, max=64)),
        load_default=list,
        validate=validators.Length(max=10_000),
        metadata={"description": "ids of the plan's tasks to leave out"},
    )


def names_of(tasks: Sequence[OpsTask]) -> dict[str, str]:
    """The codes of the tasks' vehicles and the names of their sites, by id, for people."""
    app, user = ctx(), current_user()
    with reading(app.engine) as conn:
        found = vehicles_by_id(
            conn, user.operator_id, [t.vehicle_id for t in tasks if t.vehicle_id]
        )
        sites = list_sites(conn, user.operator_id)
    return {**{v.id: v.code for v in found.values()}, **{s.id: s.name for s in sites}}


def task_out(t: OpsTask, names: Mapping[str, str] | None = None) -> dict[str, Any]:
    """A task as the API shows it (with its vehicle's code and its site's name)."""
    zone = ctx().zone
    names = names if names is not None else names_of([t])
    return {
        "vehicle_code": names.get(t.vehicle_id or ""),
        "site_name": names.get(t.site_id or ""),
        "plan_id": t.plan_id,
        "id": t.id,
        "kind": str(t.kind),
        "status": str(t.status),
        "shift_id": t.shift_id,
        "assignee_id": t.assignee_id,
        "sequence": t.sequence,
        "vehicle_id": t.vehicle_id,
        "site_id": t.site_id,
        "lat": t.target.lat if t.target else None,
        "lon": t.target.lon if t.target else None,
        "arrive_at": local_iso(t.arrive_at, zone) if t.arrive_at else None,
        "reason": t.reason,
        "pack_class": str(t.pack_class) if t.pack_class else None,
        "packs": t.packs,
        "pair_sequence": t.pair_sequence,
        "is_drop": t.is_drop,
        "gain_trips": t.gain_trips,
        "priority": t.priority,
        "failure_reason": t.failure_reason,
    }


def _plan_out(plan: OpsPlan, tasks: list[OpsTask]) -> dict[str, Any]:
    zone, summary = ctx().zone, plan.summary
    names = names_of(tasks)
    return {
        "id": plan.id,
        "kind": plan.kind,
        "status": str(plan.status),
        "created_at": local_iso(plan.created_at, zone),
        "expires_at": local_iso(plan.expires_at, zone),
        "decided_at": local_iso(plan.decided_at, zone) if plan.decided_at else None,
        "expected_gain_trips": plan.expected_gain_trips,
        "solver": plan.solver,
        "routes": summary.get("routes", []),
        "undone": summary.get("undone", []),
        "dropped": summary.get("dropped", []),
        "tasks": [task_out(t, names) for t in tasks],
    }


def _job_out(job: dict[str, Any]) -> dict[str, Any]:
    return {**job, "status_url": f"/api/v1/ops/jobs/{job['id']}"}


@api.post("/ops/plans")
@idempotent
@api.auth_required(api_auth, roles=MANAGERS)
@api.input(PlanIn, arg_name="body")
@api.output(JobOut, status_code=202)
@api.doc(
    summary="Request a battery-swap or rebalancing plan: the planner runs on the queue; follow "
    "the job at status_url. One plan per kind and 15-minute bucket (or Idempotency-Key).",
    responses={
        **ERRORS,
        404: "no such zone",
        409: "this quarter hour has a plan of the kind made with other settings",
        422: "unknown kind or cell, threshold outside 0-100",
        503: "no job queue",
    },
)
def request_plan(body: dict[str, Any]) -> dict[str, Any]:
    from flask import request

    app = ctx()
    kind = crew_plans.plan_kind(body["kind"])
    operator_id = current_user().operator_id
    cells = resolve_cells(app.crews, operator_id, frozenset(body["cells"]), body["zone_id"])
    asked = PlanRequest(kind, body["threshold_pct"], cells)  # checks the request
    if app.crews.queue is None:
        raise api_error(503, "no job queue is configured (REDIS_URL)", "queue_unavailable")
    bucket = bucket_of(app.clock.now())
    crew_plans.bucket_taken(app.crews, operator_id, asked, bucket)
    options: dict[str, Any] = {"threshold_pct": body["threshold_pct"], "cells": sorted(cells)}
    key = request.headers.get(HEADER)
    if key:
        options["idempotency_key"] = f"{current_user().id}:{key}"[:255]
    jid = app.crews.queue.request(operator_id, kind, options, bucket)
    return _job_out(app.crews.queue.status(operator_id, jid))


@api.get("/ops/jobs/<plan_job_id>")
@api.auth_required(api_auth, roles=MANAGERS)
@api.output(JobOut)
@api.doc(
    summary="A plan job: queued, started, finished or failed, its progress and its plan",
    responses=ERRORS,
)
def job_status(plan_job_id: str) -> dict[str, Any]:
    app = ctx()
    if app.crews.queue is None:  # no queue, no jobs
        raise api_error(404, f"no plan job {plan_job_id}: no job queue is configured", "not_found")
    return _job_out(app.crews.queue.status(current_user().operator_id, plan_job_id))


@api.get("/ops/plans")
@api.auth_required(api_auth, roles=MANAGERS)
@api.input(PlanListQuery, location="query", arg_name="query")
@api.output(PlanList)
@api.doc(summary="The operator's crew plans, newest first (?status=)", responses=ERRORS)
def list_plans(query: dict[str, Any]) -> dict[str, Any]:
    app = ctx()
    page, per_page = paging(query, app.paging)
    crew_plans.expire_proposals(app.crews)
    status = PlanStatus(query["status"]) if query["status"] in set(PlanStatus) else None
    if query["status"] is not None and status is None:
        known = ", ".join(str(p) for p in PlanStatus)
        raise api_error(
            422, f"unknown plan status {query['status']!r}; known: {known}", "invalid_value"
        )
    with reading(app.engine) as conn:
        found, total = plans_db.list_plans(
            conn, current_user().operator_id, status, per_page, (page - 1) * per_page
        )
    zone = app.zone
    return {
        "data": [
            {
                "id": p.id,
                "kind": p.kind,
                "status": str(p.status),
                "created_at": local_iso(p.created_at, zone),
                "expected_gain_trips": p.expected_gain_trips,
            }
            for p in found
        ],
        "pagination": page_info(page, per_page, total),
    }


@api.get("/ops/plans/<plan_id>")
@api.auth_required(api_auth, roles=MANAGERS)
@api.output(PlanOut)
@api.doc(
    summary="A plan: tasks in route order, routes, expected gain, what it leaves undone",
    responses=ERRORS,
)
def get_plan(plan_id: str) -> dict[str, Any]:
    app = ctx()
    crew_plans.expire_proposals(app.crews)
    with reading(app.engine) as conn:
        plan = plans_db.get_plan(conn, current_user().operator_id, plan_id)
        tasks = plans_db.plan_tasks(conn, plan.id)
    out = _plan_out(plan, tasks)
    out["routes"] = _with_roads(out["routes"], plan_roads(app.crews, plan.operator_id, plan.id))
    return out


def _with_roads(routes: list[dict[str, Any]], roads: list[VanRoad]) -> list[dict[str, Any]]:
    """The plan's routes with each van's road through its tasks (dashboard, issue 15): the
    stops the planner chose stay as ``stop_coordinates``; ``coordinates`` follow the roads
    where the van's shift is not over (``follows_roads``), else they are the stops."""
    by_shift = {r.shift_id: r for r in roads}
    out = []
    for route in routes:
        road = by_shift.get(route.get("shift_id", ""))
        out.append(
            {
                **route,
                "van_id": road.van_id if road else None,
                "crew_user_id": road.crew_user_id if road else None,
                "stop_coordinates": route.get("coordinates", []),
                "coordinates": [list(c) for c in road.coordinates]
                if road
                else route.get("coordinates", []),
                "follows_roads": road is not None,
            }
        )
    return out


@api.post("/ops/plans/<plan_id>/approve")
@api.auth_required(api_auth, roles=MANAGERS)
@api.input(ApproveIn, arg_name="body")
@api.output(PlanOut)
@api.doc(
    summary="Approve a proposed plan, leaving out the tasks named: it is re-checked against the "
    "fleet now (stale tasks dropped with a reason), packs are reserved, tasks go to crews",
    responses={
        **ERRORS,
        409: "the plan is approved, rejected or expired already",
        422: "a task to drop is not the plan's",
    },
)
def approve_plan(plan_id: str, body: dict[str, Any]) -> dict[str, Any]:
    app, user = ctx(), current_user()
    decision = crew_plans.approve(app.crews, user.operator_id, plan_id, user.id, body["drop_tasks"])
    with reading(app.engine) as conn:
        tasks = plans_db.plan_tasks(conn, plan_id)
    return _plan_out(decision.plan, tasks)


@api.post("/ops/plans/<plan_id>/reject")
@api.auth_required(api_auth, roles=MANAGERS)
@api.output(PlanOut)
@api.doc(
    summary="Reject a proposed plan (its tasks are cancelled)",
    responses={**ERRORS, 409: "the plan is approved, rejected or expired already"},
)
def reject_plan(plan_id: str) -> dict[str, Any]:
    app, user = ctx(), current_user()
    decision = crew_plans.reject(app.crews, user.operator_id, plan_id, user.id)
    with reading(app.engine) as conn:
        tasks = plans_db.plan_tasks(conn, plan_id)
    return _plan_out(decision.plan, tasks)
