"""Delivery jobs: merchants post them, customers track them, couriers see their route."""

from __future__ import annotations

from typing import Any

from apiflask import Schema, fields, validators

from dispatch.couriers import actions, posting, roads, swaps, views
from dispatch.couriers.views import JobSeen
from fleet.delivery import JobStatus, TimeWindow
from fleet.geo import Position
from fleet.identity import Role
from web import planners
from web.api import api
from web.api.idempotency import idempotent
from web.api.schemas import (
    CourierRef,
    Instant,
    MopedRef,
    PageInfo,
    PageQuery,
    PointIn,
    job_people,
    local_iso,
    one_of,
    page_info,
    paging,
)
from web.auth import api_auth, current_user
from web.context import ctx
from web.links import tracking_urls


class WindowIn(Schema):
    start = Instant(required=True)
    end = Instant(required=True)


class JobIn(Schema):
    pickup = fields.Nested(PointIn, required=True)
    dropoff = fields.Nested(PointIn, required=True)
    pickup_window = fields.Nested(WindowIn, required=True)
    dropoff_window = fields.Nested(WindowIn, required=True)
    parcel_l = fields.Integer(required=True, strict=True, validate=validators.Range(min=1))


class JobOut(Schema):
    id = fields.String()
    status = fields.String()
    courier_id = fields.String(allow_none=True)
    courier = fields.Nested(CourierRef, allow_none=True)
    vehicle = fields.Nested(MopedRef, allow_none=True)
    reason = fields.String(allow_none=True)
    tracking_url = fields.String(metadata={"description": "the customer's page (absolute)"})
    tracking_api_url = fields.String(metadata={"description": "the same as JSON (absolute)"})
    proof_code = fields.String(
        metadata={"description": "give it to the customer: the courier asks for it at the door"}
    )


LATE = "the drop-off is planned (or was made) after its window closed"


class JobQuery(PageQuery):
    status = fields.String(
        load_default=None,
        metadata={"description": "only jobs in this status", **one_of(JobStatus)},
    )


class JobPlace(Schema):
    lat = fields.Float()
    lon = fields.Float()


class JobView(Schema):
    id = fields.String()
    status = fields.String()
    reason = fields.String(allow_none=True)
    courier_id = fields.String(allow_none=True)
    courier = fields.Nested(CourierRef, allow_none=True)
    vehicle = fields.Nested(MopedRef, allow_none=True)
    parcel_l = fields.Integer()
    pickup = fields.Nested(JobPlace)
    dropoff = fields.Nested(JobPlace)
    pickup_window = fields.List(fields.String())
    dropoff_window = fields.List(fields.String())
    pickup_eta = fields.String(allow_none=True)
    dropoff_eta = fields.String(allow_none=True)
    late = fields.Boolean(metadata={"description": LATE})
    late_by_s = fields.Integer(metadata={"description": "seconds after the window's end"})
    created_at = fields.String()
    tracking_url = fields.String(metadata={"description": "the customer's page (absolute)"})
    tracking_api_url = fields.String(metadata={"description": "the same as JSON (absolute)"})


class JobViewOne(JobView):
    """A single job (its own class: apispec registers each schema class once)."""


class JobList(Schema):
    data = fields.List(fields.Nested(JobView))
    pagination = fields.Nested(PageInfo)


class StopOut(Schema):
    id = fields.String()
    kind = fields.String(metadata={"description": "pickup, dropoff, swap or return (to the store)"})
    job_id = fields.String(allow_none=True, metadata={"description": "none for a swap"})
    site_id = fields.String(allow_none=True, metadata={"description": "the station of a swap"})
    site_name = fields.String(allow_none=True)
    seq = fields.Integer()
    lat = fields.Float()
    lon = fields.Float()
    eta = fields.String()
    parcel_l = fields.Integer(allow_none=True)
    route = fields.Dict(
        metadata={
            "description": "GeoJSON LineString of the road from the stop before (from the "
            "moped's last reported place for the first); no coordinates when no open road"
        }
    )
    distance_m = fields.Integer(metadata={"description": "metres of that road"})
    duration_s = fields.Integer(metadata={"description": "seconds of that road by moped"})


