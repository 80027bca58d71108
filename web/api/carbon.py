"""CO2 avoided per day of the city, for the operator's managers and its city officials: as
JSON and as CSV (docs/carbon.md, docs/api.md "Carbon")."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from apiflask import Schema, fields
from flask import Response, request

from dispatch.ops import carbon
from fleet.carbon import MAX_REPORT_DAYS, DayCarbon
from fleet.exceptions import InvalidValue
from fleet.identity import Role
from web.api import api
from web.auth import api_auth, current_user
from web.context import ctx
from web.errors import api_error

#: Who reads the report: the operator's managers and the city's officials (their operator's).
READERS = [str(Role.MANAGER), str(Role.CITY)]
#: Days a report covers when ``from`` is not given: two weeks up to ``to``.
DEFAULT_DAYS = 14
ERRORS = {
    400: "a day is malformed, or the range is reversed or longer than 92 days",
    401: "no valid token",
    403: "not a manager or a city official",
}
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
#: The days a report may name: no ride is older, and the calendar's ends would overflow.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2999, 12, 31)


class CarbonOut(Schema):
    days = fields.Dict(keys=fields.String(), values=fields.String())
    timezone = fields.String()
    factors = fields.Dict(keys=fields.String(), values=fields.Integer())
    data = fields.List(fields.Dict())
    totals = fields.Dict()


def _day(name: str, default: date) -> date:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not _DAY.fullmatch(raw):
        msg = f"{name} must be a day written YYYY-MM-DD, got {raw[:40]!r}"
        raise api_error(400, msg, "invalid_day", {"parameter": name})
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        msg = f"{name} is no day of the calendar: {raw!r}"
        raise api_error(400, msg, "invalid_day", {"parameter": name}) from None
    if not FIRST_DAY <= day <= LAST_DAY:
        msg = f"{name} must be a day from {FIRST_DAY} to {LAST_DAY}, got {raw}"
        raise api_error(400, msg, "invalid_day", {"parameter": name})
    return day


def _report() -> tuple[date, date, list[DayCarbon]]:
    """The range asked for (``to``: today in the city; ``from``: two weeks before ``to``) and
    its days."""
    app = ctx()
    today = app.clock.now().astimezone(app.zone).date()
    last = _day("to", today)
    first = _day("from", last - timedelta(days=DEFAULT_DAYS - 1))
    try:
        days = carbon.daily(app.engine, app.zone, current_user().operator_id, first, last)
    except InvalidValue as exc:
        detail = {"from": first.isoformat(), "to": last.isoformat(), "max_days": MAX_REPORT_DAYS}
        raise api_error(400, str(exc), "invalid_range", detail) from None
    return first, last, days


@api.get("/ops/carbon")
@api.auth_required(api_auth, roles=READERS)
@api.output(CarbonOut)
@api.doc(
    summary="CO2 avoided per day of the city (managers, city officials: their operator's): "
    "rides and deliveries, distance, the car baseline's and the charging's grams, net grams "
    "avoided; ?from=YYYY-MM-DD&to=YYYY-MM-DD (at most 92 days; by default the last 14)",
    responses=ERRORS,
)
def get_carbon() -> dict[str, Any]:
    first, last, days = _report()
    factors = ctx().city.carbon
    rows = [carbon.as_row(d) for d in days]
    keys = [k for k in carbon.CSV_COLUMNS if k != "day"]
    return {
        "days": {"from": first.isoformat(), "to": last.isoformat()},
        "timezone": str(ctx().zone),
        "factors": {
            "car_g_per_km": factors.car_g_per_km,
            "grid_g_per_kwh": factors.grid_g_per_kwh,
            "charging_efficiency_pct": factors.charging_efficiency_pct,
        },
        "data": rows,
        "totals": {k: sum(int(r[k]) for r in rows) for k in keys},
    }


@api.get("/ops/carbon.csv")
@api.auth_required(api_auth, roles=READERS)
@api.doc(
    summary="The same report as CSV (text/csv, a header row, a row a day), as a download",
    responses={**ERRORS, 200: "text/csv"},
)
def get_carbon_csv() -> Response:
    first, last, days = _report()
    name = f"co2-{first.isoformat()}-{last.isoformat()}.csv"
    return Response(
        carbon.as_csv(days),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
