"""Hazard closures: managers close an area's roads for a window, extend it and end it."""

from __future__ import annotations

from typing import Any

from apiflask import Schema, fields, validators

from dispatch.ops import closures as service
from dispatch.ops.closure_area import MAX_RINGS, MAX_VERTICES
from fleet.zones import Zone
from web.api import api
from web.api.idempotency import idempotent
from web.api.schemas import Instant, PageInfo, PageQuery, local_iso, one_of, page_info, paging
from web.auth import MANAGERS, api_auth, current_user
from web.context import ctx

ERRORS = {401: "no valid token", 403: "not a manager", 404: "no such closure"}
GEOMETRY = {
    "description": "GeoJSON Polygon or MultiPolygon in [lon, lat], overlapping the service "
    f"area, at most {MAX_VERTICES} vertices and {MAX_RINGS} rings, "
    "rings closed and not crossing",
}
BAD_CLOSURE = (
    "a geometry that is no valid polygon or lies outside the service area "
    "(outside_service_area), a window reversed, over, or longer than "
    f"{service.MAX_AHEAD.days} days ahead"
)


class ClosureIn(Schema):
    name = fields.String(required=True, validate=validators.Length(1, service.MAX_NAME))
    geometry = fields.Dict(required=True, metadata=GEOMETRY)
    active_from = Instant(metadata={"description": "when the roads close (default: now)"})
    active_until = Instant(required=True)


class ClosurePatch(Schema):
    name = fields.String(validate=validators.Length(1, service.MAX_NAME))
    active_until = Instant(metadata={"description": "a later end: closures are only extended"})


class ClosureOut(Schema):
    id = fields.String()
    name = fields.String()
    status = fields.String(metadata=one_of(service.ClosureStatus))
    geometry = fields.Dict()
    active_from = fields.String()
    active_until = fields.String()


class ClosureItem(ClosureOut):
    """A closure in a list (its own class: apispec registers each schema class once)."""


class ClosureList(Schema):
    data = fields.List(fields.Nested(ClosureItem))
    pagination = fields.Nested(PageInfo)


def _out(closure: Zone) -> dict[str, Any]:
    app = ctx()
    assert closure.active_from is not None and closure.active_until is not None
    return {
        "id": closure.id,
        "name": closure.name,
        "status": str(service.status_of(closure, app.clock.now())),
        "geometry": closure.area.to_geojson(),
        "active_from": local_iso(closure.active_from, app.zone),
        "active_until": local_iso(closure.active_until, app.zone),
    }


@api.get("/ops/closures")
@api.auth_required(api_auth, roles=MANAGERS)
@api.input(PageQuery, location="query", arg_name="query")
@api.output(ClosureList)
@api.doc(
    summary="The operator's hazard closures: in force or to come (by start), then those ended "
    f"in the last {service.RECENT.days} days",
    responses={401: "no valid token", 403: "not a manager"},
)
def list_closures(query: dict[str, Any]) -> dict[str, Any]:
    app = ctx()
    page, per_page = paging(query, app.paging)
    found, total = service.list_closures(
        app.closures, current_user(), limit=per_page, offset=(page - 1) * per_page
    )
    return {"data": [_out(c) for c in found], "pagination": page_info(page, per_page, total)}


@api.post("/ops/closures")
@idempotent
@api.auth_required(api_auth, roles=MANAGERS)
@api.input(ClosureIn, arg_name="body")
@api.output(ClosureOut, status_code=201)
@api.doc(
    summary="Close the roads of an area for a window (disaster response): routes, bookings and "
    "courier plans avoid it from that moment. Honours Idempotency-Key.",
    responses={401: "no valid token", 403: "not a manager", 422: BAD_CLOSURE},
)
def create_closure(body: dict[str, Any]) -> dict[str, Any]:
    closure = service.create_closure(
        ctx().closures,
        current_user(),
        name=body["name"],
        geometry=body["geometry"],
        active_from=body.get("active_from"),
        active_until=body["active_until"],
    )
    return _out(closure)


@api.patch("/ops/closures/<closure_id>")
@api.auth_required(api_auth, roles=MANAGERS)
@api.input(ClosurePatch, arg_name="body")
@api.output(ClosureOut)
@api.doc(
    summary="Extend a closure to a later active_until, or rename it",
    responses={
        **ERRORS,
        409: "the closure has ended",
        422: "nothing to change, an end not later than the closure's, or too far ahead",
    },
)
def change_closure(closure_id: str, body: dict[str, Any]) -> dict[str, Any]:
    closure = service.change_closure(ctx().closures, current_user(), closure_id, **body)
    return _out(closure)


@api.post("/ops/closures/<closure_id>/end")
@api.auth_required(api_auth, roles=MANAGERS)
@api.output(ClosureOut)
@api.doc(
    summary="End a closure now: its roads open again (one not begun is called off)",
    responses={**ERRORS, 409: "the closure has ended already"},
)
def end_closure(closure_id: str) -> dict[str, Any]:
    return _out(service.end_closure(ctx().closures, current_user(), closure_id))
