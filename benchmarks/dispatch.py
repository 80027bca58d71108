"""Booking-decision latency: the rider dispatcher against brute force, in one process.

For each city and fleet size, N available vehicles stand on random road points of the bike
network in a SQLite database; 200 riders at random road points ask for a kickboard or an e-bike.
`decision`: the platform's path (a bounding-box query for vehicles within the walking limit, then
walking times to those only and the ranking). `baseline`: brute force (every available vehicle,
walking time to each, the same ranking rules), timed on the first 20 riders. Writes
docs/benchmarks/dispatch.md and .json.
"""

from __future__ import annotations

import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa
from tqdm import tqdm

from benchmarks.common import machine, settings_for_bench, table, write
from benchmarks.routing import SYNTHETIC_25K, road_points, warm_up
from dispatch.riders.ranking import WALK_M_PER_S, Candidate, RiderRules, rank
from fleet.catalog import DEFAULT_CATALOG, VehicleClass
from fleet.city import OsmSource
from fleet.clock import FixedClock
from fleet.db import identity as idb
from fleet.db import riding as riding_db
from fleet.db import sites as sdb
from fleet.db.engine import make_engine, writing
from fleet.db.migrate import upgrade
from fleet.db.tables import vehicles
from fleet.zones import Zone, ZoneKind
from routing.city import derive_service_area
from routing.engine import Router
from routing.load import load_network
from routing.modes import Mode

SIZES = (1_000, 10_000)
RIDERS = 200
#: Brute force is slow at 10,000 vehicles: it is timed on the first riders only.
BASELINE_RIDERS = 20
RULES = RiderRules(walk_limit_s=600, reserve_pct=15, min_range_m=3000)
CLASSES = (VehicleClass.E_KICKBOARD, VehicleClass.E_BIKE)
NOW = datetime(2026, 7, 14, 8, 0, tzinfo=UTC)


def seed(engine: sa.Engine, bike_net: Any, n: int, rng: np.random.Generator) -> str:
    clock = FixedClock(NOW)
    with writing(engine) as conn:
        op = idb.create_operator(conn, f"Bench {uuid.uuid4().hex[:6]}", "bench", clock)
        sdb.insert_zone(
            conn,
            Zone(
                str(uuid.uuid4()),
                op.id,
                ZoneKind.SERVICE_AREA,
                "area",
                derive_service_area(bike_net.graph, None),
            ),
            clock,
        )
        points = road_points(bike_net, n, rng)
        rows = [
            {
                "id": str(uuid.uuid4()),
                "operator_id": op.id,
                "code": f"V-{i:06d}",
                "vehicle_class": str(CLASSES[i % 2]),
                "lat": p.lat,
                "lon": p.lon,
                "soc_pct": float(rng.uniform(20, 100)),
                "odometer_m": 0,
                "status": "available",
                "battery_serial": None,
                "updated_at": NOW,
                "version": 1,
            }
            for i, p in enumerate(points)
        ]
        conn.execute(sa.insert(vehicles), rows)
    return op.id


def all_available(conn: sa.Connection, operator_id: str) -> list[Candidate]:
    rows = conn.execute(
        sa.select(
            vehicles.c.id,
            vehicles.c.vehicle_class,
            vehicles.c.lat,
            vehicles.c.lon,
            vehicles.c.soc_pct,
        ).where(vehicles.c.operator_id == operator_id, vehicles.c.status == "available")
    ).all()
    from fleet.geo import Position

    return [
        Candidate(r.id, VehicleClass(r.vehicle_class), Position(r.lat, r.lon), r.soc_pct)
        for r in rows
    ]


def measure(label: str, source: OsmSource, cache: Path) -> list[dict[str, Any]]:
    walk = Router(load_network(source, Mode.WALK, cache))
    bike_net = load_network(source, Mode.BIKE, cache)
    rows = []
    for n in SIZES:
        rng = np.random.default_rng(n)
        with tempfile.TemporaryDirectory() as tmp:
            engine = make_engine(f"sqlite:///{tmp}/bench.db")
            upgrade(engine)
            operator_id = seed(engine, bike_net, n, rng)
            riders = road_points(walk.network, RIDERS, rng)  # riders stand where one walks
            fast, slow, agree = [], [], 0
            for k, rider in enumerate(
                tqdm(riders, desc=f"{label}, {n} vehicles", unit="rider", file=sys.stderr)
            ):
                start = time.perf_counter()
                with engine.connect() as conn:
                    near = [
                        Candidate.of(v)
                        for v in riding_db.available_near(
                            conn,
                            operator_id,
                            CLASSES,
                            rider,
                            RULES.walk_limit_s * WALK_M_PER_S,
                            NOW,
                        )
                    ]
                chosen = rank(
                    rider, near, walk, rules=RULES, catalog=DEFAULT_CATALOG, zones=[], at=NOW
                )
                fast.append(time.perf_counter() - start)
                if k >= BASELINE_RIDERS:
                    continue
                start = time.perf_counter()
                with engine.connect() as conn:
                    everything = all_available(conn, operator_id)
                brute = rank(
                    rider, everything, walk, rules=RULES, catalog=DEFAULT_CATALOG, zones=[], at=NOW
                )
                slow.append(time.perf_counter() - start)
                best = [r.walk_s for r in chosen.ranked[:1]]
                agree += best == [r.walk_s for r in brute.ranked[:1]]
            engine.dispose()
        ms = np.array(fast) * 1000
        base = np.array(slow) * 1000
        rows.append(
            {
                "city": label,
                "vehicles": n,
                "riders": RIDERS,
                "p50_ms": round(float(np.percentile(ms, 50)), 2),
                "p99_ms": round(float(np.percentile(ms, 99)), 2),
                "baseline_p50_ms": round(float(np.percentile(base, 50)), 2),
                "baseline_p99_ms": round(float(np.percentile(base, 99)), 2),
                "same_choice_pct": round(100 * agree / BASELINE_RIDERS, 1),
            }
        )
    return rows


def main() -> None:
    settings = settings_for_bench()
    data_dir, cache = settings.data_dir, settings.cache_dir
    if not (data_dir / "osm" / "andorra.osm.bz2").exists():
        sys.exit(f"dispatch benchmark needs {data_dir / 'osm'} (FLEETOPS_DATA_DIR)")
    warm_up()
    rows = measure("andorra", OsmSource(file=data_dir / "osm" / "andorra.osm.bz2"), cache)
    rows += measure("synthetic-25k", OsmSource(synthetic=SYNTHETIC_25K), cache)
    md = [
        "# Dispatch benchmarks",
        "",
        f"Measured by `make bench` on {machine()}.",
        "",
        "## Rider booking decision latency",
        "",
        __doc__.split("\n\n", 1)[1].strip(),
        "",
        "`same_choice_pct`: riders for whom both found a vehicle at the same walking time.",
        "",
        table(
            rows,
            [
                ("city", "city"),
                ("vehicles", "vehicles"),
                ("riders", "riders"),
                ("p50_ms", "p50 ms"),
                ("p99_ms", "p99 ms"),
                ("baseline_p50_ms", "baseline p50 ms"),
                ("baseline_p99_ms", "baseline p99 ms"),
                ("same_choice_pct", "same choice %"),
            ],
        ),
    ]
    path = write("dispatch", rows, "\n".join(md))
    print(f"wrote {path}")
