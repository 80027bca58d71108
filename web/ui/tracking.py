"""The customer's tracking page: where their parcel is, in words, at the tracking link."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, render_template

from dispatch.couriers import views
from fleet.clock import local_iso
from fleet.delivery import JobStatus
from fleet.exceptions import NotFound
from web.context import ctx

bp = Blueprint("tracking", __name__)

#: What each status means to the customer ({merchant}: the store's name).
SAYS = {
    JobStatus.POSTED: "Waiting for a courier",
    JobStatus.UNASSIGNED: "Waiting for a courier",
    JobStatus.ASSIGNED: "A courier is on the way to {merchant}",
    JobStatus.PICKED_UP: "On its way to you",
    JobStatus.DELIVERED: "Delivered",
    JobStatus.RETURNING: "Not delivered: going back to {merchant}",
    JobStatus.RETURNED: "Not delivered: back at {merchant}",
    JobStatus.FAILED: "Not delivered",
    JobStatus.PICKUP_FAILED: "Not picked up at {merchant}",
    JobStatus.CANCELLED: "Cancelled by {merchant}",
}
#: Statuses whose drop-off time is still to come.
ON_THE_WAY = (JobStatus.ASSIGNED, JobStatus.PICKED_UP)


def _local(at: datetime | None) -> str | None:
    if at is None:
        return None
    local = datetime.fromisoformat(local_iso(at, ctx().zone))
    return f"{local:%H:%M} on {local:%A} {local.day} {local:%B}"


@bp.get("/track/<token>")
def page(token: str) -> str | tuple[str, int]:
    app = ctx()
    try:
        seen = views.tracking_page(app.couriers, token)
    except NotFound:
        return render_template("track.html", city=app.city, found=None), 404
    job = seen.seen.job
    return render_template(
        "track.html",
        city=app.city,
        found=seen,
        says=SAYS[job.status].format(merchant=seen.merchant_name),
        eta=_local(seen.seen.dropoff_eta) if job.status in ON_THE_WAY else None,
        delivered_at=_local(seen.seen.dropoff_eta) if job.status is JobStatus.DELIVERED else None,
        window=[_local(job.dropoff_window.start), _local(job.dropoff_window.end)],
        late=seen.seen.late_by_s > 0,
        status=str(job.status),
    )
