"""``GET /api/v1/ops/forecast``: the demand forecast per demand cell and hour, as GeoJSON."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from apiflask import Schema, fields, validators

from dispatch.forecast.cells import boundary
from dispatch.ops.demand import HOURS_AHEAD, forecast
from web.api import api
from web.api.schemas import local_iso
from web.auth import MANAGERS, api_auth, current_user
from web.context import ctx


class ForecastQuery(Schema):
    hours = fields.Integer(
        load_default=6,
        validate=validators.Range(min=1, max=HOURS_AHEAD),
        metadata={"description": f"how many hours ahead, from this hour: 1 to {HOURS_AHEAD}"},
    )


class ForecastCollection(Schema):
    type = fields.String()
    model = fields.String(allow_none=True)
    run_at = fields.String(allow_none=True)
    hours = fields.List(
        fields.Dict(),
        metadata={"description": "the city's forecast per hour: start, pickups, dropoffs"},
    )
    features = fields.List(fields.Dict())


@api.get("/ops/forecast")
@api.auth_required(api_auth, roles=MANAGERS)
@api.input(ForecastQuery, location="query", arg_name="query")
@api.output(ForecastCollection)
@api.doc(
    summary="Expected pick-ups and drop-offs per demand cell (an H3 hexagon) and hour, with "
    "P10 and P90 of each, as a GeoJSON FeatureCollection (managers); the cells of an hour add "
    "up to the city's forecast in 'hours'. Empty until the hourly refresh has run.",
    responses={401: "no valid token", 403: "not a manager", 422: "hours outside 1-24"},
)
def get_forecast(query: dict[str, Any]) -> dict[str, Any]:
    app = ctx()
    rows = forecast(app.demand, current_user().operator_id, query["hours"])
    per_cell: dict[str, list[dict[str, Any]]] = defaultdict(list)
    city: dict[str, dict[str, float]] = {}
    for r in rows:
        start = local_iso(r.hour_start, app.zone)
        per_cell[r.cell].append(
            {
                "start": start,
                "pickups": round(r.pickups, 3),
                "pickups_p10": round(r.pickups_p10, 3),
                "pickups_p90": round(r.pickups_p90, 3),
                "dropoffs": round(r.dropoffs, 3),
                "dropoffs_p10": round(r.dropoffs_p10, 3),
                "dropoffs_p90": round(r.dropoffs_p90, 3),
            }
        )
        total = city.setdefault(start, {"pickups": 0.0, "dropoffs": 0.0})
        total["pickups"] += r.pickups
        total["dropoffs"] += r.dropoffs
    return {
        "type": "FeatureCollection",
        "model": rows[0].model if rows else None,
        "run_at": local_iso(rows[0].run_at, app.zone) if rows else None,
        "hours": [
            {"start": start, **{k: round(v, 3) for k, v in totals.items()}}
            for start, totals in city.items()
        ],
        "features": [
            {
                "type": "Feature",
                "id": cell,
                "geometry": {"type": "Polygon", "coordinates": [boundary(cell)]},
                "properties": {"cell": cell, "hours": hours},
            }
            for cell, hours in sorted(per_cell.items())
        ],
    }
