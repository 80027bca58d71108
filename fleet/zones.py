"""Zones: the service area and the rules painted on the map."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from fleet.clock import require_aware
from fleet.exceptions import InvalidValue
from fleet.geo import Area, Position


class ZoneKind(StrEnum):
    """What a zone means for vehicles inside it."""

    SERVICE_AREA = "service_area"  # where trips may start and end
    NO_PARKING = "no_parking"
    SLOW = "slow"  # speed limited to ``speed_limit_kph``
    NO_RIDE = "no_ride"
    HAZARD_CLOSURE = "hazard_closure"  # roads impassable from ``active_from`` to ``active_until``


@dataclass(frozen=True, slots=True)
class Zone:
    """A named area with a rule."""

    id: str
    operator_id: str
    kind: ZoneKind
    name: str
    area: Area
    speed_limit_kph: int | None = None
    active_from: datetime | None = None
    active_until: datetime | None = None

    def __post_init__(self) -> None:
        if not self.name.strip():
            msg = "a zone needs a non-empty name"
            raise InvalidValue(msg)
        if (self.kind is ZoneKind.SLOW) != (self.speed_limit_kph is not None):
            msg = f"zone {self.name!r}: a speed limit is given exactly for slow zones"
            raise InvalidValue(msg)
        if self.speed_limit_kph is not None and self.speed_limit_kph <= 0:
            msg = f"zone {self.name!r}: speed_limit_kph must be positive"
            raise InvalidValue(msg)
        for name in ("active_from", "active_until"):
            value = getattr(self, name)
            if value is not None:
                require_aware(name, value)
        if self.kind is ZoneKind.HAZARD_CLOSURE and (
            self.active_from is None or self.active_until is None
        ):
            msg = f"hazard closure {self.name!r} needs active_from and active_until"
            raise InvalidValue(msg)
        if (
            self.active_from is not None
            and self.active_until is not None
            and self.active_until <= self.active_from
        ):
            msg = f"zone {self.name!r}: active_until must be after active_from"
            raise InvalidValue(msg)

    def active(self, at: datetime) -> bool:
        """Whether the zone's rule applies at ``at``."""
        if self.active_from is not None and at < self.active_from:
            return False
        return not (self.active_until is not None and at >= self.active_until)

    def contains(self, position: Position) -> bool:
        """Whether ``position`` is inside the zone."""
        return self.area.contains(position)
