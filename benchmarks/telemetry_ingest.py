"""Telemetry ingest, measured: the demo's gateway posting rides through ``POST /api/v1/telemetry``
(Flask's test client) on SQLite and PostgreSQL, then replaying them (part of
``benchmarks.telemetry``)."""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import shapely
import sqlalchemy as sa

from benchmarks.bookings import database
from benchmarks.common import timed
from benchmarks.telemetry_match import rides
from benchmarks.web_setup import DEMO_PASSWORD, PG_URL
from cli.demo import seed_demo
from cli.main import PreparedCity, prepare_city
from config.settings import Settings, load_settings
from dispatch.ops.surface import refresh
from dispatch.ops.telemetry import MAX_SAMPLES
from fleet.catalog import DEFAULT_CATALOG
from fleet.clock import FixedClock
from fleet.db.engine import writing
from fleet.db.tables import vehicles
from fleet.ids import RandomIds
from routing.load import load_network
from routing.modes import Mode
from routing.network import RoadNetwork
from routing.traces import Trace
from web import create_app

URL = "/api/v1/telemetry"
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Asia/Seoul"))
#: Rides are posted as if they began this long before the platform's clock, staggered.
RIDES_AGO = timedelta(hours=2)
STAGGER_S = 7.0
#: The rides' steady 4.5 m/s (``routing.traces.ride``'s default).
SPEED_KPH = 16.2


def demo_settings(var_dir: Path, data_dir: Path, cache_dir: Path) -> Settings:
    """Settings of an isolated platform on the synthetic city (no Redis: sign-in failures are
    counted in the process)."""
    return load_settings(
        {
            "FLEETOPS_VAR_DIR": str(var_dir),
            "FLEETOPS_CACHE_DIR": str(cache_dir),
            "FLEETOPS_DATA_DIR": str(data_dir),
            "FLEETOPS_CITY": "synthetic",
            "SECRET_KEY": "bench-secret",
        }
    )


def inside(traces: list[Trace], prepared: PreparedCity) -> list[Trace]:
    """The rides whose every sample lies in the demo's service area (else the batch is refused)."""
    area = prepared.layout.service_area.geometry
    keep = []
    for t in traces:
        lat, lon, _t = np.asarray(t.samples).T
        if shapely.contains_xy(area, lon, lat).all():
            keep.append(t)
    return keep


def batches(traces: list[Trace], vehicle_ids: list[str]) -> list[bytes]:
    """The rides' samples as the gateway posts them: in time order, ``MAX_SAMPLES`` a request,
    JSON-encoded beforehand (the client's cost is not the platform's)."""
    start = NOW - RIDES_AGO
    samples = []
    for k, (trace, vehicle_id) in enumerate(zip(traces, vehicle_ids, strict=False)):
        for i, ((lat, lon, t_s), rms) in enumerate(
            zip(trace.samples, trace.vibration_ms2.tolist(), strict=True)
        ):
            at = start + timedelta(seconds=k * STAGGER_S + t_s)
            sample: dict[str, Any] = {
                "id": f"ride{k}-{i}",
                "vehicle_id": vehicle_id,
                "at": at.isoformat(),
                "lat": lat,
                "lon": lon,
                "speed_kph": SPEED_KPH,
                "soc_pct": 70.0,
                "vibration_rms_ms2": round(rms, 3),
            }
            samples.append((at, sample))
    samples.sort(key=lambda pair: pair[0])
    bodies = [s for _at, s in samples]
    return [
        json.dumps({"samples": bodies[i : i + MAX_SAMPLES]}).encode()
        for i in range(0, len(bodies), MAX_SAMPLES)
    ]


