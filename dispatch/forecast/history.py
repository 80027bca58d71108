"""Ride history for cities without their own: a seeded generator whose hourly totals follow a
real hourly profile (Seoul's, from the rentals table) scaled to the fleet, and whose origins and
destinations follow cell weights (``dispatch.forecast.cells``).

Generated rides are history, never bookings: they are stored apart with their ``source`` and
never reach receipts, CO2 totals or open-data trips. The digital twin reuses the generator.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

import numpy as np

from dispatch.forecast.cells import centre
from dispatch.forecast.hours import Floats
from fleet.geo import Position
from fleet.rides import PastRide

#: Ride durations: log-normal around a median of 14 minutes (most shared-bike rides are short).
MEDIAN_RIDE_S, RIDE_SPREAD = 14 * 60.0, 0.6
#: How far from a cell's centre a generated ride starts or ends: well inside a resolution-9
#: hexagon (its inner radius is about 150 m), so the position stays in its cell.
JITTER_M = 60.0


def hour_of_week_profile(starts: Sequence[datetime], counts: Floats) -> Floats:
    """The mean count of each hour of the week (Monday 00h first) over the hours given."""
    slots = np.array([s.weekday() * 24 + s.hour for s in starts])
    sums = np.bincount(slots, counts, minlength=168)
    seen = np.bincount(slots, minlength=168)
    out: Floats = np.divide(sums, seen, out=np.zeros(168), where=seen > 0)
    return out


def generate(
    first_hour: datetime,
    hours: int,
    profile: Floats,
    rides_per_day: float,
    origins: Mapping[str, float],
    destinations: Mapping[str, float],
    *,
    seed: int,
) -> list[PastRide]:
    """Rides over ``hours`` hours from ``first_hour`` (timezone-aware, on the hour).

    Each hour's expected number of rides is ``profile`` at its hour of the week in
    ``first_hour``'s zone (give it in the city's zone: the profile is local time), scaled so a
    mean day has ``rides_per_day``; the number is Poisson. Origins and destinations are drawn
    by their cell weights, independently; positions lie near the cells' centres.
    """
    rng = np.random.default_rng(seed)
    scale = rides_per_day / max(float(profile.sum()) / 7.0, 1e-9)
    o_cells, o_weights = _cells(origins)
    d_cells, d_weights = _cells(destinations)
    rides = []
    zone, first = first_hour.tzinfo, first_hour.astimezone(UTC)
    for h in range(hours):
        start = (first + timedelta(hours=h)).astimezone(zone)
        expected = profile[start.weekday() * 24 + start.hour] * scale
        n = int(rng.poisson(expected))
        if n == 0:
            continue
        offsets = rng.uniform(0, 3600, n)
        durations = rng.lognormal(math.log(MEDIAN_RIDE_S), RIDE_SPREAD, n)
        froms = rng.choice(len(o_cells), n, p=o_weights)
        tos = rng.choice(len(d_cells), n, p=d_weights)
        for k in range(n):
            began = start + timedelta(seconds=float(offsets[k]))
            rides.append(
                PastRide(
                    began,
                    began + timedelta(seconds=float(durations[k])),
                    _near(centre(o_cells[froms[k]]), rng),
                    _near(centre(d_cells[tos[k]]), rng),
                )
            )
    return rides


def _cells(weights: Mapping[str, float]) -> tuple[list[str], Floats]:
    cells = sorted(weights)
    w = np.array([weights[c] for c in cells], dtype=np.float64)
    return cells, w / w.sum()


def _near(point: Position, rng: np.random.Generator) -> Position:
    """A position within ``JITTER_M`` of ``point``."""
    distance = JITTER_M * math.sqrt(rng.uniform())
    bearing = rng.uniform(0, 2 * math.pi)
    dlat = distance * math.cos(bearing) / 111_320.0
    dlon = distance * math.sin(bearing) / (111_320.0 * math.cos(math.radians(point.lat)))
    return Position(point.lat + dlat, point.lon + dlon)
