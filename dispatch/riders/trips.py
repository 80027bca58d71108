"""What an ended trip costs and does to the vehicle: the pure part of ending a ride."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fleet.bookings import Receipt
from fleet.carbon import CarbonFactors, Footprint, footprint
from fleet.catalog import VehicleType
from fleet.pricing import Tariff
from fleet.vehicles import VehicleStatus


@dataclass(frozen=True, slots=True)
class TripEnd:
    """The receipt of a trip, the vehicle's charge after it, the status it is left in and the
    CO2 it is credited (``None``: none, the trip was flagged)."""

    receipt: Receipt
    soc_pct: float
    status: VehicleStatus
    co2: Footprint | None = None


#: The top speed that bounds a trip of a class with no legal cap (mopeds on city roads), km/h.
ROAD_TOP_KPH = 80


def end_of_trip(
    kind: VehicleType,
    tariff: Tariff,
    *,
    carbon: CarbonFactors,
    soc_pct: float,
    ridden_m: int,
    started_at: datetime,
    ended_at: datetime,
    distance_method: str | None = None,
) -> TripEnd:
    """Price the trip by its duration, drain the battery by the distance ridden, credit the CO2
    of the car trip it replaced less the charging's, at the city's ``carbon`` factors; below
    the class's threshold the vehicle is left low on battery.

    A trip longer than its duration allows at the class's top speed (a GPS jump, a vehicle
    carried in a van, a tampered end) is flagged: it is credited only the distance the duration
    allows, and no CO2."""
    duration_s = max(0, int((ended_at - started_at).total_seconds()))
    top_kph = kind.max_speed_kph or ROAD_TOP_KPH
    allowed_m = int(duration_s * top_kph / 3.6)
    flag = None
    if ridden_m > allowed_m:
        flag = (
            f"{ridden_m} m in {duration_s} s is faster than {top_kph} km/h allows: "
            f"{allowed_m} m credited, no CO2"
        )
        ridden_m = allowed_m
    used_pct = ridden_m / 1000 * kind.energy_wh_per_km / kind.battery_wh * 100
    soc = max(0.0, round(soc_pct - used_pct, 1))
    co2 = None if flag else footprint(carbon, kind.energy_wh_per_km, ridden_m)
    receipt = Receipt(
        distance_m=ridden_m,
        duration_s=duration_s,
        price_minor=tariff.price_minor(kind.vehicle_class, duration_s),
        currency=tariff.currency,
        co2_avoided_g=0 if co2 is None else co2.net_g,
        flag=flag,
        distance_method=distance_method,
    )
    status = VehicleStatus.LOW_BATTERY if soc < kind.low_battery_pct else VehicleStatus.AVAILABLE
    return TripEnd(receipt, soc, status, co2)
