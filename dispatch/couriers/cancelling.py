"""A merchant (or a manager) cancels a delivery job.

Before the pick-up the job ends ``cancelled`` and its stops leave its courier's plan. After the
pick-up the parcel is in a courier's box and cannot simply vanish: cancelling then means "bring
it back" (the customer changed their mind, the order was wrong), so the job goes ``returning``
and a return stop to the store takes the drop-off's place in the plan, as for a failed delivery
(``dispatch.couriers.leaving``). A job delivered, returned, on its way back or ended otherwise
is not cancelled (409 naming its status).
"""

from __future__ import annotations

from datetime import datetime

from dispatch.couriers.leaving import leave_plan
from dispatch.couriers.service import CourierService
from fleet.db import couriers as couriers_db
from fleet.db import deliveries as deliveries_db
from fleet.db.engine import Connection, reading
from fleet.delivery import DeliveryJob, JobStatus
from fleet.exceptions import Conflict
from fleet.identity import Role, User

#: The reasons a cancelled job carries.
CANCELLED = "cancelled by the merchant"
CANCELLED_ON_BOARD = (
    "cancelled by the merchant after the pick-up: the parcel goes back to the store"
)
#: Jobs a merchant may cancel (a picked-up one goes back to the store).
CANCELLABLE = (JobStatus.POSTED, JobStatus.UNASSIGNED, JobStatus.ASSIGNED, JobStatus.PICKED_UP)


def cancel_job(service: CourierService, user: User, job_id: str) -> DeliveryJob:
    """Cancel the job (see the module docstring); the job as it now stands.

    Raises
    ------
    NotFound
        No such job, or not one of this merchant's.
    Conflict
        The job can no longer be cancelled (the message names its status), or the plans kept
        changing meanwhile.
    """
    merchant_id = user.id if user.role is Role.MERCHANT else None
    with reading(service.engine) as conn:
        job = deliveries_db.get_job(conn, user.operator_id, job_id, merchant_id=merchant_id)
    _check(job)
    on_board = job.status is JobStatus.PICKED_UP

    def act(conn: Connection, now: datetime) -> None:
        current = deliveries_db.get_job(conn, user.operator_id, job_id, merchant_id=merchant_id)
        _check(current)
        if (current.status is JobStatus.PICKED_UP) != on_board:  # picked up meanwhile
            msg = f"job {job_id} was picked up meanwhile"
            raise couriers_db.StalePlan(msg)
        if on_board:
            deliveries_db.move_job(
                conn, current, JobStatus.RETURNING, now, user.id, reason=CANCELLED_ON_BOARD
            )
        else:
            deliveries_db.move_job(
                conn, current, JobStatus.CANCELLED, now, user.id, courier_id=None, reason=CANCELLED
            )

    leave_plan(service, user.operator_id, job_id, act, back=on_board)
    with reading(service.engine) as conn:
        return deliveries_db.get_job(conn, user.operator_id, job_id)


def _check(job: DeliveryJob) -> None:
    if job.status not in CANCELLABLE:
        msg = f"job {job.id} is {job.status}: it can no longer be cancelled"
        raise Conflict(msg)
