"""Attacks on the managers' dashboard API (issue 15): a task cancelled by a manager while the
crew starts it, cancelled twice at once, both halves of a move cancelled at once, cancelled
while its plan is being approved (PostgreSQL, where requests really run side by side), and the
KPIs around the city's midnight. Each test states what should happen; strict xfails are open
findings."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from fleet.db import bookings as bookings_db
from fleet.db.tables import audit_log, battery_packs, ops_tasks, vehicles
from tests.web.test_bookings import available, login
from tests.web.test_crew_attack14 import _crews
from tests.web.test_crew_plans import _propose, _recharge
from tests.web.test_crew_plans import crew_demo as crew_demo
from tests.web.test_crew_plans import crew_template as crew_template

ON_POSTGRESQL = pytest.mark.parametrize("engine", ["postgresql"], indirect=True)


def _at_once(*calls: Callable[[], Any]) -> list[Any]:
    """Run ``calls`` in threads released together; their answers in order."""
    gate = threading.Barrier(len(calls))
    answers: list[Any] = [None] * len(calls)

    def run(i: int) -> None:
        gate.wait()
        answers[i] = calls[i]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return answers


def _approved(app, kind: str) -> tuple[list[dict], dict[str, str], dict[str, dict[str, str]]]:
    """A plan of ``kind`` proposed and approved: its assigned tasks, the manager's headers and
    the crew's headers by user id."""
    if kind == "rebalancing":
        _recharge(app.extensions["fleetops"].engine)
    plan, _operator = _propose(app, kind)
    client = app.test_client()
    manager = login(client, "manager")
    approved = client.post(f"/api/v1/ops/plans/{plan.id}/approve", headers=manager, json={})
    assert approved.status_code == 200, approved.get_json()
    tasks = [t for t in approved.get_json()["tasks"] if t["status"] == "assigned"]
    assert tasks
    return tasks, manager, _crews(client)


def _post(app, path: str, headers: dict[str, str]) -> Callable[[], int]:
    client = app.test_client()  # one a thread
    return lambda: client.post(path, headers=headers).status_code


def _post_json(app, path: str, headers: dict[str, str]) -> Callable[[], int]:
    client = app.test_client()
    return lambda: client.post(path, headers=headers, json={}).status_code


def _task(engine, task_id: str) -> dict[str, Any]:
    with engine.connect() as conn:
        row = conn.execute(select(ops_tasks).where(ops_tasks.c.id == task_id)).mappings().one()
        packs = conn.execute(
            select(func.count()).select_from(battery_packs)
            .where(battery_packs.c.reserved_by == task_id)
        ).scalar_one()  # fmt: skip
        status = None
        if row["vehicle_id"] is not None:
            status = conn.execute(
                select(vehicles.c.status).where(vehicles.c.id == row["vehicle_id"])
            ).scalar_one()
    return {"status": row["status"], "packs": packs, "vehicle": status}


@ON_POSTGRESQL
@pytest.mark.parametrize("kind", ["battery_swaps", "rebalancing"])
def test_a_cancel_and_a_start_at_once_one_wins_and_nothing_is_half_written(crew_demo, kind):
    app, _summary = crew_demo
    engine = app.extensions["fleetops"].engine
    tasks, manager, crews = _approved(app, kind)
    startable = [t for t in tasks if not t["is_drop"]]
    assert len(startable) >= 3
    wins = {"cancel": 0, "start": 0}
    for t in startable:
        cancel = _post(app, f"/api/v1/ops/tasks/{t['id']}/cancel", manager)
        start = _post(app, f"/api/v1/crews/me/tasks/{t['id']}/start", crews[t["assignee_id"]])
        answers = _at_once(cancel, start)
        assert sorted(answers) == [200, 409], (t["kind"], answers)
        after = _task(engine, t["id"])
        if answers[0] == 200:
            wins["cancel"] += 1
            assert after["status"] == "cancelled" and after["packs"] == 0, after
            assert after["vehicle"] in (None, "available", "low_battery"), after
        else:
            wins["start"] += 1
            assert after["status"] == "in_progress", after
            assert after["vehicle"] in (None, "in_transit"), after
            if t["kind"] == "charge":
                assert after["packs"] == t["packs"], after  # still reserved for the visit
        if t["pair_sequence"] is not None:  # a pick-up: its drop follows the winner
            (drop,) = [
                d for d in tasks
                if d["is_drop"] and d["shift_id"] == t["shift_id"]
                and d["sequence"] == t["pair_sequence"]
            ]  # fmt: skip
            want = "cancelled" if answers[0] == 200 else "assigned"
            assert _task(engine, drop["id"])["status"] == want
    assert sum(wins.values()) == len(startable)


