"""Refreshing an operator's demand forecast (issue 13) on SQLite and PostgreSQL: four weeks of
generated ride history in, a forecast per demand cell and hour out, adding up to the city's,
and nothing stored when there is too little to learn from."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import func, select

from dispatch.forecast import cells
from dispatch.forecast.history import generate
from dispatch.ops import demand
from fleet.db import demand as demand_db
from fleet.db.engine import writing
from fleet.db.tables import demand_forecasts, ride_history
from fleet.exceptions import InvalidValue
from fleet.ids import RandomIds
from tests.conftest import AREA_A, SEOUL

#: A week-shaped profile: busy commutes on weekdays, a broad afternoon at weekends.
DAY = np.array(
    [2, 1, 1, 1, 1, 3, 8, 20, 30, 15, 10, 12, 14, 12, 12, 14, 18, 30, 25, 15, 10, 8, 5, 3]
)
PROFILE = np.concatenate([DAY] * 5 + [np.roll(DAY, 3) * 0.8] * 2).astype(float)


def service(world) -> demand.DemandService:
    """Prior points: one per cell of operator A's service area (an even prior)."""
    area = sorted(cells.cells_over(AREA_A))
    return demand.DemandService(
        world.engine, world.clock, SEOUL, points=lambda: [cells.centre(c) for c in area]
    )


def prior(svc) -> dict[str, float]:
    return svc.prior([{"type": "Polygon", "coordinates": [AREA_A]}])


def seed_history(world, weights, days: int) -> int:
    first = (world.clock.now() - timedelta(days=days)).replace(minute=0, second=0, microsecond=0)
    rides = generate(first, days * 24, PROFILE, 300, weights, weights, seed=4)
    with writing(world.engine) as conn:
        return demand_db.add_history(
            conn,
            world.a.id,
            "generated",
            rides,
            RandomIds(),
        )


def test_a_refresh_stores_a_forecast_per_cell_and_hour_that_adds_up(world):
    svc = service(world)
    cells_a = prior(svc)
    busy = sorted(cells_a)[:5]
    weights = {c: (10.0 if c in busy else 0.1) for c in cells_a}
    total = sum(weights.values())
    weights = {c: w / total for c, w in weights.items()}
    rides = seed_history(world, weights, 28)
    done = demand.refresh(svc, world.a.id)
    assert done.rides == rides and done.hours == 24 and 0 < done.relative_error < 2
    stored = demand.forecast(svc, world.a.id, 24)
    assert len(stored) == 24 * len(cells_a)
    by_hour: dict = {}
    for f in stored:
        by_hour[f.hour_start] = by_hour.get(f.hour_start, 0.0) + f.pickups
        assert f.pickups_p10 <= f.pickups <= f.pickups_p90 + 1
    assert len(by_hour) == 24
    # the morning peak outweighs the small hours, as in the history
    local = {h.astimezone(SEOUL).hour: v for h, v in by_hour.items()}
    assert local[8] > 3 * local[3]
    busiest = max(stored, key=lambda f: f.pickups)
    assert busiest.cell in busy
    # a second refresh replaces, never adds
    demand.refresh(svc, world.a.id)
    with world.engine.connect() as conn:
        n = conn.execute(select(func.count()).select_from(demand_forecasts)).scalar_one()
    assert n == 24 * len(cells_a)


def test_too_little_history_or_a_bad_horizon_is_refused_and_stores_nothing(world):
    svc = service(world)
    seed_history(world, prior(svc), 3)
    with pytest.raises(InvalidValue, match="at least 14 days"):
        demand.refresh(svc, world.a.id)
    for hours in (0, 25):
        with pytest.raises(InvalidValue, match="1 to 24"):
            demand.forecast(svc, world.a.id, hours)
    with world.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(demand_forecasts)).scalar_one() == 0
        assert conn.execute(select(func.count()).select_from(ride_history)).scalar_one() > 0


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)  # SQLite's writers take turns
def test_two_refreshes_storing_at_once_both_succeed_and_one_set_remains(world):
    """Two workers' refreshes may store at the same moment: they take turns (PostgreSQL would
    otherwise raise a unique violation on the second insert)."""
    import threading

    start = world.clock.now().replace(minute=0, second=0, microsecond=0)
    made = {
        run: [
            demand_db.CellForecast(
                f"89300000000{n:04d}",
                start + timedelta(hours=h),
                "m",
                world.clock.now(),
                run,
                0,
                2 * run,
                run,
                0,
                2 * run,
            )
            for n in range(30)
            for h in range(24)
        ]
        for run in (1.0, 2.0)
    }
    barrier, errors = threading.Barrier(2), []

    def store(run: float) -> None:
        barrier.wait(timeout=10)
        try:
            with writing(world.engine) as conn:
                demand_db.replace_forecasts(conn, world.a.id, made[run])
        except Exception as exc:  # the test reports any failure
            errors.append(exc)

    threads = [threading.Thread(target=store, args=(run,)) for run in made]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    with world.engine.connect() as conn:
        values = set(conn.execute(select(demand_forecasts.c.pickups)).scalars())
        assert conn.execute(select(func.count()).select_from(demand_forecasts)).scalar_one() == 720
    assert values in ({1.0}, {2.0})
