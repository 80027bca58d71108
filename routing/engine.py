"""Travel-time and distance matrices, and routes: the one door to the shortest-path engine.

The engine is a customizable contraction hierarchy (RoutingKit's CCH through ``routingkit_cch``):
a nested-dissection order computed once per network (cached), a topology built from it, and one
*metric* per weighting (time or length; with the edges of active closures set impassable; with
bike penalties). A new metric costs tens of milliseconds, so closures switch on and off cheaply.
Rows are computed on up to :data:`THREADS` threads; the CCH releases the GIL while it searches.

Points are snapped to the nearest open edge; a point enters the network at the edge's head (and
its tail, if the way is two-way) with the part of the edge still to travel as an offset, and
leaves it likewise, so matrices are exact for points between intersections too.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import numpy as np
import routingkit_cch as rk
from numpy.typing import NDArray
from shapely.geometry import LineString, Point
from shapely.ops import substring
from shapely.strtree import STRtree

from fleet.geo import Position
from fleet.zones import Zone, ZoneKind
from routing.exceptions import InsideClosure
from routing.network import RoadNetwork
from routing.snap import Snap

#: The CCH's infinite weight: an arc with it is impassable.
INF_WEIGHT = 2**31 - 1
#: What an unreachable pair holds in a matrix.
UNREACHABLE = np.iinfo(np.int64).max // 4
THREADS = max(1, min(2, os.cpu_count() or 1))
_AT_NODE_M = 0.5


class Weight(StrEnum):
    """What a metric minimises."""

    TIME = "time"  # seconds
    LENGTH = "length"  # metres


@dataclass(frozen=True, slots=True)
class Matrix:
    """``duration_s[i, j]`` fastest travel time and ``distance_m[i, j]`` shortest road distance
    from origin ``i`` to destination ``j`` (:data:`UNREACHABLE` where no open road leads)."""

    duration_s: NDArray[np.int64]
    distance_m: NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Route:
    """The fastest route between two points, with its road geometry."""

    duration_s: int
    distance_m: int
    coordinates: list[tuple[float, float]]  # (lon, lat), GeoJSON order
    departure: datetime | None = None

    @property
    def eta(self) -> datetime | None:
        """Arrival time, when a departure was given."""
        if self.departure is None:
            return None
        return self.departure + timedelta(seconds=self.duration_s)

    def geojson(self) -> dict[str, Any]:
        """The route as a GeoJSON Feature with a LineString."""
        props: dict[str, Any] = {"duration_s": self.duration_s, "distance_m": self.distance_m}
        if self.eta is not None:
            props["eta"] = self.eta.isoformat()
        return {
            "type": "Feature",
            "geometry": {"type": "LineString", "coordinates": [list(c) for c in self.coordinates]},
            "properties": props,
        }


def compute_order(network: RoadNetwork) -> list[int]:
    """The CCH node order: inertial-flow nested dissection on the node coordinates."""
    return list(
        rk.compute_order_inertial(
            network.n_nodes,
            network.tail.tolist(),
            network.head.tolist(),
            network.lat.tolist(),
            network.lon.tolist(),
        )
    )


@dataclass(slots=True)
class Router:
    """Matrices and routes on one :class:`RoadNetwork`."""

    network: RoadNetwork
    max_snap_distance_m: float = 250.0
    #: Edge → factor ≥ 1 on travel time (bad surface reported by bikes and PMs).
    penalties: dict[int, float] = field(default_factory=dict)
    _cch: Any = field(init=False, repr=False)
    _metrics: dict[tuple[Weight, frozenset[int], int], Any] = field(
        init=False, repr=False, default_factory=dict
    )
    _edge_tree: STRtree | None = field(init=False, repr=False, default=None)
    _penalty_version: int = field(init=False, repr=False, default=0)

    def __post_init__(self) -> None:
        net = self.network
        if not net.order:
            net.order = compute_order(net)
        self._cch = rk.CCH(net.order, net.tail.tolist(), net.head.tolist(), False)

    # --- weights and metrics -----------------------------------------------------------

    def set_penalties(self, penalties: Mapping[int, float]) -> None:
        """Replace the per-edge travel-time factors (each ≥ 1)."""
        bad = {e: f for e, f in penalties.items() if f < 1 or not 0 <= e < self.network.n_edges}
        if bad:
            msg = f"penalty factors must be ≥ 1 on existing edges, got {bad}"
            raise ValueError(msg)
        self.penalties = dict(penalties)
        self._penalty_version += 1
        self._metrics = {k: v for k, v in self._metrics.items() if k[0] is Weight.LENGTH}

    def edge_durations(self) -> NDArray[np.int64]:
        """Travel time per edge in seconds, penalties applied."""
        base = self.network.duration_s
        if not self.penalties:
            return base
        out = base.copy()
        for edge, factor in self.penalties.items():
            out[edge] = math.ceil(base[edge] * factor)
        return out

    def _base(self, weight: Weight) -> NDArray[np.int64]:
        return self.edge_durations() if weight is Weight.TIME else self.network.length_m

    def metric(self, weight: Weight, closed: frozenset[int] = frozenset()) -> Any:
        """The customised metric for a weighting and a set of impassable edges (cached)."""
        key = (weight, closed, self._penalty_version if weight is Weight.TIME else 0)
        found = self._metrics.get(key)
        if found is None:
            weights = self._base(weight).copy()
            if closed:
                weights[list(closed)] = INF_WEIGHT
            found = rk.CCHMetric(self._cch, weights.tolist())
            if len(self._metrics) > 16:  # closures come and go; keep the cache small
                self._metrics.pop(next(iter(self._metrics)))
            self._metrics[key] = found
        return found

    # --- closures ------------------------------------------------------------------------

    def closed_edges(self, closures: Iterable[Zone], at: datetime | None) -> frozenset[int]:
        """Edges crossing a hazard closure active at ``at`` (every given closure if ``None``)."""
        active = [
            z
            for z in closures
            if z.kind is ZoneKind.HAZARD_CLOSURE and (at is None or z.active(at))
        ]
        if not active:
            return frozenset()
        if self._edge_tree is None:
            lines = [self.network.edge_line(e) for e in range(self.network.n_edges)]
            self._edge_tree = STRtree(lines)
        closed: set[int] = set()
        for zone in active:
            hits = self._edge_tree.query(zone.area.geometry, predicate="intersects")
            closed.update(int(h) for h in hits)
        return frozenset(closed)

    def _check_not_inside(
        self, points: Sequence[Position], closures: Iterable[Zone], at: datetime | None
    ) -> None:
        active = [
            z
            for z in closures
            if z.kind is ZoneKind.HAZARD_CLOSURE and (at is None or z.active(at))
        ]
        for zone in active:
            for p in points:
                if zone.area.geometry.covers(Point(p.lon, p.lat)):
                    raise InsideClosure(p.lat, p.lon, zone.name)

    # --- snapping --------------------------------------------------------------------------

    def snap(self, position: Position, closed: frozenset[int] = frozenset()) -> Snap:
        """Place a position on the nearest open edge (``SnapTooFar`` beyond the maximum)."""
        return self.snap_many([position], closed)[0]

    def snap_many(
        self, positions: Sequence[Position], closed: frozenset[int] = frozenset()
    ) -> list[Snap]:
        """:meth:`snap` for many positions at once."""
        return self.network.edge_index().snap_many(
            list(positions), self.max_snap_distance_m, closed
        )

    def _entries(
        self, snap: Snap, cost: NDArray[np.int64], *, leaving: bool
    ) -> list[tuple[int, int]]:
        """Network nodes a snapped point reaches (``leaving``) or is reached from, with offsets."""
        net, e, f = self.network, snap.edge, snap.fraction
        twin = int(net.twin[e])
        tail, head = int(net.tail[e]), int(net.head[e])
        along = f * float(net.length_m[e])
        entries: dict[int, int] = {}

        def add(node: int, offset: float) -> None:
            value = round(offset)
            entries[node] = min(entries.get(node, value), value)

        if leaving:
            add(head, (1 - f) * cost[e])
            if twin >= 0:
                add(tail, f * cost[twin])
            if along < _AT_NODE_M:
                add(tail, 0)
        else:
            add(tail, f * cost[e])
            if twin >= 0:
                add(head, (1 - f) * cost[twin])
            if float(net.length_m[e]) - along < _AT_NODE_M:
                add(head, 0)
        return list(entries.items())

    # --- matrices -------------------------------------------------------------------------

    def matrix(
        self,
        origins: Sequence[Position],
        destinations: Sequence[Position],
        *,
        closures: Iterable[Zone] = (),
        at: datetime | None = None,
        distances: bool = True,
    ) -> Matrix:
        """Travel times (s) and road distances (m) from every origin to every destination.

        ``distances=False`` skips the distance matrix (left empty) when only times are needed.

        Raises
        ------
        SnapTooFar
            A point is farther from the roads than the maximum snap distance.
        InsideClosure
            A point lies inside a closure active at ``at``.
        """
        closures = list(closures)
        self._check_not_inside([*origins, *destinations], closures, at)
        closed = self.closed_edges(closures, at)
        src = self.snap_many(origins, closed)
        dst = self.snap_many(destinations, closed)
        durations = self._weighted_matrix(Weight.TIME, src, dst, closed)
        if not distances:
            return Matrix(durations, np.empty((0, 0), dtype=np.int64))
        return Matrix(durations, self._weighted_matrix(Weight.LENGTH, src, dst, closed))

    def _weighted_matrix(
        self, weight: Weight, src: list[Snap], dst: list[Snap], closed: frozenset[int]
    ) -> NDArray[np.int64]:
        cost = self._base(weight)
        metric = self.metric(weight, closed)
        target_nodes: dict[int, int] = {}
        ent_col = np.full((len(dst), 2), -1, dtype=np.int64)
        ent_off = np.zeros((len(dst), 2), dtype=np.int64)
        for j, snap in enumerate(dst):
            for k, (node, offset) in enumerate(self._entries(snap, cost, leaving=False)[:2]):
                ent_col[j, k] = target_nodes.setdefault(node, len(target_nodes))
                ent_off[j, k] = offset
        pinned = list(target_nodes)
        sources = [self._entries(s, cost, leaving=True) for s in src]

        def rows(chunk: range) -> NDArray[np.float64]:
            query = rk.CCHOneToMany(metric, pinned)
            out = np.empty((len(chunk), len(pinned)), dtype=np.float64)
            for r, i in enumerate(chunk):
                out[r] = np.array(query.distances_from_multi(sources[i]), dtype=np.float64)
            return out

        n = len(src)
        if n == 0 or not pinned:
            return np.zeros((n, len(dst)), dtype=np.int64)
        parts = max(1, min(THREADS, n // 64))
        bounds = np.linspace(0, n, parts + 1).astype(int)
        chunks = [range(bounds[p], bounds[p + 1]) for p in range(parts)]
        if parts == 1:
            raw = rows(chunks[0])
        else:
            with ThreadPoolExecutor(parts) as pool:
                raw = np.vstack(list(pool.map(rows, chunks)))
        raw = np.nan_to_num(raw, nan=float(UNREACHABLE)).astype(np.int64)
        result = np.full((n, len(dst)), UNREACHABLE, dtype=np.int64)
        for k in range(2):
            valid = ent_col[:, k] >= 0
            cand = raw[:, ent_col[valid, k]] + ent_off[valid, k]
            result[:, valid] = np.minimum(result[:, valid], cand)
        result[result >= UNREACHABLE] = UNREACHABLE
        self._same_edge(result, src, dst, cost)
        return result

    def _same_edge(
        self, result: NDArray[np.int64], src: list[Snap], dst: list[Snap], cost: NDArray[np.int64]
    ) -> None:
        """Pairs on one way: going straight along the edge may beat leaving it."""
        net = self.network

        def canonical(s: Snap) -> tuple[int, float]:
            twin = int(net.twin[s.edge])
            if twin >= 0 and twin < s.edge:
                return twin, 1.0 - s.fraction
            return s.edge, s.fraction

        by_edge: dict[int, list[tuple[int, float]]] = {}
        for j, s in enumerate(dst):
            e, f = canonical(s)
            by_edge.setdefault(e, []).append((j, f))
        for i, s in enumerate(src):
            e, fs = canonical(s)
            for j, ft in by_edge.get(e, []):
                twin = int(net.twin[e])
                if ft >= fs:
                    direct = round((ft - fs) * cost[e])
                elif twin >= 0:
                    direct = round((fs - ft) * cost[twin])
                else:
                    continue
                result[i, j] = min(result[i, j], direct)

    # --- routes -----------------------------------------------------------------------------

    def route(
        self,
        origin: Position,
        destination: Position,
        *,
        closures: Iterable[Zone] = (),
        at: datetime | None = None,
    ) -> Route | None:
        """The fastest route with its geometry, or ``None`` if no open road leads there."""
        closures = list(closures)
        self._check_not_inside([origin, destination], closures, at)
        closed = self.closed_edges(closures, at)
        s, t = self.snap(origin, closed), self.snap(destination, closed)
        cost = self._base(Weight.TIME)
        net = self.network
        query = rk.CCHQuery(self.metric(Weight.TIME, closed))
        result = query.run_multi(
            self._entries(s, cost, leaving=True), self._entries(t, cost, leaving=False)
        )
        direct = np.array([[UNREACHABLE]], dtype=np.int64)
        self._same_edge(direct, [s], [t], cost)
        if direct[0, 0] < UNREACHABLE and (
            result.distance is None or direct[0, 0] <= result.distance
        ):
            return self._direct_route(s, t, int(direct[0, 0]), at)
        if result.distance is None:
            return None
        first, last = int(result.node_path[0]), int(result.node_path[-1])
        start_line = net.edge_line(s.edge)
        end_line = net.edge_line(t.edge)
        s_len, t_len = float(net.length_m[s.edge]), float(net.length_m[t.edge])
        if first == int(net.head[s.edge]):  # on along the edge to its head
            pieces = [_cut(start_line, s.fraction, 1.0)]
            length = (1 - s.fraction) * s_len
        else:  # back to its tail (two-way way), or standing on the tail
            pieces = [_cut(start_line, s.fraction, 0.0)]
            length = s.fraction * s_len
        for arc in result.arc_path:
            pieces.append(net.edge_line(arc))
            length += float(net.length_m[arc])
        if last == int(net.tail[t.edge]):  # in along the edge from its tail
            pieces.append(_cut(end_line, 0.0, t.fraction))
            length += t.fraction * t_len
        else:  # in from its head, against the edge's direction (two-way way)
            pieces.append(_cut(end_line, 1.0, t.fraction))
            length += (1 - t.fraction) * t_len
        coords: list[tuple[float, float]] = []
        for piece in pieces:
            for c in piece.coords:
                point = (round(c[0], 7), round(c[1], 7))
                if not coords or coords[-1] != point:
                    coords.append(point)
        return Route(int(result.distance), round(length), coords, at)

    def _direct_route(self, s: Snap, t: Snap, duration: int, at: datetime | None) -> Route:
        line = self.network.edge_line(s.edge)
        ft = t.fraction if t.edge == s.edge else 1.0 - t.fraction
        piece = _cut(line, s.fraction, ft)
        length = abs(ft - s.fraction) * float(self.network.length_m[s.edge])
        coords = [(round(x, 7), round(y, 7)) for x, y in piece.coords]
        return Route(duration, round(length), coords, at)


def _cut(line: LineString, start: float, end: float) -> LineString:
    """The part of ``line`` between two fractions of its length (reversed if start > end)."""
    if start <= end:
        return substring(line, start, end, normalized=True)
    piece = substring(line, end, start, normalized=True)
    return LineString(list(piece.coords)[::-1])