@ON_POSTGRESQL
def test_a_task_cancelled_twice_at_once_is_cancelled_once(crew_demo):
    app, _summary = crew_demo
    engine = app.extensions["fleetops"].engine
    tasks, manager, _crews_by_id = _approved(app, "battery_swaps")
    other = login(app.test_client(), "manager")  # a second session of a manager
    for t in tasks:
        path = f"/api/v1/ops/tasks/{t['id']}/cancel"
        answers = _at_once(_post(app, path, manager), _post(app, path, other))
        assert sorted(answers) == [200, 409], answers
        after = _task(engine, t["id"])
        assert after["status"] == "cancelled" and after["packs"] == 0, after
        with engine.connect() as conn:
            cancels = conn.execute(
                select(func.count()).select_from(audit_log)
                .where(audit_log.c.entity_id == t["id"], audit_log.c.action == "task.cancel")
            ).scalar_one()  # fmt: skip
        assert cancels == 1


@ON_POSTGRESQL
def test_both_halves_of_a_move_cancelled_at_once(crew_demo):
    app, _summary = crew_demo
    engine = app.extensions["fleetops"].engine
    tasks, manager, _crews_by_id = _approved(app, "rebalancing")
    picks = [t for t in tasks if t["kind"] == "rebalance" and not t["is_drop"]]
    assert picks
    for pick in picks:
        (drop,) = [
            d for d in tasks
            if d["is_drop"] and d["shift_id"] == pick["shift_id"]
            and d["sequence"] == pick["pair_sequence"]
        ]  # fmt: skip
        answers = _at_once(
            _post(app, f"/api/v1/ops/tasks/{pick['id']}/cancel", manager),
            _post(app, f"/api/v1/ops/tasks/{drop['id']}/cancel", manager),
        )
        assert sorted(answers) == [200, 409], answers  # a deadlock would be a 500
        assert _task(engine, pick["id"])["status"] == "cancelled"
        assert _task(engine, drop["id"])["status"] == "cancelled"
        assert _task(engine, pick["id"])["vehicle"] in ("available", "low_battery")


@ON_POSTGRESQL
def test_cancels_during_the_approval_of_their_plan(crew_demo):
    """Every task of a proposal cancelled while the plan is approved: a cancel that came first
    finds a proposal's task (409); one that came after cancels an assigned task and releases its
    packs; the approval itself never fails for it."""
    app, _summary = crew_demo
    engine = app.extensions["fleetops"].engine
    plan, _operator = _propose(app, "battery_swaps")
    client = app.test_client()
    manager = login(client, "manager")
    tasks = client.get(f"/api/v1/ops/plans/{plan.id}", headers=manager).get_json()["tasks"]
    approve = _post_json(app, f"/api/v1/ops/plans/{plan.id}/approve", manager)
    cancels = [_post(app, f"/api/v1/ops/tasks/{t['id']}/cancel", manager) for t in tasks]
    answers = _at_once(approve, *cancels)
    assert answers[0] == 200, answers
    assert set(answers[1:]) <= {200, 409}, answers
    for t, answer in zip(tasks, answers[1:], strict=True):
        after = _task(engine, t["id"])
        if answer == 200:
            assert after["status"] == "cancelled" and after["packs"] == 0, after
        elif after["status"] == "assigned" and t["kind"] == "charge":
            assert after["packs"] == t["packs"], after


@ON_POSTGRESQL
def test_the_feed_answers_while_another_request_expires_the_same_hold(demo, clock):
    """Every poll of the feed first expires the holds that ran out. Dozens of dashboards poll at
    once; when a hold runs out, several of them expire it together. The one that comes second
    must still answer the feed, not a conflict about a booking it never asked about. Made
    certain rather than likely: the first expirer holds its row locks until the poll waits on
    them (PostgreSQL says so), then commits."""
    app, _summary, _prepared = demo
    engine = app.extensions["fleetops"].engine
    client = app.test_client()
    manager, rider = login(client, "manager"), login(client, "rider1")
    kick = available(client, "e_kickboard")[0]
    ask = {"lat": kick["lat"], "lon": kick["lon"], "vehicle_classes": ["e_kickboard"]}
    held = client.post("/api/v1/bookings", headers=rider, json=ask)
    assert held.status_code == 201, held.get_json()
    clock.advance(3600)  # the hold ran out
    answers: list[int] = []
    with engine.connect() as first:
        first.begin()
        assert bookings_db.expire_holds(first, clock.now()) == 1
        me = first.execute(text("SELECT pg_backend_pid()")).scalar_one()
        poll = threading.Thread(
            target=lambda: answers.append(
                client.get("/api/v1/ops/fleet", headers=manager).status_code
            )
        )
        poll.start()
        _until_blocked_by(engine, me, poll)
        first.commit()
    poll.join(60)
    assert answers == [200]


