"""How a delivery job ends other than delivered: a pick-up the courier could not make, a parcel
brought back to its store, a job its merchant cancels."""

from __future__ import annotations

from typing import Any

from apiflask import Schema, fields, validators

from dispatch.couriers import actions, cancelling, views
from fleet.delivery import JobStatus
from fleet.identity import Role
from web.api import api
from web.api.delivery import JOB_READERS, JobView, job_view
from web.api.idempotency import idempotent
from web.auth import api_auth, current_user
from web.context import ctx

COURIERS = [str(Role.COURIER)]


class PickupFailIn(Schema):
    reason = fields.String(
        required=True,
        validate=validators.Length(min=1, max=500),
        metadata={"description": "why: parcel not ready, store closed, ..."},
    )


class PickupFailOut(Schema):
    job_id = fields.String()
    status = fields.String(metadata={"description": "pickup_failed"})


@api.post("/couriers/me/jobs/<job_id>/pickup-failed")
@idempotent
@api.auth_required(api_auth, roles=COURIERS)
@api.input(PickupFailIn, arg_name="body")
@api.output(PickupFailOut)
@api.doc(
    summary="I could not pick the parcel up, with the reason: the job ends pickup_failed (the "
    "merchant sees why) and its stops leave my plan",
    responses={
        401: "no valid token",
        403: "not a courier",
        404: "the pick-up is not in your plan",
        409: "your plan kept changing meanwhile: try again",
        422: "no reason given",
    },
)
def pickup_failed(job_id: str, body: dict[str, Any]) -> dict[str, Any]:
    actions.pickup_failed(ctx().couriers, current_user(), job_id, body["reason"])
    return {"job_id": job_id, "status": str(JobStatus.PICKUP_FAILED)}


class ReturnedOut(Schema):
    job_id = fields.String()
    status = fields.String(metadata={"description": "returned"})


@api.post("/couriers/me/jobs/<job_id>/returned")
@idempotent
@api.auth_required(api_auth, roles=COURIERS)
@api.output(ReturnedOut)
@api.doc(
    summary="I brought the parcel of a failed delivery back to its store: the job ends returned",
    responses={
        401: "no valid token",
        403: "not a courier",
        404: "no return of this job in your plan",
        409: "returned already",
    },
)
def returned(job_id: str) -> dict[str, Any]:
    actions.returned(ctx().couriers, current_user(), job_id)
    return {"job_id": job_id, "status": str(JobStatus.RETURNED)}


class CancelledJob(JobView):
    """The job as it stands after a cancel (its own class: apispec registers each schema class
    once)."""


@api.post("/delivery-jobs/<job_id>/cancel")
@idempotent
@api.auth_required(api_auth, roles=JOB_READERS)
@api.output(CancelledJob)
@api.doc(
    summary="Cancel a delivery job (its merchant, or a manager). Before the pick-up it ends "
    "cancelled and leaves the courier's plan; after it the parcel goes back to the store "
    "(returning, then returned)",
    responses={
        401: "no valid token",
        403: "not a merchant or manager",
        404: "no such job",
        409: "the job is delivered, returned, on its way back or ended already (named)",
    },
)
def cancel_job(job_id: str) -> dict[str, Any]:
    couriers, user = ctx().couriers, current_user()
    cancelling.cancel_job(couriers, user, job_id)
    return job_view(views.get_job(couriers, user, job_id))
