"""Routing fixtures: road networks built once per test run (in the run's cache)."""

from __future__ import annotations

import pytest

from fleet.city import OsmSource, SyntheticSpec
from routing.load import load_network
from routing.modes import Mode

SHARED_FILES = [
    "seoul_mapo_gongdeok.osm.bz2",
    "andorra.osm.bz2",
    "monaco.osm.bz2",
    "west_oakland.osm.bz2",
    "germany_planet_10.068_48.135_10.071_48.137.osm",
    "pyrosm_test_finland.osm.pbf",
]
#: A small generated city with an expressway and a car-only road across it.
EXPRESSWAY_TOWN = SyntheticSpec(blocks_x=8, blocks_y=7, seed=5, motorways=True)


@pytest.fixture(scope="session")
def networks(cache_dir):
    """``networks(source, mode)`` → the cached :class:`RoadNetwork`."""
    built = {}

    def get(source: OsmSource, mode: Mode):
        key = (source, mode)
        if key not in built:
            built[key] = load_network(source, mode, cache_dir)
        return built[key]

    return get
