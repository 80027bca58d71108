"""Rider bookings: ask for a vehicle, unlock it, end the trip, or cancel."""

from __future__ import annotations

from typing import Any

from apiflask import Schema, fields, validators

from dispatch.riders import bookings as service
from dispatch.riders.ridden import Ridden
from fleet.bookings import BookingStatus
from fleet.geo import Position
from fleet.identity import Role
from web.api import api
from web.api.idempotency import idempotent
from web.api.schemas import (
    CLASSES,
    LATITUDE,
    LONGITUDE,
    PageInfo,
    PageQuery,
    PointIn,
    local_iso,
    one_of,
    page_info,
    paging,
    public_vehicle,
)
from web.auth import api_auth, current_user
from web.context import ctx

RIDERS = [str(Role.RIDER)]
READERS = [str(Role.RIDER), str(Role.MANAGER), str(Role.CREW)]
ERRORS = {401: "no valid token", 403: "not a rider, or not your booking", 404: "no such booking"}


class ParkedIn(PointIn):
    """Where the rider parked (its own class: apispec registers each schema class once)."""


class BookingIn(Schema):
    lat = fields.Float(required=True, metadata=LATITUDE)
    lon = fields.Float(required=True, metadata=LONGITUDE)
    vehicle_classes = fields.List(
        fields.String(metadata=CLASSES), required=True, validate=validators.Length(min=1, max=3)
    )
    destination = fields.Nested(PointIn, load_default=None, allow_none=True)


class ReceiptOut(Schema):
    distance_m = fields.Integer()
    duration_s = fields.Integer()
    price = fields.String(metadata={"description": "decimal amount in major units"})
    price_minor = fields.Integer()
    currency = fields.String()
    co2_avoided_g = fields.Integer()
    implausible = fields.Boolean(
        metadata={"description": "the trip was faster than its class can go: see flag"}
    )
    flag = fields.String(allow_none=True)
    distance_method = fields.String(
        allow_none=True,
        metadata={
            "description": "how distance_m was measured: map_matched (the vehicle's telemetry "
            "matched to the roads) or start_to_end (too little telemetry: the road from start to "
            "end); null on receipts of trips ended before it was stored"
        },
    )


class RiddenOut(Schema):
    method = fields.String(
        metadata={
            "description": "how the receipt's distance was measured: map_matched (the "
            "vehicle's telemetry matched to the roads) or start_to_end (too little telemetry: "
            "the road from start to end)"
        }
    )
    samples = fields.Integer(metadata={"description": "telemetry samples of the trip read"})
    matched = fields.Integer(metadata={"description": "of them, placed on the ridden path"})


class BookingOut(Schema):
    id = fields.String()
    status = fields.String()
    vehicle = fields.Dict()
    created_at = fields.String()
    hold_until = fields.String()
    started_at = fields.String(allow_none=True)
    ended_at = fields.String(allow_none=True)
    receipt = fields.Nested(ReceiptOut, allow_none=True)
    ridden = fields.Nested(
        RiddenOut,
        metadata={"description": "only in the answer of ending the trip (not stored)"},
    )


class BookingListQuery(PageQuery):
    status = fields.List(fields.String(metadata=one_of(BookingStatus)), load_default=list)


class BookingList(Schema):
    data = fields.List(fields.Nested(BookingOut))
    pagination = fields.Nested(PageInfo)


def _out(booked: service.Booked) -> dict[str, Any]:
    app = ctx()
    booking, zone, receipt = booked.booking, app.zone, booked.booking.receipt
    ridden = {} if booked.ridden is None else {"ridden": _ridden(booked.ridden)}
    return {
        "id": booking.id,
        "status": str(booking.status),
        "vehicle": public_vehicle(booked.vehicle, app.catalog),
        "created_at": local_iso(booking.created_at, zone),
        "hold_until": local_iso(booking.hold_until, zone),
        "started_at": local_iso(booking.started_at, zone) if booking.started_at else None,
        "ended_at": local_iso(booking.ended_at, zone) if booking.ended_at else None,
        "receipt": None
        if receipt is None
        else {
            "distance_m": receipt.distance_m,
            "duration_s": receipt.duration_s,
            "price": app.riders.tariff.format(receipt.price_minor),
            "price_minor": receipt.price_minor,
            "currency": receipt.currency,
            "co2_avoided_g": receipt.co2_avoided_g,
            "implausible": receipt.implausible,
            "flag": receipt.flag,
            "distance_method": receipt.distance_method,
        },
        **ridden,
    }


