"""Courier shifts: managers plan, move and cancel them; couriers start and end theirs."""

from __future__ import annotations

from typing import Any

from apiflask import Schema, fields

from dispatch.couriers import shifts as service
from fleet.db.shifts import NamedShift
from fleet.identity import Role
from web.api import api
from web.api.idempotency import idempotent
from web.api.schemas import Instant, PageInfo, PageQuery, local_iso, page_info, paging
from web.auth import MANAGERS, api_auth, current_user
from web.context import ctx

COURIERS = [str(Role.COURIER)]
ERRORS = {401: "no valid token", 403: "role not allowed", 404: "no such shift"}


class ShiftIn(Schema):
    courier_id = fields.String(required=True)
    vehicle_id = fields.String(required=True)
    start = Instant(required=True)
    end = Instant(required=True)


class ShiftPatch(Schema):
    vehicle_id = fields.String()
    start = Instant()
    end = Instant()
    status = fields.String(metadata={"description": "cancelled (scheduled) or ended (on duty)"})


class ShiftOut(Schema):
    id = fields.String()
    courier_id = fields.String()
    courier_name = fields.String(allow_none=True)
    vehicle_id = fields.String()
    vehicle_code = fields.String(allow_none=True)
    start = fields.String()
    end = fields.String()
    status = fields.String()
    box_capacity_l = fields.Integer()


class ShiftItem(ShiftOut):
    """A shift in a list (its own class: apispec registers each schema class once)."""


class ShiftList(Schema):
    data = fields.List(fields.Nested(ShiftItem))
    pagination = fields.Nested(PageInfo)


class ShiftListQuery(PageQuery):
    status = fields.List(fields.String(), load_default=list)


def _out(named: NamedShift) -> dict[str, Any]:
    zone, shift = ctx().zone, named.shift
    return {
        "id": shift.id,
        "courier_id": shift.courier_id,
        "courier_name": named.courier_name,
        "vehicle_id": shift.vehicle_id,
        "vehicle_code": named.vehicle_code,
        "start": local_iso(shift.window.start, zone),
        "end": local_iso(shift.window.end, zone),
        "status": str(shift.status),
        "box_capacity_l": shift.box_capacity_l,
    }


@api.get("/courier-shifts")
@api.auth_required(api_auth, roles=MANAGERS)
@api.input(ShiftListQuery, location="query", arg_name="query")
@api.output(ShiftList)
@api.doc(summary="The operator's courier shifts by start (?status=)", responses=ERRORS)
def list_shifts(query: dict[str, Any]) -> dict[str, Any]:
    app = ctx()
    page, per_page = paging(query, app.paging)
    found, total = service.list_shifts(
        app.couriers, current_user(), query["status"], limit=per_page, offset=(page - 1) * per_page
    )
    return {
        "data": [_out(n) for n in found],
        "pagination": page_info(page, per_page, total),
    }


@api.post("/courier-shifts")
@idempotent
@api.auth_required(api_auth, roles=MANAGERS)
@api.input(ShiftIn, arg_name="body")
@api.output(ShiftOut, status_code=201)
@api.doc(
    summary="Plan a courier's shift on a moped",
    responses={**ERRORS, 409: "the courier or the moped is on another shift then"},
)
def create_shift(body: dict[str, Any]) -> dict[str, Any]:
    named = service.create_shift(
        ctx().couriers,
        current_user(),
        courier_id=body["courier_id"],
        vehicle_id=body["vehicle_id"],
        start=body["start"],
        end=body["end"],
    )
    return _out(named)


@api.patch("/courier-shifts/<shift_id>")
@api.auth_required(api_auth, roles=MANAGERS)
@api.input(ShiftPatch, arg_name="body")
@api.output(ShiftOut)
@api.doc(
    summary="Move a shift, change its moped, cancel or end it (its jobs not picked up go back)",
    responses={**ERRORS, 409: "a clash, a parcel on board, or a change its status forbids"},
)
def edit_shift(shift_id: str, body: dict[str, Any]) -> dict[str, Any]:
    named = service.edit_shift(ctx().couriers, current_user(), shift_id, **body)
    return _out(named)


@api.post("/couriers/me/shift/start")
@api.auth_required(api_auth, roles=COURIERS)
@api.output(ShiftOut)
@api.doc(summary="I start my shift (from 30 min before it)", responses={**ERRORS, 409: "none"})
def start_shift() -> dict[str, Any]:
    return _out(service.start_shift(ctx().couriers, current_user()))


@api.post("/couriers/me/shift/end")
@api.auth_required(api_auth, roles=COURIERS)
@api.output(ShiftOut)
@api.doc(
    summary="I end my shift: the jobs I have not picked up go back",
    responses={**ERRORS, 409: "no shift open, or a parcel still on board"},
)
def end_shift() -> dict[str, Any]:
    return _out(service.end_shift(ctx().couriers, current_user()))
