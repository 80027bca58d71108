"""Delivery jobs: merchants post them, customers track them, couriers see their route."""

from __future__ import annotations

import logging
from typing import Any

from apiflask import Schema, fields, validators
from redis.exceptions import RedisError

from dispatch import courier_actions, deliveries, schedule, swaps
from dispatch import couriers as service
from fleet.delivery import JobStatus, TimeWindow
from fleet.geo import Position
from fleet.identity import Role
from web.api import api
from web.api.idempotency import idempotent
from web.api.schemas import PageInfo, PageQuery, local_iso, page_info, paging
from web.auth import current_user, token_auth
from web.context import ctx

log = logging.getLogger(__name__)


class PointIn(Schema):
    lat = fields.Float(required=True)
    lon = fields.Float(required=True)


class WindowIn(Schema):
    start = fields.AwareDateTime(required=True)
    end = fields.AwareDateTime(required=True)


class JobIn(Schema):
    pickup = fields.Nested(PointIn, required=True)
    dropoff = fields.Nested(PointIn, required=True)
    pickup_window = fields.Nested(WindowIn, required=True)
    dropoff_window = fields.Nested(WindowIn, required=True)
    parcel_l = fields.Integer(required=True, validate=validators.Range(min=1))


class JobOut(Schema):
    id = fields.String()
    status = fields.String()
    courier_id = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    tracking_url = fields.String()
    proof_code = fields.String(
        metadata={"description": "give it to the customer: the courier asks for it at the door"}
    )


class JobQuery(PageQuery):
    status = fields.String(load_default=None, metadata={"description": "only jobs in this status"})


class JobPlace(Schema):
    lat = fields.Float()
    lon = fields.Float()


class JobView(Schema):
    id = fields.String()
    status = fields.String()
    reason = fields.String(allow_none=True)
    courier_id = fields.String(allow_none=True)
    parcel_l = fields.Integer()
    pickup = fields.Nested(JobPlace)
    dropoff = fields.Nested(JobPlace)
    pickup_window = fields.List(fields.String())
    dropoff_window = fields.List(fields.String())
    pickup_eta = fields.String(allow_none=True)
    dropoff_eta = fields.String(allow_none=True)
    created_at = fields.String()
    tracking_url = fields.String()


class JobViewOne(JobView):
    """A single job (its own class: apispec registers each schema class once)."""


class JobList(Schema):
    data = fields.List(fields.Nested(JobView))
    pagination = fields.Nested(PageInfo)


class TrackOut(Schema):
    status = fields.String()
    reason = fields.String(allow_none=True)
    pickup_eta = fields.String(allow_none=True)
    dropoff_eta = fields.String(allow_none=True)
    dropoff_window = fields.List(fields.String())


class StopOut(Schema):
    id = fields.String()
    kind = fields.String(metadata={"description": "pickup, dropoff or swap"})
    job_id = fields.String(allow_none=True, metadata={"description": "none for a swap"})
    site_id = fields.String(allow_none=True, metadata={"description": "the station of a swap"})
    site_name = fields.String(allow_none=True)
    seq = fields.Integer()
    lat = fields.Float()
    lon = fields.Float()
    eta = fields.String()
    parcel_l = fields.Integer(allow_none=True)


class RouteOut(Schema):
    stops = fields.List(fields.Nested(StopOut))
    next_stop = fields.Nested(StopOut, allow_none=True)


def _window(raw: dict[str, Any]) -> TimeWindow:
    return TimeWindow(raw["start"], raw["end"])


