"""``GET /api/v1/map/roads``: the city's streets as GeoJSON, the pages' base map; and
``GET /api/v1/map/closed-roads``: the streets the closures in force close.

Built once per app from the bike graph (the streets e-bikes and kickboards may use, which
include the car roads), then served from memory with an ETag: the graph does not change while
the app runs. Public: it is OpenStreetMap data (© OpenStreetMap contributors, ODbL), and the
customer's tracking page draws it too.
"""

from __future__ import annotations

import hashlib
import json
import threading
from typing import Any

from apiflask import Schema, fields, validators
from flask import Response, current_app, request

from dispatch.riders.zones import closed_roads as closed_streets
from routing.basemap import road_map
from routing.modes import Mode
from web.api import api
from web.api.schemas import FeatureCollection, local_iso
from web.context import ctx

_KEY = "fleetops.roads"
_lock = threading.Lock()


def _built() -> tuple[bytes, str]:
    found: tuple[bytes, str] | None = current_app.extensions.get(_KEY)
    if found is None:
        with _lock:
            found = current_app.extensions.get(_KEY)
            if found is None:
                network = ctx().routers.router(Mode.BIKE).network
                body = json.dumps(road_map(network), separators=(",", ":")).encode()
                found = body, hashlib.sha256(body).hexdigest()[:32]
                current_app.extensions[_KEY] = found
    return found


@api.get("/map/roads")
@api.doc(
    summary="The city's streets (public) as a GeoJSON FeatureCollection of two "
    "MultiLineStrings, main roads and minor ones: the base map of the pages",
    responses={
        200: {"description": "the streets", "content": {"application/geo+json": {}}},
        304: "unchanged since the ETag sent in If-None-Match",
    },
)
def roads() -> Response:
    body, tag = _built()
    response = Response(body, mimetype="application/geo+json")
    response.set_etag(tag)
    response.cache_control.public = True
    response.cache_control.max_age = 3600
    return response.make_conditional(request)


class ClosedRoadsQuery(Schema):
    operator_id = fields.String(
        load_default=None,
        validate=validators.Length(1, 36),
        metadata={"description": "one operator's closures (all operators' without it)"},
    )


@api.get("/map/closed-roads")
@api.input(ClosedRoadsQuery, location="query", arg_name="query")
@api.output(FeatureCollection)
@api.doc(
    summary="The streets closed now (public) as a GeoJSON FeatureCollection: per hazard "
    "closure in force, a MultiLineString of the bike network's streets it closes, the ones "
    "routes go around"
)
def closed_roads(query: dict[str, Any]) -> dict[str, Any]:
    app = ctx()
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": found.closure.id,
                "geometry": {"type": "MultiLineString", "coordinates": found.lines},
                "properties": {
                    "name": found.closure.name,
                    "operator_id": found.closure.operator_id,
                    "streets": len(found.lines),
                    "active_until": local_iso(found.closure.active_until, app.zone)
                    if found.closure.active_until
                    else None,
                },
            }
            for found in closed_streets(app.riders, query["operator_id"])
        ],
    }
