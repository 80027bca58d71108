"""Where a trip may end: the pure parking rules, on plain data.

A trip may not end in a no-parking zone, nor at a designated parking station that is full (a
trip ending within :data:`PARKING_RADIUS_M` of a station ends *at* it). A refusal names the
nearest parking station with room outside no-parking zones, if there is one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fleet.geo import Position
from fleet.sites import ParkingKind, Site
from fleet.zones import Zone, ZoneKind, first_inside

#: A trip ending within this distance of a parking station ends *at* that station.
PARKING_RADIUS_M = 25.0


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why parking is refused here, and the station the suggestion may not name."""

    message: str
    exclude: str | None = None


def refusal(
    zones: Sequence[Zone],
    position: Position,
    stations: Sequence[Site],
    parked: Mapping[str, int],
) -> Refusal | None:
    """Why a trip may not end at ``position``, or ``None``. ``parked`` counts the vehicles at
    each designated station within reach of the position (see :func:`stations_at`)."""
    zone = first_inside([z for z in zones if z.kind is ZoneKind.NO_PARKING], position)
    if zone is not None:
        return Refusal(f"parking is not allowed here ({zone.name})")
    for site in stations_at(stations, position):
        if parked[site.id] >= site.capacity:
            return Refusal(f"parking station {site.name!r} is full", site.id)
    return None


def stations_at(stations: Sequence[Site], position: Position) -> list[Site]:
    """The designated parking stations a trip ending at ``position`` would end at."""
    return [
        s
        for s in stations
        if s.parking_kind is ParkingKind.DESIGNATED
        and position.distance_m(s.position) <= PARKING_RADIUS_M
    ]


def suggestion(
    zones: Sequence[Zone],
    position: Position,
    stations: Sequence[Site],
    parked: Mapping[str, int],
    exclude: str | None = None,
) -> dict[str, Any] | None:
    """The nearest parking station with room, outside no-parking zones (``parked`` counts the
    vehicles at every station)."""
    no_parking = [z for z in zones if z.kind is ZoneKind.NO_PARKING]
    best: tuple[float, Site] | None = None
    for site in stations:
        if site.id == exclude or first_inside(no_parking, site.position) is not None:
            continue
        if parked[site.id] >= site.capacity:
            continue
        d = position.distance_m(site.position)
        if best is None or d < best[0]:
            best = (d, site)
    if best is None:
        return None
    d, site = best
    return {
        "site_id": site.id,
        "name": site.name,
        "lat": site.position.lat,
        "lon": site.position.lon,
        "distance_m": round(d),
    }
