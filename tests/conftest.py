"""Shared fixtures. Each is small and says what it gives.

Real services only: SQLite files in tmp dirs, the PostgreSQL server at 127.0.0.1:5432 (one schema
per test process, dropped after), the Redis server at 127.0.0.1:6379 (one database index per test
process, flushed after), and embedded Redis servers started by the tests themselves.

Where shared data or PostgreSQL is missing, tests skip with the reason; with FLEETOPS_STRICT=1
(set by .ci/run) such a skip is a failure (``need``: it runs in the test's own process, so it holds
under pytest-xdist too).

``make test`` runs pytest in parallel (pytest-xdist, ``-n``; ``PYTEST_WORKERS=0`` runs one
process). Every test runs beside others in other processes, in any order. A new test is safe
when it:

- keeps its database in the ``engine``/``sqlite_engine``/``world`` fixtures (a SQLite file under
  ``tmp_path``; the PostgreSQL schema of its process), never a schema or file of a fixed name;
- reaches Redis through ``redis_url`` (a database index of its process, 1–15: every xdist worker
  of every run on the machine takes one, so keep ``-n`` small), never index 0 or a fixed one, and
  gives that URL to the processes it starts (``fleetops worker``);
- starts every server (web, gunicorn, embedded Redis, a browser's live server) on a
  ``cli.redis_server.free_port()``, never a fixed port, and stops it by its own pid or process
  group, never by name;
- writes files under ``tmp_path``; ``cache_dir`` is shared by all the run's workers and written
  only through ``routing.load`` (a temporary file renamed into place);
- changes no process-global state: no ``os.chdir``, no ``os.environ[...] =`` (``monkeypatch``, or
  an ``env=`` of its own for a subprocess, which keeps ``PYTHONPATH`` so it runs this checkout);
- expects session fixtures once per worker, not once per run: what they create is named per
  process (pid, uuid) and removed by them;
- never passes or fails on wall time: with two workers on two cores it runs slower than alone.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import redis
import sqlalchemy as sa
from sqlalchemy import Engine

from config.settings import PROJECT_ROOT, Settings, load_settings
from fleet.clock import FixedClock
from fleet.db.engine import make_engine
from fleet.db.migrate import upgrade
from fleet.db.tables import metadata

STRICT = os.environ.get("FLEETOPS_STRICT") == "1"
SEOUL = ZoneInfo("Asia/Seoul")
PG_URL = os.environ.get(
    "FLEETOPS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_TEST_URL = os.environ.get("FLEETOPS_TEST_REDIS_URL", "redis://127.0.0.1:6379")


def need(condition: bool, reason: str) -> None:
    """Skip with ``reason`` unless ``condition``; under FLEETOPS_STRICT=1, fail instead."""
    if condition:
        return
    if STRICT:
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The shared public data folder (FLEETOPS_DATA_DIR, default ../shared/data)."""
    path = Path(os.environ.get("FLEETOPS_DATA_DIR", PROJECT_ROOT.parent / "shared" / "data"))
    need((path / "osm").is_dir(), f"shared data not found at {path} (set FLEETOPS_DATA_DIR)")
    return path.resolve()


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A graph cache shared by the tests of this run (never under ../shared, which is read-only).

    Under pytest-xdist every worker has a temporary folder of its own inside the run's; the cache
    sits beside them, so a road network is built once per run, not once per worker. Workers that
    build the same one at once cannot corrupt it: each writes a file of its own and renames it
    into place (``routing.load``, ``routing.synthetic``).
    """
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # the run's folder, above popen-gw0, popen-gw1, …
    path = base / "cache"
    path.mkdir(exist_ok=True)
    return path


@pytest.fixture
def clock() -> FixedClock:
    """A clock standing at Monday 2 March 2026, 09:00 in Seoul."""
    return FixedClock(datetime(2026, 3, 2, 9, 0, tzinfo=SEOUL))


# --- databases ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once; tests get copies."""
    path = tmp_path_factory.mktemp("sqlite") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_schema() -> Iterator[str]:
    """A PostgreSQL schema of this test run, migrated to head, dropped at the end."""
    try:
        probe = sa.create_engine(PG_URL)
        with probe.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as exc:
        need(False, f"PostgreSQL not reachable at {PG_URL}: {type(exc).__name__}")
    schema = f"fleetops_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with probe.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(PG_URL, schema=schema)
    upgrade(engine)
    engine.dispose()
    yield schema
    with probe.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    probe.dispose()


