"""Attacks on the MDS statuses' last-entries read (``fleet.db.mds_last``): histories where it
must answer what the full read of two weeks (``benchmarks.mds.full_read_statuses``) answers."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import insert

from benchmarks import mds as bench
from dispatch.opendata import mds_feeds as feeds
from fleet.catalog import DEFAULT_CATALOG
from fleet.clock import FixedClock
from fleet.db.tables import audit_log, ops_tasks, vehicles

NOW = bench.NOW
ON_POSTGRESQL = pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
#: Vehicles whose newest entries are a long run of drops cancelled before their pick-up was
#: done (candidates the database cannot tell from events): enough that the fourth read (256
#: entries a vehicle) names more entries than a PostgreSQL statement takes parameters (65,535).
CROWD, QUIET = 260, 345


def _crowd(engine) -> None:
    """``CROWD`` vehicles, each with an event (back in service after charging) and then
    ``QUIET`` cancellations of its open drop (a re-planned rebalancing that never picked the
    vehicle up: no event, but a candidate)."""
    made = NOW - timedelta(days=1)
    fleet, tasks, log = [], [], []
    for n in range(CROWD):
        vehicle_id, drop = str(uuid.uuid4()), str(uuid.uuid4())
        fleet.append({
            "id": vehicle_id, "operator_id": bench.OPERATOR, "code": f"Q{n:04d}",
            "vehicle_class": "e_kickboard", "lat": 37.5, "lon": 127.0, "soc_pct": 60.0,
            "odometer_m": 0, "status": "available", "updated_at": made})  # fmt: skip
        tasks.append({
            "id": drop, "operator_id": bench.OPERATOR, "kind": "rebalance", "priority": 1,
            "status": "cancelled", "created_at": made, "vehicle_id": vehicle_id, "note": "",
            "is_drop": True})  # fmt: skip
        log.append({
            "at": NOW - timedelta(hours=2), "operator_id": bench.OPERATOR,
            "action": "vehicle.update", "entity": "vehicle", "entity_id": vehicle_id,
            "changes": {"status": ["charging", "available"]}})  # fmt: skip
        log += [{
            "at": NOW - timedelta(seconds=3600 - k), "operator_id": bench.OPERATOR,
            "action": "task.cancel", "entity": "ops_task", "entity_id": drop, "changes": {}}
            for k in range(QUIET)]  # fmt: skip
    with engine.begin() as conn:
        conn.execute(insert(vehicles), fleet)
        conn.execute(insert(ops_tasks), tasks)
        for start in range(0, len(log), 5000):
            conn.execute(insert(audit_log), log[start : start + 5000])


@ON_POSTGRESQL
def test_a_page_of_vehicles_with_long_quiet_runs_answers_as_the_full_read(engine):
    bench.seed_history(engine, 0, 1)
    _crowd(engine)
    source = feeds.MdsSource(engine, FixedClock(NOW), DEFAULT_CATALOG)
    expected = bench.full_read_statuses(source, 0, 1000)
    assert len(expected) == CROWD
    assert all(s["last_event"]["event_types"] == ["battery_charged"] for s in expected)
    assert feeds.statuses(source, bench.OPERATOR, 0, 1000).items == expected
