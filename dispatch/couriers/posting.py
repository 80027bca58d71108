"""A merchant posts a delivery job: checked, inserted into a courier's plan at once (cheapest
feasible insertion on real moped travel times) or stored unassigned with the reason; the customer
follows it with an unguessable tracking token. Every posted job is reported to the service's
re-plan requester."""

from __future__ import annotations

from dataclasses import dataclass, replace

from dispatch.couriers.insertion import best_insertion
from dispatch.couriers.planning import Energy, Frame, frame, insertion_change, insertion_plans
from dispatch.couriers.service import CourierService
from fleet.db import couriers as couriers_db
from fleet.db import deliveries as deliveries_db
from fleet.db.engine import Connection, writing
from fleet.delivery import DeliveryJob, JobStatus, TimeWindow
from fleet.exceptions import InvalidValue
from fleet.geo import Position
from fleet.identity import User
from fleet.plans import PlanSnapshot, StopKind
from fleet.zones import check_in_service_area
from routing.courier_model import SERVICE_S
from routing.engine import UNREACHABLE
from routing.modes import Mode

#: Times a planner re-reads and plans again when another wrote a plan it read meanwhile.
PLAN_ATTEMPTS = 5
#: Digits of the proof code the customer reads out at the door.
PROOF_DIGITS = 4


@dataclass(frozen=True, slots=True)
class NewJob:
    """What a merchant posts."""

    pickup: Position
    dropoff: Position
    pickup_window: TimeWindow
    dropoff_window: TimeWindow
    parcel_l: int


@dataclass(frozen=True, slots=True)
class Posted:
    """A posted job as the merchant sees it."""

    job_id: str
    status: JobStatus
    tracking_token: str
    proof_code: str
    courier_id: str | None
    reason: str | None


def energy(service: CourierService) -> Energy:
    """The moped's charge rules for the planners."""
    return Energy(service.moped.range_full_m, service.reserve_m)


def post_job(service: CourierService, merchant: User, job: NewJob) -> Posted:
    """Check, store and dispatch a new job (see the module docstring).

    Jobs of one operator are inserted one at a time (``lock_operator``), and a plan is written
    only over the version read: when a re-optimisation or a courier changed the chosen plan
    meanwhile, the insertion is made again on the new plans.

    Raises
    ------
    InvalidValue
        A parcel larger than any box, a window in the past, a drop-off window too short for the
        ride from the pickup.
    OutsideServiceArea
        Pickup or drop-off outside the service area.
    StalePlan
        The plans kept changing under every attempt (a 409: post again).
    """
    now = service.clock.now()
    if job.parcel_l <= 0:
        msg = "parcel_l must be positive"
        raise InvalidValue(msg)
    for name, window in (("pick-up", job.pickup_window), ("drop-off", job.dropoff_window)):
        if window.end <= now:
            msg = f"the {name} window is in the past (it closed at {window.end.isoformat()})"
            raise InvalidValue(msg)
    for attempt in range(PLAN_ATTEMPTS):
        try:
            with writing(service.engine) as conn:
                couriers_db.lock_operator(conn, merchant.operator_id)
                snapshot = couriers_db.read_snapshot(
                    conn, merchant.operator_id, now, all_open_jobs=False
                )
                posted = _post_once(conn, service, merchant, job, snapshot)
            break
        except couriers_db.StalePlan:
            if attempt == PLAN_ATTEMPTS - 1:
                raise
    service.replans.job_posted(
        merchant.operator_id, unassigned=posted.status is JobStatus.UNASSIGNED
    )
    return posted


def _post_once(
    conn: Connection,
    service: CourierService,
    merchant: User,
    new: NewJob,
    snapshot: PlanSnapshot,
) -> Posted:
    for place in (new.pickup, new.dropoff):
        check_in_service_area(snapshot.zones, place)
    biggest = max((s.shift.box_capacity_l for s in snapshot.shifts), default=service.moped.cargo_l)
    if new.parcel_l > biggest:
        msg = f"a {new.parcel_l} l parcel is larger than any courier's box ({biggest} l)"
        raise InvalidValue(msg)
    job = DeliveryJob(
        id=service.ids.new_id(),
        operator_id=merchant.operator_id,
        merchant_id=merchant.id,
        pickup=new.pickup,
        dropoff=new.dropoff,
        pickup_window=new.pickup_window,
        dropoff_window=new.dropoff_window,
        parcel_l=new.parcel_l,
        status=JobStatus.POSTED,
        created_at=snapshot.at,
        tracking_token=service.ids.token(),
        proof_code=service.ids.code(PROOF_DIGITS),
    )
    router = service.routers.router(Mode.MOPED)
    seen = frame(snapshot, router, energy(service), [job])
    _check_ride(seen, job)
    pickup = seen.stops[(job.id, StopKind.PICKUP)]
    dropoff = seen.stops[(job.id, StopKind.DROPOFF)]
    choice = best_insertion(
        insertion_plans(seen), pickup, dropoff, seen.durations, snapshot.at, seen.distances
    )
    courier_id = None
    if choice is not None:
        shift = next(s.shift for s in snapshot.shifts if s.shift.id == choice.shift_id)
        courier_id = shift.courier_id
        stored = _with(job, JobStatus.ASSIGNED, courier_id, None)
    else:
        reason = "no courier on shift can fit it in time" if snapshot.shifts else None
        stored = _with(job, JobStatus.UNASSIGNED, None, reason or "no courier is on shift")
    audit = {
        "status": str(stored.status),
        "reason": stored.reason,
        "shift_id": choice.shift_id if choice else None,
    }
    deliveries_db.insert_job(conn, stored, audit)
    if choice is not None:
        couriers_db.write_plans(conn, insertion_change(seen, choice), service.ids)
    assert stored.tracking_token is not None and stored.proof_code is not None
    return Posted(
        job.id, stored.status, stored.tracking_token, stored.proof_code, courier_id, stored.reason
    )


def _check_ride(seen: Frame, job: DeliveryJob) -> None:
    """Refuse a job whose drop-off window closes before the parcel can get there."""
    pickup = seen.stops[(job.id, StopKind.PICKUP)]
    dropoff = seen.stops[(job.id, StopKind.DROPOFF)]
    ride = int(seen.durations[pickup.place, dropoff.place])
    if ride == UNREACHABLE:
        msg = "no open road leads from the pick-up to the drop-off"
        raise InvalidValue(msg)
    earliest = max(job.pickup_window.start, seen.now).timestamp() + SERVICE_S + ride
    if earliest > job.dropoff_window.end.timestamp():
        msg = (
            f"the drop-off window closes before the parcel can get there (the ride alone "
            f"takes {ride // 60} min)"
        )
        raise InvalidValue(msg)


def _with(
    job: DeliveryJob, status: JobStatus, courier_id: str | None, reason: str | None
) -> DeliveryJob:
    return replace(job, status=status, courier_id=courier_id, reason=reason)
