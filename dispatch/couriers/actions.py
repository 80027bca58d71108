"""What couriers do: read their route, and make its stops (picked up, delivered with the
customer's proof code, failed with a reason). Each action is one transaction that also marks
the shift's plan changed, so a planner that read it plans again."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from dispatch.couriers.leaving import leave_plan
from dispatch.couriers.service import CourierService
from dispatch.couriers.shifts import on_duty_for_pickup
from fleet.carbon import Footprint, footprint
from fleet.db import carbon as carbon_db
from fleet.db import deliveries as deliveries_db
from fleet.db import stops as stops_db
from fleet.db.engine import Connection, reading, writing
from fleet.delivery import DeliveryJob, JobStatus
from fleet.exceptions import Conflict, InvalidValue, NotFound
from fleet.identity import User
from fleet.plans import PlannedStop, StopKind, StopStatus
from routing.engine import UNREACHABLE
from routing.modes import Mode


@dataclass(frozen=True, slots=True)
class RouteStop:
    """A stop of a courier's route, with the parcel's litres (a job's stop) or the station's
    name (a swap)."""

    stop: PlannedStop
    parcel_l: int | None
    site_name: str | None


def route_of(service: CourierService, courier: User) -> list[RouteStop]:
    """The courier's planned stops in order (every shift not over)."""
    with reading(service.engine) as conn:
        rows = stops_db.route_of(conn, courier.id, service.clock.now())
    return [RouteStop(*row) for row in rows]


def _my_job(
    conn: Connection, courier: User, job_id: str, kind: StopKind, *, changes: bool = True
) -> tuple[PlannedStop, DeliveryJob]:
    """The courier's stop of a job in their plan, and the job, with the courier's plans held
    (``hold_plans_of``) so no re-plan moves the job away meanwhile; only locked, not marked
    changed, unless the action ``changes`` them for certain."""
    if changes:
        stops_db.hold_plans_of(conn, courier.id)
    else:
        stops_db.lock_plans_of(conn, courier.id)
    stop, _vehicle = stops_db.stop_of_courier(conn, courier.id, job_id=job_id, kind=kind)
    job = deliveries_db.get_job(conn, courier.operator_id, job_id)
    if job.courier_id != courier.id:
        msg = f"job {job_id} is not in your plan"
        raise NotFound(msg)
    _still_planned(stop, job)
    return stop, job


def picked_up(service: CourierService, courier: User, job_id: str) -> None:
    """The courier has the parcel.

    Raises
    ------
    Conflict
        The parcel would overflow the box (stops taken out of the planned order can do that):
        deliver first.
    """
    now = service.clock.now()
    with writing(service.engine) as conn:
        stop, job = _my_job(conn, courier, job_id, StopKind.PICKUP)
        on_duty_for_pickup(conn, service, courier, stop.shift_id, now)
        on_board = deliveries_db.litres_on_board(conn, courier.id)
        box = stops_db.box_of(conn, stop.shift_id)
        if on_board + job.parcel_l > box:
            msg = (
                f"the {job.parcel_l} l parcel does not fit: {on_board} l already on board of a "
                f"{box} l box; deliver first"
            )
            raise Conflict(msg)
        deliveries_db.move_job(conn, job, JobStatus.PICKED_UP, now, courier.id)
        stops_db.close_stop(conn, stop, StopStatus.DONE, now)


#: Wrong proof codes a delivery takes before it waits for the merchant to issue a new code
#: (with six digits, a guess then succeeds once in 200,000).
MAX_PROOF_FAILURES = 5


def delivered(service: CourierService, courier: User, job_id: str, proof_code: str) -> bool:
    """The customer took the parcel and gave the proof code; whether it was on time (within
    the drop-off window).

    Raises
    ------
    InvalidValue
        The proof code does not match (nothing changes but the count of wrong tries).
    Conflict
        ``MAX_PROOF_FAILURES`` wrong codes were tried: the merchant must issue a new one.
    """
    now = service.clock.now()
    co2 = delivery_footprint(service, courier, job_id)
    # One transaction, the courier's plans locked from the check to the count: a try sent
    # while another is being counted waits for it, so no try gets a sixth guess.
    with writing(service.engine) as conn:
        stop, job = _my_job(conn, courier, job_id, StopKind.DROPOFF, changes=False)
        if deliveries_db.proof_failures(conn, job.id) >= MAX_PROOF_FAILURES:
            msg = (
                f"the proof code is locked after {MAX_PROOF_FAILURES} wrong tries: the "
                "merchant must issue a new code for the customer"
            )
            raise Conflict(msg)
        # as bytes: compare_digest refuses str with characters beyond ASCII (a 500)
        if secrets.compare_digest(str(job.proof_code).encode(), proof_code.encode()):
            stops_db.hold_plans_of(conn, courier.id)  # the plan changes now
            deliveries_db.move_job(conn, job, JobStatus.DELIVERED, now, courier.id)
            carbon_db.credit(conn, job.operator_id, "delivery", job.id, now, co2)
            stops_db.close_stop(conn, stop, StopStatus.DONE, now)
            window = job.dropoff_window
            return bool(window.start <= now <= window.end)
        tries = deliveries_db.proof_failed(conn, job_id)  # only the wrong try is kept
    left = max(MAX_PROOF_FAILURES - tries, 0)
    then = (
        f"{left} {'try' if left == 1 else 'tries'} left"
        if left
        else "no tries left: the code is now locked until the merchant issues a new one"
    )
    msg = f"the proof code does not match: ask the customer for the code they received ({then})"
    raise InvalidValue(msg)


def delivery_footprint(service: CourierService, courier: User, job_id: str) -> Footprint:
    """The CO2 a delivery avoids: the moped's road distance from pick-up to drop-off (the car
    trip a shop would have made for this parcel alone, whatever other stops the courier's route
    wove in between; the straight line when no road joins them) at the city's factors. Found
    before the delivery's transaction, so no lock waits on the router."""
    with reading(service.engine) as conn:
        job = deliveries_db.get_job(conn, courier.operator_id, job_id)
    matrix = service.routers.router(Mode.MOPED).matrix([job.pickup], [job.dropoff])
    distance_m = int(matrix.distance_m[0, 0])
    if distance_m == UNREACHABLE:
        distance_m = round(job.pickup.distance_m(job.dropoff))
    return footprint(service.carbon, service.moped.energy_wh_per_km, distance_m)


def failed(service: CourierService, courier: User, job_id: str, reason: str) -> None:
    """The delivery could not be made: the job goes ``returning`` with the reason for the
    merchant, the parcel stays on board and a return stop to the store takes the drop-off's
    place in the courier's plan (``dispatch.couriers.leaving``).

    Raises
    ------
    InvalidValue
        No reason given.
    NotFound
        The job's drop-off is not in the courier's plan.
    """
    why = _reason(reason, "say why the delivery failed")
    _fail_stop(service, courier, job_id, StopKind.DROPOFF, JobStatus.RETURNING, why, back=True)


def returned(service: CourierService, courier: User, job_id: str) -> None:
    """The courier brought the parcel back to its store: the job ends ``returned``.

    Raises
    ------
    NotFound
        No return of this job is in the courier's plan.
    """
    now = service.clock.now()
    with writing(service.engine) as conn:
        stop, job = _my_job(conn, courier, job_id, StopKind.RETURN)
        deliveries_db.move_job(conn, job, JobStatus.RETURNED, now, courier.id)
        stops_db.close_stop(conn, stop, StopStatus.DONE, now)


def _stop_in_plan(
    conn: Connection, courier: User, job_id: str, kind: StopKind
) -> tuple[PlannedStop, DeliveryJob]:
    """The courier's planned stop of this kind for the job, and the job (the plans are claimed
    by the caller, so nothing is held here)."""
    stop, _vehicle = stops_db.stop_of_courier(conn, courier.id, job_id=job_id, kind=kind)
    job = deliveries_db.get_job(conn, courier.operator_id, job_id)
    if job.courier_id != courier.id:
        msg = f"job {job_id} is not in your plan"
        raise NotFound(msg)
    _still_planned(stop, job)
    return stop, job


def _still_planned(stop: PlannedStop, job: DeliveryJob) -> None:
    """Refuse a stop made or failed already, naming where its job stands."""
    if stop.status is not StopStatus.PLANNED:
        msg = f"job {job.id} is {job.status}: its {stop.kind} stop is {stop.status} already"
        raise Conflict(msg)


def pickup_failed(service: CourierService, courier: User, job_id: str, reason: str) -> None:
    """The courier could not pick the parcel up (not ready, the store closed): the job ends
    ``pickup_failed`` with the reason for the merchant, and both its stops leave the plan.

    Raises
    ------
    InvalidValue
        No reason given.
    NotFound
        The job's pick-up is not in the courier's plan (picked up already, or not theirs).
    """
    why = _reason(reason, "say why the pick-up failed (parcel not ready, store closed, ...)")
    _fail_stop(service, courier, job_id, StopKind.PICKUP, JobStatus.PICKUP_FAILED, why)


def _reason(reason: str, ask: str) -> str:
    """``reason`` without surrounding blanks; ``InvalidValue`` saying ``ask`` if none is left."""
    why = reason.strip()
    if not why:
        raise InvalidValue(ask)
    return why


def _fail_stop(
    service: CourierService,
    courier: User,
    job_id: str,
    kind: StopKind,
    target: JobStatus,
    why: str,
    *,
    back: bool = False,
) -> None:
    """The courier's ``kind`` stop of the job failed: the job moves to ``target`` with the
    reason and the plan is written without the stop (``back``: with a return to the store)."""

    def act(conn: Connection, now: datetime) -> None:
        stop, job = _stop_in_plan(conn, courier, job_id, kind)
        deliveries_db.move_job(conn, job, target, now, courier.id, reason=why)
        stops_db.close_stop(conn, stop, StopStatus.FAILED, now, touch=False)

    leave_plan(service, courier.operator_id, job_id, act, back=back)
