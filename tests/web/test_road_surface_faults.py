"""The road-surface refresh under faults and concurrency, on SQLite and PostgreSQL: a refresh
that dies midway keeps the matches it committed and the next one ends with the index a clean run
makes; refreshes running at once all finish and agree."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from dispatch.ops import surface
from fleet.db import surface as surface_db
from fleet.db.tables import telemetry
from tests.web.test_road_surface import ridden  # noqa: F401  (a fixture)


class Killed(Exception):
    """Stands for the worker dying between two of the refresh's transactions."""


def _matched(engine) -> int:
    with engine.connect() as conn:
        query = sa.select(sa.func.count()).select_from(telemetry)
        return conn.scalar(query.where(telemetry.c.road_edge.is_not(None)))


def _index(engine) -> list[dict]:
    with engine.connect() as conn:
        return surface_db.index_rows(conn, "bike")


def _clean_run_index(platform) -> list[dict]:
    """The index of a refresh that matches every sample afresh in one go."""
    with platform.engine.begin() as conn:
        surface_db.adopt_network(conn, "bike", "forget-the-matches", surface.CLASSES)
    surface.refresh(platform.engine, platform.clock, platform.routers)
    return _index(platform.engine)


def test_a_refresh_killed_midway_loses_nothing_and_the_next_one_finishes(ridden):  # noqa: F811
    _, platform, *_ = ridden

    def die_after_the_first_vehicle(done: int, total: int) -> None:
        if done == 1 and total > 2:
            raise Killed

    with pytest.raises(Killed):
        surface.refresh(
            platform.engine, platform.clock, platform.routers, progress=die_after_the_first_vehicle
        )
    kept = _matched(platform.engine)
    assert kept > 0, "the first vehicle's matches were committed"
    assert _index(platform.engine) == []  # no index half made
    again = surface.refresh(platform.engine, platform.clock, platform.routers)
    assert again.matched + again.unmatched + kept == _matched(platform.engine)
    after = _index(platform.engine)
    assert after and after == _clean_run_index(platform)


def test_refreshes_at_once_all_finish_and_agree(ridden):  # noqa: F811
    _, platform, *_ = ridden
    errors: list[BaseException] = []

    def run() -> None:
        try:
            surface.refresh(platform.engine, platform.clock, platform.routers)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    together = _index(platform.engine)
    assert together and together == _clean_run_index(platform)
