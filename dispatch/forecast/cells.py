"""Demand cells: the hexagons of an H3 grid (Uber's hierarchical hexagonal index, the ``h3``
package) over a city's service area, and where demand falls among them.

A **demand cell** is one hexagon; a *zone* stays a rule polygon (``fleet.zones``). Resolution 9,
the default, gives hexagons of about 0.105 km² (H3's average at that resolution).

Cell shares are learned from rides with a prior: the posterior mean of a Dirichlet whose prior
weights come from real station locations where a city has them (Seoul's Ttareungi stations),
else from the road network's junctions, so a cell nobody has ridden from yet is not certain to
stay empty.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import h3

from fleet.geo import Position

DEFAULT_RESOLUTION = 9
#: How many rides the prior counts for: with fewer rides than this the prior weighs more.
PRIOR_RIDES = 200.0
#: What a cell with no station or junction weighs, in points.
FLOOR = 0.1


def cell_of(position: Position, resolution: int = DEFAULT_RESOLUTION) -> str:
    """The demand cell holding ``position``."""
    return str(h3.latlng_to_cell(position.lat, position.lon, resolution))


def centre(cell: str) -> Position:
    """The centre of a cell."""
    lat, lon = h3.cell_to_latlng(cell)
    return Position(lat, lon)


def boundary(cell: str) -> list[tuple[float, float]]:
    """The cell's hexagon as GeoJSON ring coordinates: (lon, lat), closed."""
    ring = [(lon, lat) for lat, lon in h3.cell_to_boundary(cell)]
    return [*ring, ring[0]]


def cells_over(
    ring: Iterable[tuple[float, float]], resolution: int = DEFAULT_RESOLUTION
) -> set[str]:
    """The cells whose centres lie in a polygon given as (lon, lat) pairs (a GeoJSON ring)."""
    outer = [(lat, lon) for lon, lat in ring]
    return {str(c) for c in h3.polygon_to_cells(h3.LatLngPoly(outer), resolution)}


def cells_over_area(
    geometry: Mapping[str, object], resolution: int = DEFAULT_RESOLUTION
) -> set[str]:
    """The cells whose centres lie in a GeoJSON Polygon or MultiPolygon (a service area)."""
    return {str(c) for c in h3.geo_to_cells(dict(geometry), resolution)}


def weights_from_points(
    points: Iterable[Position], cells: set[str], resolution: int = DEFAULT_RESOLUTION
) -> dict[str, float]:
    """Prior weights over ``cells`` from points (stations, junctions): each cell's share of the
    points inside ``cells``, with a floor of :data:`FLOOR` point so no cell is impossible."""
    counts = Counter(cell_of(p, resolution) for p in points)
    raw = {c: counts.get(c, 0) + FLOOR for c in cells}
    total = sum(raw.values())
    return {c: w / total for c, w in sorted(raw.items())}


@dataclass(frozen=True, slots=True)
class Shares:
    """How demand divides among cells (the shares sum to 1), and how many rides taught it."""

    of: dict[str, float]
    rides: int

    def __post_init__(self) -> None:
        if self.of and abs(sum(self.of.values()) - 1.0) > 1e-9:
            msg = "cell shares must sum to 1"
            raise ValueError(msg)


def learn_shares(
    seen: Iterable[str], prior: Mapping[str, float], prior_rides: float = PRIOR_RIDES
) -> Shares:
    """Shares from the cells rides were seen in, with ``prior`` counting as ``prior_rides``
    rides: (n_c + a·w_c) / (N + a). Rides in cells outside the prior's are left out."""
    counts = Counter(c for c in seen if c in prior)
    total = sum(counts.values())
    weight = sum(prior.values())
    shares = {
        c: (counts.get(c, 0) + prior_rides * w / weight) / (total + prior_rides)
        for c, w in sorted(prior.items())
    }
    return Shares(shares, total)


def total_variation(p: Mapping[str, float], q: Mapping[str, float]) -> float:
    """Half the L1 distance of two distributions over cells: the most probability that one
    puts on any set of cells more than the other."""
    return 0.5 * sum(abs(p.get(c, 0.0) - q.get(c, 0.0)) for c in set(p) | set(q))
