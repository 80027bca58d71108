"""Demand cells (issue 13): rides generated from real Seoul station weights teach those weights
back, the generator's hours follow the real hourly profile, and the spread of a city forecast
over cells adds up to it."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from dispatch.forecast.cells import (
    cell_of,
    cells_over,
    learn_shares,
    total_variation,
    weights_from_points,
)
from dispatch.forecast.history import generate, hour_of_week_profile
from dispatch.forecast.hours import read_hours
from dispatch.forecast.spread import duration_mix, spread
from fleet.geo import Position
from tests.conftest import need

SEOUL = ZoneInfo("Asia/Seoul")
MONDAY = datetime(2026, 3, 2, tzinfo=SEOUL)


@pytest.fixture(scope="module")
def mapo(data_dir):
    """Real Ttareungi stations of Mapo-gu, the cells around them and their weights."""
    path = data_dir / "trips" / "seoul_ttareungi_stations_2020.tsv"
    need(path.is_file(), f"Seoul's station list is missing at {path}")
    with path.open(encoding="utf-8") as rows:
        stations = [
            Position(float(r[4]), float(r[5]))
            for r in csv.reader(rows, delimiter="\t")
            if r[0] == "마포구"
        ]
    lats, lons = [p.lat for p in stations], [p.lon for p in stations]
    ring = [
        (min(lons), min(lats)),
        (max(lons), min(lats)),
        (max(lons), max(lats)),
        (min(lons), max(lats)),
        (min(lons), min(lats)),
    ]
    cells = cells_over(ring)
    return stations, cells, weights_from_points(stations, cells)


@pytest.fixture(scope="module")
def profile(data_dir):
    path = data_dir / "demand" / "seoul_bike_hourly_2017-12_2018-08.csv"
    need(path.is_file(), f"the Seoul demand table is missing at {path}")
    with path.open(encoding="utf-8", newline="") as lines:
        hours = read_hours(lines, str(path))
    return hour_of_week_profile(hours.starts, hours.counts)


@pytest.mark.shared_data
def test_shares_learned_from_generated_rides_come_back_within_005(mapo, profile):
    stations, cells, weights = mapo
    assert len(stations) > 50 and len(cells) > 100
    rides = generate(MONDAY, 28 * 24, profile, 1500, weights, weights, seed=11)
    even = {c: 1 / len(cells) for c in cells}  # a prior far from the truth
    learned = learn_shares((cell_of(r.start) for r in rides), even)
    assert learned.rides == len(rides)
    assert total_variation(learned.of, weights) < 0.05
    assert total_variation(even, weights) > 0.2  # the prior alone would not do
    ends = learn_shares((cell_of(r.end) for r in rides), even)
    assert total_variation(ends.of, weights) < 0.05


@pytest.mark.shared_data
def test_generated_hours_follow_the_real_profile_scaled_to_the_fleet(mapo, profile):
    _, _, weights = mapo
    rides = generate(MONDAY, 14 * 24, profile, 800, weights, weights, seed=3)
    per_hour = Counter(int((r.started_at - MONDAY) / timedelta(hours=1)) for r in rides)
    counts = np.array([per_hour.get(h, 0) for h in range(14 * 24)], dtype=float)
    expected = np.tile(profile, 2) * 800 / (profile.sum() / 7)
    assert abs(counts.sum() / 14 - 800) < 0.03 * 800
    assert np.corrcoef(counts, expected)[0, 1] > 0.9
    assert all(r.ended_at > r.started_at and r.started_at.tzinfo for r in rides)
    again = generate(MONDAY, 14 * 24, profile, 800, weights, weights, seed=3)
    assert again == rides


def test_a_city_forecast_spread_over_cells_adds_up_to_it():
    cells = [cell_of(Position(37.54 + 0.004 * k, 126.95)) for k in range(5)]
    origins = learn_shares([cells[0]] * 50 + [cells[1]] * 30, {c: 0.2 for c in cells})
    destinations = learn_shares([cells[4]] * 80, {c: 0.2 for c in cells})
    starts = [MONDAY + timedelta(hours=h) for h in range(6)]
    city = np.array([10.0, 40.0, 80.0, 60.0, 0.0, 25.0])
    mix = duration_mix([600.0, 1200.0, 2400.0, 4000.0])
    rows = spread(starts, city, origins, destinations, mix, relative_error=0.2)
    assert len(rows) == len(cells) * len(starts)
    for h, start in enumerate(starts):
        hour = [r for r in rows if r.start == start]
        assert sum(r.pickups for r in hour) == pytest.approx(city[h])
        assert all(r.pickups_p10 <= r.pickups <= r.pickups_p90 + 1 for r in hour)
    landed = sum(r.dropoffs for r in rows)
    assert landed == pytest.approx(np.convolve(city, mix)[:6].sum())
    busiest = max(rows, key=lambda r: r.dropoffs)
    assert busiest.cell == cells[4]
    # 10 and 20 min rides end in their hour 5/6 and 2/3 of the time, 40 min 1/3, 67 min never
    assert mix == pytest.approx(
        [(5 / 6 + 2 / 3 + 1 / 3) / 4, (1 / 6 + 1 / 3 + 2 / 3 + 8 / 9) / 4, 1 / 36, 0]
    )
