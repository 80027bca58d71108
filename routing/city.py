"""Geometry a city profile leaves out, derived from its road graph, and checked against it.

- the service area: the convex hull of the road nodes (inside the extract's ``<bounds>`` where the
  file has them, since exports carry whole ways far past the box), widened by a margin;
- site positions: spread over the road nodes inside the service area by farthest-point sampling,
  seeded, so the same profile always gives the same city;
- sites the profile places itself must lie in the service area and near a road.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace

import networkx as nx
from shapely.geometry import MultiPoint, box

from fleet.city import CityProfile, SiteSpec
from fleet.exceptions import InvalidValue
from fleet.geo import Area, Position, haversine_m
from routing.snap import NodeIndex

SERVICE_AREA_MARGIN_DEG = 0.0003  # about 30 m: vehicles parked at the kerb of edge roads


@dataclass(frozen=True, slots=True)
class CityLayout:
    """A profile's service area and fully placed sites."""

    service_area: Area
    sites: tuple[SiteSpec, ...]


def derive_service_area(
    graph: nx.MultiDiGraph, bounds: tuple[float, float, float, float] | None
) -> Area:
    """The convex hull of the graph's nodes (within ``bounds`` when given), widened a little."""
    points = [(d["x"], d["y"]) for _, d in graph.nodes(data=True)]
    if bounds is not None:
        frame = box(*bounds)
        inside = [p for p in points if frame.covers(MultiPoint([p]))]
        points = inside if len(inside) >= 3 else points
    hull = MultiPoint(points).convex_hull.buffer(SERVICE_AREA_MARGIN_DEG)
    if bounds is not None:
        hull = hull.intersection(box(*bounds).buffer(SERVICE_AREA_MARGIN_DEG))
    return Area(hull)


def nodes_inside(graph: nx.MultiDiGraph, area: Area) -> list[int]:
    """The graph's nodes inside ``area``, in a stable order."""
    return sorted(n for n, d in graph.nodes(data=True) if area.contains(Position(d["y"], d["x"])))


def spread_nodes(graph: nx.MultiDiGraph, candidates: list[int], k: int, seed: int) -> list[int]:
    """``k`` nodes far apart from each other (greedy farthest-point sampling)."""
    if k <= 0:
        return []
    if len(candidates) < k:
        msg = f"cannot place {k} sites on {len(candidates)} road nodes"
        raise InvalidValue(msg)
    rng = random.Random(seed)
    pos = {n: (graph.nodes[n]["y"], graph.nodes[n]["x"]) for n in candidates}
    chosen = [rng.choice(candidates)]
    nearest = {n: haversine_m(*pos[n], *pos[chosen[0]]) for n in candidates}
    while len(chosen) < k:
        far = max(candidates, key=lambda n: (nearest[n], -n))
        chosen.append(far)
        for n in candidates:
            nearest[n] = min(nearest[n], haversine_m(*pos[n], *pos[far]))
    return chosen


def lay_out(
    profile: CityProfile,
    graph: nx.MultiDiGraph,
    bounds: tuple[float, float, float, float] | None,
    *,
    max_snap_distance_m: float,
    seed: int = 0,
) -> CityLayout:
    """Complete the profile's geometry on ``graph`` and check the parts it gave.

    Raises
    ------
    InvalidValue
        A given site lies outside the service area or farther than ``max_snap_distance_m`` from
        every road.
    """
    area = profile.service_area or derive_service_area(graph, bounds)
    index = NodeIndex.of(graph)
    for site in profile.sites:
        if site.position is None:
            continue
        if not area.contains(site.position):
            msg = f"city {profile.name!r}: site {site.name!r} lies outside the service area"
            raise InvalidValue(msg)
        index.nearest(site.position, max_snap_distance_m)  # raises SnapTooFar

    unplaced = [s for s in profile.sites if s.position is None]
    nodes = spread_nodes(graph, nodes_inside(graph, area), len(unplaced), seed)
    placed = iter(nodes)
    sites = []
    for site in profile.sites:
        if site.position is None:
            n = next(placed)
            site = replace(site, position=Position(graph.nodes[n]["y"], graph.nodes[n]["x"]))
        sites.append(site)
    return CityLayout(service_area=area, sites=tuple(sites))