@api.post("/delivery-jobs")
@idempotent
@api.auth_required(token_auth, roles=[str(Role.MERCHANT)])
@api.input(JobIn, arg_name="body")
@api.output(JobOut, status_code=201)
@api.doc(
    summary="Post a delivery job (merchants); it is inserted into a courier's plan at once "
    "or comes back unassigned with the reason. Honours Idempotency-Key.",
    responses={
        401: "no valid token",
        403: "not a merchant",
        422: "parcel larger than any box, window in the past or too short for the "
        "ride, place outside the service area",
    },
)
def post_job(body: dict[str, Any]) -> dict[str, Any]:
    app, merchant = ctx(), current_user()
    posted = service.post_job(
        app.couriers,
        merchant,
        pickup=Position(body["pickup"]["lat"], body["pickup"]["lon"]),
        dropoff=Position(body["dropoff"]["lat"], body["dropoff"]["lon"]),
        pickup_window=_window(body["pickup_window"]),
        dropoff_window=_window(body["dropoff_window"]),
        parcel_l=body["parcel_l"],
    )
    if app.redis is not None:
        unassigned = posted.status is JobStatus.UNASSIGNED
        try:
            schedule.job_posted(
                app.redis, merchant.operator_id, app.city.name, app.settings, unassigned=unassigned
            )
        except RedisError:  # the job is stored; the periodic re-plan will take it up
            log.warning("could not request a re-plan of operator %s", merchant.operator_id)
    return {
        "id": posted.job_id,
        "status": str(posted.status),
        "courier_id": posted.courier_id,
        "reason": posted.reason,
        "tracking_url": f"/api/v1/track/{posted.tracking_token}",
        "proof_code": posted.proof_code,
    }


def _job_view(job: dict[str, Any]) -> dict[str, Any]:
    zone = ctx().zone

    def at(value: Any) -> str | None:
        return local_iso(value, zone) if value is not None else None

    return {
        "id": job["id"],
        "status": job["status"],
        "reason": job["reason"],
        "courier_id": job["courier_id"],
        "parcel_l": job["parcel_l"],
        "pickup": {"lat": job["pickup_lat"], "lon": job["pickup_lon"]},
        "dropoff": {"lat": job["dropoff_lat"], "lon": job["dropoff_lon"]},
        "pickup_window": [at(job["pickup_start"]), at(job["pickup_end"])],
        "dropoff_window": [at(job["dropoff_start"]), at(job["dropoff_end"])],
        "pickup_eta": at(job["pickup_eta"]),
        "dropoff_eta": at(job["dropoff_eta"]),
        "created_at": at(job["created_at"]),
        "tracking_url": f"/api/v1/track/{job['tracking_token']}",
    }


JOB_READERS = [str(Role.MERCHANT), str(Role.MANAGER)]


@api.get("/delivery-jobs")
@api.auth_required(token_auth, roles=JOB_READERS)
@api.input(JobQuery, location="query", arg_name="query")
@api.output(JobList)
@api.doc(
    summary="Delivery jobs, newest first: a merchant's own, or all of the operator's (managers)",
    responses={401: "no valid token", 403: "not a merchant or manager", 422: "unknown status"},
)
def list_jobs(query: dict[str, Any]) -> dict[str, Any]:
    app = ctx()
    page, per_page = paging(query, app.settings)
    found = deliveries.list_jobs(
        app.engine,
        current_user(),
        status=query["status"],
        limit=per_page,
        offset=(page - 1) * per_page,
    )
    return {
        "data": [_job_view(j) for j in found.jobs],
        "pagination": page_info(page, per_page, found.total),
    }


@api.get("/delivery-jobs/<job_id>")
@api.auth_required(token_auth, roles=JOB_READERS)
@api.output(JobViewOne)
@api.doc(
    summary="One delivery job with its status, courier and planned times",
    responses={401: "no valid token", 403: "not a merchant or manager", 404: "no such job"},
)
def get_job(job_id: str) -> dict[str, Any]:
    return _job_view(deliveries.get_job(ctx().engine, current_user(), job_id))


@api.get("/track/<token>")
@api.output(TrackOut)
@api.doc(
    summary="Follow a delivery (public, by its unguessable tracking code)",
    responses={404: "no delivery with this code"},
)
def track(token: str) -> dict[str, Any]:
    zone = ctx().zone
    seen = deliveries.tracking(ctx().engine, token)
    return {
        "status": seen["status"],
        "reason": seen["reason"],
        "pickup_eta": local_iso(seen["pickup_eta"], zone) if seen["pickup_eta"] else None,
        "dropoff_eta": local_iso(seen["dropoff_eta"], zone) if seen["dropoff_eta"] else None,
        "dropoff_window": [local_iso(t, zone) for t in seen["dropoff_window"]],
    }


