"""Re-plans at scale, in process: 200 open jobs for 5 couriers and 500 for 20, at the default
time limit and a longer one; served, dropped (with reasons) and seconds against the limit.

The demo is seeded on the city (its five couriers), fifteen more couriers get shifts on the
demo's other mopeds, and for each row the jobs are stored unassigned (as posts that found no
courier would be) at random places the couriers' mopeds can reach, and one re-plan runs.
"""

from __future__ import annotations

import random
import time
from datetime import datetime, timedelta
from datetime import time as dtime
from typing import Any

import sqlalchemy as sa

from benchmarks.common import settings_for_bench
from bootstrap import build_platform
from cli.demo import seed_demo
from cli.main import prepare_city
from dispatch.couriers.replan import reoptimise
from dispatch.couriers.service import SolverLimits
from fleet.catalog import DEFAULT_CATALOG, VehicleClass
from fleet.clock import FixedClock
from fleet.db import couriers as couriers_db
from fleet.db import deliveries as deliveries_db
from fleet.db import identity as idb
from fleet.db.engine import make_engine, writing
from fleet.db.migrate import upgrade
from fleet.db.tables import courier_shifts, courier_stops, delivery_jobs, vehicles
from fleet.delivery import CourierShift, DeliveryJob, JobStatus, ShiftStatus, TimeWindow
from fleet.geo import Position
from fleet.identity import Role
from fleet.ids import RandomIds

#: (open jobs, couriers, time limit in seconds)
ROWS = [(200, 5, 2.0), (500, 20, 2.0), (200, 5, 10.0), (500, 20, 10.0)]
#: A re-plan "returns within its limit" when it takes no more than this over it (the write).
WRITE_GRACE = 1.10


def replan_rows(city: str, url: str) -> list[dict[str, Any]]:
    """One row per entry of ``ROWS``."""
    settings = settings_for_bench()
    prepared = prepare_city(settings, city)
    zone = prepared.profile.zone
    now = datetime.combine(datetime.now(zone).date(), dtime(12, 0), zone)
    clock = FixedClock(now)
    engine = make_engine(url)
    upgrade(engine)
    ids = RandomIds()
    with writing(engine) as conn:
        seed_demo(
            conn,
            profile=prepared.profile,
            layout=prepared.layout,
            graphs=prepared.graphs,
            n_vehicles=300,
            clock=clock,
            ids=ids,
            catalog=DEFAULT_CATALOG,
            seed=5,
        )
    operator_id, merchant_id, shift_ids, spots = _more_couriers(engine, clock, ids, now, 20)
    rows = []
    for n_jobs, n_couriers, limit_s in ROWS:
        _reset(engine, shift_ids, n_couriers)
        _open_jobs(engine, operator_id, merchant_id, spots, now, n_jobs, ids)
        platform = build_platform(
            settings.with_overrides(city=city, redis_url=None),
            engine=engine,
            clock=clock,
            replans="none",
            limits=SolverLimits(time_limit_s=limit_s),
        )
        started = time.perf_counter()
        counts = reoptimise(platform.couriers, operator_id)
        seconds = time.perf_counter() - started
        with engine.connect() as conn:
            served = conn.execute(
                sa.select(sa.func.count()).where(delivery_jobs.c.status == "assigned")
            ).scalar_one()
            reasons = dict(
                conn.execute(
                    sa.select(delivery_jobs.c.reason, sa.func.count())
                    .where(delivery_jobs.c.status == "unassigned")
                    .group_by(delivery_jobs.c.reason)
                )
                .tuples()
                .all()
            )
        rows.append(
            {
                "open_jobs": n_jobs,
                "couriers": n_couriers,
                "time_limit_s": limit_s,
                "served": served,
                "dropped": counts["dropped"],
                "reasons": reasons,
                "seconds": round(seconds, 2),
                "within_limit": seconds <= limit_s * WRITE_GRACE,
            }
        )
        print(rows[-1], flush=True)
    engine.dispose()
    return rows


