"""The demo's no-parking zones: the corners of the city's busiest intersections.

Korean road rules keep parked two-wheelers and PMs off intersection corners and crossings
(Seoul tows e-kickboards parked within a few metres of them), so the demo marks a circle of
``RADIUS_M`` around the intersections where most roads meet, spread over the service area and
away from where the demo parked its vehicles and placed its sites (rides in the demo end there).
"""

from __future__ import annotations

import math

import networkx as nx

from fleet.clock import Clock
from fleet.db import sites as sites_db
from fleet.db import vehicles as vehicles_db
from fleet.db.engine import Connection
from fleet.geo import Area, Position, haversine_m
from fleet.ids import Ids
from fleet.zones import Zone, ZoneKind
from routing.city import nodes_inside

#: How many intersections, how big a circle, and how far from each other and from what the demo
#: placed (metres).
COUNT = 6
RADIUS_M = 20
APART_M = 250
CLEAR_OF_M = 60


def circle(centre: Position, radius_m: float, sides: int = 16) -> Area:
    """A polygon of ``sides`` sides around ``centre`` (a circle, closely enough at this size)."""
    m_per_deg = math.pi * 6_371_000 / 180
    ring = [
        [
            centre.lon
            + radius_m
            * math.cos(2 * math.pi * k / sides)
            / (m_per_deg * math.cos(math.radians(centre.lat))),
            centre.lat + radius_m * math.sin(2 * math.pi * k / sides) / m_per_deg,
        ]
        for k in range(sides)
    ]
    return Area.from_ring([*ring, ring[0]])


def seed_no_parking(
    conn: Connection,
    operator_id: str,
    service_area: Area,
    graph: nx.MultiDiGraph,
    clock: Clock,
    ids: Ids,
) -> int:
    """Store the demo's no-parking zones (see the module docstring); how many."""
    taken = [
        v.position
        for v in vehicles_db.list_vehicles(conn, operator_id=operator_id, limit=100_000).items
    ]
    taken += [s.position for s in sites_db.list_sites(conn, operator_id)]
    undirected = nx.Graph(graph)
    busiest = sorted(nodes_inside(graph, service_area), key=lambda n: (-undirected.degree(n), n))
    chosen: list[Position] = []
    for node in busiest:
        data = graph.nodes[node]
        here = Position(data["y"], data["x"])
        if undirected.degree(node) < 3:
            break
        if any(haversine_m(here.lat, here.lon, p.lat, p.lon) < CLEAR_OF_M for p in taken):
            continue
        if any(haversine_m(here.lat, here.lon, p.lat, p.lon) < APART_M for p in chosen):
            continue
        chosen.append(here)
        if len(chosen) == COUNT:
            break
    for k, centre in enumerate(chosen, start=1):
        sites_db.insert_zone(
            conn,
            Zone(
                ids.new_id(),
                operator_id,
                ZoneKind.NO_PARKING,
                f"No parking {k}: intersection at {centre.lat:.5f}, {centre.lon:.5f}",
                circle(centre, RADIUS_M),
            ),
            clock,
        )
    return len(chosen)
