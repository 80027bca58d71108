"""The manager's dashboard: the live fleet on the map, the KPIs, and the plans to launch.

The page is a frame (its panels and forms, in the template) that the scripts in
``web/static/js/dashboard*.js`` and ``draw.js`` fill from the API with the manager's session: the
vehicle feed, the KPIs, zones, stations, hubs, routes and the demand forecast, kept live by
polling; closures, crew plans and courier shifts are made through the same API."""

from __future__ import annotations

from fleet.catalog import VehicleClass
from fleet.identity import Role
from fleet.vehicles import VehicleStatus
from web.ui import bp, login_required
from web.ui.pages import for_roles, render_page


@bp.get("/dashboard")
@login_required
@for_roles(Role.MANAGER)
def dashboard() -> str:
    return render_page(
        "dashboard.html",
        classes=[str(c) for c in VehicleClass],
        statuses=[str(s) for s in VehicleStatus],
    )