def _more_couriers(engine, clock, ids, now, total: int):
    """Courier shifts up to ``total`` on the demo's mopeds; the operator, a merchant, the
    shift ids in order, and the places vehicles stand (reachable spots for jobs)."""
    with writing(engine) as conn:
        operator_id = conn.execute(sa.text("SELECT id FROM operators")).scalar_one()
        merchant_id = conn.execute(
            sa.text("SELECT id FROM users WHERE username = 'merchant1'")
        ).scalar_one()
        taken = {r.vehicle_id for r in conn.execute(sa.select(courier_shifts.c.vehicle_id))}
        mopeds = [
            r.id
            for r in conn.execute(
                sa.select(vehicles.c.id).where(
                    vehicles.c.vehicle_class == str(VehicleClass.E_MOPED)
                )
            )
            if r.id not in taken
        ]
        existing = conn.execute(sa.select(sa.func.count()).select_from(courier_shifts))
        have = existing.scalar_one()
        start = now.replace(hour=9)
        for n, moped in zip(range(have, total), mopeds, strict=False):
            courier = idb.create_user(
                conn,
                operator_id=operator_id,
                username=f"bench-courier{n + 1}",
                display_name=f"Bench courier {n + 1}",
                role=Role.COURIER,
                password="bench-password",
                clock=clock,
            )
            couriers_db.add_shift(
                conn,
                CourierShift(
                    id=ids.new_id(),
                    operator_id=operator_id,
                    courier_id=courier.id,
                    vehicle_id=moped,
                    window=TimeWindow(start, start + timedelta(hours=9)),
                    box_capacity_l=DEFAULT_CATALOG[VehicleClass.E_MOPED].cargo_l,
                    status=ShiftStatus.SCHEDULED,
                ),
            )
        shift_ids = [
            r.id
            for r in conn.execute(
                sa.select(courier_shifts.c.id).order_by(courier_shifts.c.vehicle_id)
            )
        ]
        spots = [
            Position(r.lat, r.lon)
            for r in conn.execute(
                sa.select(vehicles.c.lat, vehicles.c.lon).where(
                    vehicles.c.vehicle_class != str(VehicleClass.WORK_EV)
                )
            )
        ]
    return operator_id, merchant_id, shift_ids[:total], spots


def _reset(engine, shift_ids: list[str], n_couriers: int) -> None:
    """No jobs, no stops, and only the first ``n_couriers`` shifts open."""
    with writing(engine) as conn:
        conn.execute(sa.delete(courier_stops))
        conn.execute(sa.text("DELETE FROM audit_log WHERE entity = 'delivery_job'"))
        conn.execute(sa.delete(delivery_jobs))
        for n, shift_id in enumerate(shift_ids):
            status = ShiftStatus.SCHEDULED if n < n_couriers else ShiftStatus.CANCELLED
            conn.execute(
                sa.update(courier_shifts)
                .where(courier_shifts.c.id == shift_id)
                .values(status=str(status))
            )


def _open_jobs(engine, operator_id, merchant_id, spots, now, n: int, ids) -> None:
    rng = random.Random(n)
    with writing(engine) as conn:
        for _ in range(n):
            a, b = rng.sample(spots, 2)
            deliveries_db.insert_job(
                conn,
                DeliveryJob(
                    id=ids.new_id(),
                    operator_id=operator_id,
                    merchant_id=merchant_id,
                    pickup=a,
                    dropoff=b,
                    pickup_window=TimeWindow(now, now + timedelta(hours=1)),
                    dropoff_window=TimeWindow(now, now + timedelta(hours=rng.choice((2, 3)))),
                    parcel_l=rng.choice((3, 5, 8, 12)),
                    status=JobStatus.UNASSIGNED,
                    created_at=now,
                    reason="bench: waiting for a re-plan",
                    tracking_token=ids.token(),
                    proof_code=ids.code(4),
                ),
                {"status": "unassigned"},
            )
