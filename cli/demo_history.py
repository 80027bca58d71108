"""The demo's ride history: some weeks of generated rides before "now", so demand forecasts
exist from the first start. Stored as ride history (source ``generated``), never as bookings."""

from __future__ import annotations

from datetime import timedelta, tzinfo

import networkx as nx
import numpy as np

from config.demand import seoul_hour_of_week
from dispatch.forecast.cells import cells_over_area, weights_from_points
from dispatch.forecast.history import generate
from fleet.clock import Clock
from fleet.db import demand as demand_db
from fleet.db.engine import Connection
from fleet.geo import Area, Position
from fleet.ids import Ids

#: Rides a day per vehicle riders book: shared e-scooters and e-bikes see a few a day.
RIDES_PER_VEHICLE_DAY = 3.0


def seed_history(
    conn: Connection,
    operator_id: str,
    service_area: Area,
    bike_graph: nx.MultiDiGraph,
    rider_vehicles: int,
    clock: Clock,
    ids: Ids,
    zone: tzinfo,
    *,
    days: int,
    seed: int,
) -> int:
    """Store ``days`` days of generated rides ending at the last full hour; how many. Origins
    and destinations follow the bike network's junctions over the service area's cells."""
    cells = cells_over_area(service_area.to_geojson())
    junctions = [Position(float(d["y"]), float(d["x"])) for _, d in bike_graph.nodes(data=True)]
    weights = weights_from_points(junctions, cells)
    # the profile is local time: hours of the week in the city's zone
    last_hour = clock.now().astimezone(zone).replace(minute=0, second=0, microsecond=0)
    first = last_hour - timedelta(days=days)
    rides = generate(
        first,
        days * 24,
        np.array(seoul_hour_of_week()),
        RIDES_PER_VEHICLE_DAY * rider_vehicles,
        weights,
        weights,
        seed=seed,
    )
    past = (r for r in rides if r.ended_at <= clock.now())
    return demand_db.add_history(conn, operator_id, "generated", past, ids)
