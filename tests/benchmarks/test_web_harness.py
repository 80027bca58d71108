"""The web benchmark's harness, small (issue 15): 200 vehicles on the synthetic city, a few
seconds of each phase at low rates, under gunicorn on a free port, on the PostgreSQL and Redis
servers. It checks that every scheduled request gets an outcome and is counted, that the
answers are the expected ones, and that nothing is left behind (the schema, the Redis index,
gunicorn's processes). Timings are the full benchmark's (``make bench``), never asserted here.
"""

from __future__ import annotations

import pytest
import redis
import sqlalchemy as sa

from benchmarks import web
from benchmarks import web_setup as setup
from tests.conftest import need

RATES = {"health": 10.0, "vehicle feed": 4.0, "vehicle feed, revalidated": 4.0, "booking": 5.0}
SMALL = web.Load(
    phases=tuple(RATES.items()),
    vehicles=200,
    riders=12,
    workers=2,
    threads=4,
    duration_s=3.0,
    client_threads=8,
    city="synthetic",
    warm_up_s=1.0,
)


@pytest.mark.slow
@pytest.mark.postgres
def test_every_scheduled_request_is_answered_and_counted(tmp_path, cache_dir, monkeypatch):
    probe = sa.create_engine(setup.PG_URL)
    try:
        with probe.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        redis.Redis.from_url(setup.REDIS_URL, socket_connect_timeout=2).ping()
    except (sa.exc.OperationalError, redis.ConnectionError) as exc:
        need(False, f"the benchmark's PostgreSQL or Redis is not reachable: {exc}")
    finally:
        probe.dispose()
    monkeypatch.setenv("FLEETOPS_CACHE_DIR", str(cache_dir))
    result = web.run(SMALL, tmp_path)

    phases = {p["name"]: p for p in result["phases"]}
    assert list(phases) == [f"warm-up: {n}" for n in RATES] + list(RATES)
    for name, rate in RATES.items():
        outcomes = phases[name]["outcomes"]
        assert len(outcomes) == round(rate * SMALL.duration_s), name
        assert all("status" in o and o["latency_s"] >= o["lag_s"] >= 0 for o in outcomes), name
    booked = phases["booking"]["outcomes"]
    assert {o["status"] for o in booked} == {201}
    assert all(o["cancel_status"] == 200 for o in booked)  # the fleet never runs out

    rows = {r["endpoint"]: r for r in web.summarise(result)}
    assert list(rows) == [*RATES, "booking cancel"]
    for name, rate in RATES.items():
        assert rows[name]["requests"] == round(rate * SMALL.duration_s), name
        assert rows[name]["errors"] == 0, rows[name]["statuses"]
    assert rows["vehicle feed"]["statuses"] == {"200": 12}
    assert rows["vehicle feed, revalidated"]["statuses"] == {"304": 12}
    assert rows["booking cancel"]["requests"] == rows["booking"]["requests"]
    assert {"met", "distance_ms", "goal"} <= rows["booking"].keys()
    text = web.markdown(list(rows.values()), result)
    assert "| booking |" in text and "| vehicle feed |" in text

    # nothing is left: the schema, gunicorn's processes, the Redis index's lock
    assert not setup.schema_exists(result["schema_url"])
    assert not setup.group_alive(result["server_pid"])
    locks = []
    for index in range(1, 16):
        client = redis.Redis.from_url(f"{setup.REDIS_URL}/{index}")
        locks += [index] if client.get("fleetops:bench-lock") else []
        client.close()
    assert locks == []
