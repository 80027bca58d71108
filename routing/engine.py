"""Travel-time and distance matrices, and routes: the one door to the shortest-path engines.

Matrices run on a contraction hierarchy (:mod:`routing.ch`, bucket many-to-many) of packed
(seconds, metres) costs: each cell is the fastest route's time and that route's length. The
network's own hierarchy serves its base weights; an active closure or a bike penalty gets a
hierarchy of its own, built once (a one-off cost) and cached.

Routes run on RoutingKit's customizable contraction hierarchy (``routingkit_cch``): a
nested-dissection order computed once per network, then a *metric* per weighting that takes tens
of milliseconds, with closed edges impassable; it gives the path for the geometry.

Points are snapped to the nearest open edge; a point enters the network at the edge's head (and
its tail, if the way is two-way) with the part of the edge still to travel as an offset, and
leaves it likewise, so matrices are exact for points between intersections too.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import routingkit_cch as rk
from numpy.typing import NDArray
from shapely.geometry import LineString
from shapely.ops import substring
from shapely.strtree import STRtree

from fleet.geo import Position
from fleet.zones import Zone, first_inside
from routing.ch import ContractionHierarchy, Entries
from routing.exceptions import InsideClosure
from routing.network import RoadNetwork
from routing.search import INF as CH_INF
from routing.search import bounded_dijkstra, split_packed
from routing.snap import SAMPLE_SPACING_M, Snap, SnapBound, SnapReach

#: The CCH's infinite weight: an arc with it is impassable.
INF_WEIGHT = 2**31 - 1
#: What an unreachable pair holds in a matrix.
UNREACHABLE = np.iinfo(np.int64).max // 4

_AT_NODE_M = 0.5


#: Matrix costs pack (seconds, metres) into one integer, seconds in the high bits: the minimum
#: is the fastest route, ties going to the shorter, and the low bits give that route's length.
LENGTH_BITS = 24
LENGTH_MASK = (1 << LENGTH_BITS) - 1


def pack(duration_s: NDArray[np.int64], length_m: NDArray[np.int64]) -> NDArray[np.int64]:
    """Packed (seconds, metres) costs."""
    return (duration_s.astype(np.int64) << LENGTH_BITS) | length_m.astype(np.int64)


@dataclass(frozen=True, slots=True)
class Matrix:
    """``duration_s[i, j]`` fastest travel time and ``distance_m[i, j]`` shortest road distance
    from origin ``i`` to destination ``j`` (:data:`UNREACHABLE` where no open road leads)."""

    duration_s: NDArray[np.int64]
    distance_m: NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Route:
    """The fastest route between two points, with its road geometry. With penalties (bad
    surfaces) the route is the cheapest by penalised time; ``duration_s`` is still the time
    it takes to ride it."""

    duration_s: int
    distance_m: int
    coordinates: list[tuple[float, float]]  # (lon, lat), GeoJSON order
    departure: datetime | None = None
    #: the network edges ridden, in order (the first and last possibly in part)...
    edges: tuple[int, ...] = ()
    #: ...and the metres ridden on each
    edge_m: tuple[float, ...] = ()

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
    _metrics: dict[tuple[frozenset[int], int], Any] = field(
        init=False, repr=False, default_factory=dict
    )
    _hierarchies: dict[tuple[frozenset[int], int], ContractionHierarchy] = field(
        init=False, repr=False, default_factory=dict
    )
    _edge_tree: STRtree | None = field(init=False, repr=False, default=None)
    _snap_bound: SnapBound | None = field(init=False, repr=False, default=None)
    _adjacencies: dict[
        tuple[frozenset[int], int],
        tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]],
    ] = field(init=False, repr=False, default_factory=dict)
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
        self._metrics.clear()
        self._hierarchies.clear()
        self._adjacencies.clear()

    def edge_durations(self) -> NDArray[np.int64]:
        """Travel time per edge in seconds, penalties applied."""
        base = self.network.duration_s
        if not self.penalties:
            return base
        out = base.copy()
        for edge, factor in self.penalties.items():
            out[edge] = math.ceil(base[edge] * factor)
        return out

    def metric(self, closed: frozenset[int] = frozenset()) -> Any:
        """The customised CCH metric (travel times, closed edges impassable), cached; routes
        run on it."""
        key = (closed, self._penalty_version)
        found = self._metrics.get(key)
        if found is None:
            weights = self.edge_durations().copy()
            if closed:
                weights[list(closed)] = INF_WEIGHT
            found = rk.CCHMetric(self._cch, weights.tolist())
            if len(self._metrics) > 8:  # closures come and go; keep the cache small
                self._metrics.pop(next(iter(self._metrics)))
            self._metrics[key] = found
        return found

    def hierarchy(self, closed: frozenset[int] = frozenset()) -> ContractionHierarchy:
        """The contraction hierarchy of packed costs without ``closed`` edges (cached). The
        network's own is used for its base weights; closures and penalties build their own
        once, a one-off cost (seconds on 25,000 nodes)."""
        if not closed and not self.penalties:
            return self.network.hierarchy()
        key = (closed, self._penalty_version)
        found = self._hierarchies.get(key)
        if found is None:
            net = self.network
            open_edges = np.ones(net.n_edges, dtype=bool)
            open_edges[list(closed)] = False
            costs = pack(self.edge_durations(), net.length_m)
            found = ContractionHierarchy.build(
                net.n_nodes,
                net.tail[open_edges].astype(np.int64),
                net.head[open_edges].astype(np.int64),
                costs[open_edges],
            )
            if len(self._hierarchies) > 4:
                self._hierarchies.pop(next(iter(self._hierarchies)))
            self._hierarchies[key] = found
        return found

    # --- closures ------------------------------------------------------------------------

    def closed_edges(self, closures: Iterable[Zone], at: datetime | None) -> frozenset[int]:
        """Edges crossing a hazard closure active at ``at`` (every given closure if ``None``)."""
        active = [z for z in closures if z.closes_roads(at)]
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

    def check_not_inside(
        self, points: Sequence[Position], closures: Iterable[Zone], at: datetime | None
    ) -> None:
        """Raise ``InsideClosure`` if a point lies in a closure active at ``at``."""
        active = [z for z in closures if z.closes_roads(at)]
        for p in points:
            zone = first_inside(active, p)
            if zone is not None:
                raise InsideClosure(p.lat, p.lon, zone.name)

    # --- snapping --------------------------------------------------------------------------

    def snap(self, position: Position, closed: frozenset[int] = frozenset()) -> Snap:
        """Place a position on the nearest open edge (``SnapTooFar`` beyond the maximum)."""
        return self.snap_many([position], closed)[0]

    def snap_many(
        self,
        positions: Sequence[Position],
        closed: frozenset[int] = frozenset(),
        *,
        strict: bool = True,
    ) -> list[Snap]:
        """:meth:`snap` for many positions at once (``strict=False``: edge -1 when too far)."""
        return self.network.edge_index().snap_many(
            list(positions), self.max_snap_distance_m, closed, strict=strict
        )

    def snap_reach(
        self,
        position: Position,
        radius_m: float,
        closures: Iterable[Zone] = (),
        at: datetime | None = None,
    ) -> SnapReach | None:
        """How near each place within ``radius_m`` of ``position`` comes and how far it can
        snap (``SnapReach``), so that a search in straight-line order knows the least a walk
        from ``position`` to places still unread takes; ``None`` when only the maximum snap
        distance bounds it (a closure in force can push a snap past its closed roads)."""
        if self.closed_edges(list(closures), at):
            return None
        index = self.network.edge_index()
        if self._snap_bound is None:
            # a sample spacing more: a point outside is farther than the maximum from any edge
            margin_m = self.max_snap_distance_m + SAMPLE_SPACING_M
            self._snap_bound = SnapBound.of(index, margin_m)
        # 1 % more: the square is measured in the index's projection, as the snaps are
        reach = self._snap_bound.reach(index, position, radius_m * 1.01)
        # a place that snaps farther than the maximum holds no vehicle anyone can reach
        return SnapReach(reach.near_m, np.minimum(reach.snap_m, self.max_snap_distance_m))

    def _entry_arrays(self, snaps: Sequence[Snap], *, leaving: bool) -> Entries:
        """Network nodes snapped points reach (``leaving``) or are reached from, with packed
        (seconds, metres) offsets for the part of their edge travelled.

        Every point has its edge's far end (head when leaving, tail when arriving); a point on
        a two-way way also has the near end through the opposite edge, and a point standing on
        the near node has that node at no cost.
        """
        net = self.network
        durations = self.edge_durations()
        e = np.fromiter((s.edge for s in snaps), dtype=np.int64, count=len(snaps))
        f = np.fromiter((s.fraction for s in snaps), dtype=np.float64, count=len(snaps))
        twin = net.twin[e]
        has_twin = twin >= 0
        tw = np.where(has_twin, twin, e)
        if leaving:
            far, near = net.head[e], net.tail[e]
            far_part, near_part = 1 - f, f
            at_near = f * net.length_m[e] < _AT_NODE_M
        else:
            far, near = net.tail[e], net.head[e]
            far_part, near_part = f, 1 - f
            at_near = (1 - f) * net.length_m[e] < _AT_NODE_M

        def packed(edges: NDArray[np.int64], part: NDArray[np.float64]) -> NDArray[np.int64]:
            secs = np.rint(part * durations[edges]).astype(np.int64)
            metres = np.rint(part * net.length_m[edges]).astype(np.int64)
            return (secs << LENGTH_BITS) | metres

        far_off = packed(e, far_part)
        near_off = np.where(at_near, 0, packed(tw, near_part))
        second = has_twin | at_near
        counts = 1 + second.astype(np.int64)
        ptr = np.zeros(len(snaps) + 1, dtype=np.int64)
        ptr[1:] = np.cumsum(counts)
        nodes = np.empty(int(ptr[-1]), dtype=np.int64)
        offs = np.empty(int(ptr[-1]), dtype=np.int64)
        nodes[ptr[:-1]], offs[ptr[:-1]] = far, far_off
        nodes[ptr[:-1][second] + 1], offs[ptr[:-1][second] + 1] = near[second], near_off[second]
        return Entries(ptr, nodes, offs)

    # --- matrices -------------------------------------------------------------------------

    def matrix(
        self,
        origins: Sequence[Position],
        destinations: Sequence[Position],
        *,
        closures: Iterable[Zone] = (),
        at: datetime | None = None,
        far_destinations_unreachable: bool = False,
    ) -> Matrix:
        """Travel times (s) and road distances (m) from every origin to every destination.

        ``far_destinations_unreachable``: a destination too far from the roads gets an
        unreachable column instead of an error (a vehicle parked off this mode's network).

        Raises
        ------
        SnapTooFar
            A point is farther from the roads than the maximum snap distance.
        InsideClosure
            A point lies inside a closure active at ``at``.
        """
        closures = list(closures)
        self.check_not_inside([*origins, *destinations], closures, at)
        closed = self.closed_edges(closures, at)
        src = self.snap_many(origins, closed)
        same = len(origins) == len(destinations) and list(origins) == list(destinations)
        dst = (
            src
            if same
            else self.snap_many(destinations, closed, strict=not far_destinations_unreachable)
        )
        near = [j for j, snap in enumerate(dst) if snap.edge >= 0]
        if len(near) < len(dst):
            full = self.matrix(origins, [destinations[j] for j in near], closures=closures, at=at)
            durations = np.full((len(src), len(dst)), UNREACHABLE, dtype=np.int64)
            lengths = durations.copy()
            durations[:, near], lengths[:, near] = full.duration_s, full.distance_m
            return Matrix(durations, lengths)
        if not src or not dst:
            empty = np.zeros((len(src), len(dst)), dtype=np.int64)
            return Matrix(empty, empty.copy())
        packed = self.hierarchy(closed).many_to_many(
            self._entry_arrays(src, leaving=True), self._entry_arrays(dst, leaving=False)
        )
        self._same_edge(packed, src, dst)
        durations, lengths = split_packed(packed, LENGTH_BITS, UNREACHABLE)
        return Matrix(durations, lengths)

    def within(
        self,
        origin: Position,
        destinations: Sequence[Position],
        limit_s: int,
        *,
        closures: Iterable[Zone] = (),
        at: datetime | None = None,
    ) -> Matrix:
        """A 1×m matrix from ``origin``, exact up to ``limit_s``; farther destinations (and those
        too far from the roads to snap) are :data:`UNREACHABLE`.

        A Dijkstra search bounded by the limit: for "who is within a short walk", far cheaper
        than a hierarchy, whose searches do not know where to stop.
        """
        closures = list(closures)
        self.check_not_inside([origin], closures, at)
        closed = self.closed_edges(closures, at)
        src = self.snap_many([origin], closed)
        dst = self.snap_many(destinations, closed, strict=False)
        durations = np.full((1, len(dst)), UNREACHABLE, dtype=np.int64)
        lengths = durations.copy()
        near = [j for j, snap in enumerate(dst) if snap.edge >= 0]
        if not near:
            return Matrix(durations, lengths)
        indptr, heads, costs = self._adjacency(closed)
        entries = self._entry_arrays(src, leaving=True)
        dist = bounded_dijkstra(
            indptr, heads, costs, entries.node, entries.offset, ((limit_s + 1) << LENGTH_BITS) - 1
        )
        targets = self._entry_arrays([dst[j] for j in near], leaving=False)
        via = dist[targets.node]  # each destination has one or two entries: the best of them
        via = np.where(via < CH_INF, via + targets.offset, CH_INF)
        packed = np.minimum.reduceat(via, targets.ptr[:-1])[None, :]
        self._same_edge(packed, src, [dst[j] for j in near])
        # one row: numpy splits it at once, where the parallel kernel waits for its threads
        secs, metres = packed >> LENGTH_BITS, packed & LENGTH_MASK
        secs[packed >= CH_INF], metres[packed >= CH_INF] = UNREACHABLE, UNREACHABLE
        secs[secs > limit_s] = UNREACHABLE
        metres[secs == UNREACHABLE] = UNREACHABLE
        durations[:, near], lengths[:, near] = secs, metres
        return Matrix(durations, lengths)

    def _adjacency(
        self, closed: frozenset[int]
    ) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
        """Forward adjacency (CSR by tail) with packed costs, closed edges left out."""
        key = (closed, self._penalty_version)
        found = self._adjacencies.get(key)
        if found is None:
            net = self.network
            keep = np.ones(net.n_edges, dtype=bool)
            keep[list(closed)] = False
            tail = net.tail[keep].astype(np.int64)
            order = np.argsort(tail, kind="stable")
            indptr = np.zeros(net.n_nodes + 1, dtype=np.int64)
            np.add.at(indptr, tail + 1, 1)
            found = (
                np.cumsum(indptr),
                net.head[keep].astype(np.int64)[order],
                pack(self.edge_durations(), net.length_m)[keep][order],
            )
            if len(self._adjacencies) > 4:
                self._adjacencies.pop(next(iter(self._adjacencies)))
            self._adjacencies[key] = found
        return found

    def _same_edge(self, result: NDArray[np.int64], src: list[Snap], dst: list[Snap]) -> None:
        """Pairs on one way: going straight along the edge may beat leaving it."""
        net = self.network
        cost = pack(self.edge_durations(), net.length_m)

        def canonical(snaps: list[Snap]) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
            e = np.fromiter((s.edge for s in snaps), dtype=np.int64, count=len(snaps))
            f = np.fromiter((s.fraction for s in snaps), dtype=np.float64, count=len(snaps))
            twin = net.twin[e]
            flip = (twin >= 0) & (twin < e)  # a two-way way is named by its lower edge
            return np.where(flip, twin, e), np.where(flip, 1.0 - f, f)

        se, sf = canonical(src)
        de, df = canonical(dst)
        order = np.argsort(de, kind="stable")
        lo = np.searchsorted(de[order], se, "left")
        hi = np.searchsorted(de[order], se, "right")
        counts = hi - lo
        if not counts.any():
            return
        rows = np.repeat(np.arange(len(src)), counts)
        first = np.repeat(lo, counts)
        step = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
        cols = order[first + step]
        span = df[cols] - sf[rows]
        edge = np.where(span >= 0, se[rows], net.twin[se[rows]])
        ok = edge >= 0
        rows, cols, span, edge = rows[ok], cols[ok], np.abs(span[ok]), edge[ok]
        secs = np.rint(span * (cost[edge] >> LENGTH_BITS)).astype(np.int64)
        metres = np.rint(span * (cost[edge] & LENGTH_MASK)).astype(np.int64)
        np.minimum.at(result, (rows, cols), (secs << LENGTH_BITS) | metres)

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
        self.check_not_inside([origin, destination], closures, at)
        closed = self.closed_edges(closures, at)
        s, t = self.snap(origin, closed), self.snap(destination, closed)
        net = self.network

        def seconds(entries: Entries) -> list[tuple[int, int]]:
            return [
                (int(n), int(o >> LENGTH_BITS))
                for n, o in zip(entries.node, entries.offset, strict=True)
            ]

        query = rk.CCHQuery(self.metric(closed))
        result = query.run_multi(
            seconds(self._entry_arrays([s], leaving=True)),
            seconds(self._entry_arrays([t], leaving=False)),
        )
        direct = np.array([[CH_INF]], dtype=np.int64)
        self._same_edge(direct, [s], [t])
        direct_s = int(direct[0, 0] >> LENGTH_BITS)
        if direct[0, 0] < CH_INF and (result.distance is None or direct_s <= result.distance):
            return self._direct_route(s, t, direct_s, at)
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
        start_m = length
        start_part = length / s_len if s_len else 0.0
        if last == int(net.tail[t.edge]):  # in along the edge from its tail
            pieces.append(_cut(end_line, 0.0, t.fraction))
            end_part = t.fraction
        else:  # in from its head, against the edge's direction (two-way way)
            pieces.append(_cut(end_line, 1.0, t.fraction))
            end_part = 1 - t.fraction
        length += end_part * t_len
        arcs = [int(a) for a in result.arc_path]
        extra = self._penalty_s(arcs) + self._penalty_s([s.edge], start_part)
        extra += self._penalty_s([t.edge], end_part)
        coords: list[tuple[float, float]] = []
        for piece in pieces:
            for c in piece.coords:
                point = (round(c[0], 7), round(c[1], 7))
                if not coords or coords[-1] != point:
                    coords.append(point)
        edges = (s.edge, *arcs, t.edge)
        edge_m = (start_m, *(float(net.length_m[a]) for a in arcs), end_part * t_len)
        return Route(int(result.distance) - extra, round(length), coords, at, edges, edge_m)

    def _penalty_s(self, edges: Sequence[int], part: float = 1.0) -> int:
        """Seconds the penalties add to riding ``part`` of each of ``edges``."""
        if not self.penalties:
            return 0
        base = self.network.duration_s
        return sum(
            round(part * (math.ceil(base[e] * self.penalties[e]) - base[e]))
            for e in edges
            if e in self.penalties
        )

    def _direct_route(self, s: Snap, t: Snap, duration: int, at: datetime | None) -> Route:
        line = self.network.edge_line(s.edge)
        ft = t.fraction if t.edge == s.edge else 1.0 - t.fraction
        piece = _cut(line, s.fraction, ft)
        length = abs(ft - s.fraction) * float(self.network.length_m[s.edge])
        coords = [(round(x, 7), round(y, 7)) for x, y in piece.coords]
        extra = self._penalty_s([s.edge], abs(ft - s.fraction))
        return Route(duration - extra, round(length), coords, at, (s.edge,), (length,))


def _cut(line: LineString, start: float, end: float) -> LineString:
    """The part of ``line`` between two fractions of its length (reversed if start > end)."""
    if start <= end:
        return substring(line, start, end, normalized=True)
    piece = substring(line, end, start, normalized=True)
    return LineString(list(piece.coords)[::-1])
