"""Zones: the service area and the rules painted on the map.

What a zone bars is said here once: a hazard closure closes roads while it is active, and riding
may not start in a no-ride zone or a closure. A point on a zone's edge is inside it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray
from shapely import intersects_xy

from fleet.clock import require_aware
from fleet.exceptions import InvalidValue, OutsideServiceArea
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
            and self.active_until < self.active_from
        ):
            # Equal bounds are an empty window, never in force: a closure called off before
            # it began keeps its row (and its audit trail) that way.
            msg = f"zone {self.name!r}: active_until may not be before active_from"
            raise InvalidValue(msg)

    def active(self, at: datetime) -> bool:
        """Whether the zone's rule applies at ``at``."""
        if self.active_from is not None and at < self.active_from:
            return False
        return not (self.active_until is not None and at >= self.active_until)

    def contains(self, position: Position) -> bool:
        """Whether ``position`` is inside the zone."""
        return self.area.contains(position)

    def closes_roads(self, at: datetime | None) -> bool:
        """Whether the zone closes the roads crossing it at ``at`` (``None``: whenever)."""
        return self.kind is ZoneKind.HAZARD_CLOSURE and (at is None or self.active(at))

    def bars_riding(self, at: datetime | None) -> bool:
        """Whether a ride may not start or stand inside the zone at ``at``."""
        return self.kind is ZoneKind.NO_RIDE or self.closes_roads(at)


def inside(zone: Zone, positions: Sequence[Position]) -> NDArray[np.bool_]:
    """Which positions lie in the zone (its edge included)."""
    if not positions:
        return np.zeros(0, dtype=bool)
    lon = np.array([p.lon for p in positions])
    lat = np.array([p.lat for p in positions])
    return np.asarray(intersects_xy(zone.area.geometry, lon, lat), dtype=bool)


def first_inside(zones: Iterable[Zone], position: Position) -> Zone | None:
    """The first of ``zones`` that ``position`` lies in, if any."""
    return next((z for z in zones if bool(inside(z, [position])[0])), None)


def barred(zones: Iterable[Zone], positions: Sequence[Position], at: datetime) -> NDArray[np.bool_]:
    """Which positions stand in a no-ride zone or an active closure at ``at``."""
    blocked = np.zeros(len(positions), dtype=bool)
    for zone in zones:
        if zone.bars_riding(at):
            blocked |= inside(zone, positions)
    return blocked


def check_in_service_area(
    zones: Iterable[Zone], position: Position, what: str = "position"
) -> None:
    """Raise ``OutsideServiceArea`` (naming the place as ``what``) unless ``position`` is in
    one of the service areas among ``zones``; an operator without any has not said where it
    operates, and that is named."""
    areas = [z for z in zones if z.kind is ZoneKind.SERVICE_AREA]
    if not areas:
        none = "the operator has no service area"
        raise OutsideServiceArea(position.lat, position.lon, none, what)
    if first_inside(areas, position) is None:
        raise OutsideServiceArea(position.lat, position.lon, what=what)
