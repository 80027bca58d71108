"""Crews' tasks: mine in route order with the road to each, start, complete, fail."""

from __future__ import annotations

from typing import Any

from apiflask import Schema, fields, validators

from dispatch.ops import crew_tasks
from fleet.geo import Position
from fleet.identity import Role
from fleet.ops import TaskStatus
from web.api import api
from web.api.plans import TaskOut, names_of, task_out
from web.api.schemas import one_of
from web.auth import api_auth, current_user
from web.context import ctx
from web.errors import api_error

CREWS = [str(Role.CREW)]
ERRORS = {401: "no valid token", 403: "not a crew member", 404: "no such task of yours"}


class CrewTask(TaskOut):
    route = fields.Dict(metadata={"description": "GeoJSON LineString from the stop before"})
    distance_m = fields.Integer()
    duration_s = fields.Integer()


class CrewTaskList(Schema):
    data = fields.List(fields.Nested(CrewTask))


class CrewTaskOut(TaskOut):
    """A task after a crew's action (its own class: apispec registers each schema once)."""


class CrewTaskQuery(Schema):
    status = fields.List(
        fields.String(metadata=one_of(TaskStatus)),
        load_default=list,
        metadata={"description": "only tasks in these statuses (e.g. assigned, in_progress)"},
    )


class CompleteIn(Schema):
    lat = fields.Float(load_default=None, validate=validators.Range(min=-90, max=90))
    lon = fields.Float(load_default=None, validate=validators.Range(min=-180, max=180))


class FailIn(Schema):
    reason = fields.String(required=True, validate=validators.Length(min=1, max=500))
    lat = fields.Float(
        load_default=None,
        validate=validators.Range(min=-90, max=90),
        metadata={"description": "a failed drop: where the vehicle was left (default: brought "
                  "back where it was picked up)"},
    )  # fmt: skip
    lon = fields.Float(load_default=None, validate=validators.Range(min=-180, max=180))


@api.get("/crews/me/tasks")
@api.auth_required(api_auth, roles=CREWS)
@api.input(CrewTaskQuery, location="query", arg_name="query")
@api.output(CrewTaskList)
@api.doc(
    summary="My tasks of approved plans in route order, each with the road to it (?status=)",
    responses={**ERRORS, 422: "unknown status"},
)
def my_tasks(query: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(query["status"]) - {str(s) for s in TaskStatus})
    if unknown:
        known = ", ".join(str(s) for s in TaskStatus)
        raise api_error(422, f"unknown task status {unknown[0]!r}; known: {known}", "invalid_value")
    views = crew_tasks.my_tasks(ctx().crews, current_user())
    if query["status"]:
        views = [v for v in views if str(v.task.status) in query["status"]]
    names = names_of([v.task for v in views])
    return {
        "data": [
            {
                **task_out(v.task, names),
                "route": {"type": "LineString", "coordinates": [list(c) for c in v.route]},
                "distance_m": v.distance_m,
                "duration_s": v.duration_s,
            }
            for v in views
        ]
    }


@api.post("/crews/me/tasks/<task_id>/start")
@api.auth_required(api_auth, roles=CREWS)
@api.output(CrewTaskOut)
@api.doc(
    summary="I head for this task: its vehicle is held from now",
    responses={**ERRORS, 409: "not assigned, or its vehicle was booked meanwhile"},
)
def start_task(task_id: str) -> dict[str, Any]:
    return task_out(crew_tasks.start(ctx().crews, current_user(), task_id))


@api.post("/crews/me/tasks/<task_id>/complete")
@api.auth_required(api_auth, roles=CREWS)
@api.input(CompleteIn, arg_name="body")
@api.output(CrewTaskOut)
@api.doc(
    summary="I did it: a swap changes the vehicle's pack, a station visit loads the reserved "
    "packs, a drop leaves the vehicle (at lat/lon if not where planned)",
    responses={
        **ERRORS,
        409: "not started, or no charged pack in the van",
        422: "a drop in a no-parking or no-ride zone or a closure",
    },
)
def complete_task(task_id: str, body: dict[str, Any]) -> dict[str, Any]:
    where = None
    if body["lat"] is not None and body["lon"] is not None:
        where = Position(body["lat"], body["lon"])
    return task_out(crew_tasks.complete(ctx().crews, current_user(), task_id, where))


@api.post("/crews/me/tasks/<task_id>/fail")
@api.auth_required(api_auth, roles=CREWS)
@api.input(FailIn, arg_name="body")
@api.output(CrewTaskOut)
@api.doc(
    summary="I could not do it, and why: its vehicle goes back in service",
    responses={
        **ERRORS,
        409: "not started",
        422: "no reason, or a place a vehicle may not be left",
    },
)
def fail_task(task_id: str, body: dict[str, Any]) -> dict[str, Any]:
    where = None
    if body["lat"] is not None and body["lon"] is not None:
        where = Position(body["lat"], body["lon"])
    return task_out(crew_tasks.fail(ctx().crews, current_user(), task_id, body["reason"], where))
