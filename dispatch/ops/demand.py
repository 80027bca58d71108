"""Demand forecasts for fleet managers: refresh an operator's forecast per demand cell and hour
from the rides it has seen, and read them back.

A refresh reads the rides of the last weeks (ride history and the platform's own trips) once,
fits the weather-free model (no weather source is configured) on the city's hourly counts,
forecasts the next hours, spreads them over demand cells with shares learned from where rides
started and ended, and replaces the stored forecasts in one transaction.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from dispatch.forecast import cells as cells_mod
from dispatch.forecast.hours import WEATHER, Hours
from dispatch.forecast.models import MODELS
from dispatch.forecast.spread import duration_mix, spread
from fleet.clock import Clock
from fleet.db import demand as demand_db
from fleet.db.engine import Engine, reading, writing
from fleet.db.sites import list_zones
from fleet.exceptions import InvalidValue
from fleet.geo import Position
from fleet.ids import Ids, RandomIds
from fleet.rides import PastRide
from fleet.zones import ZoneKind
from routing.modes import Mode
from routing.routers import CityRouters

#: The model a refresh runs: no weather source is configured, so the weather-free variant.
MODEL = "gbm-weekly-no-weather"
LOOKBACK = timedelta(days=28)
HOURS_AHEAD = 24
WEEK = 168
#: A week to learn from and a week to check the model on (its error sizes P10/P90).
MIN_HISTORY = timedelta(days=14)


@dataclass(frozen=True, slots=True)
class DemandService:
    """What forecasts run on. ``points`` give the prior of where demand falls among the cells
    of each operator's service area: station locations where the city has them, else the
    junctions of its bike network (read on first use)."""

    engine: Engine
    clock: Clock
    zone: ZoneInfo
    points: Callable[[], Sequence[Position]]
    ids: Ids = field(default_factory=RandomIds)
    resolution: int = cells_mod.DEFAULT_RESOLUTION

    def prior(self, service_areas: Sequence[Mapping[str, object]]) -> dict[str, float]:
        """Prior weights over the cells of these service areas (GeoJSON geometries)."""
        cells = set().union(*(cells_mod.cells_over_area(a, self.resolution) for a in service_areas))
        return cells_mod.weights_from_points(self.points(), cells, self.resolution)


def junctions(routers: CityRouters) -> Callable[[], list[Position]]:
    """The bike network's junctions as prior points, loaded when first asked for."""

    def points() -> list[Position]:
        network = routers.router(Mode.BIKE).network
        return [Position(float(a), float(o)) for a, o in zip(network.lat, network.lon, strict=True)]

    return points


@dataclass(frozen=True, slots=True)
class Refreshed:
    """What a refresh stored."""

    model: str
    hours: int
    cells: int
    rides: int
    relative_error: float


