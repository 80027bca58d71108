"""``fleetops history import`` (issue 13): an operator's past rides from CSV become ride
history, all or none; bad rows are named by file and line, and nothing is stored."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from cli.main import cli
from config.settings import load_settings
from fleet.db import identity as idb
from fleet.db import sites as sdb
from fleet.db.engine import make_engine, writing
from fleet.db.tables import bookings, ride_history
from fleet.geo import Area
from fleet.zones import Zone, ZoneKind
from tests.conftest import AREA_A, SEOUL

HEADER = "ride_ref,started_at,ended_at,start_lat,start_lon,end_lat,end_lon\n"


@pytest.fixture
def env(tmp_path, cache_dir, clock):
    """A SQLite database migrated by the CLI, with one operator and its service area."""
    values = {
        "FLEETOPS_VAR_DIR": str(tmp_path / "var"),
        "FLEETOPS_CACHE_DIR": str(cache_dir),
        "FLEETOPS_CITY": "synthetic",
        "FLEETOPS_FIXED_TIME": clock.now().isoformat(),
        "DATABASE_URL": None,
        "REDIS_URL": None,
        "FLEETOPS_CONFIG": None,
    }
    assert CliRunner().invoke(cli, ["init-db"], env=values).exit_code == 0
    engine = make_engine(_url(values))
    with writing(engine) as conn:
        op = idb.create_operator(conn, "Mapo Rides", "seoul-mapo", clock)
        area = Zone(str(uuid.uuid4()), op.id, ZoneKind.SERVICE_AREA, "area", Area.from_ring(AREA_A))
        sdb.insert_zone(conn, area, clock)
    return values, engine


def _url(values) -> str:
    """The database the CLI uses with ``values`` as its environment."""
    return load_settings({k: v for k, v in values.items() if v is not None}).database_url


def rows(clock, n: int) -> str:
    start = clock.now() - timedelta(days=2)
    lines = []
    for k in range(n):
        began = (start + timedelta(minutes=17 * k)).astimezone(SEOUL)
        ended = began + timedelta(minutes=12)
        lines.append(f"r{k},{began.isoformat()},{ended.isoformat()},37.545,126.95,37.55,126.96\n")
    return "".join(lines)


def count(engine, table) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_rides_are_imported_as_history_never_bookings(env, clock, tmp_path):
    values, engine = env
    path = tmp_path / "rides.csv"
    path.write_text(HEADER + rows(clock, 40), encoding="utf-8")
    result = CliRunner().invoke(cli, ["history", "import", str(path)], env=values)
    assert result.exit_code == 0, result.output
    assert "stored 40 rides of history for Mapo Rides" in result.stdout
    assert count(engine, ride_history) == 40 and count(engine, bookings) == 0
    with engine.connect() as conn:
        assert set(conn.execute(select(ride_history.c.source)).scalars()) == {"imported"}
    # the same file again, and a file holding one ride twice: nothing counted twice
    again = CliRunner().invoke(cli, ["history", "import", str(path)], env=values)
    assert again.exit_code == 0 and "stored 0 rides" in again.stdout
    assert "40 stored already were left out" in again.stdout
    twice = tmp_path / "twice.csv"
    one = rows(clock, 41).splitlines(keepends=True)[-1]
    twice.write_text(HEADER + one + one, encoding="utf-8")
    third = CliRunner().invoke(cli, ["history", "import", str(twice)], env=values)
    assert "stored 1 rides" in third.stdout and "1 stored already" in third.stdout
    assert count(engine, ride_history) == 41


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        ("r9,yesterday,{end},37.545,126.95,37.55,126.96\n", ["rides.csv:4", "started_at"]),
        ("r9,{start_naive},{end},37.545,126.95,37.55,126.96\n", ["rides.csv:4", "no UTC offset"]),
        ("r9,{end},{start},37.545,126.95,37.55,126.96\n", ["rides.csv:4", "end after it starts"]),
        ("r9,{start},{end},37.545,126.95,91,126.96\n", ["rides.csv:4", "end_lat"]),
        ("r9,{start},{end},37.545,126.95,37.40,126.96\n", ["ride 3 ends outside the service"]),
        ("r9,{start},{future},37.545,126.95,37.55,126.96\n", ["ride 3 ends in the future"]),
    ],
)
def test_a_bad_row_is_named_and_nothing_is_stored(env, clock, tmp_path, bad, words):
    values, engine = env
    start = clock.now() - timedelta(hours=5)
    fields = {
        "start": start.isoformat(),
        "start_naive": start.replace(tzinfo=None).isoformat(),
        "end": (start + timedelta(minutes=9)).isoformat(),
        "future": (clock.now() + timedelta(hours=2)).isoformat(),
    }
    path = tmp_path / "rides.csv"
    path.write_text(HEADER + rows(clock, 2) + bad.format(**fields), encoding="utf-8")
    result = CliRunner().invoke(cli, ["history", "import", str(path)], env=values)
    assert result.exit_code == 2, result.output
    line = result.stderr.strip().splitlines()[-1]
    for word in words:
        assert word in line, line
    assert count(engine, ride_history) == 0


def test_a_file_without_the_columns_is_refused(env, tmp_path):
    values, _ = env
    path = tmp_path / "rides.csv"
    path.write_text("when,where\n2026-03-01T10:00:00+09:00,home\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["history", "import", str(path)], env=values)
    assert result.exit_code == 2 and "rides.csv:1: missing column(s): started_at" in result.stderr
