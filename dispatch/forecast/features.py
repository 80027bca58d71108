"""What a model may know when it forecasts hour t for ``horizon`` hours ahead: counts of hours
up to t − horizon, and the calendar and weather of hours up to t (never later).

Every count feature here is a lag of at least ``horizon`` hours, so a matrix row for hour t
reads no count after t − horizon; calendar and weather features read row t and earlier rows
only. Missing values (before the first hour) are NaN, which the gradient-boosting models take
as missing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from functools import cache

import holidays
import numpy as np

from dispatch.forecast.hours import WEATHER, Floats, Hours

WEEK = 168
DAY = 24


def lag(values: Floats, k: int) -> Floats:
    """``values[t - k]`` at t (NaN for the first k hours)."""
    out = np.full(len(values), np.nan)
    if k < len(values):
        out[k:] = values[: len(values) - k]
    return out


def mean_ending(values: Floats, width: int, k: int) -> Floats:
    """The mean of the ``width`` values ending at t − k (NaN where fewer exist)."""
    sums = np.concatenate([[0.0], np.cumsum(values)])
    out = np.full(len(values), np.nan)
    t = np.arange(k + width - 1, len(values))
    out[t] = (sums[t - k + 1] - sums[t - k + 1 - width]) / width
    return out


def sum_ending(values: Floats, width: int) -> Floats:
    """The sum of the ``width`` values ending at t (fewer at the start)."""
    sums = np.concatenate([[0.0], np.cumsum(values)])
    t = np.arange(len(values))
    out: Floats = sums[t + 1] - sums[np.maximum(t + 1 - width, 0)]
    return out


@cache
def _korean_holidays(years: tuple[int, ...]) -> frozenset[date]:
    return frozenset(holidays.country_holidays("KR", years=years))


def public_holidays(hours: Hours) -> Floats:
    """1 on Korean public holidays (the ``holidays`` package, with substitute days) and on days
    the table marks a holiday, else 0."""
    days = [start.date() for start in hours.starts]
    known = _korean_holidays(tuple(sorted({d.year for d in days})))
    return np.array([float(d in known or h) for d, h in zip(days, hours.holiday, strict=True)])


def calendar(hours: Hours) -> tuple[Floats, Floats]:
    """The hour of day and the weekday (Monday 0) of each hour."""
    return (
        np.array([s.hour for s in hours.starts], dtype=np.float64),
        np.array([s.weekday() for s in hours.starts], dtype=np.float64),
    )


def plain(hours: Hours, horizon: int) -> Floats:
    """The plain GBM's features (issue 13): hour, weekday, the weather, Holiday, the counts at
    t − horizon, t − 24 (when 24 ≥ horizon) and t − 168, and the means of the 24 and 168 hours
    ending at t − horizon."""
    hour, weekday = calendar(hours)
    y = hours.counts
    columns = [hour, weekday, *hours.weather.T, hours.holiday.astype(np.float64), lag(y, horizon)]
    if horizon <= DAY:
        columns.append(lag(y, DAY))
    columns += [lag(y, WEEK), mean_ending(y, DAY, horizon), mean_ending(y, WEEK, horizon)]
    return np.column_stack(columns)


def richer(hours: Hours, horizon: int, *, weather: bool = True) -> Floats:
    """The best model's features: the plain ones (without the weather when ``weather`` is
    false), public holidays and the days around them, more recent lags, the same hour on the
    latest day and week that are known, and the rain of the hours before."""
    y = hours.counts
    base = plain(hours, horizon)
    if not weather:
        base = np.delete(base, range(2, 2 + len(WEATHER)), axis=1)
    off = public_holidays(hours)
    day_lag = DAY * -(-horizon // DAY)  # the same hour on the latest day that is known
    columns = [
        off,
        _around(hours, +1),  # the day before a holiday
        _around(hours, -1),  # the day after one
        lag(y, horizon + 1),
        lag(y, horizon + 2),
        lag(y, day_lag),
        lag(y, day_lag + WEEK - DAY) if day_lag < WEEK else lag(y, 2 * WEEK),
        lag(y, horizon) - lag(y, horizon + WEEK),
    ]
    if weather:
        rain = hours.weather[:, WEATHER.index("Rainfall")]
        columns += [lag(rain, 1), lag(rain, 2), sum_ending(rain, 6)]
    return np.column_stack([base, *columns])


def _around(hours: Hours, days: int) -> Floats:
    """1 where the day ``days`` later is a public holiday. Only the published calendar is read
    for it, never a later row of the table (the calendar is known ahead, a row is not)."""
    later = [s.date() + timedelta(days=days) for s in hours.starts]
    known = _korean_holidays(tuple(sorted({d.year for d in later})))
    return np.array([float(d in known) for d in later])


FeatureMaker = Callable[[Hours, int], Floats]
