"""CO2 avoided by a ride or a delivery against the car trip it replaced: pure arithmetic.

The car baseline and the grid belong to the city (its country), not to the vehicle class: a
kick-scooter ride in Seoul replaces a Korean car trip and charges from Korea's grid. The
vehicle class brings only its energy use. Every figure is integer grams; the factors and their
sources are in docs/carbon.md.

    car_g      = distance_km × car_g_per_km
    charging_g = distance_km × energy_wh_per_km / 1000 × grid_g_per_kwh / charging efficiency
    net_g      = car_g − charging_g        (negative when the ride emitted more than the car)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from fleet.exceptions import InvalidValue

#: The longest span of days one carbon report covers (a quarter).
MAX_REPORT_DAYS = 92


@dataclass(frozen=True, slots=True)
class CarbonFactors:
    """A city's emission factors: its average car's tailpipe CO2 per km, its grid's CO2 per
    kWh delivered, and the share of the grid's energy that reaches the battery (charger and
    battery losses)."""

    car_g_per_km: int
    grid_g_per_kwh: int
    charging_efficiency_pct: int = 90

    def __post_init__(self) -> None:
        if self.car_g_per_km <= 0:
            msg = f"car_g_per_km must be positive, got {self.car_g_per_km}"
            raise InvalidValue(msg)
        if self.grid_g_per_kwh < 0:
            msg = f"grid_g_per_kwh must not be negative, got {self.grid_g_per_kwh}"
            raise InvalidValue(msg)
        if not 1 <= self.charging_efficiency_pct <= 100:
            msg = (
                f"charging_efficiency_pct must be within 1-100, got {self.charging_efficiency_pct}"
            )
            raise InvalidValue(msg)


#: Europe's factors (EEA: new cars of 2019, EU-27 electricity of 2018): what a city profile
#: without a ``[carbon]`` section gets, and what fleetops credited before issue 16.
EUROPEAN_FACTORS = CarbonFactors(car_g_per_km=122, grid_g_per_kwh=281)


@dataclass(frozen=True, slots=True)
class Footprint:
    """What one ride or delivery of ``distance_m`` weighs: the car trip's CO2 (``car_g``), the
    CO2 of the electricity it used (``charging_g``) and the difference (``net_g``)."""

    distance_m: int
    car_g: int
    charging_g: int

    @property
    def net_g(self) -> int:
        """Grams avoided: the car's minus the charging's (negative: a net loss)."""
        return self.car_g - self.charging_g


#: What a trip that earns nothing counts (a ride flagged implausible).
NO_CREDIT = Footprint(distance_m=0, car_g=0, charging_g=0)


def _rounded(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` to the nearest integer, halves up (both non-negative)."""
    return (2 * numerator + denominator) // (2 * denominator)


def footprint(factors: CarbonFactors, energy_wh_per_km: int, distance_m: int) -> Footprint:
    """The footprint of ``distance_m`` ridden on a vehicle using ``energy_wh_per_km``, in
    exact integer arithmetic (each of the two terms rounded once, halves up)."""
    if distance_m < 0 or energy_wh_per_km < 0:
        msg = (
            "distance_m and energy_wh_per_km must not be negative: "
            f"{distance_m}, {energy_wh_per_km}"
        )
        raise InvalidValue(msg)
    car_g = _rounded(distance_m * factors.car_g_per_km, 1000)
    # m × Wh/km × g/kWh × 100 / (1000 m/km × 1000 Wh/kWh × efficiency %)
    charging_g = _rounded(
        distance_m * energy_wh_per_km * factors.grid_g_per_kwh * 100,
        1000 * 1000 * factors.charging_efficiency_pct,
    )
    return Footprint(distance_m=distance_m, car_g=car_g, charging_g=charging_g)


@dataclass(frozen=True, slots=True)
class DayCarbon:
    """One local day's totals: rides and deliveries counted, metres, car-baseline, charging
    and net grams (the sums of what each ride and delivery stored when it ended)."""

    day: date
    rides: int = 0
    deliveries: int = 0
    distance_m: int = 0
    car_g: int = 0
    charging_g: int = 0

    @property
    def net_g(self) -> int:
        """Grams avoided that day."""
        return self.car_g - self.charging_g

    def plus(self, trips: int, deliveries: int, total: Footprint) -> DayCarbon:
        """These totals with ``trips`` rides and ``deliveries`` more, weighing ``total``."""
        return DayCarbon(
            self.day,
            self.rides + trips,
            self.deliveries + deliveries,
            self.distance_m + total.distance_m,
            self.car_g + total.car_g,
            self.charging_g + total.charging_g,
        )


def report_days(first: date, last: date) -> list[date]:
    """The days from ``first`` to ``last`` inclusive.

    Raises
    ------
    InvalidValue
        ``last`` is before ``first``, or the span is longer than ``MAX_REPORT_DAYS``.
    """
    if last < first:
        msg = f"the range is reversed: to ({last}) is before from ({first})"
        raise InvalidValue(msg)
    span = (last - first).days + 1
    if span > MAX_REPORT_DAYS:
        msg = f"the range spans {span} days; at most {MAX_REPORT_DAYS} are reported at once"
        raise InvalidValue(msg)
    return [first + timedelta(days=n) for n in range(span)]


def day_bounds(days: list[date], zone: tzinfo) -> list[datetime]:
    """The local midnights that start each day and end the last (``len(days) + 1`` instants):
    days are the city's, however long its clocks make them."""
    ends = [*days, days[-1] + timedelta(days=1)]
    return [datetime.combine(d, time(0), tzinfo=zone) for d in ends]