@api.get("/couriers/me/route")
@api.auth_required(token_auth, roles=[str(Role.COURIER)])
@api.output(RouteOut)
@api.doc(summary="My planned stops in order, with their ETA, and the next one")
def my_route() -> dict[str, Any]:
    app = ctx()
    stops = [
        {
            "id": s["id"],
            "kind": s["kind"],
            "job_id": s["job_id"],
            "site_id": s["site_id"],
            "site_name": s["site_name"],
            "seq": s["seq"],
            "lat": s["lat"],
            "lon": s["lon"],
            "eta": local_iso(s["eta"], app.zone),
            "parcel_l": s["parcel_l"],
        }
        for s in courier_actions.route_of(app.engine, current_user(), app.clock.now())
    ]
    return {"stops": stops, "next_stop": stops[0] if stops else None}


class ProofIn(Schema):
    proof_code = fields.String(required=True, validate=validators.Length(min=1, max=8))


class FailIn(Schema):
    reason = fields.String(required=True, validate=validators.Length(min=1, max=500))


class DoneOut(Schema):
    job_id = fields.String()
    status = fields.String()
    on_time = fields.Boolean(allow_none=True)


COURIERS = [str(Role.COURIER)]
STOP_ERRORS = {
    401: "no valid token",
    403: "not a courier",
    404: "not in your plan",
    409: "not in a state for this",
}


@api.post("/couriers/me/jobs/<job_id>/picked-up")
@idempotent
@api.auth_required(token_auth, roles=COURIERS)
@api.output(DoneOut)
@api.doc(summary="I have the parcel", responses=STOP_ERRORS)
def picked_up(job_id: str) -> dict[str, Any]:
    courier_actions.picked_up(ctx().couriers, current_user(), job_id)
    return {"job_id": job_id, "status": "picked_up", "on_time": None}


@api.post("/couriers/me/jobs/<job_id>/delivered")
@idempotent
@api.auth_required(token_auth, roles=COURIERS)
@api.input(ProofIn, arg_name="body")
@api.output(DoneOut)
@api.doc(
    summary="Delivered, with the customer's proof code; says whether it was on time",
    responses={**STOP_ERRORS, 422: "the proof code does not match"},
)
def delivered(job_id: str, body: dict[str, Any]) -> dict[str, Any]:
    on_time = courier_actions.delivered(ctx().couriers, current_user(), job_id, body["proof_code"])
    return {"job_id": job_id, "status": "delivered", "on_time": on_time}


@api.post("/couriers/me/jobs/<job_id>/failed")
@idempotent
@api.auth_required(token_auth, roles=COURIERS)
@api.input(FailIn, arg_name="body")
@api.output(DoneOut)
@api.doc(summary="The delivery failed, with the reason", responses=STOP_ERRORS)
def failed(job_id: str, body: dict[str, Any]) -> dict[str, Any]:
    courier_actions.failed(ctx().couriers, current_user(), job_id, body["reason"])
    return {"job_id": job_id, "status": "failed", "on_time": None}


class SwapOut(Schema):
    stop_id = fields.String()
    pack_serial = fields.String(metadata={"description": "the pack now in the moped"})
    soc_pct = fields.Float()
    range_m = fields.Integer(
        metadata={"description": "metres it carries the courier, keeping the low-battery reserve"}
    )


@api.post("/couriers/me/swaps/<stop_id>")
@idempotent
@api.auth_required(token_auth, roles=COURIERS)
@api.output(SwapOut)
@api.doc(
    summary="I swapped my pack at the planned station: the station's fullest charged pack goes "
    "into my moped, mine into its slot",
    responses={**STOP_ERRORS, 409: "swap already made, or no charged pack left at the station"},
)
def swapped(stop_id: str) -> dict[str, Any]:
    done = swaps.swapped(ctx().couriers, current_user(), stop_id)
    return {
        "stop_id": stop_id,
        "pack_serial": done.pack_serial,
        "soc_pct": done.soc_pct,
        "range_m": done.range_m,
    }
