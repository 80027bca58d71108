"""Travel modes and which OSM ways each may use.

Filters look at a way's raw tags before simplification. Korean road law keeps two-wheelers off
expressways and car-only roads (``motorroad=yes``); bikes and PMs also stay off trunk roads.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from fleet.catalog import VehicleClass


class Mode(StrEnum):
    """How a person or vehicle moves on the network."""

    WALK = "walk"  # riders walking to a vehicle; ignores one-way restrictions
    BIKE = "bike"  # e-bikes and e-kickboards
    MOPED = "moped"  # electric two-wheelers of couriers
    CAR = "car"  # work EVs and crew vans


_CAR_HIGHWAYS = frozenset(
    {
        "motorway",
        "motorway_link",
        "trunk",
        "trunk_link",
        "primary",
        "primary_link",
        "secondary",
        "secondary_link",
        "tertiary",
        "tertiary_link",
        "unclassified",
        "residential",
        "living_street",
        "service",
        "road",
    }
)
_MOTORWAYS = frozenset({"motorway", "motorway_link"})
_TRUNKS = frozenset({"trunk", "trunk_link"})
_BIKE_EXTRA = frozenset({"cycleway"})
_SHARED_PATHS = frozenset({"path", "track", "footway", "pedestrian", "bridleway"})
_WALK_HIGHWAYS = (_CAR_HIGHWAYS - _MOTORWAYS - _TRUNKS) | _SHARED_PATHS | {"steps", "cycleway"}
_NO = frozenset({"no", "private"})
_YES = frozenset({"yes", "designated", "permissive"})


def _tag(tags: Mapping[str, Any], key: str) -> str:
    value = tags.get(key)
    if isinstance(value, list):  # osmnx keeps lists after merging; filters run before that
        value = value[0]
    return str(value) if value is not None else ""


def allows(mode: Mode, tags: Mapping[str, Any]) -> bool:
    """Whether a way with these OSM tags is usable in ``mode``."""
    highway = _tag(tags, "highway")
    if not highway or _tag(tags, "area") == "yes":
        return False
    motorroad = _tag(tags, "motorroad") == "yes"
    if mode is Mode.WALK:
        if _tag(tags, "foot") in _NO:
            return False
        return highway in _WALK_HIGHWAYS and not motorroad
    if _tag(tags, "access") in _NO:
        return False
    if mode is Mode.CAR:
        return highway in _CAR_HIGHWAYS and _tag(tags, "motor_vehicle") not in _NO
    if mode is Mode.MOPED:
        return (
            highway in _CAR_HIGHWAYS - _MOTORWAYS
            and not motorroad
            and _tag(tags, "moped") not in _NO
        )
    # bike: ordinary roads below trunk, cycleways, and shared paths signed for bicycles
    if motorroad or _tag(tags, "bicycle") in _NO:
        return False
    if highway in _CAR_HIGHWAYS - _MOTORWAYS - _TRUNKS or highway in _BIKE_EXTRA:
        return True
    return highway in _SHARED_PATHS and _tag(tags, "bicycle") in _YES


#: Whether the mode honours one-way streets (pedestrians may walk either way).
RESPECTS_ONEWAY: dict[Mode, bool] = {
    Mode.WALK: False,
    Mode.BIKE: True,
    Mode.MOPED: True,
    Mode.CAR: True,
}


def mode_of(vehicle_class: VehicleClass) -> Mode:
    """The network a vehicle class rides on."""
    return _MODE_OF_CLASS[vehicle_class]


_MODE_OF_CLASS = {
    VehicleClass.E_KICKBOARD: Mode.BIKE,
    VehicleClass.E_BIKE: Mode.BIKE,
    VehicleClass.E_MOPED: Mode.MOPED,
    VehicleClass.WORK_EV: Mode.CAR,
}