def post_all(client: Any, token: str, bodies: list[bytes], replay: bool) -> list[float]:
    """Post every batch; the seconds of each. A first post must store every sample of it, a
    replay none."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    seconds = []
    for body in bodies:
        start = time.perf_counter()
        answer = client.post(URL, data=body, headers=headers)
        seconds.append(time.perf_counter() - start)
        n = len(json.loads(body)["samples"])
        expected = {"accepted": 0, "duplicates": n} if replay else {"accepted": n, "duplicates": 0}
        if answer.status_code != 200 or answer.get_json() != expected:
            msg = f"telemetry batch answered {answer.status_code} {answer.get_json()}"
            raise RuntimeError(msg)
    return seconds


def seeded_app(
    engine: sa.Engine, settings: Settings, prepared: PreparedCity, n_vehicles: int
) -> Any:
    """The demo seeded on ``engine`` and its app; the app and the riding vehicles' ids."""
    clock = FixedClock(NOW)
    with writing(engine) as conn:
        summary = seed_demo(
            conn, profile=prepared.profile, layout=prepared.layout, graphs=prepared.graphs,
            n_vehicles=n_vehicles, clock=clock, ids=RandomIds(), catalog=DEFAULT_CATALOG,
            seed=17,
        )  # fmt: skip
    query = (
        sa.select(vehicles.c.id)
        .where(vehicles.c.operator_id == summary.operator_id, vehicles.c.vehicle_class != "work_ev")
        .order_by(vehicles.c.id)
    )
    with engine.connect() as conn:
        riding = [r.id for r in conn.execute(query)]
    return create_app(settings, engine=engine, clock=clock), riding


def ingest_row(
    kind: str, settings: Settings, prepared: PreparedCity, net: RoadNetwork, size: tuple[int, int]
) -> dict[str, Any]:
    """Ingest (first posts and replays) and ingest + match on one database; ``size``: rides
    posted and demo vehicles."""
    n_rides, n_vehicles = size
    with database(kind) as engine:
        app, riding = seeded_app(engine, settings, prepared, n_vehicles)
        traces = inside(rides(net, n_rides, seed=170), prepared)[: len(riding)]
        bodies = batches(traces, riding)
        client = app.test_client()
        signed = client.post(
            "/api/v1/auth/token", json={"username": "gateway", "password": DEMO_PASSWORD}
        )
        token = signed.get_json()["token"]
        first = post_all(client, token, bodies, replay=False)
        again = post_all(client, token, bodies, replay=True)
        platform = app.extensions["fleetops"]
        match_s, done = timed(lambda: refresh(engine, platform.clock, platform.routers))
    n = sum(len(t.samples) for t in traces)
    ingest_s = sum(first)
    return {
        "database": kind,
        "rides": len(traces),
        "samples": n,
        "batches": len(bodies),
        "ingest_seconds": round(ingest_s, 3),
        "ingested_per_s": round(n / ingest_s),
        "batch_p50_ms": round(1000 * statistics.median(first), 1),
        "replayed_per_s": round(n / sum(again)),
        "match_seconds": round(match_s, 3),
        "matched_per_s": round(n / match_s),
        "roads": done.roads,
        "ingested_and_matched_per_s": round(n / (ingest_s + match_s)),
    }


def ingest_rows(
    settings: Settings, size: tuple[int, int], databases: Sequence[str]
) -> list[dict[str, Any]]:
    """:func:`ingest_row` per database; PostgreSQL skipped, with why, when it is not there."""
    with tempfile.TemporaryDirectory() as tmp:
        demo = demo_settings(Path(tmp), settings.data_dir, settings.cache_dir)
        prepared = prepare_city(demo, "synthetic")
        net = load_network(prepared.profile.source, Mode.BIKE, demo.cache_dir)
        rows = []
        for kind in databases:
            if kind == "postgresql" and (why := postgres_missing()):
                rows.append({"database": kind, "skipped": why})
                continue
            rows.append(ingest_row(kind, demo, prepared, net, size))
    return rows


def postgres_missing() -> str | None:
    """Why the benchmark's PostgreSQL server cannot be used, or ``None``."""
    probe = sa.create_engine(PG_URL)
    try:
        with probe.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as exc:
        return f"PostgreSQL not reachable at {PG_URL}: {type(exc).__name__}"
    finally:
        probe.dispose()
    return None
