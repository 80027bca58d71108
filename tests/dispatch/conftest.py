"""Fixtures of the dispatch tests: small, named, and real where they stand for a real part."""

from __future__ import annotations

from datetime import datetime

import pytest

from fleet.catalog import DEFAULT_CATALOG
from fleet.city import OsmSource, SyntheticSpec
from fleet.geo import Position
from routing.engine import Router
from routing.load import load_network
from routing.modes import Mode

#: A town of 4 × 4 blocks of 110 m: a walk across it takes a few minutes.
SMALL_TOWN = OsmSource(synthetic=SyntheticSpec(seed=1, blocks_x=4, blocks_y=4))
NOON = datetime.fromisoformat("2026-03-02T12:00:00+09:00")


@pytest.fixture(scope="session")
def walk(cache_dir) -> Router:
    """The walking router of the small town (built once per run)."""
    return Router(load_network(SMALL_TOWN, Mode.WALK, cache_dir), max_snap_distance_m=250)


@pytest.fixture(scope="session")
def corners(walk) -> list[Position]:
    """The town's nodes nearest its south-west corner first: places on its streets."""
    net = walk.network
    order = sorted(range(len(net.lat)), key=lambda i: (net.lat[i] + net.lon[i], i))
    return [Position(float(net.lat[i]), float(net.lon[i])) for i in order]


@pytest.fixture
def catalog():
    """The default vehicle types."""
    return DEFAULT_CATALOG
