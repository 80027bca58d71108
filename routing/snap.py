"""Snapping coordinates to the nearest graph node with a k-d tree on projected coordinates."""

from __future__ import annotations

import math
from dataclasses import dataclass

import networkx as nx
import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from fleet.geo import Position
from routing.exceptions import SnapTooFar

_M_PER_DEG_LAT = 111_320.0


@dataclass(frozen=True, slots=True)
class NodeIndex:
    """Nearest-node look-ups on one graph, in metres (local equirectangular projection).

    The projection is exact enough within a city (error well under 1 % over tens of km).
    """

    node_ids: NDArray[np.int64]
    lat0: float
    m_per_deg_lon: float
    tree: cKDTree

    @classmethod
    def of(cls, graph: nx.MultiDiGraph) -> NodeIndex:
        """Index every node of ``graph`` (nodes carry ``y`` = lat and ``x`` = lon)."""
        ids = np.fromiter(graph.nodes, dtype=np.int64, count=graph.number_of_nodes())
        lat = np.array([graph.nodes[n]["y"] for n in ids], dtype=float)
        lon = np.array([graph.nodes[n]["x"] for n in ids], dtype=float)
        lat0 = float(lat.mean())
        m_per_deg_lon = _M_PER_DEG_LAT * math.cos(math.radians(lat0))
        xy = np.column_stack(((lon) * m_per_deg_lon, (lat - lat0) * _M_PER_DEG_LAT))
        return cls(ids, lat0, m_per_deg_lon, cKDTree(xy))

    def _project(self, lat: float, lon: float) -> tuple[float, float]:
        return lon * self.m_per_deg_lon, (lat - self.lat0) * _M_PER_DEG_LAT

    def nearest(self, position: Position, max_distance_m: float) -> tuple[int, float]:
        """The nearest node and its distance in metres.

        Raises
        ------
        SnapTooFar
            When that node is farther than ``max_distance_m``.
        """
        distance, idx = self.tree.query(self._project(position.lat, position.lon))
        if distance > max_distance_m:
            raise SnapTooFar(position.lat, position.lon, float(distance), max_distance_m)
        return int(self.node_ids[idx]), float(distance)


SAMPLE_SPACING_M = 15.0  # points sampled along edge segments for the k-d tree
_CANDIDATES = 8


@dataclass(frozen=True, slots=True)
class Snap:
    """A position placed on an edge: ``fraction`` of the way from its tail to its head."""

    position: Position
    edge: int
    fraction: float
    distance_m: float


