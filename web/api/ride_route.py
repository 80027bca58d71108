"""A rider's route to a destination: on bikes and kickboards it goes around broken roads
(docs/road-surface.md)."""

from __future__ import annotations

from typing import Any

from apiflask import Schema, fields, validators

from dispatch.riders.ride_route import ride_route
from fleet.catalog import parse_vehicle_class
from fleet.geo import Position
from fleet.identity import Role
from web.api import api
from web.api.schemas import CLASSES, LATITUDE, LONGITUDE, local_iso
from web.auth import api_auth, current_user
from web.context import ctx

RIDERS = [str(Role.RIDER), str(Role.MANAGER)]
LAT = validators.Range(-90, 90)
LON = validators.Range(-180, 180)


class RouteQuery(Schema):
    from_lat = fields.Float(required=True, validate=LAT, metadata=LATITUDE)
    from_lon = fields.Float(required=True, validate=LON, metadata=LONGITUDE)
    to_lat = fields.Float(required=True, validate=LAT, metadata=LATITUDE)
    to_lon = fields.Float(required=True, validate=LON, metadata=LONGITUDE)
    vehicle_class = fields.String(load_default="e_bike", metadata=CLASSES)


class RouteOut(Schema):
    type = fields.String(metadata={"description": "Feature"})
    geometry = fields.Dict(metadata={"description": "GeoJSON LineString, (lon, lat)"})
    properties = fields.Dict(
        metadata={
            "description": "vehicle_class, distance_m, duration_s (riding time), eta (local), "
            "rough_m (metres on the worst-decile roads of the road-surface index), "
            "surface_computed_at (that index's time, null when there is none)"
        }
    )


@api.get("/ride-route")
@api.auth_required(api_auth, roles=RIDERS)
@api.input(RouteQuery, location="query", arg_name="query")
@api.output(RouteOut)
@api.doc(
    summary="The route to a destination for a vehicle class; bikes and kickboards go around "
    "roads the road-surface index found broken when a way of similar time exists",
    responses={
        401: "no valid token",
        403: "not a rider or manager",
        422: "a bad class or position, an end outside the service area or inside a closure, "
        "no road leading there",
    },
)
def get_ride_route(query: dict[str, Any]) -> dict[str, Any]:
    app = ctx()
    found = ride_route(
        app.riders,
        current_user(),
        Position(query["from_lat"], query["from_lon"]),
        Position(query["to_lat"], query["to_lon"]),
        parse_vehicle_class(query["vehicle_class"]),
    )
    feature = found.route.geojson()
    eta = found.route.eta
    feature["properties"] = {
        "vehicle_class": str(found.vehicle_class),
        "distance_m": found.route.distance_m,
        "duration_s": found.route.duration_s,
        "eta": None if eta is None else local_iso(eta, app.zone),
        "rough_m": found.rough_m,
        "surface_computed_at": None
        if found.surface_at is None
        else local_iso(found.surface_at, app.zone),
    }
    return feature
