"""Trip prices: an unlock fee plus a price per started minute, per vehicle class.

Amounts are integers in the currency's minor unit (KRW has none, EUR has cents).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from fleet.catalog import VehicleClass
from fleet.exceptions import InvalidValue

#: ISO 4217 minor-unit exponents of the currencies fleetops prices in.
CURRENCY_EXPONENT = {"KRW": 0, "EUR": 2, "USD": 2, "JPY": 0}


@dataclass(frozen=True, slots=True)
class Tariff:
    """What a ride costs in a city."""

    currency: str
    unlock_minor: int
    per_minute_minor: Mapping[VehicleClass, int]

    def __post_init__(self) -> None:
        if self.currency not in CURRENCY_EXPONENT:
            msg = f"no minor unit known for currency {self.currency!r}"
            raise InvalidValue(msg)
        if self.unlock_minor < 0 or any(v < 0 for v in self.per_minute_minor.values()):
            msg = "tariff amounts must not be negative"
            raise InvalidValue(msg)

    def price_minor(self, vehicle_class: VehicleClass, duration_s: int) -> int:
        """Unlock fee plus every started minute."""
        minutes = max(1, math.ceil(duration_s / 60))
        return self.unlock_minor + minutes * self.per_minute_minor.get(vehicle_class, 0)

    def format(self, amount_minor: int) -> str:
        """An amount as a decimal string in major units ("1250", "3.75")."""
        exponent = CURRENCY_EXPONENT[self.currency]
        if exponent == 0:
            return str(amount_minor)
        major, minor = divmod(amount_minor, 10**exponent)
        return f"{major}.{minor:0{exponent}d}"
