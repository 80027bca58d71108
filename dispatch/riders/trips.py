"""What an ended trip costs and does to the vehicle: the pure part of ending a ride."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fleet.bookings import Receipt
from fleet.catalog import VehicleType
from fleet.pricing import Tariff
from fleet.vehicles import VehicleStatus


@dataclass(frozen=True, slots=True)
class TripEnd:
    """The receipt of a trip, the vehicle's charge after it and the status it is left in."""

    receipt: Receipt
    soc_pct: float
    status: VehicleStatus


def end_of_trip(
    kind: VehicleType,
    tariff: Tariff,
    *,
    soc_pct: float,
    ridden_m: int,
    started_at: datetime,
    ended_at: datetime,
) -> TripEnd:
    """Price the trip by its duration, drain the battery by the distance ridden, credit the CO2
    of the car trip it replaced; below the class's threshold the vehicle is left low on battery."""
    duration_s = max(0, int((ended_at - started_at).total_seconds()))
    used_pct = ridden_m / 1000 * kind.energy_wh_per_km / kind.battery_wh * 100
    soc = max(0.0, round(soc_pct - used_pct, 1))
    receipt = Receipt(
        distance_m=ridden_m,
        duration_s=duration_s,
        price_minor=tariff.price_minor(kind.vehicle_class, duration_s),
        currency=tariff.currency,
        co2_avoided_g=round(ridden_m / 1000 * kind.replaced_car_co2_g_per_km),
    )
    status = VehicleStatus.LOW_BATTERY if soc < kind.low_battery_pct else VehicleStatus.AVAILABLE
    return TripEnd(receipt, soc, status)
