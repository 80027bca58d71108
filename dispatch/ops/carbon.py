"""An operator's CO2 avoided per local day: the report the managers and the city read, its CSV,
and today's figure on the dashboard. The grams are those each ride and delivery stored when it
ended (``fleet.carbon``); this only sums them over the city's days (docs/carbon.md)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date, tzinfo

from fleet.carbon import DayCarbon, day_bounds, report_days
from fleet.db import carbon as carbon_db
from fleet.db.engine import Engine, reading

#: The CSV's columns, in order (the JSON report's keys of a day).
CSV_COLUMNS = (
    "day",
    "rides",
    "deliveries",
    "distance_m",
    "car_baseline_co2_g",
    "charging_co2_g",
    "net_co2_avoided_g",
)


def daily(
    engine: Engine, zone: tzinfo, operator_id: str, first: date, last: date
) -> list[DayCarbon]:
    """The operator's totals for each of the city's days from ``first`` to ``last``, days
    without a ride or a delivery included (zeros).

    Raises
    ------
    fleet.exceptions.InvalidValue
        The range is reversed or too long (``fleet.carbon.report_days``).
    """
    days = report_days(first, last)
    bounds = day_bounds(days, zone)
    with reading(engine) as conn:
        credits = carbon_db.by_day(conn, operator_id, bounds)
    totals = []
    for i, day in enumerate(days):
        found = DayCarbon(day)
        if ("ride", i) in credits:
            n, co2 = credits["ride", i]
            found = found.plus(n, 0, co2)
        if ("delivery", i) in credits:
            n, co2 = credits["delivery", i]
            found = found.plus(0, n, co2)
        totals.append(found)
    return totals


def as_row(day: DayCarbon) -> dict[str, int | str]:
    """A day's totals under ``CSV_COLUMNS``' names (the JSON report's shape too)."""
    return {
        "day": day.day.isoformat(),
        "rides": day.rides,
        "deliveries": day.deliveries,
        "distance_m": day.distance_m,
        "car_baseline_co2_g": day.car_g,
        "charging_co2_g": day.charging_g,
        "net_co2_avoided_g": day.net_g,
    }


def as_csv(days: Sequence[DayCarbon]) -> str:
    """The days as CSV: a header row, then a row a day (RFC 4180 line ends)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for day in days:
        writer.writerow(as_row(day))
    return out.getvalue()
