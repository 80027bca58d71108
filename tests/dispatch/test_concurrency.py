"""No vehicle is ever given twice: 200 riders at once, against 20 vehicles, through gunicorn
workers (separate processes) on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from cli.redis_server import free_port
from config.cities import load_city
from fleet.clock import SystemClock
from fleet.db import identity as idb
from fleet.db import sites as sdb
from fleet.db import vehicles as vdb
from fleet.db.engine import writing
from fleet.db.tables import bookings, reservations, users, vehicles
from fleet.geo import Position
from fleet.passwords import hash_password
from fleet.sites import Site, SiteKind
from fleet.vehicles import VehicleStatus
from fleet.zones import Zone, ZoneKind
from routing.city import derive_service_area
from routing.load import load_mode_graph, load_network
from routing.modes import Mode

ROOT = Path(__file__).resolve().parents[2]
RIDERS, VEHICLES, WORKERS = 200, 20, 4


def _url(engine) -> str:
    url = engine.url
    if url.get_backend_name() == "sqlite":
        return f"sqlite:///{url.database}"
    schema = engine.dialect.default_schema_name
    with engine.connect() as conn:
        schema = conn.execute(sa.text("SELECT current_schema()")).scalar_one()
    return (
        f"postgresql+psycopg://{url.username}@{url.host}:{url.port}/{url.database}"
        f"?options=-csearch_path%3D{schema}"
    )


@pytest.fixture
def crowd(engine, cache_dir, tmp_path):
    """One operator on the synthetic city: 20 kickboards at one spot, 200 riders with tokens
    (on the real clock: the server runs on it)."""
    clock = SystemClock()
    profile = load_city("synthetic", tmp_path)
    for mode in (Mode.WALK, Mode.BIKE):
        load_network(profile.source, mode, cache_dir)  # warm the cache the workers read
    graph, _ = load_mode_graph(profile.source, Mode.BIKE, cache_dir)
    node = sorted(graph.nodes)[len(graph) // 2]
    spot = Position(graph.nodes[node]["y"], graph.nodes[node]["x"])
    hashed = hash_password("crowd-password")
    with writing(engine) as conn:
        op = idb.create_operator(conn, "Crowd Mobility", "synthetic", clock)
        sdb.insert_zone(
            conn,
            Zone(
                str(uuid.uuid4()),
                op.id,
                ZoneKind.SERVICE_AREA,
                "area",
                derive_service_area(graph, None),
            ),
            clock,
        )
        for n in range(VEHICLES):
            vdb.register_vehicle(
                conn,
                operator_id=op.id,
                code=f"K-{n:03d}",
                vehicle_class="e_kickboard",
                position=spot,
                soc_pct=90.0,
                clock=clock,
            )
        rows = [
            {
                "id": str(uuid.uuid4()),
                "operator_id": op.id,
                "username": f"rider-{n:03d}",
                "display_name": f"Rider {n}",
                "role": "rider",
                "company_id": None,
                "password_hash": hashed,
                "active": True,
                "created_at": clock.now(),
            }
            for n in range(RIDERS)
        ]
        conn.execute(sa.insert(users), rows)
        tokens = [idb.issue_token(conn, r["id"], 3600, clock) for r in rows]
    return spot, tokens


def test_two_hundred_riders_twenty_vehicles_no_double_booking(engine, crowd, cache_dir, tmp_path):
    spot, tokens = crowd
    server, base = _serve(engine, cache_dir, tmp_path)
    body = {"lat": spot.lat, "lon": spot.lon, "vehicle_classes": ["e_kickboard"]}
    try:
        with ThreadPoolExecutor(64) as pool:
            answers = list(pool.map(lambda t: _post(f"{base}/bookings", t, body), tokens))
    finally:
        _stop(server)

    statuses = [status for status, _ in answers]
    assert set(statuses) <= {201, 409}, [a for a in answers if a[0] not in (201, 409)][:3]
    refusals = [b["error"]["code"] for s, b in answers if s == 409]
    assert set(refusals) <= {"no_vehicle_available"}
    won = [b["vehicle"]["id"] for s, b in answers if s == 201]
    assert len(won) == VEHICLES == len(set(won))  # every vehicle once, none twice
    with engine.connect() as conn:
        held = conn.execute(
            sa.select(bookings.c.vehicle_id, bookings.c.rider_id).where(bookings.c.status == "held")
        ).all()
        reserved = conn.execute(
            sa.select(sa.func.count())
            .select_from(vehicles)
            .where(vehicles.c.status == str(VehicleStatus.RESERVED))
        ).scalar_one()
    assert len(held) == VEHICLES and len({v for v, _ in held}) == VEHICLES
    assert len({r for _, r in held}) == VEHICLES and reserved == VEHICLES


EMPLOYEES, EVS = 100, 5


@pytest.fixture
def office(engine, cache_dir, tmp_path):
    """One company with 100 employees (tokens) and an EV hub with 5 work EVs."""
    clock = SystemClock()
    profile = load_city("synthetic", tmp_path)
    graph, _ = load_mode_graph(profile.source, Mode.CAR, cache_dir)
    node = sorted(graph.nodes)[len(graph) // 3]
    hub_at = Position(graph.nodes[node]["y"], graph.nodes[node]["x"])
    hashed = hash_password("office-password")
    with writing(engine) as conn:
        op = idb.create_operator(conn, "Office Mobility", "synthetic", clock)
        sdb.insert_zone(
            conn,
            Zone(
                str(uuid.uuid4()),
                op.id,
                ZoneKind.SERVICE_AREA,
                "area",
                derive_service_area(graph, None),
            ),
            clock,
        )
        company = idb.create_company(conn, op.id, "Hanul", clock)
        hub = sdb.insert_site(
            conn,
            Site(
                str(uuid.uuid4()),
                op.id,
                SiteKind.EV_HUB,
                "Hub",
                hub_at,
                capacity=8,
                chargers=4,
                charger_power_kw=7.0,
            ),
            clock,
        )
        for n in range(EVS):
            vdb.register_vehicle(
                conn,
                operator_id=op.id,
                code=f"EV-{n}",
                vehicle_class="work_ev",
                position=hub_at,
                soc_pct=95.0,
                clock=clock,
            )
        rows = [
            {
                "id": str(uuid.uuid4()),
                "operator_id": op.id,
                "username": f"emp-{n:03d}",
                "display_name": f"Employee {n}",
                "role": "employee",
                "company_id": company.id,
                "password_hash": hashed,
                "active": True,
                "created_at": clock.now(),
            }
            for n in range(EMPLOYEES)
        ]
        conn.execute(sa.insert(users), rows)
        tokens = [idb.issue_token(conn, r["id"], 3600, clock) for r in rows]
    return hub.id, tokens


def _stop(server: subprocess.Popen) -> None:
    """Stop gunicorn (a graceful stop can take long on a loaded machine: its workers finish
    their requests first); its whole process group is killed if it has not stopped in a minute.
    The test is about the answers, not how fast the server stops."""
    server.terminate()
    try:
        server.wait(60)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(30)


def _serve(engine, cache_dir, tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": _url(engine),
        "FLEETOPS_CITY": "synthetic",
        "FLEETOPS_CACHE_DIR": str(cache_dir),
        "FLEETOPS_VAR_DIR": str(tmp_path / "var"),
        "SECRET_KEY": "crowd",
        "PORT": str(port),
    }
    env.pop("REDIS_URL", None)
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            str(WORKERS),
            "--bind",
            f"127.0.0.1:{port}",
            "--no-control-socket",
            "--timeout",
            "120",
            "web.wsgi:build()",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}/api/v1"
    for _ in range(300):
        try:
            urllib.request.urlopen(f"{base}/vehicles", timeout=5).close()
            break
        except OSError:
            time.sleep(0.1)
    return server, base


def _post(url: str, token: str, payload: dict) -> tuple[int, dict]:
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as exc:
        return exc.code, json.load(exc)


def test_a_hundred_reservations_five_evs_no_double_booking(engine, office, cache_dir, tmp_path):
    hub_id, tokens = office
    server, base = _serve(engine, cache_dir, tmp_path)
    start = datetime.now(UTC) + timedelta(hours=2)
    slot = {
        "hub_id": hub_id,
        "start": start.isoformat(),
        "end": (start + timedelta(hours=2)).isoformat(),
        "planned_distance_m": 30_000,
    }
    try:
        with ThreadPoolExecutor(64) as pool:
            answers = list(pool.map(lambda t: _post(f"{base}/reservations", t, slot), tokens))
    finally:
        _stop(server)
    statuses = [s for s, _ in answers]
    assert set(statuses) <= {201, 409}, [a for a in answers if a[0] not in (201, 409)][:3]
    won = [b["vehicle_id"] for s, b in answers if s == 201]
    assert len(won) == EVS == len(set(won))
    with engine.connect() as conn:
        taken = (
            conn.execute(
                sa.select(reservations.c.vehicle_id).where(reservations.c.status == "confirmed")
            )
            .scalars()
            .all()
        )
    assert sorted(taken) == sorted(won)
