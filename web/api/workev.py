"""Shared work EVs: company admins register staff; staff reserve, pick up and return EVs."""

from __future__ import annotations

from typing import Any

from apiflask import Schema, fields, validators

from dispatch.workev import admin as admin_service
from dispatch.workev import reservations as service
from dispatch.workev.availability import SLOT_MINUTES, free_slots, parse_day
from dispatch.workev.views import ReservationView, describe
from fleet.identity import USERNAME_PATTERN, Role
from fleet.workev import Reservation, ReservationStatus
from web.api import api
from web.api.idempotency import idempotent
from web.api.schemas import INT32_MAX, PERCENT, Instant, local_iso
from web.auth import api_auth, current_user
from web.context import ctx

ADMINS = [str(Role.COMPANY_ADMIN)]
STAFF = [str(Role.EMPLOYEE)]
ERRORS = {401: "no valid token", 403: "role not allowed", 404: "no such reservation or hub"}


class StaffIn(Schema):
    username = fields.String(required=True, metadata={"pattern": USERNAME_PATTERN, "maxLength": 63})
    display_name = fields.String(required=True, validate=validators.Length(min=1, max=200))
    password = fields.String(
        required=True,
        metadata={
            "minLength": 8,
            "maxLength": 1024,
            "description": "at least 8 characters other than spaces",
        },
    )


class StaffOut(Schema):
    id = fields.String()
    username = fields.String()
    display_name = fields.String()
    role = fields.String()
    company_id = fields.String()


class ReservationIn(Schema):
    hub_id = fields.String(required=True)
    start = Instant(required=True)
    end = Instant(required=True)
    planned_distance_m = fields.Integer(
        required=True, strict=True, validate=validators.Range(min=1, max=INT32_MAX)
    )


class ReturnIn(Schema):
    soc_pct = fields.Float(required=True, metadata=PERCENT)
    odometer_m = fields.Integer(required=True, validate=validators.Range(min=0, max=INT32_MAX))


class ReassignIn(Schema):
    vehicle_id = fields.String(
        load_default=None,
        metadata={"description": "the EV to move to; omitted, the best fit of the hub"},
    )


class ReservedEv(Schema):
    id = fields.String()
    code = fields.String()
    plate = fields.String(allow_none=True)
    model = fields.String(allow_none=True)
    soc_pct = fields.Float(metadata={"description": "charge at the last reading, percent"})


class ReservationHub(Schema):
    id = fields.String()
    name = fields.String()


class ReservationPerson(Schema):
    id = fields.String()
    display_name = fields.String()


class ReservationOut(Schema):
    id = fields.String()
    status = fields.String()
    hub_id = fields.String()
    hub = fields.Nested(ReservationHub)
    vehicle_id = fields.String(allow_none=True)
    vehicle = fields.Nested(ReservedEv, allow_none=True)
    employee = fields.Nested(ReservationPerson, allow_none=True)
    start = fields.String()
    end = fields.String()
    planned_distance_m = fields.Integer()
    employee_id = fields.String()
    reason = fields.String(allow_none=True)


class ReservationList(Schema):
    data = fields.List(fields.Nested(ReservationOut))


class ReservationQuery(Schema):
    status = fields.String(
        load_default=None, validate=validators.OneOf([str(s) for s in ReservationStatus])
    )


class HubOut(Schema):
    id = fields.String()
    name = fields.String()
    lat = fields.Float()
    lon = fields.Float()
    chargers = fields.Integer()
    charger_power_kw = fields.Float()


class HubList(Schema):
    data = fields.List(fields.Nested(HubOut))


class AvailabilityQuery(Schema):
    date = fields.String(
        load_default=None, metadata={"description": "YYYY-MM-DD in the city's time; today"}
    )
    slot_minutes = fields.Integer(
        load_default=60, metadata={"description": "minutes", "enum": list(SLOT_MINUTES)}
    )
    planned_distance_m = fields.Integer(
        load_default=20_000,
        metadata={
            "description": "the trip each slot must cover, at most an EV's range on a full charge",
            "minimum": 1,
        },
    )


