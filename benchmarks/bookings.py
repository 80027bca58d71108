"""A booking's decision in a dense fleet: every vehicle in reach against the nearest first.

10,000 vehicles (6,000 kickboards and e-bikes, the rest mopeds and work EVs, which riders asking
for a kickboard or an e-bike do not see) stand on random road points of the synthetic 14 × 14
block town (1.5 × 1.5 km: 4,200 vehicles a km², half the demo's 8,000), in SQLite and in a
PostgreSQL schema of the benchmark's own. 100 riders at random road points ask for a kickboard
or an e-bike, in one process, each decided three ways in the same run: `exhaustive` is the
decision as bookings first made it (read every available vehicle within the walking reach,
walk to each, rank them: ``available_near`` + ``rank``); `nearest` reads pages of the nearest by
straight line, ranked until no unread one can make the first eight (``available_nearest`` +
``rank_nearest``), taking the router's maximum snap distance (250 m) off every unread vehicle's
straight line; `reach` is the one bookings make now: the same, but each unread place's snap is
bounded cell by 50 m cell of the rider's reach (``Router.snap_reach``), so the search stops
nearer. The hold itself (one conditional update) is the same in all and not timed, and all walk
with today's ``Router.within``. `p50 ratio` is exhaustive over reach. Writes
docs/benchmarks/bookings.md and .json.
"""

from __future__ import annotations

import contextlib
import sys
import tempfile
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import sqlalchemy as sa

from benchmarks.common import machine, settings_for_bench, table, write
from benchmarks.dispatch import NOW, RULES, seed
from benchmarks.routing import road_points, warm_up
from benchmarks.web_setup import pg_schema
from dispatch.riders.bookings import HEAD
from dispatch.riders.nearest import rank_nearest
from dispatch.riders.ranking import WALK_M_PER_S, Candidate, rank
from fleet.catalog import DEFAULT_CATALOG, VehicleClass
from fleet.city import OsmSource, SyntheticSpec
from fleet.db import riding as riding_db
from fleet.db.engine import make_engine, reading, writing
from fleet.db.migrate import upgrade
from fleet.db.tables import vehicles
from fleet.geo import Position
from routing.engine import Router
from routing.load import load_network
from routing.modes import Mode

TOWN = OsmSource(synthetic=SyntheticSpec())
VEHICLES = 10_000
RIDERS = 100
WANTED = (VehicleClass.E_KICKBOARD, VehicleClass.E_BIKE)
#: Of every ten vehicles, which classes: six the riders ask for, four they do not.
MIX = (*WANTED * 3, VehicleClass.E_MOPED, VehicleClass.E_MOPED, VehicleClass.E_MOPED,
       VehicleClass.WORK_EV)  # fmt: skip


@contextlib.contextmanager
def database(kind: str) -> Iterator[sa.Engine]:
    """A new, migrated database of the benchmark's own, removed after."""
    with contextlib.ExitStack() as stack:
        if kind == "sqlite":
            tmp = stack.enter_context(tempfile.TemporaryDirectory())
            url = f"sqlite:///{tmp}/bench.db"
        else:
            url = stack.enter_context(pg_schema())
        engine = make_engine(url)
        stack.callback(engine.dispose)
        upgrade(engine)
        yield engine


def exhaustive(engine: sa.Engine, operator_id: str, rider: Position, walk: Router) -> Any:
    with reading(engine) as conn:
        near = riding_db.available_near(
            conn, operator_id, WANTED, rider, RULES.walk_limit_s * WALK_M_PER_S, NOW
        )
    candidates = [Candidate.of(v) for v in near]
    return rank(rider, candidates, walk, rules=RULES, catalog=DEFAULT_CATALOG, zones=[], at=NOW)


def nearest(
    engine: sa.Engine, operator_id: str, rider: Position, walk: Router, *, reach: bool
) -> Any:
    radius_m = RULES.walk_limit_s * WALK_M_PER_S
    pages: list[int] = []

    def fetch(after: tuple[float, str] | None, limit: int) -> list[riding_db.NearRow]:
        pages.append(limit)
        with reading(engine) as conn:
            return riding_db.available_nearest(
                conn, operator_id, WANTED, rider, radius_m, NOW, after=after, limit=limit,
            )  # fmt: skip

    ranking, _whole = rank_nearest(
        rider, fetch, walk, enough=HEAD, rules=RULES, catalog=DEFAULT_CATALOG, zones=[], at=NOW,
        reach=walk.snap_reach(rider, radius_m) if reach else None,
    )  # fmt: skip
    return ranking, len(pages)


