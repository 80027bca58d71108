"""The nearest-first ranking a booking runs gives the exhaustive ranking's head, on SQLite and
PostgreSQL, in a fleet dense enough that the search stops early.

The reference is the ranking as bookings made it before: every available vehicle in the walking
reach read (``available_near``), walked to and ranked (``rank``).
"""

from __future__ import annotations

import random
import uuid

import pytest
import sqlalchemy as sa

from dispatch.riders.nearest import Fetch, rank_nearest
from dispatch.riders.ranking import WALK_M_PER_S, Candidate, RiderRules, rank
from fleet.catalog import DEFAULT_CATALOG, VehicleClass
from fleet.db import identity as idb
from fleet.db import riding as riding_db
from fleet.db.engine import reading, writing
from fleet.db.tables import vehicles
from fleet.geo import Area, Position
from fleet.zones import Zone, ZoneKind
from routing.engine import Router
from routing.exceptions import SnapTooFar
from tests.dispatch.conftest import NOON

CLASSES = (VehicleClass.E_KICKBOARD, VehicleClass.E_BIKE)
RULES = RiderRules(walk_limit_s=600, reserve_pct=15, min_range_m=3000)
HEAD = 8


def _box(walk: Router) -> tuple[float, float, float, float]:
    net = walk.network
    return float(net.lat.min()), float(net.lat.max()), float(net.lon.min()), float(net.lon.max())


def _seed(engine: sa.Engine, clock, walk: Router, n: int, rng: random.Random) -> str:
    """``n`` vehicles anywhere in the town's box (on and between its streets), a few of them
    of other statuses or classes, with charges from empty to full."""
    lat0, lat1, lon0, lon1 = _box(walk)
    statuses = ["available"] * 8 + ["reserved", "maintenance"]
    classes = [*map(str, CLASSES), str(VehicleClass.E_MOPED)]
    with writing(engine) as conn:
        op = idb.create_operator(conn, f"Dense {uuid.uuid4().hex[:6]}", "seoul-mapo", clock)
        rows = [
            {
                "id": str(uuid.UUID(int=rng.getrandbits(128))),
                "operator_id": op.id,
                "code": f"V-{i:05d}",
                "vehicle_class": rng.choice(classes),
                "lat": rng.uniform(lat0 - 0.0005, lat1 + 0.0005),
                "lon": rng.uniform(lon0 - 0.0005, lon1 + 0.0005),
                "soc_pct": rng.uniform(0, 100),
                "odometer_m": 0,
                "status": rng.choice(statuses),
                "battery_serial": None,
                "updated_at": NOON,
                "version": 1,
            }
            for i in range(n)
        ]
        conn.execute(sa.insert(vehicles), rows)
    return op.id


def _no_ride_zone(walk: Router, operator_id: str) -> Zone:
    """A no-ride square over a quarter of the town: vehicles in it are rejected."""
    lat0, lat1, lon0, lon1 = _box(walk)
    mid_lat, mid_lon = (lat0 + lat1) / 2, (lon0 + lon1) / 2
    ring = [[lon0, lat0], [mid_lon, lat0], [mid_lon, mid_lat], [lon0, mid_lat], [lon0, lat0]]
    return Zone(str(uuid.uuid4()), operator_id, ZoneKind.NO_RIDE, "quarter", Area.from_ring(ring))


def _pages(engine: sa.Engine, operator_id: str, rider: Position) -> Fetch:
    radius_m = RULES.walk_limit_s * WALK_M_PER_S

    def fetch(after: tuple[float, str] | None, limit: int) -> list[riding_db.NearRow]:
        with reading(engine) as conn:
            return riding_db.available_nearest(
                conn, operator_id, CLASSES, rider, radius_m, NOON, after=after, limit=limit
            )

    return fetch


@pytest.mark.parametrize("bounded", [False, True], ids=["max-snap", "snap-bound"])
@pytest.mark.parametrize("max_snap_m", [250.0, 40.0])
def test_the_head_is_the_exhaustive_rankings_head(engine, clock, walk, max_snap_m, bounded) -> None:
    router = Router(walk.network, max_snap_distance_m=max_snap_m)
    rng = random.Random(15)
    operator_id = _seed(engine, clock, walk, 3000, rng)
    zones = [_no_ride_zone(walk, operator_id)]
    lat0, lat1, lon0, lon1 = _box(walk)
    radius_m = RULES.walk_limit_s * WALK_M_PER_S
    cut = 0
    for k in range(30):
        rider = Position(rng.uniform(lat0, lat1), rng.uniform(lon0, lon1))
        trip_m = None if k % 3 else {VehicleClass.E_KICKBOARD: rng.randrange(1000, 30_000)}
        decide = {"rules": RULES, "catalog": DEFAULT_CATALOG, "zones": zones, "at": NOON}
        with reading(engine) as conn:
            every = riding_db.available_near(conn, operator_id, CLASSES, rider, radius_m, NOON)
        # small pages: the search has many places to stop, and stops early often
        pages = _pages(engine, operator_id, rider)
        if router.snap_many([rider], strict=False)[0].edge < 0:  # off the roads: both refuse
            with pytest.raises(SnapTooFar):
                rank(rider, [Candidate.of(v) for v in every], router, trip_m=trip_m, **decide)
            with pytest.raises(SnapTooFar):
                rank_nearest(rider, pages, router, enough=HEAD, first_page=16, trip_m=trip_m,
                             **decide)  # fmt: skip
            continue
        reference = rank(rider, [Candidate.of(v) for v in every], router, trip_m=trip_m, **decide)
        # bounded: the floor takes off the farthest snap in the rider's reach, not the maximum
        reach = router.snap_reach(rider, radius_m, zones, NOON) if bounded else None
        head, whole = rank_nearest(
            rider, pages, router, enough=HEAD, first_page=16, trip_m=trip_m,
            reach=reach, **decide,
        )  # fmt: skip
        if whole:
            assert head.ranked == reference.ranked
            assert head.rejected == reference.rejected
        else:
            cut += 1
            assert head.ranked == reference.ranked[:HEAD]
    assert cut >= 10  # the search did stop early: the comparison above is not all whole reads


def test_pages_follow_one_another_in_distance_order(engine, clock, walk) -> None:
    """Reading page by page gives the box's vehicles once each, nearest first (ties by id)."""
    rng = random.Random(7)
    operator_id = _seed(engine, clock, walk, 500, rng)
    lat0, lat1, lon0, lon1 = _box(walk)
    rider = Position((lat0 + lat1) / 2, (lon0 + lon1) / 2)
    with reading(engine) as conn:
        every = riding_db.available_near(conn, operator_id, CLASSES, rider, 300, NOON)
        pages, after = [], None
        while True:
            page = riding_db.available_nearest(
                conn, operator_id, CLASSES, rider, 300, NOON, after=after, limit=7
            )
            pages += page
            if len(page) < 7:
                break
            after = page[-1].key
    assert sorted(r.vehicle_id for r in pages) == sorted(v.id for v in every)
    assert [r.key for r in pages] == sorted(r.key for r in pages)
