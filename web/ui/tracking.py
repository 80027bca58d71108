"""The customer's tracking page: where their parcel is, in words and on a small map, at the
tracking link (public: the link's code is unguessable and names one delivery).

The words are the message tables' (``track.*``), in the city's language first; the map shows
the drop-off point and, while the parcel is on its way, the courier's last known place (the
page's script reads both from ``GET /api/v1/track/<token>`` and follows them)."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, render_template

from dispatch.couriers import views
from fleet.clock import local_iso
from fleet.delivery import JobStatus
from fleet.exceptions import NotFound
from web.context import ctx
from web.i18n import translate
from web.vendor import LEAFLET

bp = Blueprint("tracking", __name__)

#: Statuses whose drop-off time is still to come.
ON_THE_WAY = (JobStatus.ASSIGNED, JobStatus.PICKED_UP)
#: Statuses that come with the courier's reason.
WITH_REASON = (
    JobStatus.RETURNING,
    JobStatus.RETURNED,
    JobStatus.FAILED,
    JobStatus.PICKUP_FAILED,
)


def _local(at: datetime | None) -> str | None:
    if at is None:
        return None
    local = datetime.fromisoformat(local_iso(at, ctx().zone))
    return translate(
        "track.at",
        time=f"{local:%H:%M}",
        day=local.day,
        month=translate(f"track.month.{local.month}"),
        weekday=translate(f"track.weekday.{local.weekday()}"),
    )


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
        token=token,
        says=translate(f"track.says.{job.status}", merchant=seen.merchant_name),
        eta=_local(seen.seen.dropoff_eta) if job.status in ON_THE_WAY else None,
        delivered_at=_local(seen.seen.dropoff_eta) if job.status is JobStatus.DELIVERED else None,
        window=[_local(job.dropoff_window.start), _local(job.dropoff_window.end)],
        late=seen.seen.late_by_s > 0,
        status=str(job.status),
        reason=job.reason if job.status in WITH_REASON else None,
        leaflet=LEAFLET,
        with_map=True,
    )