class RouteOut(Schema):
    stops = fields.List(fields.Nested(StopOut))
    next_stop = fields.Nested(StopOut, allow_none=True)


def _window(raw: dict[str, Any]) -> TimeWindow:
    return TimeWindow(raw["start"], raw["end"])


@api.post("/delivery-jobs")
@idempotent
@api.auth_required(api_auth, roles=[str(Role.MERCHANT)])
@api.input(JobIn, arg_name="body")
@api.output(JobOut, status_code=201)
@api.doc(
    summary="Post a delivery job (merchants); it is inserted into a courier's plan at once "
    "or comes back unassigned with the reason. Honours Idempotency-Key.",
    responses={
        401: "no valid token",
        403: "not a merchant",
        422: "parcel larger than any box, window in the past or too short for the "
        "ride, place outside the service area or inside an active closure",
    },
)
def post_job(body: dict[str, Any]) -> dict[str, Any]:
    new = posting.NewJob(
        pickup=Position(body["pickup"]["lat"], body["pickup"]["lon"]),
        dropoff=Position(body["dropoff"]["lat"], body["dropoff"]["lon"]),
        pickup_window=_window(body["pickup_window"]),
        dropoff_window=_window(body["dropoff_window"]),
        parcel_l=body["parcel_l"],
    )
    couriers, merchant = ctx().couriers, current_user()
    posted = planners.plan(lambda: posting.post_job(couriers, merchant, new))
    return {
        "id": posted.job_id,
        "status": str(posted.status),
        "courier_id": posted.courier_id,
        **job_people(views.get_job(couriers, merchant, posted.job_id)),
        "reason": posted.reason,
        **tracking_urls(posted.tracking_token),
        "proof_code": posted.proof_code,
    }


def _at(value: Any) -> str | None:
    return local_iso(value, ctx().zone) if value is not None else None


def job_view(seen: JobSeen) -> dict[str, Any]:
    job = seen.job
    return {
        "id": job.id,
        "status": str(job.status),
        "reason": job.reason,
        "courier_id": job.courier_id,
        **job_people(seen),
        "parcel_l": job.parcel_l,
        "pickup": {"lat": job.pickup.lat, "lon": job.pickup.lon},
        "dropoff": {"lat": job.dropoff.lat, "lon": job.dropoff.lon},
        "pickup_window": [_at(job.pickup_window.start), _at(job.pickup_window.end)],
        "dropoff_window": [_at(job.dropoff_window.start), _at(job.dropoff_window.end)],
        "pickup_eta": _at(seen.pickup_eta),
        "dropoff_eta": _at(seen.dropoff_eta),
        "late": seen.late_by_s > 0,
        "late_by_s": seen.late_by_s,
        "created_at": _at(job.created_at),
        **tracking_urls(job.tracking_token),
    }


JOB_READERS = [str(Role.MERCHANT), str(Role.MANAGER)]


@api.get("/delivery-jobs")
@api.auth_required(api_auth, roles=JOB_READERS)
@api.input(JobQuery, location="query", arg_name="query")
@api.output(JobList)
@api.doc(
    summary="Delivery jobs, newest first: a merchant's own, or all of the operator's (managers)",
    responses={401: "no valid token", 403: "not a merchant or manager", 422: "unknown status"},
)
def list_jobs(query: dict[str, Any]) -> dict[str, Any]:
    app = ctx()
    page, per_page = paging(query, app.paging)
    found = views.list_jobs(
        app.couriers,
        current_user(),
        status=query["status"],
        limit=per_page,
        offset=(page - 1) * per_page,
    )
    return {
        "data": [job_view(j) for j in found.jobs],
        "pagination": page_info(page, per_page, found.total),
    }


@api.get("/delivery-jobs/<job_id>")
@api.auth_required(api_auth, roles=JOB_READERS)
@api.output(JobViewOne)
@api.doc(
    summary="One delivery job with its status, courier and planned times",
    responses={401: "no valid token", 403: "not a merchant or manager", 404: "no such job"},
)
def get_job(job_id: str) -> dict[str, Any]:
    return job_view(views.get_job(ctx().couriers, current_user(), job_id))