def measure(kind: str, walk: Router, bike_net: Any) -> dict[str, Any]:
    rng = np.random.default_rng(15)
    with database(kind) as engine:
        operator_id = seed(engine, bike_net, VEHICLES, rng)
        with writing(engine) as conn:  # the seed's classes alternate; give them the mix
            ids = [r.id for r in conn.execute(sa.select(vehicles.c.id).order_by(vehicles.c.id))]
            conn.execute(
                sa.update(vehicles)
                .where(vehicles.c.id == sa.bindparam("vid"))
                .values(vehicle_class=sa.bindparam("cls")),
                [{"vid": v, "cls": str(MIX[k % len(MIX)])} for k, v in enumerate(ids)],
            )
        riders = road_points(walk.network, RIDERS, rng)
        old, new, bounded, same, seen = [], [], [], 0, []
        pages: dict[bool, list[int]] = {False: [], True: []}
        for rider in riders:
            start = time.perf_counter()
            before = exhaustive(engine, operator_id, rider, walk)
            old.append(time.perf_counter() - start)
            heads = []
            for reach, times in ((False, new), (True, bounded)):
                start = time.perf_counter()
                after, read = nearest(engine, operator_id, rider, walk, reach=reach)
                times.append(time.perf_counter() - start)
                pages[reach].append(read)
                heads.append(after.ranked == before.ranked[:HEAD])
            same += all(heads)
            seen.append(len(before.ranked))
    o, n, r = np.array(old) * 1000, np.array(new) * 1000, np.array(bounded) * 1000
    return {
        "database": kind,
        "vehicles": VEHICLES,
        "riders": RIDERS,
        "candidates_mean": round(float(np.mean(seen))),
        "exhaustive_p50_ms": round(float(np.percentile(o, 50)), 1),
        "exhaustive_p99_ms": round(float(np.percentile(o, 99)), 1),
        "nearest_p50_ms": round(float(np.percentile(n, 50)), 1),
        "nearest_p99_ms": round(float(np.percentile(n, 99)), 1),
        "nearest_pages_mean": round(float(np.mean(pages[False])), 2),
        "reach_p50_ms": round(float(np.percentile(r, 50)), 1),
        "reach_p99_ms": round(float(np.percentile(r, 99)), 1),
        "reach_pages_mean": round(float(np.mean(pages[True])), 2),
        "p50_ratio": round(float(np.percentile(o, 50) / np.percentile(r, 50)), 1),
        "same_head_pct": round(100 * same / RIDERS, 1),
    }


def main() -> None:
    cache = settings_for_bench().cache_dir
    warm_up()
    walk = Router(load_network(TOWN, Mode.WALK, cache))
    bike_net = load_network(TOWN, Mode.BIKE, cache)
    rows = [measure(kind, walk, bike_net) for kind in ("sqlite", "postgresql")]
    md = [
        "# Booking decision in a dense fleet",
        "",
        f"Measured by `python -m benchmarks bookings` on {machine()}, a machine shared with "
        "other work: the times are of a loaded machine, the ratio is the point.",
        "",
        __doc__.split("\n\n", 1)[1].strip(),
        "",
        "`candidates_mean`: vehicles the exhaustive ranking walked to and kept, per rider. "
        f"`same_head_pct`: riders whose first {HEAD} were the same vehicles in the same order "
        "all three ways. `pages`: reads of candidates per rider (128, then 512, then 2,048).",
        "",
        table(
            rows,
            [
                ("database", "database"),
                ("vehicles", "vehicles"),
                ("riders", "riders"),
                ("candidates_mean", "ranked (exhaustive)"),
                ("exhaustive_p50_ms", "exhaustive p50 ms"),
                ("exhaustive_p99_ms", "exhaustive p99 ms"),
                ("nearest_p50_ms", "nearest p50 ms"),
                ("nearest_p99_ms", "nearest p99 ms"),
                ("nearest_pages_mean", "nearest pages"),
                ("reach_p50_ms", "reach p50 ms"),
                ("reach_p99_ms", "reach p99 ms"),
                ("reach_pages_mean", "reach pages"),
                ("p50_ratio", "p50 ratio"),
                ("same_head_pct", "same head %"),
            ],
        ),
        "",
    ]
    print(write("bookings", rows, "\n".join(md)), file=sys.stderr)
