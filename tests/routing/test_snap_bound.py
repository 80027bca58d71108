"""Router.snap_reach: for every place a router can snap within the radius, the least gap it
reports for that place's distance is no more than the place's own ``0.99 × straight line −
snap``, on real OSM walk networks and the synthetic town, with points far off every road too;
a closure in force gives no reach (only the maximum snap distance bounds a snap then)."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from fleet.city import OsmSource, SyntheticSpec
from fleet.geo import Area, Position
from fleet.zones import Zone, ZoneKind
from routing.engine import Router
from routing.modes import Mode
from routing.network import RoadNetwork
from tests.routing.conftest import SHARED_FILES

RADIUS_M = 400.0


def _metres(a: Position, b: Position) -> float:
    """The straight line between two points, equirectangular (as the snaps measure)."""
    dy = (b.lat - a.lat) * 111_320
    dx = (b.lon - a.lon) * 111_320 * math.cos(math.radians((a.lat + b.lat) / 2))
    return math.hypot(dx, dy)


def _points(net: RoadNetwork, rng: np.random.Generator, n: int) -> list[Position]:
    """Points over the network's box and 600 m around it: on roads, between, and far off."""
    pad_lat, pad_lon = 600 / 111_320, 600 / (111_320 * np.cos(np.radians(net.lat.mean())))
    lat = rng.uniform(net.lat.min() - pad_lat, net.lat.max() + pad_lat, n)
    lon = rng.uniform(net.lon.min() - pad_lon, net.lon.max() + pad_lon, n)
    return [Position(float(a), float(b)) for a, b in zip(lat, lon, strict=True)]


def _holds(router: Router, rng: np.random.Generator) -> list[float]:
    """Check the reach of many riders against places around each; the gaps at 0 m."""
    gaps = []
    for p in _points(router.network, rng, 80):
        reach = router.snap_reach(p, RADIUS_M)
        assert reach is not None
        gaps.append(reach.least_gap_m(0.0))
        dlat = rng.uniform(-RADIUS_M, RADIUS_M, 60) / 111_320
        dlon = rng.uniform(-RADIUS_M, RADIUS_M, 60) / (111_320 * np.cos(np.radians(p.lat)))
        places = [Position(p.lat + a, p.lon + b) for a, b in zip(dlat, dlon, strict=True)]
        for q, snap in zip(places, router.snap_many(places, strict=False), strict=True):
            if snap.edge < 0:  # too far from the roads: nobody reaches a vehicle there
                continue
            straight = _metres(p, q)
            own_gap = 0.99 * straight - snap.distance_m
            for s in (0.0, straight / 2, straight):  # what a search up to s still has unread
                assert reach.least_gap_m(s) <= own_gap + 1e-6, (p, q, s, snap.distance_m)
    return gaps


def test_the_synthetic_town_reach_holds_and_beats_the_maximum(networks):
    router = Router(networks(OsmSource(synthetic=SyntheticSpec()), Mode.WALK))
    _holds(router, np.random.default_rng(3))
    net = router.network
    middle = Position(float(np.median(net.lat)), float(np.median(net.lon)))
    reach = router.snap_reach(middle, RADIUS_M)
    assert reach is not None
    # streets every block: 200 m out, the floor is far above the maximum snap's
    assert reach.least_gap_m(200.0) > 0.99 * 200.0 - router.max_snap_distance_m + 100


@pytest.mark.shared_data
@pytest.mark.parametrize("name", SHARED_FILES[:3])
def test_real_walk_networks_reach_holds(name, data_dir, networks):
    router = Router(networks(OsmSource(file=data_dir / "osm" / name), Mode.WALK))
    _holds(router, np.random.default_rng(11))


def test_a_closure_in_force_gives_no_reach(networks):
    router = Router(networks(OsmSource(synthetic=SyntheticSpec()), Mode.WALK))
    net = router.network
    lat, lon = float(np.median(net.lat)), float(np.median(net.lon))
    d = 0.002
    ring = [[lon - d, lat - d], [lon + d, lat - d], [lon + d, lat + d], [lon - d, lat + d]]
    now = datetime(2026, 3, 2, 9, tzinfo=UTC)
    closure = Zone(
        "c1", "op", ZoneKind.HAZARD_CLOSURE, "works", Area.from_ring([*ring, ring[0]]),
        active_from=now - timedelta(hours=1), active_until=now + timedelta(hours=1),
    )  # fmt: skip
    here = Position(lat, lon)
    assert router.snap_reach(here, RADIUS_M, [closure], now) is None
    assert router.snap_reach(here, RADIUS_M, [closure], now + timedelta(hours=2)) is not None
