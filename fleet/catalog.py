"""The vehicle-type catalog: the four classes and their default characteristics.

The figures are defaults an operator overrides for its own models; each is sourced in
docs/vehicle-types.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeAlias

from fleet.exceptions import InvalidValue, UnknownVehicleClass


class VehicleClass(StrEnum):
    """The classes of vehicle fleetops runs."""

    E_KICKBOARD = "e_kickboard"  # personal mobility (PM), standing e-scooter
    E_BIKE = "e_bike"  # pedal-assist e-bike, incl. AI bikes
    E_MOPED = "e_moped"  # electric two-wheeler with a swappable pack (couriers)
    WORK_EV = "work_ev"  # plug-in car booked by companies


class BatteryKind(StrEnum):
    """How a vehicle is recharged."""

    SWAPPABLE = "swappable"
    PLUG_IN = "plug_in"


def parse_vehicle_class(value: str) -> VehicleClass:
    """The class named ``value``, or ``UnknownVehicleClass`` listing the known ones."""
    try:
        return VehicleClass(value)
    except ValueError:
        known = ", ".join(c.value for c in VehicleClass)
        msg = f"unknown vehicle class {value!r}; known classes: {known}"
        raise UnknownVehicleClass(msg) from None


@dataclass(frozen=True, slots=True)
class VehicleType:
    """Characteristics shared by all vehicles of one class.

    ``max_speed_kph`` is the legal cap of the class (``None``: the road's limit applies).
    ``energy_wh_per_km`` is also what a ride's charging weighs in CO2 (``fleet.carbon``); the
    car trip it replaces is the city's (its profile's ``[carbon]``), not the class's.
    """

    vehicle_class: VehicleClass
    name: str
    max_speed_kph: int | None
    battery_wh: int
    energy_wh_per_km: int
    battery_kind: BatteryKind
    cargo_l: int
    seats: int
    low_battery_pct: int
    #: power a swap station's charger gives one pack of this class (0: no swappable pack)
    pack_charger_w: int = 0

    def __post_init__(self) -> None:
        for name in ("battery_wh", "energy_wh_per_km", "seats"):
            if getattr(self, name) <= 0:
                msg = f"{name} must be positive for {self.vehicle_class}"
                raise InvalidValue(msg)
        if self.max_speed_kph is not None and self.max_speed_kph <= 0:
            msg = f"max_speed_kph must be positive for {self.vehicle_class}"
            raise InvalidValue(msg)
        if self.pack_charger_w < 0:
            msg = f"pack_charger_w must not be negative for {self.vehicle_class}"
            raise InvalidValue(msg)
        if not 0 <= self.low_battery_pct < 100:
            msg = f"low_battery_pct must be within 0–99 for {self.vehicle_class}"
            raise InvalidValue(msg)

    @property
    def range_full_m(self) -> int:
        """Range on a full charge, metres (battery energy / energy use)."""
        return self.battery_wh * 1000 // self.energy_wh_per_km

    def range_m(self, soc_pct: float) -> int:
        """Range left at a state of charge, metres."""
        return int(self.range_full_m * soc_pct / 100)


#: An operator's vehicle types by class. The composition root builds it (from the defaults
#: below and the operator's overrides) and hands it to whoever needs a class's figures.
Catalog: TypeAlias = Mapping[VehicleClass, VehicleType]

#: Defaults per class; sources in docs/vehicle-types.md. Read only by the composition root.
DEFAULT_CATALOG: dict[VehicleClass, VehicleType] = {
    VehicleClass.E_KICKBOARD: VehicleType(
        vehicle_class=VehicleClass.E_KICKBOARD,
        name="Shared e-kickboard",
        max_speed_kph=25,
        battery_wh=551,
        energy_wh_per_km=14,
        battery_kind=BatteryKind.SWAPPABLE,
        cargo_l=0,
        seats=1,
        low_battery_pct=15,
        pack_charger_w=180,
    ),
    VehicleClass.E_BIKE: VehicleType(
        vehicle_class=VehicleClass.E_BIKE,
        name="Shared pedal-assist e-bike",
        max_speed_kph=25,
        battery_wh=418,
        energy_wh_per_km=9,
        battery_kind=BatteryKind.SWAPPABLE,
        cargo_l=15,
        seats=1,
        low_battery_pct=15,
        pack_charger_w=150,
    ),
    VehicleClass.E_MOPED: VehicleType(
        vehicle_class=VehicleClass.E_MOPED,
        name="Electric delivery two-wheeler",
        max_speed_kph=None,
        battery_wh=1314,
        energy_wh_per_km=30,
        battery_kind=BatteryKind.SWAPPABLE,
        cargo_l=90,
        seats=1,
        low_battery_pct=20,
        pack_charger_w=600,
    ),
    VehicleClass.WORK_EV: VehicleType(
        vehicle_class=VehicleClass.WORK_EV,
        name="Shared work EV (small electric car)",
        max_speed_kph=None,
        battery_wh=35_200,
        energy_wh_per_km=172,
        battery_kind=BatteryKind.PLUG_IN,
        cargo_l=300,
        seats=4,
        low_battery_pct=20,
    ),
}
