"""The bike router's penalties from the stored road-surface index (``StoredPenalties``), on
SQLite and PostgreSQL: loaded when a refresh stored a new index for the router's own network,
looked at no more than once per ``check_s``, and routing goes on when the database is away."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from dispatch.ops.surface import CLASSES, MODE, StoredPenalties, network_key
from fleet.city import OsmSource, SyntheticSpec
from fleet.db import surface as surface_db
from fleet.db.engine import make_engine, writing
from routing.load import load_network

T0 = datetime(2026, 3, 2, tzinfo=UTC)


def _store(engine, key: str, at: datetime, road: int, twin: int, penalty: float) -> None:
    with writing(engine) as conn:
        surface_db.adopt_network(conn, MODE.value, key, CLASSES)
        row = {
            "road": road, "twin": twin, "samples": 40, "roughness_ms2": 3.0, "low_ms2": 2.8,
            "high_ms2": 3.2, "confidence": "high", "percentile": 1.0, "worst": True,
            "penalty": penalty,
        }  # fmt: skip
        surface_db.replace_index(
            conn, MODE.value, [row], computed_at=at, samples=40, median_ms2=1.0
        )


def test_penalties_follow_the_stored_index_of_this_network(engine, cache_dir):
    net = load_network(OsmSource(synthetic=SyntheticSpec()), MODE, cache_dir)
    road = next(e for e in range(net.n_edges) if net.twin[e] > e)
    source = StoredPenalties(engine, check_s=3600)
    assert source(MODE, net) is None  # nothing stored yet
    _store(engine, network_key(net), T0, road, int(net.twin[road]), 2.5)
    assert source(MODE, net) is None  # looked a moment ago: not again within check_s
    source.expire()
    version, factors = source(MODE, net)
    assert factors == {road: 2.5, int(net.twin[road]): 2.5}
    source.expire()
    assert source(MODE, net) is None  # the same index: nothing to load
    _store(engine, network_key(net), T0 + timedelta(hours=1), road, int(net.twin[road]), 1.8)
    source.expire()
    again, factors = source(MODE, net)
    assert again != version and factors[road] == 1.8


def test_an_index_of_another_network_is_not_used(engine, cache_dir):
    net = load_network(OsmSource(synthetic=SyntheticSpec()), MODE, cache_dir)
    _store(engine, "made-on-another-network", T0, 0, -1, 3.0)
    assert StoredPenalties(engine)(MODE, net) is None


def test_routing_goes_on_when_the_database_is_away(caplog, cache_dir):
    net = load_network(OsmSource(synthetic=SyntheticSpec()), MODE, cache_dir)
    away = make_engine("postgresql+psycopg://fleetops@127.0.0.1:9/nowhere?connect_timeout=1")
    with caplog.at_level(logging.WARNING):
        assert StoredPenalties(away)(MODE, net) is None
    assert "penalties not refreshed" in caplog.text
