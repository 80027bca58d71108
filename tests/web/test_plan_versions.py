"""A planner writes only over the plan it read: jobs posted at once, or while the solver runs,
are never lost from a courier's plan (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select

import dispatch.couriers.replan as replan
import routing.courier_split as replanning
from fleet.db.tables import courier_stops, delivery_jobs
from tests.web.test_bookings import login
from tests.web.test_delivery import job


def check_plans_whole(engine) -> list[str]:
    """Every assigned job has its pickup and drop-off planned on its courier's shift, each shift's
    stops are numbered 0..n-1; the assigned jobs' ids."""
    with engine.connect() as conn:
        assigned = [
            r.id
            for r in conn.execute(
                select(delivery_jobs.c.id).where(delivery_jobs.c.status == "assigned")
            )
        ]
        stops = conn.execute(select(courier_stops).where(courier_stops.c.status == "planned")).all()
    kinds = Counter((s.job_id, s.kind) for s in stops if s.job_id is not None)
    for job_id in assigned:
        assert kinds[(job_id, "pickup")] == 1 and kinds[(job_id, "dropoff")] == 1, job_id
    by_shift: dict[str, list[int]] = {}
    for s in stops:
        by_shift.setdefault(s.shift_id, []).append(s.seq)
    for seqs in by_shift.values():
        assert sorted(seqs) == list(range(len(seqs)))
    return assigned


def test_jobs_posted_at_once_all_stay_planned(demo, clock):
    app = demo[0]
    engine = app.extensions["fleetops"].engine
    body = job(app.test_client(), clock, parcel_l=5)
    headers = login(app.test_client(), "merchant1")

    def post(_: int) -> dict:
        r = app.test_client().post("/api/v1/delivery-jobs", headers=headers, json=body)
        assert r.status_code == 201, r.get_json()
        return r.get_json()

    with ThreadPoolExecutor(8) as pool:
        posted = list(pool.map(post, range(16)))
    assigned = check_plans_whole(engine)
    assert {p["id"] for p in posted if p["status"] == "assigned"} == set(assigned)
    assert len(assigned) >= 8  # five couriers, boxes of 90 l, 5 l parcels on one route


def test_a_job_posted_while_the_solver_runs_is_not_lost(demo, clock, monkeypatch):
    app = demo[0]
    client, engine = app.test_client(), app.extensions["fleetops"].engine
    merchant = login(client, "merchant1")
    first = client.post("/api/v1/delivery-jobs", headers=merchant, json=job(client, clock))
    assert first.get_json()["status"] == "assigned"
    solve, calls = replanning.solve_couriers, []

    def solve_while_a_merchant_posts(problem, **kwargs):
        if not calls:  # the first solve: a job arrives and is inserted meanwhile
            r = client.post("/api/v1/delivery-jobs", headers=merchant, json=job(client, clock))
            calls.append(r.get_json())
        return solve(problem, **kwargs)

    monkeypatch.setattr(replanning, "solve_couriers", solve_while_a_merchant_posts)
    operator_id = client.get("/api/v1/me", headers=merchant).get_json()["operator_id"]
    result = replan.reoptimise(app.extensions["fleetops"].couriers, operator_id)
    assert calls[0]["status"] == "assigned"
    assert result["jobs"] == 2  # the second attempt planned both jobs
    assert set(check_plans_whole(engine)) == {first.get_json()["id"], calls[0]["id"]}
