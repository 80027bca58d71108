"""Routing errors."""

from __future__ import annotations

from fleet.exceptions import InvalidValue, OutsideServiceArea


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


class InsideClosure(InvalidValue):
    """A point lies inside a hazard closure that is active at the requested time."""

    def __init__(self, lat: float, lon: float, closure: str) -> None:
        self.lat, self.lon, self.closure = lat, lon, closure
        super().__init__(
            f"position ({lat:.6f}, {lon:.6f}) is inside the active closure {closure!r}; "
            "its roads are impassable until the closure ends"
        )


class SamplesOutOfOrder(InvalidValue):
    """Telemetry samples handed to the map matcher go back in time."""

    def __init__(self, index: int, t_s: float, previous_s: float) -> None:
        self.index, self.t_s, self.previous_s = index, t_s, previous_s
        super().__init__(
            f"sample {index} is at t={t_s:g} s, before sample {index - 1} at t={previous_s:g} s; "
            "sort a ride's samples by time (and drop duplicates) before matching"
        )