def _hour(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def hourly(rides: Sequence[PastRide], start: datetime, hours: int, zone: ZoneInfo) -> Hours:
    """The city's rides per hour from ``start`` (UTC, on the hour) as a table with no weather
    (NaN) and every hour open; the hours after the rides are unknown (NaN counts)."""
    per_hour = Counter(int((r.started_at - start) / timedelta(hours=1)) for r in rides)
    starts = tuple(
        (start + timedelta(hours=h)).astimezone(zone).replace(tzinfo=None) for h in range(hours)
    )
    return Hours(
        starts,
        np.array([float(per_hour.get(h, 0)) for h in range(hours)]),
        np.full((hours, len(WEATHER)), np.nan),
        np.zeros(hours, dtype=np.bool_),
        np.ones(hours, dtype=np.bool_),
        tuple((s.strftime("%d/%m/%Y"), str(s.hour)) for s in starts),
    )


def refresh(service: DemandService, operator_id: str) -> Refreshed:
    """Forecast the next :data:`HOURS_AHEAD` hours per demand cell and store them.

    Raises
    ------
    InvalidValue
        Fewer than a week of rides to learn from, or no demand cells for the city.
    """
    now = service.clock.now()
    this_hour = _hour(now)
    since = this_hour - LOOKBACK
    with reading(service.engine) as conn:
        rides = demand_db.rides_since(conn, operator_id, since)
        areas = [z.area.to_geojson() for z in list_zones(conn, operator_id, ZoneKind.SERVICE_AREA)]
    learn = service.prior(areas) if areas else {}
    if not learn:
        msg = "the operator has no demand cells (no service area to lay them over)"
        raise InvalidValue(msg)
    first_ride = min((r.started_at for r in rides), default=this_hour)
    if this_hour - first_ride < MIN_HISTORY:
        msg = f"a forecast needs at least {MIN_HISTORY.days} days of rides to learn from"
        raise InvalidValue(msg)
    start = max(since, _hour(first_ride))  # hours before the first ride are not known zeros
    known = int((this_hour - start) / timedelta(hours=1))
    table = hourly(rides, start, known + HOURS_AHEAD, service.zone)
    table.counts[known:] = np.nan  # not yet happened
    model = MODELS[MODEL]
    city = model.predict(table, known, HOURS_AHEAD, seed=0, progress=None)
    check = model.predict(table, known - WEEK, HOURS_AHEAD, seed=0, progress=None)[:WEEK]
    actual = table.counts[known - WEEK : known]
    error = float(np.sqrt(np.mean((actual - check) ** 2)) / max(float(actual.mean()), 1.0))
    origins = cells_mod.learn_shares(
        (cells_mod.cell_of(r.start, service.resolution) for r in rides), learn
    )
    ends = cells_mod.learn_shares(
        (cells_mod.cell_of(r.end, service.resolution) for r in rides), learn
    )
    mix = duration_mix([(r.ended_at - r.started_at).total_seconds() for r in rides])
    starts = [this_hour + timedelta(hours=h) for h in range(HOURS_AHEAD)]
    rows = spread(starts, city, origins, ends, mix, error)
    stored = [
        demand_db.CellForecast(
            r.cell,
            r.start,
            MODEL,
            now,
            r.pickups,
            r.pickups_p10,
            r.pickups_p90,
            r.dropoffs,
            r.dropoffs_p10,
            r.dropoffs_p90,
        )
        for r in rows
    ]
    with writing(service.engine) as conn:
        demand_db.replace_forecasts(conn, operator_id, stored)
    return Refreshed(MODEL, HOURS_AHEAD, len(origins.of), len(rides), error)


def forecast(service: DemandService, operator_id: str, hours: int) -> list[demand_db.CellForecast]:
    """The stored forecasts of the next ``hours`` hours (1 to 24), from this hour on.

    Raises
    ------
    InvalidValue
        ``hours`` outside 1-24.
    """
    if not 1 <= hours <= HOURS_AHEAD:
        msg = f"hours is {hours}; a forecast reaches 1 to {HOURS_AHEAD} hours ahead"
        raise InvalidValue(msg)
    start = _hour(service.clock.now())
    with reading(service.engine) as conn:
        return demand_db.forecasts_between(conn, operator_id, start, start + timedelta(hours=hours))


def import_history(
    service: DemandService, operator_id: str, rides: Sequence[PastRide]
) -> tuple[int, int]:
    """Store imported rides as the operator's history, all or none: how many were stored, and
    how many were left out as stored already (an import run twice, or a ride twice in a file).

    Raises
    ------
    InvalidValue
        A ride that starts or ends outside the operator's service area (naming it by its
        position in ``rides``, from 1), or one that has not ended yet.
    """
    now = service.clock.now()
    with writing(service.engine) as conn:
        areas = [z.area for z in list_zones(conn, operator_id, ZoneKind.SERVICE_AREA)]
        for n, ride in enumerate(rides, start=1):
            for end, where in (("starts", ride.start), ("ends", ride.end)):
                if not any(a.contains(where) for a in areas):
                    msg = f"ride {n} {end} outside the service area ({where.lat}, {where.lon})"
                    raise InvalidValue(msg)
            if ride.ended_at > now:
                msg = f"ride {n} ends in the future ({ride.ended_at.isoformat()})"
                raise InvalidValue(msg)
        known = demand_db.stored_history(
            conn,
            operator_id,
            min(r.started_at for r in rides),
            max(r.started_at for r in rides),
        )
        fresh = []
        for ride in rides:
            utc = _in_utc(ride)
            if utc not in known:
                known.add(utc)
                fresh.append(ride)
        stored = demand_db.add_history(conn, operator_id, "imported", fresh, service.ids)
        return stored, len(rides) - stored


def _in_utc(ride: PastRide) -> PastRide:
    """The ride with its times in UTC, as the database gives them back."""
    return PastRide(
        ride.started_at.astimezone(UTC), ride.ended_at.astimezone(UTC), ride.start, ride.end
    )