def _ridden(measured: Ridden) -> dict[str, Any]:
    return {
        "method": str(measured.method),
        "samples": measured.samples,
        "matched": measured.matched,
    }


@api.post("/bookings")
@idempotent
@api.auth_required(api_auth, roles=RIDERS)
@api.input(BookingIn, arg_name="body")
@api.output(BookingOut, status_code=201)
@api.doc(
    summary="Book the nearest suitable vehicle (held until hold_until). Honours Idempotency-Key.",
    responses={
        **ERRORS,
        409: "no vehicle available, or you already have an open booking",
        422: "bad class or position, destination unreachable",
    },
)
def create_booking(body: dict[str, Any]) -> dict[str, Any]:
    dest = body.get("destination")
    booked = service.request_booking(
        ctx().riders,
        current_user(),
        Position(body["lat"], body["lon"]),
        body["vehicle_classes"],
        Position(dest["lat"], dest["lon"]) if dest else None,
    )
    return _out(booked)


@api.get("/bookings")
@api.auth_required(api_auth, roles=RIDERS)
@api.input(BookingListQuery, location="query", arg_name="query")
@api.output(BookingList)
@api.doc(
    summary="My bookings, newest first (?status= held, active, completed, cancelled, expired)",
    responses={401: "no valid token", 403: "not a rider", 422: "unknown status"},
)
def list_bookings(query: dict[str, Any]) -> dict[str, Any]:
    app = ctx()
    page, per_page = paging(query, app.paging)
    booked, total = service.bookings_of(
        app.riders, current_user(), query["status"], limit=per_page, offset=(page - 1) * per_page
    )
    return {"data": [_out(b) for b in booked], "pagination": page_info(page, per_page, total)}


@api.get("/bookings/<booking_id>")
@api.auth_required(api_auth, roles=READERS)
@api.output(BookingOut)
@api.doc(
    summary="A booking (riders: their own; managers and crews: the operator's)", responses=ERRORS
)
def get_booking(booking_id: str) -> dict[str, Any]:
    return _out(service.booking_of(ctx().riders, current_user(), booking_id))


@api.post("/bookings/<booking_id>/unlock")
@idempotent
@api.auth_required(api_auth, roles=RIDERS)
@api.output(BookingOut)
@api.doc(
    summary="Unlock the held vehicle: the trip starts",
    responses={
        **ERRORS,
        409: "not held (expired, cancelled, already unlocked)",
        422: "inside_closure: the vehicle stands in a closure that came into force since it "
        "was held (cancel and book another)",
    },
)
def unlock_booking(booking_id: str) -> dict[str, Any]:
    return _out(service.unlock(ctx().riders, current_user(), booking_id))


@api.post("/bookings/<booking_id>/cancel")
@idempotent
@api.auth_required(api_auth, roles=RIDERS)
@api.output(BookingOut)
@api.doc(
    summary="Give the held vehicle back before unlocking", responses={**ERRORS, 409: "not held"}
)
def cancel_booking(booking_id: str) -> dict[str, Any]:
    return _out(service.cancel(ctx().riders, current_user(), booking_id))


@api.post("/bookings/<booking_id>/end")
@idempotent
@api.auth_required(api_auth, roles=RIDERS)
@api.input(ParkedIn, arg_name="body")
@api.output(BookingOut)
@api.doc(
    summary="End the trip where the vehicle is parked; returns the receipt (its distance "
    "map-matched from the vehicle's telemetry, see ridden)",
    responses={
        **ERRORS,
        409: "no trip under way",
        422: "parking refused here (see detail for the nearest allowed spot) or outside the area",
    },
)
def end_booking(booking_id: str, body: dict[str, Any]) -> dict[str, Any]:
    position = Position(body["lat"], body["lon"])
    return _out(service.end_trip(ctx().riders, current_user(), booking_id, position))