def _until_blocked_by(engine, pid: int, poll: threading.Thread) -> None:
    """Return once ``poll`` is over or some session waits on a lock ``pid`` holds (no fixed
    sleep: it asks PostgreSQL)."""
    ask = text("SELECT count(*) FROM pg_stat_activity WHERE :pid = ANY(pg_blocking_pids(pid))")
    with engine.connect() as conn:
        for _ in range(6000):
            if not poll.is_alive() or conn.execute(ask, {"pid": pid}).scalar_one():
                return
            conn.rollback()
            poll.join(0.01)
    msg = "the poll neither answered nor waited on the first expirer's locks"
    raise AssertionError(msg)


@ON_POSTGRESQL
def test_the_stations_answer_while_another_writer_holds_packs(demo, clock):
    """Each poll of the stations writes the docked packs' charge first. Another writer of packs
    (another dashboard's poll, a crew loading packs) holds the last pack the poll will reach and
    then wants the first: the poll must still answer its stock. Made certain, not likely: the
    writer takes its second pack once PostgreSQL says the poll waits on the first."""
    app, summary, _prepared = demo
    engine = app.extensions["fleetops"].engine
    manager = login(app.test_client(), "manager")
    clock.advance(600)  # every docked pack has charged since
    docked = select(battery_packs.c.serial).where(
        battery_packs.c.operator_id == summary.operator_id,
        battery_packs.c.location == "station",
        battery_packs.c.soc_pct < 100,
    )
    with engine.connect() as conn:
        serials = list(conn.execute(docked).scalars())
    assert len(serials) > 2
    touch = text("UPDATE battery_packs SET soc_at = soc_at WHERE serial = :s")
    answers: list[int] = []
    client = app.test_client()
    with engine.connect() as other:
        other.begin()
        other.execute(touch, {"s": serials[-1]})
        me = other.execute(text("SELECT pg_backend_pid()")).scalar_one()
        poll = threading.Thread(
            target=lambda: answers.append(
                client.get("/api/v1/ops/stations", headers=manager).status_code
            )
        )
        poll.start()
        _until_blocked_by(engine, me, poll)
        if poll.is_alive():
            # the poll holds serials[0] and waits for serials[-1]: the writer now wants serials[0]
            with contextlib.suppress(DBAPIError):
                other.execute(touch, {"s": serials[0]})
        poll.join(60)
        other.rollback()
    assert answers == [200]


@ON_POSTGRESQL
def test_dashboards_polling_while_riders_book_and_holds_run_out(demo, clock):
    """Six dashboards poll the feed, the KPIs and the stations while three riders book and
    cancel and holds run out under them: every poll answers 200 or 304, never a conflict about
    someone else's booking, and every feed is whole (its count is its list's length)."""
    app, _summary, _prepared = demo
    client = app.test_client()
    manager = login(client, "manager")
    riders = [login(client, f"rider{i}") for i in (1, 2, 3)]
    kicks = available(client, "e_kickboard")
    polls: list[tuple[str, int]] = []
    whole: list[bool] = []
    done = threading.Event()

    def dashboard() -> None:
        own = app.test_client()
        while not done.is_set():
            for path in ("/api/v1/ops/fleet", "/api/v1/ops/kpis", "/api/v1/ops/stations"):
                r = own.get(path, headers=manager)
                polls.append((path, r.status_code))
                if path.endswith("fleet") and r.status_code == 200:
                    body = r.get_json()
                    whole.append(body["count"] == len(body["vehicles"]))

    def rider(headers: dict[str, str], n: int) -> None:
        own = app.test_client()
        for i in range(8):
            v = kicks[(n * 8 + i) % len(kicks)]
            ask = {"lat": v["lat"], "lon": v["lon"], "vehicle_classes": ["e_kickboard"]}
            booked = own.post("/api/v1/bookings", headers=headers, json=ask)
            if booked.status_code == 201 and i % 2:
                own.post(f"/api/v1/bookings/{booked.get_json()['id']}/cancel", headers=headers)
            else:
                clock.advance(400)  # the hold runs out while the dashboards poll

    boards = [threading.Thread(target=dashboard) for _ in range(6)]
    people = [threading.Thread(target=rider, args=(h, n)) for n, h in enumerate(riders)]
    for t in boards + people:
        t.start()
    for t in people:
        t.join(120)
    done.set()
    for t in boards:
        t.join(60)
    assert polls and whole and all(whole)
    assert {code for _path, code in polls} <= {200, 304}, sorted(set(polls))
