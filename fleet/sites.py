"""Fixed places of the fleet: depots, swap stations, EV hubs, parking stations; and packs."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from fleet.catalog import VehicleClass
from fleet.exceptions import InvalidValue
from fleet.geo import Position
from fleet.vehicles import check_soc


class SiteKind(StrEnum):
    """The kinds of fixed place."""

    DEPOT = "depot"  # where crews and vans start
    SWAP_STATION = "swap_station"  # cabinet of swappable packs
    EV_HUB = "ev_hub"  # parking with chargers for work EVs
    PARKING = "parking"  # designated or virtual parking for bikes and PMs


class ParkingKind(StrEnum):
    """Physical racks, or a painted / geofenced virtual station."""

    DESIGNATED = "designated"
    VIRTUAL = "virtual"


@dataclass(frozen=True, slots=True)
class Site:
    """A fixed place. Fields that do not apply to the kind are zero / ``None``.

    - swap stations: ``slots`` pack slots;
    - EV hubs: ``chargers`` of ``charger_power_kw`` each, ``capacity`` parking bays;
    - parking stations: ``capacity`` vehicles, ``parking_kind``.
    """

    id: str
    operator_id: str
    kind: SiteKind
    name: str
    position: Position
    capacity: int = 0
    slots: int = 0
    chargers: int = 0
    charger_power_kw: float = 0.0
    parking_kind: ParkingKind | None = None

    def __post_init__(self) -> None:
        if not self.name.strip():
            msg = "a site needs a non-empty name"
            raise InvalidValue(msg)
        for name in ("capacity", "slots", "chargers"):
            if getattr(self, name) < 0:
                msg = f"{name} must not be negative for site {self.name!r}"
                raise InvalidValue(msg)
        if self.kind is SiteKind.SWAP_STATION and self.slots <= 0:
            msg = f"swap station {self.name!r} needs at least one slot"
            raise InvalidValue(msg)
        if self.kind is SiteKind.EV_HUB and (self.chargers <= 0 or self.charger_power_kw <= 0):
            msg = f"EV hub {self.name!r} needs chargers with a positive power"
            raise InvalidValue(msg)
        if self.kind is SiteKind.PARKING:
            if self.capacity <= 0:
                msg = f"parking station {self.name!r} needs a positive capacity"
                raise InvalidValue(msg)
            if self.parking_kind is None:
                msg = f"parking station {self.name!r} must be designated or virtual"
                raise InvalidValue(msg)


#: A pack at or above this charge counts as charged inventory: stations hand it out.
CHARGED_PCT = 95.0


class PackLocation(StrEnum):
    """Where a swappable pack is."""

    VEHICLE = "vehicle"
    STATION = "station"  # in a swap station slot
    VAN = "van"  # in a crew van


@dataclass(frozen=True, slots=True)
class BatteryPack:
    """A swappable battery pack; ``location_id`` is the vehicle, station or van id."""

    serial: str
    operator_id: str
    capacity_wh: int
    soc_pct: float
    health_pct: float
    location: PackLocation
    location_id: str
    slot: int | None = None  # slot number when in a station
    pack_class: VehicleClass = VehicleClass.E_MOPED  # the class of vehicle it fits

    def __post_init__(self) -> None:
        if not self.serial.strip():
            msg = "a battery pack needs a serial"
            raise InvalidValue(msg)
        if self.capacity_wh <= 0:
            msg = f"pack {self.serial}: capacity_wh must be positive"
            raise InvalidValue(msg)
        object.__setattr__(self, "soc_pct", check_soc(self.soc_pct))
        if not 0 <= self.health_pct <= 100:
            msg = f"pack {self.serial}: health_pct must be between 0 and 100"
            raise InvalidValue(msg)
        if (self.location is PackLocation.STATION) != (self.slot is not None):
            msg = f"pack {self.serial}: a slot is given exactly when the pack is in a station"
            raise InvalidValue(msg)

    def charged(self, threshold_pct: float = CHARGED_PCT) -> bool:
        """Whether the pack counts as charged inventory."""
        return self.soc_pct >= threshold_pct
