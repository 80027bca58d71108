"""``fleetops road-surface refresh`` on a seeded demo: rides posted by the demo's gateway are
matched and the index made in the command's process, with a summary; ``--queue`` without Redis
says what is missing."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import sqlalchemy as sa
from click.testing import CliRunner

from cli.main import cli
from config.cities import load_city
from config.settings import load_settings
from dispatch.ops.surface import CLASSES, MODE
from dispatch.ops.telemetry import ingest
from fleet.clock import SystemClock
from fleet.db.engine import make_engine, reading
from fleet.db.identity import authenticate
from fleet.db.surface import index_rows
from fleet.db.tables import vehicles
from routing import traces
from routing.load import load_network


def _post_rides(settings, n: int) -> None:
    engine = make_engine(settings.database_url)
    clock = SystemClock()
    city = load_city("synthetic", settings.data_dir)
    net = load_network(city.source, MODE, settings.cache_dir)
    with reading(engine) as conn:
        gateway = authenticate(conn, "gateway", "fleetops-demo")
        ids = sa.select(vehicles.c.id).where(vehicles.c.vehicle_class.in_(CLASSES))
        bikes = sorted(conn.scalars(ids))
    rng = np.random.default_rng(5)
    start = clock.now().timestamp() - 3 * 3600
    for k in range(n):
        trace = traces.ride(net, rng)
        shaken = trace.vibration_ms2.tolist()
        batch = [
            {
                "id": f"cli-{k}-{j}", "vehicle_id": bikes[k % len(bikes)],
                "at": _at(start + 600 * k + t), "lat": lat, "lon": lon, "speed_kph": 16.0,
                "soc_pct": 60.0, "vibration_rms_ms2": float(v),
            }
            for j, ((lat, lon, t), v) in enumerate(zip(trace.samples, shaken, strict=True))
        ]  # fmt: skip
        ingest(engine, clock, gateway, batch)
    engine.dispose()


def _at(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def test_refresh_matches_and_makes_the_index_here(tmp_path, cache_dir):
    env = {
        "FLEETOPS_VAR_DIR": str(tmp_path / "var"),
        "FLEETOPS_CACHE_DIR": str(cache_dir),
        "FLEETOPS_CITY": "synthetic",
        "DATABASE_URL": None,
        "REDIS_URL": None,
        "FLEETOPS_CONFIG": None,
    }
    seeded = CliRunner().invoke(cli, ["seed-demo", "--vehicles", "20"], env=env)
    assert seeded.exit_code == 0, seeded.output
    settings = load_settings({k: v for k, v in env.items() if v is not None})
    _post_rides(settings, 6)
    done = CliRunner().invoke(cli, ["road-surface", "refresh"], env=env)
    assert done.exit_code == 0, done.output
    assert "samples matched" in done.stdout and "ranked" in done.stdout
    engine = make_engine(settings.database_url)
    with reading(engine) as conn:
        assert index_rows(conn, "bike")
    engine.dispose()
    queued = CliRunner().invoke(cli, ["road-surface", "refresh", "--queue"], env=env)
    assert queued.exit_code == 2 and "REDIS_URL is unset" in queued.stderr
