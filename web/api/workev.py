"""Shared work EVs: company admins register staff; staff reserve, pick up and return EVs."""

from __future__ import annotations

from typing import Any

from apiflask import Schema, fields, validators

from dispatch.workev import reservations as service
from fleet.identity import Role
from fleet.workev import Reservation
from web.api import api
from web.api.idempotency import idempotent
from web.api.schemas import local_iso
from web.auth import api_auth, current_user
from web.context import ctx

ADMINS = [str(Role.COMPANY_ADMIN)]
STAFF = [str(Role.EMPLOYEE)]
ERRORS = {401: "no valid token", 403: "role not allowed", 404: "no such reservation or hub"}


class StaffIn(Schema):
    username = fields.String(required=True)
    display_name = fields.String(required=True, validate=validators.Length(min=1, max=200))
    password = fields.String(required=True)


class StaffOut(Schema):
    id = fields.String()
    username = fields.String()
    display_name = fields.String()
    role = fields.String()
    company_id = fields.String()


class ReservationIn(Schema):
    hub_id = fields.String(required=True)
    start = fields.AwareDateTime(required=True, metadata={"description": "ISO 8601 with offset"})
    end = fields.AwareDateTime(required=True)
    planned_distance_m = fields.Integer(required=True, validate=validators.Range(min=1))


class ReturnIn(Schema):
    soc_pct = fields.Float(required=True)
    odometer_m = fields.Integer(required=True, validate=validators.Range(min=0))


class ReservationOut(Schema):
    id = fields.String()
    status = fields.String()
    hub_id = fields.String()
    vehicle_id = fields.String(allow_none=True)
    start = fields.String()
    end = fields.String()
    planned_distance_m = fields.Integer()
    employee_id = fields.String()
    reason = fields.String(allow_none=True)


class ReservationList(Schema):
    data = fields.List(fields.Nested(ReservationOut))


class ReservationQuery(Schema):
    status = fields.String(load_default=None)


class HubOut(Schema):
    id = fields.String()
    name = fields.String()
    lat = fields.Float()
    lon = fields.Float()
    chargers = fields.Integer()
    charger_power_kw = fields.Float()


class HubList(Schema):
    data = fields.List(fields.Nested(HubOut))


def _out(r: Reservation) -> dict[str, Any]:
    zone = ctx().zone
    return {
        "id": r.id,
        "status": str(r.status),
        "hub_id": r.hub_id,
        "vehicle_id": r.vehicle_id,
        "start": local_iso(r.slot.start, zone),
        "end": local_iso(r.slot.end, zone),
        "planned_distance_m": r.planned_distance_m,
        "employee_id": r.employee_id,
        "reason": r.reason,
    }


def _service() -> service.EvService:
    return ctx().workev


@api.post("/staff")
@idempotent
@api.auth_required(api_auth, roles=ADMINS)
@api.input(StaffIn, arg_name="body")
@api.output(StaffOut, status_code=201)
@api.doc(
    summary="Register an employee of your company (company admins). Honours Idempotency-Key.",
    responses={**ERRORS, 409: "username taken", 422: "bad input"},
)
def register_staff(body: dict[str, Any]) -> dict[str, Any]:
    user = service.register_staff(
        _service(),
        current_user(),
        username=body["username"],
        display_name=body["display_name"],
        password=body["password"],
    )
    return {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "role": str(user.role),
        "company_id": user.company_id,
    }


@api.get("/hubs")
@api.auth_required(api_auth)
@api.output(HubList)
@api.doc(summary="The operator's EV hubs")
def hubs() -> dict[str, Any]:
    sites = service.hubs(_service(), current_user())
    return {
        "data": [
            {
                "id": s.id,
                "name": s.name,
                "lat": s.position.lat,
                "lon": s.position.lon,
                "chargers": s.chargers,
                "charger_power_kw": s.charger_power_kw,
            }
            for s in sites
        ]
    }


@api.post("/reservations")
@idempotent
@api.auth_required(api_auth, roles=STAFF)
@api.input(ReservationIn, arg_name="body")
@api.output(ReservationOut, status_code=201)
@api.doc(
    summary="Reserve a work EV at a hub for a slot (staff). Honours Idempotency-Key.",
    responses={
        **ERRORS,
        409: "no EV free and charged enough",
        422: "slot in the past or overlapping yours, trip beyond any EV's range",
    },
)
def create_reservation(body: dict[str, Any]) -> dict[str, Any]:
    return _out(
        service.reserve(
            _service(),
            current_user(),
            hub_id=body["hub_id"],
            start=body["start"],
            end=body["end"],
            planned_distance_m=body["planned_distance_m"],
        )
    )


@api.get("/reservations")
@api.auth_required(api_auth, roles=[*STAFF, *ADMINS, str(Role.MANAGER)])
@api.input(ReservationQuery, location="query", arg_name="query")
@api.output(ReservationList)
@api.doc(
    summary="Reservations: staff see theirs, company admins their company's (flagged ones "
    "carry the reason), managers the operator's"
)
def list_reservations(query: dict[str, Any]) -> dict[str, Any]:
    found = service.list_reservations(_service(), current_user(), query["status"])
    return {"data": [_out(r) for r in found]}


@api.post("/reservations/<reservation_id>/pickup")
@idempotent
@api.auth_required(api_auth, roles=STAFF)
@api.output(ReservationOut)
@api.doc(
    summary="Pick up the reserved EV",
    responses={**ERRORS, 409: "too early, flagged, or not confirmed"},
)
def pickup(reservation_id: str) -> dict[str, Any]:
    return _out(service.pick_up(_service(), current_user(), reservation_id))


@api.post("/reservations/<reservation_id>/return")
@idempotent
@api.auth_required(api_auth, roles=STAFF)
@api.input(ReturnIn, arg_name="body")
@api.output(ReservationOut)
@api.doc(
    summary="Return the EV with its charge and odometer reading",
    responses={**ERRORS, 409: "not picked up", 422: "bad reading"},
)
def return_ev(reservation_id: str, body: dict[str, Any]) -> dict[str, Any]:
    return _out(
        service.return_ev(
            _service(),
            current_user(),
            reservation_id,
            soc_pct=body["soc_pct"],
            odometer_m=body["odometer_m"],
        )
    )


@api.post("/reservations/<reservation_id>/cancel")
@idempotent
@api.auth_required(api_auth, roles=STAFF)
@api.output(ReservationOut)
@api.doc(summary="Cancel a reservation before pick-up", responses={**ERRORS, 409: "picked up"})
def cancel(reservation_id: str) -> dict[str, Any]:
    return _out(service.cancel(_service(), current_user(), reservation_id))
