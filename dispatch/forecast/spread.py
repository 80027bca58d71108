"""The city's hourly forecast spread over demand cells, with an uncertainty per cell and hour.

Pick-ups in a cell are the city forecast times the cell's origin share. Drop-offs follow the
pick-ups by the ride durations learned from rides (in whole hours) times the destination shares.
The uncertainty is a negative binomial around each mean: Poisson noise for the riders' own
randomness plus the city model's relative error, so Var = μ + (r·μ)² with r the model's RMSE
over its mean count; P10 and P90 are its quantiles (rebalancing sizes safety stock from them).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from scipy.stats import nbinom

from dispatch.forecast.cells import Shares
from dispatch.forecast.hours import Floats


@dataclass(frozen=True, slots=True)
class CellHour:
    """Expected pick-ups and drop-offs of one cell in one hour, with P10 and P90 of each."""

    cell: str
    start: datetime
    pickups: float
    pickups_p10: float
    pickups_p90: float
    dropoffs: float
    dropoffs_p10: float
    dropoffs_p90: float


def quantiles(mean: Floats, relative_error: float) -> tuple[Floats, Floats]:
    """P10 and P90 of a negative binomial with this mean and Var = μ + (r·μ)² (Poisson where
    r is 0, as a limit)."""
    r2 = max(relative_error, 1e-6) ** 2
    size = 1.0 / r2  # Var = μ + μ²/size
    p = size / (size + np.maximum(mean, 1e-12))
    low = nbinom.ppf(0.10, size, p)
    high = nbinom.ppf(0.90, size, p)
    zero = mean <= 0
    return np.where(zero, 0.0, low), np.where(zero, 0.0, high)


def duration_mix(durations_s: Sequence[float], max_hours: int = 3) -> Floats:
    """The share of rides that end 0, 1, ... ``max_hours`` hours after their start hour,
    assuming starts spread evenly over the hour (a 20-minute ride ends in the next hour a third
    of the time)."""
    mix = np.zeros(max_hours + 1)
    if not durations_s:
        mix[0] = 1.0
        return mix
    for d in durations_s:
        whole, part = divmod(max(d, 0.0) / 3600.0, 1.0)
        k = min(int(whole), max_hours)
        mix[k] += 1.0 - part
        mix[min(k + 1, max_hours)] += part
    shares: Floats = mix / mix.sum()
    return shares


def spread(
    starts: Sequence[datetime],
    city: Floats,
    origins: Shares,
    destinations: Shares,
    mix: Floats,
    relative_error: float,
) -> list[CellHour]:
    """Cell forecasts for each hour of ``starts`` from the city forecast ``city`` (one value
    per hour). The pick-ups of all cells in an hour sum to that hour's city forecast; drop-offs
    in the first hours count only the pick-ups forecast here (earlier rides are not known)."""
    city = np.asarray(city, dtype=np.float64)
    landing = np.convolve(city, mix)[: len(city)]  # rides ending in each hour
    cells = sorted(set(origins.of) | set(destinations.of))
    picks = _per_cell(cells, origins.of, city)
    drops = _per_cell(cells, destinations.of, landing)
    pick_lo, pick_hi = quantiles(picks, relative_error)
    drop_lo, drop_hi = quantiles(drops, relative_error)
    return [
        CellHour(
            cell,
            start,
            float(picks[i, h]),
            float(pick_lo[i, h]),
            float(pick_hi[i, h]),
            float(drops[i, h]),
            float(drop_lo[i, h]),
            float(drop_hi[i, h]),
        )
        for i, cell in enumerate(cells)
        for h, start in enumerate(starts)
    ]


def _per_cell(cells: Sequence[str], shares: Mapping[str, float], hourly: Floats) -> Floats:
    weights = np.array([shares.get(c, 0.0) for c in cells])
    out: Floats = np.outer(weights, hourly)
    return out
