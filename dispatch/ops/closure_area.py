"""The area of a hazard closure as a manager sends it: a GeoJSON Polygon or MultiPolygon in
``[lon, lat]``, read strictly, each fault named with where it is, before shapely sees it.

Pure: plain data in, an ``Area`` or an ``InvalidValue`` out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from shapely.geometry import MultiPolygon, Polygon
from shapely.validation import explain_validity

from fleet.exceptions import InvalidValue
from fleet.geo import Area

#: The most vertices a closure may have, over all its rings: a hand-drawn closure has dozens, a
#: traced flood plain a few thousand; more is a mistake, and slows every route of the city.
MAX_VERTICES = 10_000
#: The most rings (outlines and holes, over all polygons) a closure may have.
MAX_RINGS = 100
#: A GeoJSON ring repeats its first position last, so it has at least four.
MIN_RING_POSITIONS = 4


def closure_area(geometry: object) -> Area:
    """The area of ``geometry`` (a GeoJSON Polygon or MultiPolygon mapping).

    Raises
    ------
    InvalidValue
        Not a Polygon or MultiPolygon; a position that is not two finite numbers within
        longitude ±180 and latitude ±90; a ring with fewer than four positions or not closed;
        more than ``MAX_VERTICES`` vertices or ``MAX_RINGS`` rings; a polygon that crosses
        itself or has no area. The message names the place of the fault.
    """
    if not isinstance(geometry, Mapping):
        msg = "geometry must be a GeoJSON object with a type and coordinates"
        raise InvalidValue(msg)
    kind, coordinates = geometry.get("type"), geometry.get("coordinates")
    budget = _Budget()
    if kind == "Polygon":
        shape: Polygon | MultiPolygon = _polygon(coordinates, "geometry.coordinates", budget)
    elif kind == "MultiPolygon":
        parts = _list(coordinates, "geometry.coordinates")
        if not parts:
            msg = "geometry.coordinates of a MultiPolygon needs at least one polygon"
            raise InvalidValue(msg)
        shape = MultiPolygon(
            [_polygon(p, f"geometry.coordinates[{i}]", budget) for i, p in enumerate(parts)]
        )
    else:
        msg = f"geometry.type must be Polygon or MultiPolygon, got {kind!r}"
        raise InvalidValue(msg)
    if not shape.is_valid:
        msg = (
            f"geometry is not a valid polygon: {explain_validity(shape)} "
            "(rings may not cross themselves or each other, and polygons may not overlap)"
        )
        raise InvalidValue(msg)
    if shape.area <= 0:
        msg = "geometry has no area: its positions lie on a line"
        raise InvalidValue(msg)
    return Area(shape)


class _Budget:
    """Counts vertices and rings as they are read, so an absurd closure is refused early."""

    def __init__(self) -> None:
        self.vertices = 0
        self.rings = 0

    def take(self, positions: int) -> None:
        self.vertices += positions
        self.rings += 1
        if self.vertices > MAX_VERTICES:
            msg = f"geometry has more than {MAX_VERTICES} vertices: simplify the outline"
            raise InvalidValue(msg)
        if self.rings > MAX_RINGS:
            msg = f"geometry has more than {MAX_RINGS} rings (outlines and holes)"
            raise InvalidValue(msg)


def _list(value: object, where: str) -> Sequence[object]:
    if not isinstance(value, list | tuple):
        msg = f"{where} must be an array, got {type(value).__name__}"
        raise InvalidValue(msg)
    return value


def _polygon(value: object, where: str, budget: _Budget) -> Polygon:
    rings = _list(value, where)
    if not rings:
        msg = f"{where} needs an outer ring"
        raise InvalidValue(msg)
    read = [_ring(r, f"{where}[{i}]", budget) for i, r in enumerate(rings)]
    return Polygon(read[0], read[1:])


def _ring(value: object, where: str, budget: _Budget) -> list[tuple[float, float]]:
    positions = _list(value, where)
    budget.take(len(positions))
    if len(positions) < MIN_RING_POSITIONS:
        msg = (
            f"{where} has {len(positions)} positions: a ring needs at least "
            f"{MIN_RING_POSITIONS}, its last repeating its first"
        )
        raise InvalidValue(msg)
    ring = [_position(p, f"{where}[{i}]") for i, p in enumerate(positions)]
    if ring[0] != ring[-1]:
        msg = f"{where} is not closed: its last position must repeat its first"
        raise InvalidValue(msg)
    return ring


def _position(value: object, where: str) -> tuple[float, float]:
    numbers = _list(value, where)
    if len(numbers) not in (2, 3) or not all(
        isinstance(n, int | float) and not isinstance(n, bool) for n in numbers
    ):
        msg = f"{where} must be [lon, lat] (numbers), got {_short(value)}"
        raise InvalidValue(msg)
    # an altitude, if any, is no matter here
    return _degrees(numbers[0], 180, f"{where}: longitude"), _degrees(
        numbers[1], 90, f"{where}: latitude"
    )


def _degrees(number: object, bound: int, what: str) -> float:
    try:
        value = float(number)  # type: ignore[arg-type]  # checked a number by the caller
    except OverflowError:  # an integer of hundreds of digits
        value = math.inf
    if not (math.isfinite(value) and -bound <= value <= bound):
        msg = f"{what} must be between -{bound} and {bound}, got {_short(number)}"
        raise InvalidValue(msg)
    return value


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
