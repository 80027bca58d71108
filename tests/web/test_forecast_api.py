"""Demand forecasts through the real queue (issue 13): the demo's generated history, the
scheduler's hourly refresh run by a real worker process on real Redis, and managers reading
GeoJSON cells whose values add up to the city's forecast."""

from __future__ import annotations

from collections import Counter
from datetime import UTC

import pytest
from rq import Queue
from sqlalchemy import func, select

from cli.demo import seed_demo
from cli.main import prepare_city
from dispatch.queue.connection import QUEUES, connect
from fleet.catalog import DEFAULT_CATALOG
from fleet.clock import FixedClock
from fleet.db.engine import writing
from fleet.db.tables import bookings, demand_forecasts, ride_history
from fleet.ids import RandomIds
from tests.conftest import SEOUL
from tests.web.test_bookings import login
from tests.web.test_delivery_worker import run, worker_env
from web import create_app


@pytest.fixture
def history_demo(engine, settings, clock, redis_url):
    """The demo on the synthetic city with 15 days of generated ride history."""
    prepared = prepare_city(settings, "synthetic")
    utc = FixedClock(clock.now().astimezone(UTC))  # as the system clock tells it
    with writing(engine) as conn:
        summary = seed_demo(
            conn, profile=prepared.profile, layout=prepared.layout, graphs=prepared.graphs,
            n_vehicles=40, clock=utc, ids=RandomIds(), catalog=DEFAULT_CATALOG, seed=2,
            history_days=15,
        )  # fmt: skip
    app = create_app(settings.with_overrides(redis_url=redis_url), engine=engine, clock=clock)
    return app, summary


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)  # the refresh: both, elsewhere
def test_the_scheduled_refresh_runs_on_a_worker_and_managers_read_cells(
    history_demo, clock, redis_url, cache_dir, tmp_path
):
    app, summary = history_demo
    engine = app.extensions["fleetops"].engine
    client = app.test_client()
    manager = login(client, "manager")
    with engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(ride_history)).scalar_one()
        assert conn.execute(select(func.count()).select_from(bookings)).scalar_one() == 0
    assert stored == summary.history_rides > 1000  # history, never bookings
    with engine.connect() as conn:
        starts = conn.execute(select(ride_history.c.started_at)).scalars().all()
    local = Counter(s.astimezone(SEOUL).hour for s in starts)
    assert local[8] > 3 * local[3] and local[18] > 3 * local[4]  # Seoul's hours, not UTC's
    empty = client.get("/api/v1/ops/forecast?hours=3", headers=manager).get_json()
    assert empty["features"] == [] and empty["model"] is None

    redis = connect(redis_url)
    for name in QUEUES:
        Queue(name, connection=redis).empty()
    env = worker_env(engine, redis_url, cache_dir, tmp_path, clock)
    assert run(["scheduler", "--once"], env).returncode == 0
    queued = Queue("dispatch", connection=redis).get_jobs()
    refresh = next(j for j in queued if j.func_name.endswith("forecast_refresh"))
    worker = run(["worker", "--burst"], env)
    assert worker.returncode == 0, worker.stderr[-2000:]
    refresh.refresh()
    assert refresh.get_status() == "finished", refresh.latest_result().exc_string
    (outcome,) = refresh.return_value().values()
    assert "cells x 24 h" in outcome, outcome
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(demand_forecasts)).scalar_one() > 0

    r = client.get("/api/v1/ops/forecast?hours=6", headers=manager)
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["type"] == "FeatureCollection" and body["model"] == "gbm-weekly-no-weather"
    assert len(body["hours"]) == 6 and body["run_at"].endswith("+09:00")
    for n, hour in enumerate(body["hours"]):
        cells = sum(f["properties"]["hours"][n]["pickups"] for f in body["features"])
        rounding = 0.0005 * (len(body["features"]) + 1)  # values are given to 0.001
        assert cells == pytest.approx(hour["pickups"], abs=rounding)
        assert hour["pickups"] > 0
    first = body["features"][0]
    assert first["geometry"]["type"] == "Polygon" and len(first["geometry"]["coordinates"][0]) == 7
    slot = first["properties"]["hours"][0]
    assert slot["pickups_p10"] <= slot["pickups"] <= slot["pickups_p90"] + 1


def test_bad_hours_and_other_roles_are_refused(demo):
    client = demo[0].test_client()
    manager = login(client, "manager")
    for hours in ("0", "25", "six"):
        r = client.get(f"/api/v1/ops/forecast?hours={hours}", headers=manager)
        assert r.status_code == 422, r.get_json()
        assert "hours" in r.get_json()["error"]["message"]
    assert client.get("/api/v1/ops/forecast").status_code == 401
    assert client.get("/api/v1/ops/forecast", headers=login(client, "rider1")).status_code == 403