@dataclass(frozen=True, slots=True)
class EdgeIndex:
    """Nearest-edge look-ups in projected metres.

    Every edge segment is sampled every :data:`SAMPLE_SPACING_M`; a k-d tree over the samples
    finds candidate segments, onto which the point is projected exactly (vectorised over points
    and candidates).
    """

    lat0: float
    m_per_deg_lon: float
    tree: cKDTree
    seg_edge: NDArray[np.int64]  # per sample: its segment's edge, start, direction, offsets
    seg_ax: NDArray[np.float64]
    seg_ay: NDArray[np.float64]
    seg_dx: NDArray[np.float64]
    seg_dy: NDArray[np.float64]
    seg_along: NDArray[np.float64]  # metres from the edge's tail to the segment's start
    edge_length: NDArray[np.float64]  # per edge, metres along its geometry

    @classmethod
    def of(cls, lines: list[list[tuple[float, float]]], lat0: float) -> EdgeIndex:
        """Index edges given as ``(lon, lat)`` coordinate lists (edge ``i`` is ``lines[i]``)."""
        m_per_deg_lon = _M_PER_DEG_LAT * math.cos(math.radians(lat0))
        counts = np.fromiter((len(c) for c in lines), dtype=np.int64, count=len(lines))
        coords = np.array([xy for c in lines for xy in c], dtype=float)
        x = coords[:, 0] * m_per_deg_lon
        y = (coords[:, 1] - lat0) * _M_PER_DEG_LAT
        point_edge = np.repeat(np.arange(len(lines)), counts)
        last_of_edge = np.cumsum(counts) - 1
        starts = np.setdiff1d(np.arange(coords.shape[0] - 1), last_of_edge)  # segment starts
        edge = point_edge[starts]
        ax, ay = x[starts], y[starts]
        dx, dy = x[starts + 1] - ax, y[starts + 1] - ay
        seg_len = np.hypot(dx, dy)
        # metres from each edge's tail to each segment's start
        cum = np.cumsum(seg_len)
        first_seg = np.searchsorted(edge, np.arange(len(lines)))
        edge_start_cum = np.where(first_seg > 0, cum[np.maximum(first_seg - 1, 0)], 0.0)
        along = cum - seg_len - edge_start_cum[edge]
        edge_length = np.bincount(edge, weights=seg_len, minlength=len(lines))
        # samples: each segment repeated once per SAMPLE_SPACING_M, plus its end
        steps = np.maximum(1, (seg_len // SAMPLE_SPACING_M).astype(np.int64)) + 1
        owner = np.repeat(np.arange(edge.size), steps)
        offset = np.arange(owner.size) - np.repeat(np.cumsum(steps) - steps, steps)
        t = offset / np.repeat(steps - 1, steps)
        sx, sy = ax[owner] + t * dx[owner], ay[owner] + t * dy[owner]
        return cls(
            lat0=lat0,
            m_per_deg_lon=m_per_deg_lon,
            tree=cKDTree(np.column_stack((sx, sy))),
            seg_edge=edge[owner],
            seg_ax=ax[owner],
            seg_ay=ay[owner],
            seg_dx=dx[owner],
            seg_dy=dy[owner],
            seg_along=along[owner],
            edge_length=np.asarray(edge_length, dtype=np.float64),
        )

    def snap_many(
        self,
        positions: list[Position],
        max_distance_m: float,
        closed: frozenset[int] = frozenset(),
        *,
        strict: bool = True,
    ) -> list[Snap]:
        """The nearest open edge of each position (``strict=False``: edge -1 when too far).

        Raises
        ------
        SnapTooFar
            When a position is farther than ``max_distance_m`` from every open edge.
        """
        if not positions:
            return []
        lat = np.array([p.lat for p in positions])
        lon = np.array([p.lon for p in positions])
        px, py = lon * self.m_per_deg_lon, (lat - self.lat0) * _M_PER_DEG_LAT
        k = min(_CANDIDATES, self.seg_edge.size)
        dist, _idx, edge, frac = self._candidates(px, py, k, closed)
        snaps = []
        for i, p in enumerate(positions):
            if not np.isfinite(dist[i]):  # every candidate was closed: look wider
                kk = k
                while not np.isfinite(dist[i]) and kk < self.seg_edge.size:
                    kk = min(kk * 4, self.seg_edge.size)
                    d1, _i1, e1, f1 = self._candidates(px[i : i + 1], py[i : i + 1], kk, closed)
                    dist[i], edge[i], frac[i] = d1[0], e1[0], f1[0]
            if dist[i] > max_distance_m:
                if not strict:
                    snaps.append(Snap(p, -1, 0.0, float(dist[i])))
                    continue
                raise SnapTooFar(p.lat, p.lon, float(dist[i]), max_distance_m)
            snaps.append(Snap(p, int(edge[i]), float(frac[i]), float(dist[i])))
        return snaps

    def _candidates(
        self, px: NDArray[np.float64], py: NDArray[np.float64], k: int, closed: frozenset[int]
    ) -> tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
        _d, idx = self.tree.query(np.column_stack((px, py)), k=k)
        idx = idx.reshape(px.size, k)
        ax, ay = self.seg_ax[idx], self.seg_ay[idx]
        dx, dy = self.seg_dx[idx], self.seg_dy[idx]
        len2 = dx * dx + dy * dy
        safe = np.where(len2 > 0, len2, 1.0)
        t = np.clip(((px[:, None] - ax) * dx + (py[:, None] - ay) * dy) / safe, 0.0, 1.0)
        t = np.where(len2 > 0, t, 0.0)
        dist = np.hypot(ax + t * dx - px[:, None], ay + t * dy - py[:, None])
        edges = self.seg_edge[idx]
        if closed:
            dist = np.where(np.isin(edges, list(closed)), np.inf, dist)
        best = np.argmin(dist, axis=1)
        rows = np.arange(px.size)
        e = edges[rows, best]
        along = self.seg_along[idx][rows, best] + t[rows, best] * np.sqrt(len2[rows, best])
        total = self.edge_length[e]
        frac = np.where(total > 0, np.clip(along / np.where(total > 0, total, 1.0), 0, 1), 0.0)
        return dist[rows, best], idx[rows, best], e, frac


#: Side of a :class:`SnapBound` cell, in metres.
BOUND_CELL_M = 50.0


@dataclass(frozen=True, slots=True)
class SnapBound:
    """For each cell of a grid over the network, a distance no point of the cell snaps
    farther than (with no edge closed).

    :meth:`EdgeIndex.snap_many` weighs the segments of the samples nearest a point, among them
    the nearest sample's own segment, so a point snaps no farther than its nearest sample; and
    no point of a cell is farther from that sample set than the cell's centre is, plus half the
    cell's diagonal. The grid reaches ``margin_m`` beyond the samples: a point outside it is
    farther than that from every sample, so farther than ``margin_m - SAMPLE_SPACING_M / 2``
    from every edge.
    """

    x0: float
    y0: float
    cell_m: float
    bound: NDArray[np.float64]  # [row: y, column: x]

    @classmethod
    def of(cls, index: EdgeIndex, margin_m: float, cell_m: float = BOUND_CELL_M) -> SnapBound:
        """The grid over ``index``'s samples and ``margin_m`` around them."""
        samples = index.tree.data
        x0, y0 = samples.min(axis=0) - margin_m
        x1, y1 = samples.max(axis=0) + margin_m
        columns = math.ceil((x1 - x0) / cell_m)
        rows = math.ceil((y1 - y0) / cell_m)
        cx = x0 + (np.arange(columns) + 0.5) * cell_m
        cy = y0 + (np.arange(rows) + 0.5) * cell_m
        gx, gy = np.meshgrid(cx, cy)
        nearest, _ = index.tree.query(np.column_stack((gx.ravel(), gy.ravel())))
        bound = nearest.reshape(rows, columns) + cell_m * math.sqrt(2) / 2
        return cls(float(x0), float(y0), cell_m, bound)

    def reach(self, index: EdgeIndex, position: Position, radius_m: float) -> SnapReach:
        """The cells within ``radius_m`` of ``position`` (a square around it), each with how
        near it comes to ``position`` and how far its points can snap. Cells no point of which
        snaps within the maximum are of no use to anyone, but cost nothing to keep."""
        px = position.lon * index.m_per_deg_lon
        py = (position.lat - index.lat0) * _M_PER_DEG_LAT
        rows, columns = self.bound.shape
        c0 = max(0, math.floor((px - radius_m - self.x0) / self.cell_m))
        c1 = min(columns - 1, math.floor((px + radius_m - self.x0) / self.cell_m))
        r0 = max(0, math.floor((py - radius_m - self.y0) / self.cell_m))
        r1 = min(rows - 1, math.floor((py + radius_m - self.y0) / self.cell_m))
        if c0 > c1 or r0 > r1:
            return SnapReach(np.zeros(0), np.zeros(0))
        left = self.x0 + np.arange(c0, c1 + 1) * self.cell_m  # cells' west and south sides
        bottom = self.y0 + np.arange(r0, r1 + 1) * self.cell_m
        gap_x = np.maximum(0.0, np.maximum(left - px, px - (left + self.cell_m)))
        gap_y = np.maximum(0.0, np.maximum(bottom - py, py - (bottom + self.cell_m)))
        near = np.hypot(gap_x[None, :], gap_y[:, None])
        return SnapReach(near.ravel(), self.bound[r0 : r1 + 1, c0 : c1 + 1].ravel())


@dataclass(frozen=True, slots=True)
class SnapReach:
    """Places around a point, cell by cell: how near each cell comes (metres) and how far its
    points can snap (:class:`SnapBound`)."""

    near_m: NDArray[np.float64]
    snap_m: NDArray[np.float64]

    def least_gap_m(self, straight_m: float) -> float:
        """The least ``0.99 × straight line − snap`` of any place at least ``straight_m`` away
        (the 1 % covers the straight lines' measures: projections that agree far better than
        that at this scale); infinite where there is no such place."""
        if self.near_m.size == 0:
            return math.inf
        return float(np.min(0.99 * np.maximum(self.near_m, straight_m) - self.snap_m))
