"""The managers' dashboard: the fleet's figures of today (KPIs), read in one snapshot.

"Today" is the city's local day: from its local midnight to now, whatever zone the clock
answers in. Each figure is defined in docs/api.md ("Dashboard"); the counting is SQL
(``fleet.db.dashboard``), the arithmetic that turns it into KPIs is here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo

from dispatch.ops import carbon
from dispatch.ops.crews import CrewService
from fleet.catalog import VehicleClass
from fleet.db import dashboard as dashboard_db
from fleet.db import stock as stock_db
from fleet.db.crew_board import CrewBoard, crew_board
from fleet.db.dashboard import BIN_PCT, BINS
from fleet.db.engine import reading, writing


@dataclass(frozen=True, slots=True)
class Kpis:
    """The dashboard's figures at ``as_of`` for the local day from ``day_start``."""

    as_of: datetime
    day_start: datetime
    available_by_class: dict[VehicleClass, int]
    charge_histogram: tuple[int, ...]
    low_battery: int
    low_battery_below_pct: dict[VehicleClass, float]
    utilisation: float
    open_tasks: int
    deliveries_today: int
    deliveries_on_time_today: int
    co2_avoided_kg_today: float

    def histogram(self) -> list[dict[str, int]]:
        """The charge histogram as bins ``from_pct``..``to_pct`` (the last includes 100)."""
        return [
            {"from_pct": b * BIN_PCT, "to_pct": (b + 1) * BIN_PCT, "count": n}
            for b, n in enumerate(self.charge_histogram)
        ]


def local_day_start(now: datetime, zone: tzinfo) -> datetime:
    """The city's local midnight that began the day ``now`` falls in (aware, in ``zone``)."""
    return datetime.combine(now.astimezone(zone).date(), time(0), tzinfo=zone)


def co2_avoided_g(service: CrewService, zone: tzinfo, operator_id: str, today: date) -> int:
    """Grams of CO2 avoided net on the city's day ``today``: the same sum of what each ride and
    delivery stored as the carbon report's (``dispatch.ops.carbon``), so the two never differ."""
    (day,) = carbon.daily(service.engine, zone, operator_id, today, today)
    return day.net_g


def utilisation(fleet: int, ride_s: float, day_start: datetime, now: datetime) -> float:
    """Share of the riders' fleet's vehicle-hours since ``day_start`` spent in rides (0..1)."""
    span_s = (now - day_start).total_seconds()
    if fleet <= 0 or span_s <= 0:
        return 0.0
    return min(1.0, ride_s / (fleet * span_s))


def _sum_bins(rows: Iterable[dashboard_db.ClassFigures]) -> tuple[int, ...]:
    totals = [0] * BINS
    for row in rows:
        for b, n in enumerate(row.bins):
            totals[b] += n
    return tuple(totals)


def kpis(service: CrewService, zone: tzinfo, operator_id: str) -> Kpis:
    """The operator's dashboard figures now, with "today" the city's local day."""
    now = service.clock.now()
    day_start = local_day_start(now, zone)
    low_pct = {c: float(t.low_battery_pct) for c, t in service.catalog.items()}
    with reading(service.engine) as conn:
        classes = dashboard_db.class_figures(conn, operator_id, now, low_pct)
        fleet, ride_s = dashboard_db.ride_seconds(conn, operator_id, day_start, now)
        delivered = dashboard_db.delivered_between(conn, operator_id, day_start, now)
        open_tasks = dashboard_db.open_task_count(conn, operator_id)
    return Kpis(
        as_of=now,
        day_start=day_start,
        available_by_class={row.vehicle_class: row.available for row in classes},
        charge_histogram=_sum_bins(classes),
        low_battery=sum(row.low_battery for row in classes),
        low_battery_below_pct={
            row.vehicle_class: low_pct.get(row.vehicle_class, 0.0) for row in classes
        },
        utilisation=utilisation(fleet, ride_s, day_start, now),
        open_tasks=open_tasks,
        deliveries_today=len(delivered),
        deliveries_on_time_today=sum(d.on_time for d in delivered),
        co2_avoided_kg_today=co2_avoided_g(service, zone, operator_id, day_start.date()) / 1000,
    )


def stations(service: CrewService, operator_id: str) -> list[stock_db.Stock]:
    """The operator's swap stations with their stock now: the docked packs' charge is brought up
    to now first (in its own short transaction), as every reader of stock does."""
    now = service.clock.now()
    with writing(service.engine) as conn:
        stock_db.charge_docked(conn, operator_id, now, service.catalog)
    with reading(service.engine) as conn:
        return stock_db.station_stock(conn, operator_id)


def crews(service: CrewService, operator_id: str) -> list[CrewBoard]:
    """The operator's crew members with their shift, van, packs on board and open tasks."""
    with reading(service.engine) as conn:
        return crew_board(conn, operator_id, service.clock.now())
