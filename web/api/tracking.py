"""``GET /api/v1/track/<token>``: a customer follows their delivery by its tracking code.

Public: the code is unguessable and names one job. It shows the job's status and times, the
drop-off point (the customer's own address) and, only while the parcel is on its way to them
(picked up), where the courier last was (their moped's last reported position) — never before
the pick-up nor after the delivery."""

from __future__ import annotations

from typing import Any

from apiflask import Schema, fields

from dispatch.couriers import views
from web.api import api
from web.api.delivery import LATE, JobPlace
from web.api.schemas import local_iso
from web.context import ctx


class CourierPlace(Schema):
    lat = fields.Float()
    lon = fields.Float()
    at = fields.String(metadata={"description": "when the courier's moped reported it"})


class TrackOut(Schema):
    status = fields.String()
    reason = fields.String(allow_none=True)
    pickup_eta = fields.String(allow_none=True)
    dropoff_eta = fields.String(allow_none=True)
    dropoff_window = fields.List(fields.String())
    late = fields.Boolean(metadata={"description": LATE})
    late_by_s = fields.Integer(metadata={"description": "seconds after the window's end"})
    dropoff = fields.Nested(JobPlace, metadata={"description": "where the parcel goes"})
    courier = fields.Nested(
        CourierPlace,
        allow_none=True,
        metadata={
            "description": "the courier's last known position, only while the parcel is "
            "picked up and on its way (null otherwise)"
        },
    )


@api.get("/track/<token>")
@api.output(TrackOut)
@api.doc(
    summary="Follow a delivery (public, by its unguessable tracking code)",
    responses={404: "no delivery with this code"},
)
def track(token: str) -> dict[str, Any]:
    zone = ctx().zone
    seen, courier = views.tracking_seen(ctx().couriers, token)
    job, window = seen.job, seen.job.dropoff_window

    def at(value: Any) -> str | None:
        return local_iso(value, zone) if value is not None else None

    return {
        "status": str(job.status),
        "reason": job.reason,
        "pickup_eta": at(seen.pickup_eta),
        "dropoff_eta": at(seen.dropoff_eta),
        "dropoff_window": [at(window.start), at(window.end)],
        "late": seen.late_by_s > 0,
        "late_by_s": seen.late_by_s,
        "dropoff": {"lat": job.dropoff.lat, "lon": job.dropoff.lon},
        "courier": None
        if courier is None
        else {
            "lat": courier.position.lat,
            "lon": courier.position.lon,
            "at": at(courier.at),
        },
    }
