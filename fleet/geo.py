"""Positions and areas on the earth (WGS84 degrees; distances in metres)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from shapely.geometry import Point, Polygon, mapping, shape
from shapely.geometry.base import BaseGeometry

from fleet.exceptions import InvalidValue

EARTH_RADIUS_M = 6_371_008.8  # IUGG mean earth radius


@dataclass(frozen=True, slots=True)
class Position:
    """A WGS84 position in decimal degrees."""

    lat: float
    lon: float

    def __post_init__(self) -> None:
        for name, value, bound in (("lat", self.lat, 90.0), ("lon", self.lon, 180.0)):
            if not isinstance(value, int | float) or isinstance(value, bool):
                msg = f"{name} must be a number, got {value!r}"
                raise InvalidValue(msg)
            if not math.isfinite(value) or abs(value) > bound:
                msg = f"{name} must be between -{bound:g} and {bound:g}, got {value!r}"
                raise InvalidValue(msg)

    def distance_m(self, other: Position) -> float:
        """Great-circle (haversine) distance in metres."""
        return haversine_m(self.lat, self.lon, other.lat, other.lon)


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres between two WGS84 points."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def degrees_around(position: Position, radius_m: float) -> tuple[float, float]:
    """Half-sizes (lat, lon) in degrees of a box reaching ``radius_m`` around ``position``: the
    bounding box a database query narrows to before exact distances are computed."""
    m_per_deg_lat = math.pi * EARTH_RADIUS_M / 180
    m_per_deg_lon = m_per_deg_lat * max(0.01, math.cos(math.radians(position.lat)))
    return radius_m / m_per_deg_lat, radius_m / m_per_deg_lon


@dataclass(frozen=True, slots=True)
class Area:
    """A polygonal area (service area, zone) with a point-in-area test.

    Built from a GeoJSON geometry (Polygon or MultiPolygon, ``[lon, lat]`` order).
    """

    geometry: BaseGeometry

    def __post_init__(self) -> None:
        if self.geometry.geom_type not in ("Polygon", "MultiPolygon"):
            msg = f"an area must be a Polygon or MultiPolygon, got {self.geometry.geom_type}"
            raise InvalidValue(msg)
        if self.geometry.is_empty or not self.geometry.is_valid:
            msg = "an area must be a non-empty, valid (non self-intersecting) polygon"
            raise InvalidValue(msg)

    @classmethod
    def from_geojson(cls, geojson: dict[str, Any]) -> Area:
        """Build from a GeoJSON geometry mapping."""
        try:
            geometry = shape(geojson)
        except (KeyError, ValueError, TypeError, AttributeError) as exc:
            msg = f"not a GeoJSON geometry: {exc}"
            raise InvalidValue(msg) from None
        return cls(geometry)

    @classmethod
    def from_ring(cls, ring: Sequence[Sequence[float]]) -> Area:
        """Build from one exterior ring of ``[lon, lat]`` pairs."""
        if len(ring) < 3:
            msg = f"a polygon ring needs at least 3 points, got {len(ring)}"
            raise InvalidValue(msg)
        return cls(Polygon([(float(x), float(y)) for x, y in ring]))

    def contains(self, position: Position) -> bool:
        """Whether the position lies inside or on the boundary."""
        return bool(self.geometry.covers(Point(position.lon, position.lat)))

    def to_geojson(self) -> dict[str, Any]:
        """The GeoJSON geometry mapping."""
        return dict(mapping(self.geometry))

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """``(min_lon, min_lat, max_lon, max_lat)``."""
        min_x, min_y, max_x, max_y = self.geometry.bounds
        return (min_x, min_y, max_x, max_y)
