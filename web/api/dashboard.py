"""The managers' dashboard: today's KPIs, swap stations with their stock, and the crews with
their shifts and vans (each figure defined in docs/api.md, "Dashboard")."""

from __future__ import annotations

from typing import Any

from apiflask import Schema, fields

from dispatch.ops import dashboard, route_lines
from web.api import api
from web.api.schemas import FeatureCollection, local_iso
from web.auth import MANAGERS, api_auth, current_user
from web.context import ctx

ERRORS = {401: "no valid token", 403: "not a manager"}


class KpisOut(Schema):
    as_of = fields.String()
    day_start = fields.String()
    available_by_class = fields.Dict(keys=fields.String(), values=fields.Integer())
    charge_histogram = fields.List(fields.Dict())
    low_battery = fields.Integer()
    low_battery_below_pct = fields.Dict(keys=fields.String(), values=fields.Float())
    utilisation = fields.Float()
    open_tasks = fields.Integer()
    deliveries_today = fields.Integer()
    deliveries_on_time_today = fields.Integer()
    co2_avoided_kg_today = fields.Float()


class StationList(Schema):
    data = fields.List(fields.Dict())


class CrewList(Schema):
    data = fields.List(fields.Dict())


@api.get("/ops/kpis")
@api.auth_required(api_auth, roles=MANAGERS)
@api.output(KpisOut)
@api.doc(
    summary="Today's fleet figures for the dashboard (managers): available vehicles per class, "
    "charge histogram, low battery, utilisation, open tasks, deliveries (on time), CO2 avoided; "
    "today is the city's local day",
    responses=ERRORS,
)
def get_kpis() -> dict[str, Any]:
    app = ctx()
    k = dashboard.kpis(app.crews, app.zone, current_user().operator_id)
    return {
        "as_of": local_iso(k.as_of, app.zone),
        "day_start": local_iso(k.day_start, app.zone),
        "available_by_class": {str(c): n for c, n in k.available_by_class.items()},
        "charge_histogram": k.histogram(),
        "low_battery": k.low_battery,
        "low_battery_below_pct": {str(c): p for c, p in k.low_battery_below_pct.items()},
        "utilisation": round(k.utilisation, 6),
        "open_tasks": k.open_tasks,
        "deliveries_today": k.deliveries_today,
        "deliveries_on_time_today": k.deliveries_on_time_today,
        "co2_avoided_kg_today": round(k.co2_avoided_kg_today, 3),
    }


@api.get("/ops/stations")
@api.auth_required(api_auth, roles=MANAGERS)
@api.output(StationList)
@api.doc(
    summary="Swap stations with their stock per pack type now (managers): charged packs free "
    "to take, packs charging, free slots and slots",
    responses=ERRORS,
)
def get_stations() -> dict[str, Any]:
    app = ctx()
    found = dashboard.stations(app.crews, current_user().operator_id)
    return {
        "data": [
            {
                "id": s.site_id,
                "name": s.name,
                "kind": "swap_station",
                "lat": s.position.lat,
                "lon": s.position.lon,
                "stock": [
                    {
                        "pack_class": str(c),
                        "charged": s.charged.get(c, 0),
                        "charging": s.charging.get(c, 0),
                        "free_slots": s.free_slots.get(c, 0),
                        "slots": n,
                    }
                    for c, n in sorted(s.slots.items())
                ],
            }
            for s in found
        ]
    }


@api.get("/ops/crews")
@api.auth_required(api_auth, roles=MANAGERS)
@api.output(CrewList)
@api.doc(
    summary="Crew members with their shift (on now, else the next), van (where it is, what it "
    "can carry, packs on board) and open tasks (managers)",
    responses=ERRORS,
)
def get_crews() -> dict[str, Any]:
    app = ctx()
    data = []
    for b in dashboard.crews(app.crews, current_user().operator_id):
        shift = van = None
        if b.shift is not None and b.van is not None and b.van_at is not None:
            shift = {
                "id": b.shift.id,
                "start": local_iso(b.shift.start_at, app.zone),
                "end": local_iso(b.shift.end_at, app.zone),
            }
            van = {
                "id": b.van.id,
                "name": b.van.name,
                "lat": b.van_at.lat,
                "lon": b.van_at.lon,
                "capacity": {
                    **{str(c): n for c, n in b.van.capacity_vehicles.items()},
                    "packs": b.van.capacity_packs,
                },
                "packs_on_board": {
                    "charged": {str(c): n for c, n in b.charged_on_board.items()},
                    "spent": {str(c): n for c, n in b.spent_on_board.items()},
                },
            }
        data.append(
            {
                "user_id": b.user_id,
                "display_name": b.display_name,
                "shift": shift,
                "van": van,
                "open_tasks": b.open_tasks,
            }
        )
    return {"data": data}


def _next_stop(line: route_lines.RouteLine) -> dict[str, Any] | None:
    if not line.way.stops:
        return None
    first = line.way.stops[0]
    return {
        "lat": first.position.lat,
        "lon": first.position.lon,
        "eta": local_iso(first.eta, ctx().zone) if first.eta else None,
    }


@api.get("/ops/routes")
@api.auth_required(api_auth, roles=MANAGERS)
@api.output(FeatureCollection)
@api.doc(
    summary="Every courier's planned route and every crew member's open tasks as GeoJSON "
    "LineStrings along the roads, from where the moped or van is (managers)",
    responses=ERRORS,
)
def get_routes() -> dict[str, Any]:
    app = ctx()
    lines = route_lines.route_lines(app.crews, current_user().operator_id)
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {
                    "type": "LineString",
                    "coordinates": [list(c) for c in line.coordinates],
                },
                "properties": {
                    "kind": line.way.kind,
                    "user_id": line.way.user_id,
                    "display_name": line.way.display_name,
                    "stops": len(line.way.stops),
                    "next_stop": _next_stop(line),
                },
            }
            for line in lines
        ],
    }
