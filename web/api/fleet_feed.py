"""``GET /api/v1/ops/fleet``: the dashboard map's vehicle feed, every vehicle in one answer.

The map polls it every few seconds for fleets of ten thousand, so the vehicles' JSON is the text
the database wrote (``fleet.db.fleet_feed``), put into the answer unparsed (the marshmallow
schema below documents it; running 10,000 rows through it would cost more than the rest of the
request), and the answer carries a strong ETag: a poll that sends it back in ``If-None-Match``
while nothing listed changed gets ``304`` and no body.

The ETag is the SHA-256 of the body. The body is a function of the vehicles listed alone
(``as_of`` is their newest change, not the time of the answer), so equal bodies give equal tags
and any change to a listed field, a vehicle added or gone, or another filter gives another.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from apiflask import Schema, fields
from flask import Response, request

from dispatch.ops.fleet_feed import fleet_feed
from web.api import api
from web.api.schemas import CLASSES, local_iso
from web.auth import FLEET_STAFF, api_auth, current_user
from web.context import ctx


class FeedQuery(Schema):
    vehicle_class = fields.List(
        fields.String(
            metadata={
                "description": "a vehicle class ("
                + ", ".join(CLASSES["enum"])
                + ") or a comma list of them; the parameter may be repeated"
            }
        ),
        load_default=list,
    )


class FeedVehicle(Schema):
    id = fields.String()
    code = fields.String()
    vehicle_class = fields.String()
    status = fields.String()
    soc_pct = fields.Float(metadata={"description": "state of charge, percent"})
    lat = fields.Float()
    lon = fields.Float()


class FeedOut(Schema):
    as_of = fields.String(
        metadata={
            "description": "the newest change among the vehicles listed (now if none), "
            "ISO 8601 in the city's time zone"
        }
    )
    count = fields.Integer()
    vehicles = fields.List(fields.Nested(FeedVehicle))


def feed_body(as_of: str, count: int, vehicles_json: str) -> bytes:
    """The answer's JSON, compact (a 10,000-vehicle fleet is about 1.6 MB)."""
    return f'{{"as_of":{json.dumps(as_of)},"count":{count},"vehicles":{vehicles_json}}}'.encode()


@api.get("/ops/fleet")
@api.auth_required(api_auth, roles=FLEET_STAFF)
@api.input(FeedQuery, location="query", arg_name="query")
@api.output(FeedOut)
@api.doc(
    summary="Every vehicle of the operator for the live map (managers, crews): id, code, class, "
    "status, charge, position. Strong ETag; If-None-Match answers 304 while nothing changed.",
    responses={
        304: "nothing listed changed since the ETag sent in If-None-Match",
        401: "no valid token",
        403: "role not allowed",
        422: "unknown vehicle class",
    },
)
def vehicle_feed(query: dict[str, Any]) -> Response:
    app = ctx()
    feed = fleet_feed(app.fleet, current_user(), query["vehicle_class"])
    body = feed_body(local_iso(feed.as_of, app.zone), feed.count, feed.vehicles_json)
    etag = hashlib.sha256(body).hexdigest()
    # a polling page revalidates every time; the answer is the caller's operator's alone
    headers = {"ETag": f'"{etag}"', "Cache-Control": "private, no-cache"}
    if request.if_none_match.contains_weak(etag):
        return Response(status=304, headers=headers)
    return Response(body, status=200, headers=headers, mimetype="application/json")
