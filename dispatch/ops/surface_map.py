"""The road-surface index as a map (issue 17, docs/road-surface.md): each road of the stored
index with its geometry and OpenStreetMap nodes, for the manager's dashboard, the city's
GeoJSON download and the NGSI-LD export.

Edge numbers mean something only on the network they were matched on, so the index is shown
only when it was made on the bike network the platform routes on now; otherwise the map is
empty and says why.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol

from dispatch.ops.surface import MODE, network_key
from fleet.db import surface as surface_db
from fleet.db.engine import Engine, reading
from fleet.exceptions import InvalidValue
from routing.network import RoadNetwork
from routing.routers import CityRouters
from routing.surface import Confidence

#: Why a map holds no road.
NOT_YET = "no road-surface index yet: the first refresh has not run"
NO_READINGS = (
    "no readings yet: the index is made of telemetry samples of bikes and kickboards at riding "
    "speed that carry a vibration_rms_ms2 (POST /api/v1/telemetry), matched by the next refresh"
)
OTHER_NETWORK = (
    "the stored index was made on another road network (the city's map or the bike filter "
    "changed): the next refresh matches the readings again"
)
#: Coordinates are rounded to 7 decimals (about 1 cm), as GeoJSON needs no more.
DIGITS = 7


class SurfaceQueue(Protocol):
    """Where refreshes are requested (``dispatch.queue.surface_jobs.QueueSurface``)."""

    def request(self) -> str:
        """Enqueue a refresh unless one waits or runs; its job id either way."""
        ...

    def status(self, jid: str) -> dict[str, Any]:
        """A refresh job's status, progress and result (``NotFound`` for no such job)."""
        ...


@dataclass(frozen=True, slots=True)
class SurfaceRoad:
    """A road of the index where it lies: its lower edge's line (lon, lat) and OSM nodes."""

    road: int
    osm_from: int
    osm_to: int
    osm_key: int
    length_m: int
    coordinates: tuple[tuple[float, float], ...]
    samples: int
    roughness_ms2: float
    low_ms2: float
    high_ms2: float | None  # None: unbounded (too few samples for an interval)
    confidence: Confidence
    percentile: float | None  # None: not ranked (low confidence)
    worst: bool
    penalty: float
    name: str | None = None  # the way's OpenStreetMap name, when it has one

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """``(west, south, east, north)`` of the road's line."""
        lons = [c[0] for c in self.coordinates]
        lats = [c[1] for c in self.coordinates]
        return min(lons), min(lats), max(lons), max(lats)


@dataclass(frozen=True, slots=True)
class SurfaceMap:
    """The index as the platform routes on it now: ``roads`` in road order, or none and a
    ``note`` saying why."""

    computed_at: datetime | None
    median_ms2: float | None
    samples: int
    roads: tuple[SurfaceRoad, ...]
    note: str | None = None


@dataclass(frozen=True, slots=True)
class RoadFilter:
    """Which roads to show: of these confidences (all when empty), only the worst decile, only
    those whose line's bounds meet ``bbox`` (west, south, east, north)."""

    confidence: frozenset[Confidence] = frozenset()
    worst: bool | None = None
    bbox: tuple[float, float, float, float] | None = None

    def __post_init__(self) -> None:
        if self.bbox is not None:
            west, south, east, north = self.bbox
            if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
                msg = (
                    "bbox must be west,south,east,north in degrees with west <= east and "
                    f"south <= north, got {','.join(str(v) for v in self.bbox)}"
                )
                raise InvalidValue(msg)

    def keeps(self, road: SurfaceRoad) -> bool:
        """Whether ``road`` passes every condition."""
        if self.confidence and road.confidence not in self.confidence:
            return False
        if self.worst is not None and road.worst is not self.worst:
            return False
        if self.bbox is not None:
            west, south, east, north = road.bounds
            w, s, e, n = self.bbox
            return west <= e and east >= w and south <= n and north >= s
        return True


def confidences(names: Collection[str]) -> frozenset[Confidence]:
    """The confidences named, or ``InvalidValue`` naming the unknown ones."""
    known = {c.value: c for c in Confidence}
    unknown = sorted(set(names) - known.keys())
    if unknown:
        msg = f"unknown confidence {', '.join(unknown)}; known: {', '.join(known)}"
        raise InvalidValue(msg)
    return frozenset(known[n] for n in names)


def _name(raw: Any) -> str | None:
    """A way's name; a simplified edge over several ways may carry a list of them."""
    if isinstance(raw, list):
        return " / ".join(dict.fromkeys(str(n) for n in raw)) or None
    return None if raw is None else str(raw)


def _road(network: RoadNetwork, row: dict[str, Any]) -> SurfaceRoad:
    edge = int(row["road"])
    u, v, key = network.edge_keys[edge]
    line = network.edge_line(edge)
    return SurfaceRoad(
        road=edge,
        osm_from=int(u),
        osm_to=int(v),
        osm_key=int(key),
        length_m=int(network.length_m[edge]),
        coordinates=tuple((round(x, DIGITS), round(y, DIGITS)) for x, y in line.coords),
        samples=int(row["samples"]),
        roughness_ms2=float(row["roughness_ms2"]),
        low_ms2=float(row["low_ms2"]),
        high_ms2=None if row["high_ms2"] is None else float(row["high_ms2"]),
        confidence=Confidence(row["confidence"]),
        percentile=None if row["percentile"] is None else float(row["percentile"]),
        worst=bool(row["worst"]),
        name=_name(network.graph.edges[u, v, key].get("name")),
        penalty=float(row["penalty"]),
    )


def surface_map(engine: Engine, routers: CityRouters) -> SurfaceMap:
    """The stored index on the bike network the platform routes on now (empty, with a note,
    before the first refresh or when it was made on another network)."""
    network = routers.router(MODE).network
    with reading(engine) as conn:
        state = surface_db.network_state(conn, MODE.value)
        if state is None or state.computed_at is None:
            return SurfaceMap(None, None, 0, (), NOT_YET)
        if state.network_key != network_key(network):
            return SurfaceMap(state.computed_at, None, 0, (), OTHER_NETWORK)
        rows = surface_db.index_rows(conn, MODE.value)
    roads = tuple(_road(network, r) for r in rows if 0 <= int(r["road"]) < network.n_edges)
    note = None if roads else NO_READINGS
    return SurfaceMap(state.computed_at, state.median_ms2, state.samples, roads, note)


def filtered(found: SurfaceMap, keep: RoadFilter) -> SurfaceMap:
    """``found`` with only the roads ``keep`` keeps."""
    return replace(found, roads=tuple(r for r in found.roads if keep.keeps(r)))
