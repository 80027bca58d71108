"""The vehicle statuses read each vehicle's last entries only (``fleet.db.mds_last``) and answer
exactly as the full read of every entry of the last two weeks did (kept as the reference in
``benchmarks.mds``), on both databases: over a synthetic history with many entries per vehicle,
vehicles whose newest entries become no event after one that does, vehicles with no event at
all. And the database's pre-filter of candidates never drops an entry that becomes an event."""

from __future__ import annotations

import itertools
import uuid
from datetime import timedelta

from sqlalchemy import insert, select, union_all

from benchmarks import mds as bench
from dispatch.opendata import mds_feeds as feeds
from dispatch.opendata.mds_events import event_of
from dispatch.opendata.mds_items import MDS_CLASSES
from dispatch.opendata.mds_time import RECENT_REACH
from fleet.catalog import DEFAULT_CATALOG
from fleet.clock import FixedClock
from fleet.db import mds as mds_db
from fleet.db import mds_last
from fleet.db.crew_tables import crew_shifts, ops_plans, vans
from fleet.db.engine import reading
from fleet.db.tables import audit_log, bookings, ops_tasks, sites, users, vehicles
from fleet.ops import TaskKind
from fleet.vehicles import VehicleStatus

NOW = bench.NOW
TASK_ACTIONS = ("task.start", "task.complete", "task.fail", "task.cancel")


def _source(engine) -> feeds.MdsSource:
    return feeds.MdsSource(engine, FixedClock(NOW), DEFAULT_CATALOG)


def _vehicle(conn, code: str) -> str:
    vehicle_id = str(uuid.uuid4())
    conn.execute(insert(vehicles).values(
        id=vehicle_id, operator_id=bench.OPERATOR, code=code, vehicle_class="e_kickboard",
        lat=37.5, lon=127.0, soc_pct=60.0, odometer_m=0, status="available",
        updated_at=NOW - timedelta(hours=1)))  # fmt: skip
    return vehicle_id


def _task(conn, vehicle_id: str, kind: str, is_drop: bool) -> str:
    task_id = str(uuid.uuid4())
    conn.execute(insert(ops_tasks).values(
        id=task_id, operator_id=bench.OPERATOR, kind=kind, priority=1, status="cancelled",
        created_at=NOW - timedelta(days=1), vehicle_id=vehicle_id, note="", is_drop=is_drop,
    ))  # fmt: skip
    return task_id


def _crew_shift(conn) -> tuple[str, str]:
    """A plan and a crew's shift on it (a cancelled drop asks whether its pick-up was done)."""
    op, made = bench.OPERATOR, NOW - timedelta(days=1)
    conn.execute(insert(sites).values(
        id="depot", operator_id=op, kind="depot", name="Depot", lat=37.5, lon=127.0))  # fmt: skip
    conn.execute(insert(vans).values(
        id="van", operator_id=op, name="Van", depot_id="depot", capacity_e_kickboard=10,
        capacity_e_bike=5, capacity_e_moped=0, capacity_packs=20))  # fmt: skip
    conn.execute(insert(users).values(
        id="crew", operator_id=op, username="mds-last-crew", display_name="Crew", role="crew",
        password_hash="-", active=True, created_at=made))  # fmt: skip
    conn.execute(insert(crew_shifts).values(
        id="shift", operator_id=op, crew_id="crew", van_id="van", start_at=made,
        end_at=made + timedelta(hours=8)))  # fmt: skip
    conn.execute(insert(ops_plans).values(
        id="plan", operator_id=op, kind="rebalance", status="approved", created_at=made,
        expires_at=made + timedelta(hours=1), bucket="b", horizon_s=7200,
        expected_gain_trips=1.0, solver="test", summary={}))  # fmt: skip
    return "plan", "shift"


def _pair(conn, vehicle_id: str, sequence: int, pick_status: str) -> str:
    """A pick-up (``pick_status``) and its drop, cancelled, on the crew's shift: the drop."""
    plan, shift = "plan", "shift"
    pick, drop = str(uuid.uuid4()), str(uuid.uuid4())
    for task_id, seq, pair, is_drop, status in (
        (pick, sequence, None, False, pick_status),
        (drop, sequence + 1, sequence, True, "cancelled"),
    ):
        conn.execute(insert(ops_tasks).values(
            id=task_id, operator_id=bench.OPERATOR, kind="rebalance", priority=1, status=status,
            created_at=NOW - timedelta(days=1), vehicle_id=vehicle_id, note="", is_drop=is_drop,
            plan_id=plan, shift_id=shift, sequence=seq, pair_sequence=pair,
        ))  # fmt: skip
    return drop


def _log(conn, ago_s: int, action: str, entity: str, entity_id: str, changes=None) -> None:
    conn.execute(insert(audit_log).values(
        at=NOW - timedelta(seconds=ago_s), operator_id=bench.OPERATOR, action=action,
        entity=entity, entity_id=entity_id, changes=changes or {}))  # fmt: skip


