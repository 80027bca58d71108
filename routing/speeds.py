"""Edge speeds and travel times per mode, in integer seconds and metres.

A road's speed is its ``maxspeed`` tag where it has a usable one, else a default per highway class
(Korea's "safe speed 5030" urban limits: 50 km/h on arterials, 30 km/h on local streets; see
docs/routing.md). A mode then caps it: bikes and kickboards at their legal 25 km/h, pedestrians
walk at a constant pace. Mopeds and cars follow the road.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from routing.modes import Mode

#: Default speed per highway class where a way has no usable ``maxspeed``, km/h.
DEFAULT_SPEED_KPH: dict[str, float] = {
    "motorway": 100,
    "motorway_link": 60,
    "trunk": 80,
    "trunk_link": 50,
    "primary": 50,
    "primary_link": 40,
    "secondary": 50,
    "secondary_link": 40,
    "tertiary": 40,
    "tertiary_link": 30,
    "unclassified": 30,
    "residential": 30,
    "living_street": 10,
    "service": 20,
    "road": 30,
    "cycleway": 20,
    "path": 12,
    "track": 12,
    "footway": 10,
    "pedestrian": 10,
    "bridleway": 10,
    "steps": 4,
}
FALLBACK_SPEED_KPH = 30.0

#: The legal or physical cap of each mode, km/h (``None``: the road's limit).
MODE_CAP_KPH: dict[Mode, float | None] = {
    Mode.WALK: None,
    Mode.BIKE: 25.0,  # kickboards and pedal-assist e-bikes, Korean law
    Mode.MOPED: None,
    Mode.CAR: None,
}
WALK_SPEED_KPH = 4.8  # about 1.33 m/s, a usual urban walking pace
STEPS_WALK_SPEED_KPH = 2.0

_MPH = 1.609344
_NUMBER = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(mph|km/h|kmh|kph)?\s*$")
#: Implicit maxspeed values ("KR:urban") → km/h.
_IMPLICIT = {"urban": 50.0, "rural": 80.0, "motorway": 100.0, "living_street": 10.0, "walk": 7.0}


def parse_maxspeed(value: Any) -> float | None:
    """A ``maxspeed`` tag in km/h, or ``None`` when it does not give a number.

    Lists (merged ways) take their lowest limit.
    """
    if value is None:
        return None
    if isinstance(value, list):
        parsed = [p for p in (parse_maxspeed(v) for v in value) if p is not None]
        return min(parsed) if parsed else None
    text = str(value).strip().lower()
    match = _NUMBER.match(text)
    if match:
        speed = float(match.group(1))
        if match.group(2) == "mph":
            speed *= _MPH
        return speed if speed > 0 else None
    if ":" in text:
        return _IMPLICIT.get(text.split(":", 1)[1])
    return None


def _highway(tags: Mapping[str, Any]) -> str:
    value = tags.get("highway", "")
    if isinstance(value, list):  # merged ways: the slowest class decides the default
        return str(min(value, key=lambda h: DEFAULT_SPEED_KPH.get(str(h), FALLBACK_SPEED_KPH)))
    return str(value)


def edge_speed_kph(mode: Mode, tags: Mapping[str, Any]) -> float:
    """The speed a vehicle of ``mode`` travels an edge with these tags, km/h."""
    highway = _highway(tags)
    if mode is Mode.WALK:
        return STEPS_WALK_SPEED_KPH if highway == "steps" else WALK_SPEED_KPH
    speed = parse_maxspeed(tags.get("maxspeed"))
    if speed is None:
        speed = DEFAULT_SPEED_KPH.get(highway, FALLBACK_SPEED_KPH)
    cap = MODE_CAP_KPH[mode]
    return min(speed, cap) if cap is not None else speed


def travel_time_s(length_m: float, speed_kph: float) -> int:
    """Whole seconds to cover ``length_m`` at ``speed_kph`` (at least 1 for a real edge)."""
    return max(1, math.ceil(length_m * 3.6 / speed_kph - 1e-9)) if length_m > 0 else 0
