"""A merchant posts a delivery job: checked, inserted into a courier's plan at once (cheapest
feasible insertion on real moped travel times) or stored unassigned with the reason; the customer
follows it with an unguessable tracking token. Every posted job is reported to the service's
re-plan requester."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from dispatch.couriers.insertion import best_insertion
from dispatch.couriers.planning import Energy, Frame, frame, insertion_change, insertion_plans
from dispatch.couriers.service import CourierService
from fleet.db import couriers as couriers_db
from fleet.db import deliveries as deliveries_db
from fleet.db.engine import reading, writing
from fleet.db.turns import TurnTimeout, planning_turn
from fleet.delivery import DeliveryJob, JobStatus, TimeWindow
from fleet.exceptions import ChangedMeanwhile, Conflict, InvalidValue
from fleet.geo import Position
from fleet.identity import Role, User
from fleet.plans import PlanChange, PlanSnapshot, StopKind
from fleet.zones import check_in_service_area, first_inside
from routing.courier_model import SERVICE_S
from routing.engine import UNREACHABLE
from routing.exceptions import InsideClosure
from routing.modes import Mode

#: Times a planner re-reads and plans again when another wrote a plan it read meanwhile.
PLAN_ATTEMPTS = 5
#: How long a post waits for the operator's planning turn before it stores the job unassigned
#: for the next re-plan (``fleet.db.turns``).
TURN_WAIT_S = 10.0
#: Digits of the proof code the customer reads out at the door (a courier gets five tries:
#: ``dispatch.couriers.actions.MAX_PROOF_FAILURES``).
PROOF_DIGITS = 6
#: How far ahead a job may be posted, and how long its windows last: a window of seconds
#: cannot be kept, and one of days is no promise to a customer.
JOB_HORIZON = timedelta(days=7)
MIN_WINDOW, MAX_WINDOW = timedelta(minutes=5), timedelta(hours=24)
#: A job whose proof code can still be issued anew (not yet delivered or failed).
_REISSUABLE = (JobStatus.POSTED, JobStatus.ASSIGNED, JobStatus.UNASSIGNED, JobStatus.PICKED_UP)
#: Why a job is stored unassigned when every attempt to insert it met a changed plan.
BUSY = "the couriers' plans were changing as it came in; the next re-plan takes it up"


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


def _check_window(name: str, window: TimeWindow, now: datetime) -> None:
    """A window not over, not too far ahead, and neither a blink nor days long."""
    if window.end <= now:
        msg = f"the {name} window is in the past (it closed at {window.end.isoformat()})"
        raise InvalidValue(msg)
    if window.start > now + JOB_HORIZON:
        msg = f"the {name} window opens more than {JOB_HORIZON.days} days ahead"
        raise InvalidValue(msg)
    if not MIN_WINDOW <= window.end - window.start <= MAX_WINDOW:
        msg = (
            f"the {name} window lasts at least {MIN_WINDOW / timedelta(minutes=1):.0f} minutes "
            f"and at most {MAX_WINDOW / timedelta(hours=1):.0f} hours"
        )
        raise InvalidValue(msg)


def post_job(service: CourierService, merchant: User, new: NewJob) -> Posted:
    """Check, store and dispatch a new job (see the module docstring).

    The plans are read and the insertion computed with no database lock held, in the
    operator's planning turn (posts of one operator queue for it instead of computing over each
    other; nothing else waits for it); the job and the chosen plan are then written in one
    short transaction, only over the plan version read. When a re-plan or a courier changed
    that plan meanwhile, the insertion is computed again on the new plans; when the plans keep
    changing, or the turn is not free within ``TURN_WAIT_S``, the job is stored unassigned with
    the reason and a re-plan takes it up.

    Raises
    ------
    InvalidValue
        A parcel larger than any box, a window in the past, a drop-off window too short for the
        ride from the pickup.
    OutsideServiceArea
        Pickup or drop-off outside the service area.
    """
    now = service.clock.now()
    if new.parcel_l <= 0:
        msg = "parcel_l must be positive"
        raise InvalidValue(msg)
    for name, window in (("pick-up", new.pickup_window), ("drop-off", new.dropoff_window)):
        _check_window(name, window, now)
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
        created_at=now,
        tracking_token=service.ids.token(),
        proof_code=service.ids.code(PROOF_DIGITS),
    )
    stored: DeliveryJob | None = None
    try:
        with planning_turn(service.engine, merchant.operator_id, TURN_WAIT_S):
            stored = _plan_and_store(service, job, merchant.operator_id, now)
    except TurnTimeout:
        pass  # stored unassigned below, for the re-plan it requests
    if stored is None:
        stored = _with(job, JobStatus.UNASSIGNED, None, BUSY)
        with writing(service.engine) as conn:
            deliveries_db.insert_job(conn, stored, {"status": str(stored.status), "reason": BUSY})
    service.replans.job_posted(
        merchant.operator_id, unassigned=stored.status is JobStatus.UNASSIGNED
    )
    assert stored.tracking_token is not None and stored.proof_code is not None
    return Posted(
        job.id,
        stored.status,
        stored.tracking_token,
        stored.proof_code,
        stored.courier_id,
        stored.reason,
    )


def reissue_proof_code(service: CourierService, user: User, job_id: str) -> str:
    """A new proof code for the job (its merchant, or a manager), forgetting the wrong tries
    of the old one: after a courier was locked out, the merchant gives the customer this one.

    Raises
    ------
    NotFound
        No such job, or not one of this merchant's.
    Conflict
        The job is delivered or failed already.
    """
    merchant_id = user.id if user.role is Role.MERCHANT else None
    code = service.ids.code(PROOF_DIGITS)
    with writing(service.engine) as conn:
        job = deliveries_db.get_job(conn, user.operator_id, job_id, merchant_id=merchant_id)
        if job.status not in _REISSUABLE:
            msg = f"job {job_id} is {job.status}: its proof code is no longer needed"
            raise Conflict(msg)
        deliveries_db.reissue_proof(conn, job.id, code)
    return code


def _plan_and_store(
    service: CourierService, job: DeliveryJob, operator_id: str, now: datetime
) -> DeliveryJob | None:
    """Insert and store the job, reading again when a plan changed meanwhile; the job as
    stored, or ``None`` when the plans kept changing (nothing stored)."""
    for _attempt in range(PLAN_ATTEMPTS):
        with reading(service.engine) as conn:
            snapshot = couriers_db.read_snapshot(conn, operator_id, now, all_open_jobs=False)
        stored, change, audit = _decide(service, job, snapshot)
        try:
            with writing(service.engine) as conn:
                deliveries_db.insert_job(conn, stored, audit)
                if change is not None:
                    couriers_db.write_plans(conn, change, service.ids)
        except ChangedMeanwhile:  # a plan changed since it was read: insert again
            continue
        return stored
    return None


def _decide(
    service: CourierService, job: DeliveryJob, snapshot: PlanSnapshot
) -> tuple[DeliveryJob, PlanChange | None, dict[str, str | None]]:
    """The job as it is to be stored, the plan change that takes it (if any courier can),
    and the audit of the post."""
    closed = [z for z in snapshot.zones if z.closes_roads(snapshot.at)]
    for what, place in (("the pick-up", job.pickup), ("the drop-off", job.dropoff)):
        check_in_service_area(snapshot.zones, place, what)
        closure = first_inside(closed, place)
        if closure is not None:  # the planners cut such a place off; its poster hears why
            raise InsideClosure(place.lat, place.lon, closure.name)
    biggest = max((s.shift.box_capacity_l for s in snapshot.shifts), default=service.moped.cargo_l)
    if job.parcel_l > biggest:
        msg = f"a {job.parcel_l} l parcel is larger than any courier's box ({biggest} l)"
        raise InvalidValue(msg)
    router = service.routers.router(Mode.MOPED)
    seen = frame(snapshot, router, energy(service), [job])
    _check_ride(seen, job)
    pickup = seen.stops[(job.id, StopKind.PICKUP)]
    dropoff = seen.stops[(job.id, StopKind.DROPOFF)]
    choice = best_insertion(
        insertion_plans(seen), pickup, dropoff, seen.durations, snapshot.at, seen.distances
    )
    if choice is None:
        reason = "no courier on shift can fit it in time" if snapshot.shifts else None
        stored = _with(job, JobStatus.UNASSIGNED, None, reason or "no courier is on shift")
        audit = {"status": str(stored.status), "reason": stored.reason, "shift_id": None}
        return stored, None, audit
    shift = next(s.shift for s in snapshot.shifts if s.shift.id == choice.shift_id)
    stored = _with(job, JobStatus.ASSIGNED, shift.courier_id, None)
    audit = {"status": str(stored.status), "reason": None, "shift_id": choice.shift_id}
    return stored, insertion_change(seen, choice), audit


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