class ProofOut(Schema):
    job_id = fields.String()
    proof_code = fields.String(metadata={"description": "give it to the customer"})


@api.post("/delivery-jobs/<job_id>/proof-code")
@api.auth_required(api_auth, roles=JOB_READERS)
@api.output(ProofOut)
@api.doc(
    summary="Issue a new proof code (after a courier was locked out by wrong tries)",
    responses={
        401: "no valid token",
        403: "not a merchant or manager",
        404: "no such job",
        409: "the job is delivered or failed already",
    },
)
def reissue_proof(job_id: str) -> dict[str, Any]:
    code = posting.reissue_proof_code(ctx().couriers, current_user(), job_id)
    return {"job_id": job_id, "proof_code": code}


@api.get("/couriers/me/route")
@api.auth_required(api_auth, roles=[str(Role.COURIER)])
@api.output(RouteOut)
@api.doc(
    summary="My planned stops in order, with their ETA and the road to each, and the next one",
    responses={403: "not a courier"},
)
def my_route() -> dict[str, Any]:
    stops = [
        {
            "id": leg.stop.stop.id,
            "kind": str(leg.stop.stop.kind),
            "job_id": leg.stop.stop.job_id,
            "site_id": leg.stop.stop.site_id,
            "site_name": leg.stop.site_name,
            "seq": leg.stop.stop.seq,
            "lat": leg.stop.stop.position.lat,
            "lon": leg.stop.stop.position.lon,
            "eta": _at(leg.stop.stop.eta),
            "parcel_l": leg.stop.parcel_l,
            "route": {"type": "LineString", "coordinates": [list(c) for c in leg.road]},
            "distance_m": leg.distance_m,
            "duration_s": leg.duration_s,
        }
        for leg in roads.route_with_roads(ctx().couriers, current_user())
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
@api.auth_required(api_auth, roles=COURIERS)
@api.output(DoneOut)
@api.doc(summary="I have the parcel", responses=STOP_ERRORS)
def picked_up(job_id: str) -> dict[str, Any]:
    actions.picked_up(ctx().couriers, current_user(), job_id)
    return {"job_id": job_id, "status": "picked_up", "on_time": None}


@api.post("/couriers/me/jobs/<job_id>/delivered")
@idempotent
@api.auth_required(api_auth, roles=COURIERS)
@api.input(ProofIn, arg_name="body")
@api.output(DoneOut)
@api.doc(
    summary="Delivered, with the customer's proof code; says whether it was on time",
    responses={
        **STOP_ERRORS,
        409: "locked after 5 wrong codes: the merchant issues a new one",
        422: "the proof code does not match",
    },
)
def delivered(job_id: str, body: dict[str, Any]) -> dict[str, Any]:
    on_time = actions.delivered(ctx().couriers, current_user(), job_id, body["proof_code"])
    return {"job_id": job_id, "status": "delivered", "on_time": on_time}


@api.post("/couriers/me/jobs/<job_id>/failed")
@idempotent
@api.auth_required(api_auth, roles=COURIERS)
@api.input(FailIn, arg_name="body")
@api.output(DoneOut)
@api.doc(
    summary="The delivery failed, with the reason: the parcel stays on board and goes back to "
    "the store (status returning), a return stop joins my plan",
    responses={**STOP_ERRORS, 422: "no reason given"},
)
def failed(job_id: str, body: dict[str, Any]) -> dict[str, Any]:
    actions.failed(ctx().couriers, current_user(), job_id, body["reason"])
    return {"job_id": job_id, "status": str(JobStatus.RETURNING), "on_time": None}


class SwapOut(Schema):
    stop_id = fields.String()
    pack_serial = fields.String(metadata={"description": "the pack now in the moped"})
    soc_pct = fields.Float()
    range_m = fields.Integer(
        metadata={"description": "metres it carries the courier, keeping the low-battery reserve"}
    )


@api.post("/couriers/me/swaps/<stop_id>")
@idempotent
@api.auth_required(api_auth, roles=COURIERS)
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
