"""What the web benchmark runs against, each piece made and removed by the benchmark itself:
a PostgreSQL schema of its own, an empty index of the Redis server, a demo seeded by the CLI,
rider accounts with tokens, and the app under gunicorn (``fleetops web``) on a free loopback
port. Nothing else on the shared servers is touched: the schema is dropped and the Redis index
flushed on the way out, and gunicorn's whole process group is stopped.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import redis
import sqlalchemy as sa

from config.settings import PROJECT_ROOT
from fleet.clock import SystemClock
from fleet.db.engine import make_engine, writing
from fleet.db.identity import issue_token, list_operators
from fleet.db.tables import users
from fleet.passwords import hash_password

PG_URL = os.environ.get(
    "FLEETOPS_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("FLEETOPS_BENCH_REDIS_URL", "redis://127.0.0.1:6379")
DEMO_PASSWORD = "fleetops-demo"
_LOCK = "fleetops:bench-lock"


@contextlib.contextmanager
def pg_schema() -> Iterator[str]:
    """A new schema of the benchmark's own on the PostgreSQL server, dropped after: its
    ``DATABASE_URL`` (the schema is the connections' ``search_path``)."""
    schema = f"fleetops_bench_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def schema_exists(url: str) -> bool:
    """Whether the schema of a :func:`pg_schema` URL is still there."""
    schema = url.rsplit("%3D", 1)[1]
    admin = sa.create_engine(PG_URL)
    with admin.connect() as conn:
        found = conn.execute(
            sa.text("SELECT 1 FROM pg_namespace WHERE nspname = :s"), {"s": schema}
        ).first()
    admin.dispose()
    return found is not None


@contextlib.contextmanager
def redis_index() -> Iterator[str]:
    """An empty database index of the Redis server, claimed with a lock key, flushed after."""
    for index in range(1, 16):
        client = redis.Redis.from_url(f"{REDIS_URL}/{index}")
        if client.dbsize() == 0 and client.set(_LOCK, os.getpid(), nx=True, ex=3600):
            try:
                yield f"{REDIS_URL}/{index}"
            finally:
                client.flushdb()
                client.close()
            return
        client.close()
    msg = f"no empty Redis database index in 1-15 at {REDIS_URL}"
    raise RuntimeError(msg)


def base_env(database_url: str, redis_url: str, var_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of the CLI processes: this database, Redis and var dir."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLEETOPS_")}
    env.update(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        FLEETOPS_VAR_DIR=str(var_dir),
        FLEETOPS_CACHE_DIR=os.environ.get("FLEETOPS_CACHE_DIR", str(PROJECT_ROOT / "var/cache")),
        SECRET_KEY="bench-secret",
        PYTHONPATH=str(PROJECT_ROOT),
    )
    if "FLEETOPS_DATA_DIR" in os.environ:
        env["FLEETOPS_DATA_DIR"] = os.environ["FLEETOPS_DATA_DIR"]
    env.update(extra)
    return env


def seed(env: dict[str, str], vehicles: int) -> float:
    """``fleetops seed-demo --vehicles N`` (its progress shows); the seconds it took."""
    started = time.perf_counter()
    command = [sys.executable, "-m", "cli.main", "seed-demo", "--vehicles", str(vehicles)]
    subprocess.run(command, env=env, check=True, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def add_riders(database_url: str, n: int) -> list[str]:
    """``n`` rider accounts of the demo operator, each with a bearer token. One password hash
    for all: scrypt takes 0.2 s a hash, and the benchmark signs none of them in."""
    engine = make_engine(database_url)
    hashed = hash_password("bench-rider-password")
    now = datetime.now(UTC)
    with writing(engine) as conn:
        operator = list_operators(conn)[0]
        ids = [str(uuid.uuid4()) for _ in range(n)]
        conn.execute(
            sa.insert(users),
            [
                {
                    "id": user_id,
                    "operator_id": operator.id,
                    "username": f"bench-rider-{i}",
                    "display_name": f"Bench rider {i}",
                    "role": "rider",
                    "password_hash": hashed,
                    "active": True,
                    "created_at": now,
                }
                for i, user_id in enumerate(ids)
            ],
        )
        tokens = [issue_token(conn, user_id, 86_400, SystemClock()) for user_id in ids]
    engine.dispose()
    return tokens


def free_port() -> int:
    """A TCP port free on the loopback address now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def call(port: int, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
    """One request to the server; its JSON (or the error's)."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={
            **({"Content-Type": "application/json"} if body is not None else {}),
            **({"Authorization": f"Bearer {token}"} if token else {}),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        return json.loads(exc.read())


@contextlib.contextmanager
def gunicorn(
    env: dict[str, str], log: Path, start_timeout_s: float = 600
) -> Iterator[tuple[int, int]]:
    """``fleetops web`` on a free loopback port until the block ends: its port and the pid of
    gunicorn's master (``fleetops web`` becomes it). Ready once ``/api/v1/health`` answers (200,
    or 503 as it is here: no worker or scheduler runs)."""
    port = free_port()
    env = {**env, "HOST": "127.0.0.1", "PORT": str(port)}
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "cli.main", "web"],
            env=env,
            cwd=PROJECT_ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: gunicorn's workers stop with it
        )
        try:
            _wait_ready(process, port, log, start_timeout_s)
            yield port, process.pid
        finally:
            stop_group(process)


def _wait_ready(process: subprocess.Popen[bytes], port: int, log: Path, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            msg = f"fleetops web exited with {process.returncode}:\n{log.read_text()[-3000:]}"
            raise RuntimeError(msg)
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=30):
                return
        except urllib.error.HTTPError:
            return  # 503: it answers
        except OSError:
            time.sleep(0.5)
    msg = f"fleetops web did not answer within {timeout_s:g} s:\n{log.read_text()[-3000:]}"
    raise RuntimeError(msg)


def stop_group(process: subprocess.Popen[bytes], grace_s: float = 15) -> None:
    """SIGTERM to the process's group, SIGKILL after ``grace_s``."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(grace_s)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    # the workers may outlive the master by a moment: nothing of the group may stay
    deadline = time.monotonic() + grace_s
    while group_alive(process.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if group_alive(process.pid):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)


def group_alive(pgid: int) -> bool:
    """Whether any process of the group is left."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True