class FreeSlotOut(Schema):
    start = fields.String(metadata={"description": "ISO 8601 in the city's time zone"})
    end = fields.String()
    free_evs = fields.Integer(metadata={"description": "EVs free and charged enough for it"})


class AvailabilityOut(Schema):
    hub = fields.Nested(ReservationHub)
    date = fields.String()
    planned_distance_m = fields.Integer()
    slots = fields.List(fields.Nested(FreeSlotOut))


def _view(view: ReservationView) -> dict[str, Any]:
    zone = ctx().zone
    r, ev, person = view.reservation, view.vehicle, view.employee
    return {
        "id": r.id,
        "status": str(r.status),
        "hub_id": r.hub_id,
        "hub": {"id": view.hub.id, "name": view.hub.name},
        "vehicle_id": r.vehicle_id,
        "vehicle": None
        if ev is None
        else {
            "id": ev.id,
            "code": ev.code,
            "plate": ev.plate,
            "model": ev.model,
            "soc_pct": round(ev.soc_pct, 1),
        },
        "employee": None
        if person is None
        else {"id": person.id, "display_name": person.display_name},
        "start": local_iso(r.slot.start, zone),
        "end": local_iso(r.slot.end, zone),
        "planned_distance_m": r.planned_distance_m,
        "employee_id": r.employee_id,
        "reason": r.reason,
    }


def _out(r: Reservation) -> dict[str, Any]:
    return _view(describe(_service(), [r])[0])


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


@api.get("/hubs/<hub_id>/availability")
@api.auth_required(api_auth, roles=[*STAFF, *ADMINS, str(Role.MANAGER)])
@api.input(AvailabilityQuery, location="query", arg_name="query")
@api.output(AvailabilityOut)
@api.doc(
    summary="Free slots at a hub on a day: for each slot not yet over, how many EVs are free "
    "for all of it and charged enough for the trip (the check a reservation makes)",
    responses={**ERRORS, 422: "bad date, slot length or distance"},
)
def hub_availability(hub_id: str, query: dict[str, Any]) -> dict[str, Any]:
    app = ctx()
    day = (
        parse_day(query["date"])
        if query["date"] is not None
        else app.clock.now().astimezone(app.zone).date()
    )
    hub, slots = free_slots(
        _service(),
        current_user(),
        hub_id,
        day,
        slot_minutes=query["slot_minutes"],
        planned_distance_m=query["planned_distance_m"],
    )
    return {
        "hub": {"id": hub.id, "name": hub.name},
        "date": day.isoformat(),
        "planned_distance_m": query["planned_distance_m"],
        "slots": [
            {
                "start": local_iso(f.start, app.zone),
                "end": local_iso(f.end, app.zone),
                "free_evs": f.free_evs,
            }
            for f in slots
        ],
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
    "carry the reason), managers the operator's",
    responses={403: "not staff, a company admin or a manager"},
)
def list_reservations(query: dict[str, Any]) -> dict[str, Any]:
    found = service.list_reservations(_service(), current_user(), query["status"])
    return {"data": [_view(v) for v in describe(_service(), found)]}


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
@api.auth_required(api_auth, roles=[*STAFF, *ADMINS, str(Role.MANAGER)])
@api.output(ReservationOut)
@api.doc(
    summary="Cancel a reservation before pick-up: staff theirs, company admins their staff's, "
    "managers any",
    responses={**ERRORS, 409: "picked up"},
)
def cancel(reservation_id: str) -> dict[str, Any]:
    return _out(service.cancel(_service(), current_user(), reservation_id))


@api.post("/reservations/<reservation_id>/reassign")
@idempotent
@api.auth_required(api_auth, roles=[*ADMINS, str(Role.MANAGER)])
@api.input(ReassignIn, arg_name="body")
@api.output(ReservationOut)
@api.doc(
    summary="Move a confirmed or flagged reservation to another EV of its hub that is free and "
    "charged enough (company admins for their staff, managers)",
    responses={**ERRORS, 409: "not confirmed or flagged, or no other EV fits"},
)
def reassign(reservation_id: str, body: dict[str, Any]) -> dict[str, Any]:
    return _out(
        admin_service.reassign(_service(), current_user(), reservation_id, body.get("vehicle_id"))
    )
