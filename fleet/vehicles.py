"""Vehicles and their status machine."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from fleet.catalog import VehicleClass, parse_vehicle_class
from fleet.clock import require_aware
from fleet.exceptions import InvalidValue
from fleet.geo import Position
from fleet.statemachine import Machine


class VehicleStatus(StrEnum):
    """Where a vehicle is in its life."""

    AVAILABLE = "available"
    RESERVED = "reserved"
    IN_USE = "in_use"
    LOW_BATTERY = "low_battery"
    CHARGING = "charging"
    IN_TRANSIT = "in_transit"  # carried by a crew (rebalancing, to a hub)
    MAINTENANCE = "maintenance"
    OFFLINE = "offline"


_S = VehicleStatus
VEHICLE_MACHINE: Machine[VehicleStatus] = Machine(
    "vehicle status",
    {
        _S.AVAILABLE: frozenset(
            {
                _S.RESERVED,
                _S.IN_USE,
                _S.LOW_BATTERY,
                _S.CHARGING,
                _S.IN_TRANSIT,
                _S.MAINTENANCE,
                _S.OFFLINE,
            }
        ),
        _S.RESERVED: frozenset({_S.AVAILABLE, _S.IN_USE, _S.MAINTENANCE, _S.OFFLINE}),
        _S.IN_USE: frozenset(
            {_S.AVAILABLE, _S.LOW_BATTERY, _S.CHARGING, _S.MAINTENANCE, _S.OFFLINE}
        ),
        _S.LOW_BATTERY: frozenset(
            {_S.AVAILABLE, _S.CHARGING, _S.IN_TRANSIT, _S.MAINTENANCE, _S.OFFLINE}
        ),
        _S.CHARGING: frozenset(  # in use: a work EV unplugged and driven off
            {_S.AVAILABLE, _S.IN_USE, _S.LOW_BATTERY, _S.IN_TRANSIT, _S.MAINTENANCE, _S.OFFLINE}
        ),
        _S.IN_TRANSIT: frozenset({_S.AVAILABLE, _S.LOW_BATTERY, _S.CHARGING, _S.MAINTENANCE}),
        _S.MAINTENANCE: frozenset({_S.AVAILABLE, _S.LOW_BATTERY, _S.IN_TRANSIT, _S.OFFLINE}),
        _S.OFFLINE: frozenset({_S.AVAILABLE, _S.MAINTENANCE, _S.IN_TRANSIT}),
    },
)


def parse_vehicle_status(value: str) -> VehicleStatus:
    """The status named ``value``, or ``InvalidValue`` listing the known ones."""
    try:
        return VehicleStatus(value)
    except ValueError:
        known = ", ".join(s.value for s in VehicleStatus)
        msg = f"unknown vehicle status {value!r}; known statuses: {known}"
        raise InvalidValue(msg) from None


def check_soc(soc_pct: float) -> float:
    """Return ``soc_pct`` if it is a charge in percent (0–100), else raise ``InvalidValue``."""
    if isinstance(soc_pct, bool) or not isinstance(soc_pct, int | float):
        msg = f"soc_pct must be a number of percent, got {soc_pct!r}"
        raise InvalidValue(msg)
    if not math.isfinite(soc_pct) or not 0 <= soc_pct <= 100:
        msg = f"soc_pct must be between 0 and 100, got {soc_pct!r}"
        raise InvalidValue(msg)
    return float(soc_pct)


@dataclass(frozen=True, slots=True)
class Vehicle:
    """One vehicle of an operator's fleet."""

    id: str
    operator_id: str
    code: str  # the plate or sticker a person reads
    vehicle_class: VehicleClass
    position: Position
    soc_pct: float
    odometer_m: int
    status: VehicleStatus
    updated_at: datetime
    battery_serial: str | None = None  # the swappable pack in it, if any
    plate: str | None = None  # registration plate (work EVs, mopeds)
    model: str | None = None  # make and model, as staff know it

    def __post_init__(self) -> None:
        if not isinstance(self.vehicle_class, VehicleClass):
            object.__setattr__(self, "vehicle_class", parse_vehicle_class(str(self.vehicle_class)))
        if not isinstance(self.status, VehicleStatus):
            object.__setattr__(self, "status", parse_vehicle_status(str(self.status)))
        if not self.code.strip():
            msg = "a vehicle needs a non-empty code"
            raise InvalidValue(msg)
        for name in ("plate", "model"):
            value = getattr(self, name)
            if value is not None and not value.strip():
                msg = f"a vehicle's {name} is either absent or not blank"
                raise InvalidValue(msg)
        object.__setattr__(self, "soc_pct", check_soc(self.soc_pct))
        if self.odometer_m < 0:
            msg = f"odometer_m must not be negative, got {self.odometer_m}"
            raise InvalidValue(msg)
        require_aware("updated_at", self.updated_at)

    def moved_to(self, status: VehicleStatus, at: datetime) -> Vehicle:
        """This vehicle in ``status``; raises ``IllegalTransition`` if the move is not allowed."""
        return replace(self, status=VEHICLE_MACHINE.check(self.status, status), updated_at=at)


def status_for_charge(status: VehicleStatus, soc_pct: float, low_pct: float) -> VehicleStatus:
    """The status a vehicle in ``status`` takes at ``soc_pct``: an available one below its
    class's threshold becomes low on battery, and a low one charged above it available again;
    every other status does not follow charge."""
    if status is VehicleStatus.AVAILABLE and soc_pct < low_pct:
        return VehicleStatus.LOW_BATTERY
    if status is VehicleStatus.LOW_BATTERY and soc_pct >= low_pct:
        return VehicleStatus.AVAILABLE
    return status
