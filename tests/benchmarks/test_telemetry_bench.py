"""The telemetry benchmark, small (issue 17): a few rides matched both ways on the synthetic city
(and on Seoul's Gongdeok where the shared data is), a few batches posted through the app on
SQLite and on a PostgreSQL schema of its own. It checks the rows' shape, that the accuracy is
sane (the HMM recovers the synthetic rides, and places more samples right than the snap), that
every batch was stored once and replayed as duplicates, and that the schema is gone after.
Timings are the full benchmark's (``make bench``), never asserted here.
"""

from __future__ import annotations

import math
import os

import pytest
import sqlalchemy as sa

from benchmarks import telemetry
from benchmarks.telemetry_ingest import postgres_missing
from benchmarks.telemetry_match import seoul_rows
from benchmarks.web_setup import PG_URL
from config.settings import PROJECT_ROOT, load_settings
from tests.conftest import need

SMALL = telemetry.Size(match_rides=4, ingest_rides=6, vehicles=30)
MATCH_KEYS = {key for key, _header in telemetry.MATCH_COLUMNS}
INGEST_KEYS = {key for key, _header in telemetry.INGEST_COLUMNS}


@pytest.fixture
def bench_settings(tmp_path, cache_dir):
    """The benchmark's settings: the run's graph cache, the shared data folder (may be absent)."""
    data_dir = os.environ.get("FLEETOPS_DATA_DIR", str(PROJECT_ROOT.parent / "shared" / "data"))
    return load_settings(
        {
            "FLEETOPS_VAR_DIR": str(tmp_path / "var"),
            "FLEETOPS_CACHE_DIR": str(cache_dir),
            "FLEETOPS_DATA_DIR": data_dir,
            "SECRET_KEY": "test-secret",
        }
    )


def _bench_schemas() -> list[str]:
    """The PostgreSQL schemas benchmarks of this process made and did not drop."""
    admin = sa.create_engine(PG_URL)
    with admin.connect() as conn:
        names = conn.execute(
            sa.text("SELECT nspname FROM pg_namespace WHERE nspname LIKE :p"),
            {"p": f"fleetops_bench_{os.getpid()}_%"},
        ).scalars()
        found = list(names)
    admin.dispose()
    return found


@pytest.mark.slow
@pytest.mark.postgres
def test_the_small_benchmark_measures_both_parts(bench_settings):
    need(postgres_missing() is None, f"the benchmark's PostgreSQL is not reachable at {PG_URL}")
    result = telemetry.run(SMALL, bench_settings)

    matching = [r for r in result["matching"] if "skipped" not in r]
    by = {(r["graph"], r["matcher"]): r for r in matching}
    town = "synthetic 14×14 (bike)"
    hmm, snap = by[town, "hmm"], by[town, "nearest-edge snap"]
    for row in matching:
        assert row.keys() >= MATCH_KEYS, row
        assert row["rides"] == SMALL.match_rides and row["samples"] > 0
        assert 0 <= row["recovered_min"] <= row["recovered_mean"] <= 1
        assert 0 <= row["right_edge"] <= 1
        assert 0 <= row["length_error_median_pct"] <= row["length_error_worst_pct"]
        assert row["paths_per_ride"] >= 1
    assert hmm["samples"] == snap["samples"]  # the same rides for both
    assert snap["speed_vs_snap"] == 1.0
    assert hmm["recovered_mean"] >= 0.9 and hmm["recovered_min"] >= 0.9
    assert hmm["right_edge"] > snap["right_edge"]
    assert hmm["length_error_median_pct"] <= 5.0
    assert hmm["length_error_median_pct"] < snap["length_error_median_pct"]
    seoul = [r for r in result["matching"] if r["graph"].startswith("seoul")]
    assert len(seoul) == (1 if "skipped" in seoul[0] else 2)

    assert [r["database"] for r in result["ingest"]] == ["sqlite", "postgresql"]
    for row in result["ingest"]:
        assert row.keys() >= INGEST_KEYS, row
        assert row["rides"] >= 1
        assert row["batches"] == math.ceil(row["samples"] / 1000)
        assert row["ingested_and_matched_per_s"] <= row["ingested_per_s"]
        assert row["roads"] > 0, "the refresh made an index of the posted rides"
    assert _bench_schemas() == []

    page = telemetry.markdown(result)
    assert "| synthetic 14×14 (bike) | hmm |" in page
    assert "| sqlite |" in page and "| postgresql |" in page
    assert "`make bench`" in page


def test_a_missing_extract_is_a_row_that_says_why(tmp_path, cache_dir):
    (row,) = seoul_rows(tmp_path, cache_dir, 2)
    assert str(tmp_path / "osm") in row["skipped"]
    page = telemetry.markdown({"matching": [row], "ingest": []})
    assert "was skipped" in page and "FLEETOPS_DATA_DIR" in page
