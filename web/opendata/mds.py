"""The MDS 2.0 provider API under ``/mds/``: vehicles, vehicle statuses, trips, events and
telemetry of the city user's operator, in the envelopes of the provider spec (docs/mds.md).

Views only translate: check the media type and the token, call ``dispatch.opendata.mds_feeds``
and wrap what it builds; every failure is answered in MDS's error body."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint
from flask import Response, request

from dispatch.opendata import mds_feeds as feeds
from dispatch.opendata.mds_exceptions import HourNotOver, HourOutOfService, MdsParamError
from dispatch.opendata.mds_items import MDS_VERSION, ms
from fleet.exceptions import NotFound
from web.context import ctx
from web.links import external_url
from web.opendata.mds_http import (
    MdsError,
    answer,
    authenticate,
    check_accept,
    error_answer,
    operator_id,
)

#: Outside the house's OpenAPI document: MDS's own (provider.yaml) describes these paths.
bp = APIBlueprint("mds", __name__, url_prefix="/mds", enable_openapi=False)

#: Items per page of the paged feeds, and the most a client may ask for.
PAGE_SIZE = 1000
#: The largest ``after`` cursor: the audit log's ids are 32-bit integers (PostgreSQL's
#: ``integer``), and a bigger number sent to the database is an error there, not "no more".
MAX_AFTER = 2**31 - 1
#: Milliseconds before the near-realtime feeds may differ (they are read live: 0).
TTL_MS = 0


@bp.before_request
def _gate() -> None:
    check_accept()
    authenticate()


@bp.errorhandler(MdsError)
def _mds_error(err: MdsError) -> Response:
    return error_answer(err)


@bp.errorhandler(MdsParamError)
def _bad_param(err: MdsParamError) -> Response:
    return error_answer(MdsError(400, err.code, str(err), (err.param,)))


@bp.errorhandler(HourNotOver)
def _not_over(err: HourNotOver) -> Response:
    return error_answer(MdsError(202, "not_ready", str(err)))


@bp.errorhandler(HourOutOfService)
def _out_of_service(err: HourOutOfService) -> Response:
    return error_answer(MdsError(404, "not_found", str(err)))


@bp.errorhandler(NotFound)
def _not_found(err: NotFound) -> Response:
    return error_answer(MdsError(404, "unregistered", str(err)))


def _source() -> feeds.MdsSource:
    platform = ctx()
    return feeds.MdsSource(platform.engine, platform.clock, platform.catalog)


def _count(name: str, default: int, most: int) -> int:
    text = request.args.get(name)
    if text is None:
        return default
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(most)) or int(text) > most:
        msg = f"{name} must be a whole number from 0 to {most}, got {text[:40]!r}"
        raise MdsParamError(msg, param=name)
    return int(text)


def _paging() -> tuple[int, int]:
    limit = _count("limit", PAGE_SIZE, PAGE_SIZE) or PAGE_SIZE
    return _count("offset", 0, 10**9), limit


def _links(endpoint: str, offset: int, limit: int, total: int) -> dict[str, str | None]:
    """JSON:API pagination links of an offset page."""
    last = max(0, (total - 1) // limit * limit)

    def at(where: int) -> str:
        return external_url(endpoint, offset=where, limit=limit)

    return {
        "first": at(0),
        "last": at(last),
        "prev": at(max(0, offset - limit)) if offset > 0 else None,
        "next": at(offset + limit) if offset + limit < total else None,
    }


def _near_realtime(key: str, items: list[dict[str, Any]], **more: Any) -> Response:
    now = ms(ctx().clock.now())
    return answer({"version": MDS_VERSION, **more, "last_updated": now, "ttl": TTL_MS, key: items})


@bp.get("/vehicles")
def vehicles() -> Response:
    """Every vehicle of the provider, a page at a time."""
    offset, limit = _paging()
    page = feeds.vehicles(_source(), operator_id(), offset, limit)
    links = _links("mds.vehicles", offset, limit, page.total)
    return _near_realtime("vehicles", page.items, links=links)


@bp.get("/vehicles/<device_id>")
def vehicle(device_id: str) -> Response:
    """One vehicle."""
    return _near_realtime("vehicles", [feeds.vehicle(_source(), operator_id(), device_id)])


@bp.get("/vehicles/status")
def statuses() -> Response:
    """Every vehicle's status (last event and telemetry), a page at a time."""
    offset, limit = _paging()
    page = feeds.statuses(_source(), operator_id(), offset, limit)
    links = _links("mds.statuses", offset, limit, page.total)
    return _near_realtime("vehicles_status", page.items, links=links)


@bp.get("/vehicles/status/<device_id>")
def status(device_id: str) -> Response:
    """One vehicle's status."""
    return _near_realtime("vehicles_status", [feeds.status(_source(), operator_id(), device_id)])


@bp.get("/trips")
def trips() -> Response:
    """The trips that ended in the UTC hour ``end_time``."""
    found = feeds.trips(_source(), operator_id(), request.args.get("end_time"))
    return answer({"version": MDS_VERSION, "trips": found})


@bp.get("/events/historical")
def historical_events() -> Response:
    """The events of the UTC hour ``event_time``."""
    found = feeds.events(_source(), operator_id(), request.args.get("event_time"))
    return answer({"version": MDS_VERSION, "events": found})


@bp.get("/events/recent")
def recent_events() -> Response:
    """The events of ``start_time <= timestamp < end_time`` (milliseconds, two weeks back at
    most), a page at a time (``after``: where the previous page's ``next`` link stopped)."""
    after, limit = _count("after", 0, MAX_AFTER), _paging()[1]
    start, end = request.args.get("start_time"), request.args.get("end_time")
    page = feeds.recent_events(_source(), operator_id(), start, end, after=after, limit=limit)
    nxt = None
    if page.next_after is not None:
        nxt = external_url(
            "mds.recent_events", start_time=start, end_time=end, after=page.next_after, limit=limit
        )
    return answer({"version": MDS_VERSION, "links": {"next": nxt}, "events": page.items})


@bp.route("/", defaults={"rest": ""}, methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
@bp.route("/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def elsewhere(rest: str) -> Response:
    """Any other path under ``/mds/`` (after the token check): 404 in MDS's error body."""
    msg = f"/mds/{rest[:100]} is no path of this MDS provider API (see provider.yaml)"
    raise MdsError(404, "not_found", msg)


@bp.get("/telemetry")
def telemetry() -> Response:
    """The telemetry of the UTC hour ``telemetry_time``. The provider spec gives this path no
    404: an hour not begun is a bad parameter (400)."""
    try:
        found = feeds.telemetry(_source(), operator_id(), request.args.get("telemetry_time"))
    except HourOutOfService as exc:
        raise MdsParamError(str(exc), param="telemetry_time") from None
    return answer({"version": MDS_VERSION, "telemetry": found})
