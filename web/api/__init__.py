"""The JSON API, version 1, under ``/api/v1``."""

from __future__ import annotations

from apiflask import APIBlueprint

api = APIBlueprint("api", __name__, url_prefix="/api/v1", tag="fleetops")


def register_views() -> None:
    """Import the view modules so their routes attach to :data:`api` (called by create_app)."""
    from web.api import (  # noqa: F401
        bookings,
        carbon,
        closures,
        crew_tasks,
        dashboard,
        delivery,
        fleet_feed,
        forecast,
        health,
        job_ends,
        ops_tasks,
        plans,
        ride_route,
        road_surface,
        roads,
        session,
        shifts,
        telemetry,
        tracking,
        vehicles,
        workev,
        zones,
    )