def _truncate(engine: Engine) -> None:
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
            conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(metadata.sorted_tables):
                conn.execute(table.delete())


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated, empty database: a SQLite file, then the PostgreSQL run schema (emptied after)."""
    if request.param == "sqlite":
        path = tmp_path / "fleetops.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        eng = make_engine(f"sqlite:///{path}")
        yield eng
        eng.dispose()
    else:
        schema = request.getfixturevalue("pg_schema")
        eng = make_engine(PG_URL, schema=schema)
        _truncate(eng)
        yield eng
        _truncate(eng)
        eng.dispose()


@pytest.fixture
def sqlite_engine(tmp_path: Path, sqlite_template: Path) -> Iterator[Engine]:
    """A migrated, empty SQLite database (for tests that need only one backend)."""
    path = tmp_path / "fleetops.db"
    shutil.copy(sqlite_template, path)
    eng = make_engine(f"sqlite:///{path}")
    yield eng
    eng.dispose()


# --- redis -------------------------------------------------------------------------------

_LOCK = "fleetops:test-lock"


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A database index of the Redis server at 127.0.0.1:6379 claimed by this test process.

    An index is taken when it is empty and our lock key can be set on it; it is flushed after.
    """
    try:
        redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=2).ping()
    except redis.ConnectionError:
        need(False, f"Redis not reachable at {REDIS_TEST_URL}")
    for index in range(1, 16):
        client = redis.Redis.from_url(f"{REDIS_TEST_URL}/{index}")
        if client.dbsize() == 0 and client.set(_LOCK, os.getpid(), nx=True, ex=3600):
            yield f"{REDIS_TEST_URL}/{index}"
            client.flushdb()
            client.close()
            return
        client.close()
    pytest.fail(
        "no free Redis database index in 1–15 on the test server: each test process (each "
        "pytest-xdist worker) of every run holds one; run fewer workers (PYTEST_WORKERS)"
    )


@pytest.fixture
def settings(tmp_path: Path, cache_dir: Path) -> Settings:
    """Settings for an isolated platform: SQLite under tmp_path, the synthetic city."""
    return load_settings(
        {
            "FLEETOPS_VAR_DIR": str(tmp_path / "var"),
            "FLEETOPS_CACHE_DIR": str(cache_dir),
            "FLEETOPS_CITY": "synthetic",
            "SECRET_KEY": "test-secret",
        }
    )


# --- a small world: two operators, their service areas, a user of every role ------------------

#: Square service areas ([lon, lat] rings): operator A around Gongdeok, B south of it.
AREA_A = [[126.94, 37.54], [126.97, 37.54], [126.97, 37.56], [126.94, 37.56], [126.94, 37.54]]
AREA_B = [[126.94, 37.50], [126.97, 37.50], [126.97, 37.52], [126.94, 37.52], [126.94, 37.50]]
PASSWORD = "correct-horse-battery"


class World:
    """Two operators with service areas and users, made through the real repositories.

    ``users[role]`` are operator A's users; ``other_manager`` is operator B's manager.
    """

    def __init__(self, engine: Engine, clock: FixedClock) -> None:
        from fleet.db import identity as idb
        from fleet.db import sites as sdb
        from fleet.db.engine import writing
        from fleet.geo import Area
        from fleet.identity import Role
        from fleet.zones import Zone, ZoneKind

        self.engine, self.clock = engine, clock
        with writing(engine) as conn:
            self.a = idb.create_operator(conn, "Operator A", "seoul-mapo", clock)
            self.b = idb.create_operator(conn, "Operator B", "seoul-mapo", clock)
            for op, ring in ((self.a, AREA_A), (self.b, AREA_B)):
                sdb.insert_zone(
                    conn,
                    Zone(
                        str(uuid.uuid4()),
                        op.id,
                        ZoneKind.SERVICE_AREA,
                        f"{op.name} area",
                        Area.from_ring(ring),
                    ),
                    clock,
                )
            self.company = idb.create_company(conn, self.a.id, "Acme", clock)
            self.users = {}
            for role in Role:
                company = self.company.id if role in (Role.COMPANY_ADMIN, Role.EMPLOYEE) else None
                self.users[role] = idb.create_user(
                    conn,
                    operator_id=self.a.id,
                    username=f"a-{role.value.replace('_', '-')}",
                    display_name=f"A {role}",
                    role=role,
                    password=PASSWORD,
                    clock=clock,
                    company_id=company,
                )
            self.other_manager = idb.create_user(
                conn,
                operator_id=self.b.id,
                username="b-manager",
                display_name="B manager",
                role=Role.MANAGER,
                password=PASSWORD,
                clock=clock,
            )

    def token(self, user_id: str) -> str:
        """A fresh bearer token of a user."""
        from fleet.db import identity as idb
        from fleet.db.engine import writing

        with writing(self.engine) as conn:
            return idb.issue_token(conn, user_id, 3600, self.clock)


@pytest.fixture
def world(engine: Engine, clock: FixedClock) -> World:
    """Two operators and their users on the parametrised database (SQLite, PostgreSQL)."""
    return World(engine, clock)
