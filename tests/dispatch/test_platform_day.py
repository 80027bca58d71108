"""The platform drives without Flask and without Redis, and replays exactly: a rider's ride, a
work-EV reservation and a delivery (post → insertion → OR-Tools re-plan → picked up →
delivered), through ``Platform`` with a fixed clock, seeded ids, deterministic solver limits and
the inline re-plan requester. Run twice, the two runs leave identical database contents."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from bootstrap import build_platform
from cli.demo import DEMO_PASSWORD, seed_demo
from cli.main import prepare_city
from dispatch import accounts
from dispatch.couriers import actions, posting
from dispatch.couriers.service import SolverLimits
from dispatch.couriers.views import get_job
from dispatch.ops import vehicles as fleet
from dispatch.riders import bookings
from dispatch.workev import reservations
from fleet.bookings import BookingStatus
from fleet.catalog import VehicleClass
from fleet.clock import FixedClock
from fleet.db.engine import writing
from fleet.db.tables import metadata
from fleet.delivery import JobStatus, TimeWindow
from fleet.ids import SeededIds
from fleet.workev import ReservationStatus
from tests.conftest import SEOUL, _truncate

#: Deterministic: the search stops after this many improving solutions, long before the
#: (safety-net) time limit on any machine.
LIMITS = SolverLimits(time_limit_s=300, solution_limit=25)


def dump(engine) -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order."""
    with engine.connect() as conn:
        return {
            table.name: [
                tuple(row)
                for row in conn.execute(sa.select(table).order_by(*table.primary_key.columns)).all()
            ]
            for table in metadata.sorted_tables
        }


def operating_day(engine, settings, data):
    """Seed the demo and run one of each flow through the platform; the platform."""
    clock = FixedClock(datetime(2026, 3, 2, 10, 0, tzinfo=SEOUL))
    platform = build_platform(
        settings.with_overrides(redis_url=None, reoptimise_after_jobs=2),
        engine=engine,
        clock=clock,
        ids=SeededIds(2026),
        replans="inline",
        limits=LIMITS,
    )
    with writing(engine) as conn:
        seed_demo(
            conn,
            profile=data.profile,
            layout=data.layout,
            graphs=data.graphs,
            n_vehicles=60,
            clock=clock,
            ids=platform.ids,
            catalog=platform.catalog,
            seed=3,
        )

    def user(name):
        found = accounts.check_credentials(platform.accounts, name, DEMO_PASSWORD)
        assert found is not None
        return found

    ride(platform, clock, user("rider1"))
    work_ev(platform, clock, user("staff-hanul1"), user("manager"))
    delivery(platform, clock, user("merchant1"))
    return platform


def ride(platform, clock, rider):
    """Book the nearest kickboard, ride ten minutes, park where another kickboard stands."""
    kicks = bookings.available_vehicles(
        platform.riders,
        operator_id=rider.operator_id,
        classes=[VehicleClass.E_KICKBOARD],
        limit=5,
        offset=0,
    ).items
    held = bookings.request_booking(platform.riders, rider, kicks[0].position, ["e_kickboard"])
    bookings.unlock(platform.riders, rider, held.booking.id)
    clock.advance(600)
    ended = bookings.end_trip(platform.riders, rider, held.booking.id, kicks[-1].position)
    assert ended.booking.status is BookingStatus.COMPLETED
    receipt = ended.booking.receipt
    assert receipt is not None and receipt.duration_s == 600 and receipt.price_minor > 0


def work_ev(platform, clock, employee, manager):
    """Reserve an EV for an hour from one hour on, pick it up, return it with 20 km driven."""
    hub = reservations.hubs(platform.workev, employee)[0]
    start = clock.now() + timedelta(hours=1)
    booked = reservations.reserve(
        platform.workev,
        employee,
        hub_id=hub.id,
        start=start,
        end=start + timedelta(hours=1),
        planned_distance_m=20_000,
    )
    clock.advance(3600)
    picked = reservations.pick_up(platform.workev, employee, booked.id)
    assert picked.status is ReservationStatus.PICKED_UP and picked.vehicle_id is not None
    ev = fleet.get_vehicle(platform.fleet, manager, picked.vehicle_id)
    clock.advance(50 * 60)
    returned = reservations.return_ev(
        platform.workev, employee, booked.id, soc_pct=70.0, odometer_m=ev.odometer_m + 20_000
    )
    assert returned.status is ReservationStatus.RETURNED


def delivery(platform, clock, merchant):
    """Two jobs: each inserted at once, the second one re-plans every courier (two posted);
    then the first is picked up and delivered with the customer's code."""
    bikes = bookings.available_vehicles(
        platform.riders,
        operator_id=merchant.operator_id,
        classes=[VehicleClass.E_BIKE],
        limit=50,
        offset=0,
    ).items
    now = clock.now()
    posted = [
        posting.post_job(
            platform.couriers,
            merchant,
            posting.NewJob(
                pickup=bikes[k].position,
                dropoff=bikes[-1 - k].position,
                pickup_window=TimeWindow(now, now + timedelta(hours=1)),
                dropoff_window=TimeWindow(now, now + timedelta(hours=2)),
                parcel_l=10,
            ),
        )
        for k in range(2)
    ]
    assert all(p.status is JobStatus.ASSIGNED for p in posted)
    first = posted[0]
    courier = accounts.active_user(
        platform.accounts, get_job(platform.couriers, merchant, first.job_id).job.courier_id
    )
    assert courier is not None
    actions.picked_up(platform.couriers, courier, first.job_id)
    clock.advance(20 * 60)
    assert actions.delivered(platform.couriers, courier, first.job_id, first.proof_code)
    assert get_job(platform.couriers, merchant, first.job_id).job.status is JobStatus.DELIVERED


def test_an_operating_day_through_the_platform_replays_exactly(engine, settings, cache_dir):
    data = prepare_city(settings, "synthetic")
    operating_day(engine, settings, data)
    first = dump(engine)
    _truncate(engine)
    operating_day(engine, settings, data)
    second = dump(engine)
    assert first == second
    audit = [row[4] for row in first["audit_log"]]  # the actions, in order
    assert "plans.reoptimise" in audit  # the inline requester re-planned after the second job
    for action in ("booking.completed", "reservation.returned", "job.delivered"):
        assert action in audit
