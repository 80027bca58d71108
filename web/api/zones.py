"""``GET /api/v1/zones``: the rule zones riders need, as GeoJSON."""

from __future__ import annotations

from typing import Any

from apiflask import Schema, fields

from dispatch.riders.zones import rule_zones
from fleet.zones import ZoneKind
from web.api import api
from web.api.schemas import FeatureCollection, local_iso, one_of
from web.context import ctx


class ZoneQuery(Schema):
    operator_id = fields.String(load_default=None)
    kind = fields.List(fields.String(metadata=one_of(ZoneKind)), load_default=list)


@api.get("/zones")
@api.input(ZoneQuery, location="query", arg_name="query")
@api.output(FeatureCollection)
@api.doc(
    summary="Rule zones (public) as a GeoJSON FeatureCollection: service area, no-parking, "
    "no-ride, slow (with its speed) and the closures in force; ?kind= narrows them",
    responses={422: "unknown zone kind"},
)
def list_zones(query: dict[str, Any]) -> dict[str, Any]:
    app = ctx()
    zones = rule_zones(app.riders, query["operator_id"], query["kind"])
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": z.id,
                "geometry": z.area.to_geojson(),
                "properties": {
                    "kind": str(z.kind),
                    "name": z.name,
                    "operator_id": z.operator_id,
                    "speed_limit_kph": z.speed_limit_kph,
                    "active_from": local_iso(z.active_from, app.zone) if z.active_from else None,
                    "active_until": local_iso(z.active_until, app.zone) if z.active_until else None,
                },
            }
            for z in zones
        ],
    }