def _event_then_quiet(engine) -> str:
    """A vehicle whose last event (a drop cancelled after its pick-up was done, the vehicle
    released where it stands) is followed by more entries that become none than the first read
    takes: drops cancelled before their pick-up (candidates the database cannot tell from
    events) and changes of charge (not candidates)."""
    with engine.begin() as conn:
        vehicle_id = _vehicle(conn, "TAIL-1")
        charged = {"status": ["charging", "available"]}
        _log(conn, 4000, "vehicle.update", "vehicle", vehicle_id, charged)
        _crew_shift(conn)
        _log(conn, 3000, "task.cancel", "ops_task", _pair(conn, vehicle_id, 0, "done"))
        for k in range(3 * feeds.FIRST_READ):
            drop = _pair(conn, vehicle_id, 10 * (k + 1), "open")
            _log(conn, 2000 - k, "task.cancel", "ops_task", drop)
            _log(conn, 1000 - k, "vehicle.update", "vehicle", vehicle_id, {"soc_pct": [50, 49]})
    return vehicle_id


def test_each_page_of_statuses_equals_the_full_reads(engine):
    bench.seed_history(engine, 48, 6, seed=3)
    tail = _event_then_quiet(engine)
    source = _source(engine)
    with reading(engine) as conn:
        ids = list(conn.execute(select(vehicles.c.id).order_by(vehicles.c.code)).scalars())
        expected = bench.full_read_last(source, conn, ids)
        found = feeds._last_events(source, bench.OPERATOR, conn, sorted(ids), NOW)
        first = mds_last.last_facts(
            conn, bench.OPERATOR, NOW - RECENT_REACH, NOW + feeds.LATE, MDS_CLASSES, [tail],
            count=feeds.FIRST_READ,
        )  # fmt: skip
    assert found == expected
    # the tail vehicle's event lies beyond the first read: a further read found it
    assert len(first) == feeds.FIRST_READ
    assert all(event_of(f, bench.OPERATOR, DEFAULT_CATALOG) is None for f in first)
    assert expected[tail]["event_types"] == ["provider_drop_off"]
    # the history holds every case: no entries, entries but no event, an event
    assert 0 < len(expected) < len(ids) - 4
    for offset in range(0, len(ids), 20):
        page = feeds.statuses(source, bench.OPERATOR, offset, 20)
        assert page.items == bench.full_read_statuses(source, offset, 20)
    everyone = bench.full_read_statuses(source, 0, len(ids))
    assert [feeds.status(source, bench.OPERATOR, tail)] == [
        s for s in everyone if s["device_id"] == tail
    ]


def _every_kind_of_entry(conn) -> None:
    """One vehicle per kind of entry the log may hold about it (the candidates' test)."""
    known = [str(s) for s in VehicleStatus]
    for n, (status, after) in enumerate(itertools.product([*known, "scrapped"], repeat=2)):
        vehicle_id = _vehicle(conn, f"S{n:03d}")
        _log(conn, 60, "vehicle.update", "vehicle", vehicle_id, {"status": [status, after]})
        _log(conn, 50, "vehicle.create", "vehicle", vehicle_id, {"status": status})
    odd = [{}, {"soc_pct": 5.0}, {"status": None}, {"status": ["available"]}, {"status": 3},
           {"status": ["available", "charging", "x"]}, {"lat": 37.6, "lon": 127.1}]  # fmt: skip
    for n, changes in enumerate(odd):
        vehicle_id = _vehicle(conn, f"O{n:03d}")
        for action in ("vehicle.create", "vehicle.update"):
            _log(conn, 40, action, "vehicle", vehicle_id, changes)
    for n, (kind, drop, action) in enumerate(
        itertools.product([str(k) for k in TaskKind], [False, True], TASK_ACTIONS)
    ):
        vehicle_id = _vehicle(conn, f"T{n:03d}")
        _log(conn, 30, action, "ops_task", _task(conn, vehicle_id, kind, drop), {"soc_pct": 90})
    _crew_shift(conn)
    for n, pick_status in enumerate(["done", "open", "cancelled"]):
        vehicle_id = _vehicle(conn, f"P{n:03d}")
        _log(conn, 25, "task.cancel", "ops_task", _pair(conn, vehicle_id, 10 * n, pick_status))
    vehicle_id = _vehicle(conn, "B000")
    for n, action in enumerate(mds_db.BOOKING_ACTIONS):
        booking_id = str(uuid.uuid4())
        conn.execute(insert(bookings).values(
            id=booking_id, operator_id=bench.OPERATOR, rider_id=bench.RIDER, vehicle_id=vehicle_id,
            status="completed", created_at=NOW - timedelta(hours=2), hold_until=NOW))  # fmt: skip
        _log(conn, 20 - n, action, "booking", booking_id)


def test_the_candidates_hold_every_entry_that_becomes_an_event(engine):
    bench.seed_history(engine, 0, 1)
    with engine.begin() as conn:
        _every_kind_of_entry(conn)
    start, end = NOW - RECENT_REACH, NOW + feeds.LATE
    with reading(engine) as conn:
        facts = mds_db.audit_facts(conn, bench.OPERATOR, start, end, MDS_CLASSES)
        where = mds_db.facts_where(bench.OPERATOR, start, end, 0, MDS_CLASSES, None)
        chosen = union_all(*mds_last.candidates(where)).subquery()
        candidates = set(conn.execute(select(chosen.c.id)).scalars())
    events = {f.audit_id for f in facts if event_of(f, bench.OPERATOR, DEFAULT_CATALOG)}
    assert events <= candidates
    assert any(f.action == "task.cancel" for f in facts if f.audit_id in events)
    # and the filter does its work: most entries that become no event are not read
    quiet = {f.audit_id for f in facts} - events
    assert len(quiet - candidates) > len(quiet) / 2, (len(quiet), len(quiet & candidates))
