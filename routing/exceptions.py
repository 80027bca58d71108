"""Routing errors."""

from __future__ import annotations

from fleet.exceptions import OutsideServiceArea


class GraphBuildError(ValueError):
    """An OSM source could not be turned into a road graph (missing, corrupt, no roads)."""


class NoNetwork(GraphBuildError, ConnectionError):
    """A place-name download was asked for without internet access."""


class SnapTooFar(OutsideServiceArea):
    """A point is farther from every road than the maximum snap distance."""

    def __init__(self, lat: float, lon: float, distance_m: float, max_m: float) -> None:
        self.distance_m, self.max_m = distance_m, max_m
        super().__init__(
            lat, lon, f"the nearest road is {distance_m:.0f} m away, more than {max_m:.0f} m"
        )
