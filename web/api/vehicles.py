"""Vehicles: the public map of available vehicles, and the fleet for its staff."""

from __future__ import annotations

from typing import Any

from dispatch.ops import vehicles as fleet
from dispatch.riders.bookings import available_vehicles
from dispatch.riders.nearby import vehicles_near
from fleet.geo import Position
from web.api import api
from web.api.idempotency import idempotent
from web.api.schemas import (
    FleetListQuery,
    FleetVehicleList,
    PublicVehicleList,
    VehicleIn,
    VehicleListQuery,
    VehicleOut,
    VehiclePatch,
    fleet_vehicle,
    page_info,
    paging,
    public_vehicle,
)
from web.auth import FLEET_STAFF, MANAGERS, api_auth, current_user
from web.context import ctx
from web.errors import api_error

ERRORS = {401: "no valid token", 403: "role not allowed", 404: "no such vehicle"}


@api.get("/vehicles")
@api.input(VehicleListQuery, location="query", arg_name="query")
@api.output(PublicVehicleList)
@api.doc(
    summary="Vehicles riders can book (public): class, position, charge and range; with "
    "lat and lon, those within radius_m of walking, nearest first",
    responses={422: "a bad class, lat without lon, or a place inside a closure in force"},
)
def list_available(query: dict[str, Any]) -> dict[str, Any]:
    app = ctx()
    page, per_page = paging(query, app.paging)
    if (query["lat"] is None) != (query["lon"] is None):
        raise api_error(422, "give both lat and lon to list vehicles near a place", "invalid_value")
    if query["lat"] is not None:
        found = vehicles_near(
            app.riders,
            Position(query["lat"], query["lon"]),
            operator_id=query["operator_id"],
            classes=fleet.parse_classes(query["vehicle_class"]),
            radius_m=query["radius_m"],
        )
        shown = found[(page - 1) * per_page : page * per_page]
        return {
            "data": [
                {
                    **public_vehicle(n.vehicle, app.catalog),
                    "walk_s": n.walk_s,
                    "distance_m": n.distance_m,
                }
                for n in shown
            ],
            "pagination": page_info(page, per_page, len(found)),
        }
    result = available_vehicles(
        app.riders,
        operator_id=query["operator_id"],
        classes=fleet.parse_classes(query["vehicle_class"]),
        limit=per_page,
        offset=(page - 1) * per_page,
    )
    return {
        "data": [public_vehicle(v, app.catalog) for v in result.items],
        "pagination": page_info(page, per_page, result.total),
    }


@api.get("/fleet/vehicles")
@api.auth_required(api_auth, roles=FLEET_STAFF)
@api.input(FleetListQuery, location="query", arg_name="query")
@api.output(FleetVehicleList)
@api.doc(summary="The operator's whole fleet with status (managers, crews)", responses=ERRORS)
def list_fleet(query: dict[str, Any]) -> dict[str, Any]:
    app = ctx()
    page, per_page = paging(query, app.paging)
    result = fleet.list_fleet(
        app.fleet,
        current_user(),
        statuses=query["status"],
        classes=query["vehicle_class"],
        limit=per_page,
        offset=(page - 1) * per_page,
    )
    return {
        "data": [fleet_vehicle(v, app.catalog, app.zone) for v in result.items],
        "pagination": page_info(page, per_page, result.total),
    }


@api.get("/fleet/vehicles/<vehicle_id>")
@api.auth_required(api_auth, roles=FLEET_STAFF)
@api.output(VehicleOut)
@api.doc(summary="One vehicle of the operator's fleet", responses=ERRORS)
def get_vehicle(vehicle_id: str) -> dict[str, Any]:
    app = ctx()
    vehicle = fleet.get_vehicle(app.fleet, current_user(), vehicle_id)
    return fleet_vehicle(vehicle, app.catalog, app.zone)


@api.post("/fleet/vehicles")
@idempotent
@api.auth_required(api_auth, roles=MANAGERS)
@api.input(VehicleIn, arg_name="body")
@api.output(VehicleOut, status_code=201)
@api.doc(
    summary="Register a vehicle (managers). Honours Idempotency-Key.",
    responses={
        **ERRORS,
        409: "code already used",
        422: "bad class, charge or position",
        400: "bad Idempotency-Key",
    },
)
def create_vehicle(body: dict[str, Any]) -> dict[str, Any]:
    app = ctx()
    new = fleet.NewVehicle(
        code=body["code"],
        vehicle_class=body["vehicle_class"],
        position=Position(body["lat"], body["lon"]),
        soc_pct=body["soc_pct"],
        odometer_m=body["odometer_m"],
        status=body["status"],
        battery_serial=body["battery_serial"],
        plate=body["plate"],
        model=body["model"],
    )
    return fleet_vehicle(fleet.register(app.fleet, current_user(), new), app.catalog, app.zone)


@api.patch("/fleet/vehicles/<vehicle_id>")
@api.auth_required(api_auth, roles=FLEET_STAFF)
@api.input(VehiclePatch, arg_name="body")
@api.output(VehicleOut)
@api.doc(
    summary="Change status (through the state machine), charge, position or odometer",
    responses={**ERRORS, 409: "illegal status transition or concurrent change", 422: "bad value"},
)
def patch_vehicle(vehicle_id: str, body: dict[str, Any]) -> dict[str, Any]:
    app = ctx()
    if ("lat" in body) != ("lon" in body):
        raise api_error(422, "lat and lon are changed together", "invalid_value")
    change = fleet.VehicleEdit(
        status=body.get("status"),
        soc_pct=body.get("soc_pct"),
        position=Position(body["lat"], body["lon"]) if "lat" in body else None,
        odometer_m=body.get("odometer_m"),
    )
    vehicle = fleet.edit(app.fleet, current_user(), vehicle_id, change)
    return fleet_vehicle(vehicle, app.catalog, app.zone)
