"""The road network drawn as a base map, for pages that have no tile server.

Pages work with no internet, so the map under the fleet is the city's own road graph drawn as
vector lines. Each street is drawn once (a two-way street is two directed edges: the one with
the lower number stands for both), coordinates rounded to 5 decimals (about a metre), and each
line tagged with its OSM ``highway`` class so the page can draw main roads heavier.
"""

from __future__ import annotations

from typing import Any

from routing.network import RoadNetwork

#: Road classes drawn as main roads; the rest are drawn as minor streets.
MAIN_ROADS = frozenset(
    {"motorway", "trunk", "primary", "secondary", "tertiary"}
    | {f"{c}_link" for c in ("motorway", "trunk", "primary", "secondary", "tertiary")}
)


def _highway(data: dict[str, Any]) -> str:
    value = data.get("highway", "road")
    return str(value[0] if isinstance(value, list) else value)


def road_map(network: RoadNetwork) -> dict[str, Any]:
    """A GeoJSON FeatureCollection of two MultiLineStrings: ``main`` roads and ``minor`` ones."""
    lines: dict[str, list[list[list[float]]]] = {"main": [], "minor": []}
    for edge in range(network.n_edges):
        twin = int(network.twin[edge])
        if 0 <= twin < edge:
            continue
        u, v, k = network.edge_keys[edge]
        kind = "main" if _highway(network.graph.edges[u, v, k]) in MAIN_ROADS else "minor"
        coords = network.edge_line(edge).coords
        lines[kind].append([[round(x, 5), round(y, 5)] for x, y in coords])
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"roads": kind, "lines": len(parts)},
                "geometry": {"type": "MultiLineString", "coordinates": parts},
            }
            for kind, parts in lines.items()
        ],
    }
