"""The road-surface index (issue 17, docs/road-surface.md) for the operator's managers and the
city's officials: a GeoJSON FeatureCollection of the roads (the dashboard's layer, and a download
for the city), and the refresh a manager requests on the queue and follows."""

from __future__ import annotations

import json
from typing import Any

from apiflask import Schema, fields
from flask import Response, request

from dispatch.ops.surface_map import (
    RoadFilter,
    SurfaceMap,
    SurfaceQueue,
    SurfaceRoad,
    confidences,
    filtered,
    surface_map,
)
from fleet.exceptions import InvalidValue
from fleet.identity import Role
from web.api import api
from web.api.schemas import local_iso
from web.auth import MANAGERS, api_auth
from web.context import ctx
from web.errors import api_error

#: Who reads the index: the operator's managers and the city's officials. The index is the
#: city's (it pools every operator's readings and tells nothing of who rode where).
READERS = [str(Role.MANAGER), str(Role.CITY)]
ATTRIBUTION = "© OpenStreetMap contributors, ODbL (https://www.openstreetmap.org/copyright)"
GEOJSON = "application/geo+json"
ERRORS = {
    400: "an unknown confidence, worst not true or false, a malformed bbox",
    401: "no valid token",
    403: "not a manager or a city official",
}
JOB_ERRORS = {401: "no valid token", 403: "not a manager", 503: "no job queue"}
_BOOLEAN = {"true": True, "1": True, "false": False, "0": False}
QUERY = (
    "?confidence=low|medium|high (repeatable), ?worst=true|false, "
    "?bbox=west,south,east,north (degrees: roads whose line's bounds meet it)"
)


class SurfaceJobOut(Schema):
    id = fields.String()
    kind = fields.String(allow_none=True)
    status = fields.String()
    progress = fields.Dict()
    result = fields.Dict(allow_none=True)
    error = fields.String(allow_none=True)
    status_url = fields.String()


def _bad(message: str, parameter: str) -> Exception:
    return api_error(400, message, "invalid_filter", {"parameter": parameter})


def _road_filter() -> RoadFilter:
    """The filter the query asks for (400 ``invalid_filter`` naming the parameter)."""
    names = [n for raw in request.args.getlist("confidence") for n in raw.split(",")]
    try:
        wanted = confidences(names)
    except InvalidValue as exc:
        raise _bad(str(exc), "confidence") from None
    worst = None
    raw = request.args.get("worst")
    if raw is not None:
        if raw.lower() not in _BOOLEAN:
            msg = f"worst must be true or false, got {raw[:40]!r}"
            raise _bad(msg, "worst")
        worst = _BOOLEAN[raw.lower()]
    bbox = None
    raw = request.args.get("bbox")
    if raw is not None:
        parts = raw.split(",")
        try:
            values = [float(p) for p in parts]
        except ValueError:
            values = []
        if len(values) != 4 or len(parts) != 4:
            msg = f"bbox must be four numbers west,south,east,north, got {raw[:80]!r}"
            raise _bad(msg, "bbox")
        bbox = (values[0], values[1], values[2], values[3])
    try:
        return RoadFilter(wanted, worst, bbox)
    except InvalidValue as exc:
        raise _bad(str(exc), "bbox") from None


def _feature(road: SurfaceRoad) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": road.road,
        "geometry": {"type": "LineString", "coordinates": [list(c) for c in road.coordinates]},
        "properties": {
            "road": road.road,
            "name": road.name,
            "osm_from": road.osm_from,
            "osm_to": road.osm_to,
            "length_m": road.length_m,
            "samples": road.samples,
            "roughness_ms2": road.roughness_ms2,
            "low_ms2": road.low_ms2,
            "high_ms2": road.high_ms2,
            "confidence": road.confidence.value,
            "percentile": road.percentile,
            "worst": road.worst,
            "penalty": road.penalty,
        },
    }


def _collection(found: SurfaceMap) -> dict[str, Any]:
    zone = ctx().zone
    return {
        "type": "FeatureCollection",
        "computed_at": local_iso(found.computed_at, zone) if found.computed_at else None,
        "median_ms2": found.median_ms2,
        "samples": found.samples,
        "attribution": ATTRIBUTION,
        "note": found.note,
        "features": [_feature(r) for r in found.roads],
    }


def _answer(attachment: bool) -> Response:
    keep = _road_filter()
    app = ctx()
    found = filtered(surface_map(app.engine, app.routers), keep)
    body = json.dumps(_collection(found), separators=(",", ":"), ensure_ascii=False)
    response = Response(body, mimetype=GEOJSON)
    if attachment:
        day = app.clock.now().astimezone(app.zone).date().isoformat()
        name = f"road-surface-{app.city.name}-{day}.geojson"
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.cache_control.private = True
    response.cache_control.no_cache = True
    return response


@api.get("/ops/road-surface")
@api.auth_required(api_auth, roles=READERS)
@api.doc(
    summary="The road-surface index as GeoJSON (managers, city officials): a LineString per "
    f"road with its roughness, confidence, percentile and penalty; {QUERY}",
    responses={**ERRORS, 200: {"description": "the roads", "content": {GEOJSON: {}}}},
)
def get_road_surface() -> Response:
    return _answer(attachment=False)


@api.get("/ops/road-surface.geojson")
@api.auth_required(api_auth, roles=READERS)
@api.doc(
    summary="The same index as a download (Content-Disposition: attachment), for the city",
    responses={**ERRORS, 200: {"description": "the roads", "content": {GEOJSON: {}}}},
)
def get_road_surface_file() -> Response:
    return _answer(attachment=True)


def _job_out(job: dict[str, Any]) -> dict[str, Any]:
    return {**job, "status_url": f"/api/v1/ops/road-surface/refresh/{job['id']}"}


def _queue() -> SurfaceQueue:
    queue = ctx().surface_queue
    if queue is None:
        raise api_error(503, "no job queue is configured (REDIS_URL)", "queue_unavailable")
    return queue


@api.post("/ops/road-surface/refresh")
@api.auth_required(api_auth, roles=MANAGERS)
@api.output(SurfaceJobOut, status_code=202)
@api.doc(
    summary="Request a refresh of the road-surface index on the queue (one at a time: asking "
    "while one waits or runs answers that one); follow it at status_url",
    responses={**JOB_ERRORS, 400: "a malformed body"},
)
def request_surface_refresh() -> dict[str, Any]:
    queue = _queue()
    return _job_out(queue.status(queue.request()))


@api.get("/ops/road-surface/refresh/<job_id>")
@api.auth_required(api_auth, roles=MANAGERS)
@api.output(SurfaceJobOut)
@api.doc(
    summary="A road-surface refresh: queued, started, finished or failed, its progress "
    "(done of total vehicles) and what it did",
    responses={**JOB_ERRORS, 400: "bad text in the path", 404: "no such refresh job"},
)
def surface_refresh_status(job_id: str) -> dict[str, Any]:
    return _job_out(_queue().status(job_id))
