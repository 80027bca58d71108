"""Planning turns: one holder per operator at a time, across threads and processes, on SQLite
and PostgreSQL; a waiter gives up after its time with ``TurnTimeout``; other operators and the
operator's rows are not held up."""

from __future__ import annotations

import multiprocessing as mp
import threading
import time

import pytest
from sqlalchemy import select

from fleet.db import identity as idb
from fleet.db.engine import make_engine, writing
from fleet.db.tables import operators
from fleet.db.turns import TurnTimeout, planning_turn


def test_one_holder_at_a_time_across_threads(engine):
    inside, most, lock = [0], [0], threading.Lock()

    def take(_: int) -> None:
        with planning_turn(engine, "op-1", wait_s=30):
            with lock:
                inside[0] += 1
                most[0] = max(most[0], inside[0])
            time.sleep(0.02)
            with lock:
                inside[0] -= 1

    threads = [threading.Thread(target=take, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert most[0] == 1


def test_a_waiter_times_out_and_other_operators_and_rows_go_on(engine, clock):
    with writing(engine) as conn:
        op = idb.create_operator(conn, "Turn Op", "seoul-mapo", clock)
    with planning_turn(engine, op.id, wait_s=1):
        started = time.monotonic()
        with (
            pytest.raises(TurnTimeout, match="another planner"),
            planning_turn(engine, op.id, wait_s=0.3),
        ):
            pass
        assert time.monotonic() - started >= 0.3
        with planning_turn(engine, "another-operator", wait_s=0.3):
            pass  # a turn is the operator's own
        with writing(engine) as conn:  # the operator's row is not locked by a turn
            conn.execute(operators.update().where(operators.c.id == op.id).values(name="Renamed"))
    with planning_turn(engine, op.id, wait_s=0.3):  # let go when the block ended
        pass
    with engine.connect() as conn:
        assert conn.execute(select(operators.c.name)).scalar_one() == "Renamed"


def _hold(url: str, schema: str | None, ready, release) -> None:
    engine = make_engine(url, schema=schema)
    with planning_turn(engine, "op-x", wait_s=5):
        ready.set()
        release.wait(30)


def test_a_turn_held_by_another_process_is_waited_for(engine):
    from tests.dispatch.test_concurrency import _url

    url = _url(engine)
    context = mp.get_context("spawn")
    ready, release = context.Event(), context.Event()
    holder = context.Process(target=_hold, args=(url, None, ready, release))
    holder.start()
    try:
        assert ready.wait(60)
        with pytest.raises(TurnTimeout), planning_turn(engine, "op-x", wait_s=0.3):
            pass
    finally:
        release.set()
        holder.join(30)
    with planning_turn(engine, "op-x", wait_s=5):
        pass


def test_a_process_killed_in_its_turn_lets_it_go(engine):
    from tests.dispatch.test_concurrency import _url

    context = mp.get_context("spawn")
    ready, release = context.Event(), context.Event()
    holder = context.Process(target=_hold, args=(_url(engine), None, ready, release))
    holder.start()
    assert ready.wait(60)
    holder.kill()
    holder.join(30)
    with planning_turn(engine, "op-x", wait_s=5):
        pass
