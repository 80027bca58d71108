"""The graph side of map matching: candidate edges near GPS samples, and road distances between
candidates of consecutive samples (bounded Dijkstra on edge lengths, cached per source node).

Pure computation on a :class:`RoadNetwork`; :mod:`routing.matching` runs the hidden-Markov model.
"""

from __future__ import annotations

import itertools
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from routing.network import RoadNetwork
from routing.snap import SAMPLE_SPACING_M

_M_PER_DEG_LAT = 111_320.0  # the local projection of routing.snap
#: Source nodes whose distance rows are kept: a ride moves on, so old rows are rarely needed.
_CACHE_ROWS = 256


@dataclass(frozen=True, slots=True)
class Candidates:
    """Edges near each sample: sample ``i`` has rows ``ptr[i]:ptr[i+1]``, nearest first."""

    ptr: NDArray[np.int64]
    edge: NDArray[np.int64]
    offset_m: NDArray[np.float64]  # metres from the edge's tail to the projected point
    error_m: NDArray[np.float64]  # metres from the sample to the projected point


def project(
    network: RoadNetwork, lat: NDArray[np.float64], lon: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Samples in the edge index's local metric projection, shape ``(n, 2)``."""
    index = network.edge_index()
    return np.column_stack((lon * index.m_per_deg_lon, (lat - index.lat0) * _M_PER_DEG_LAT))


def candidates(
    network: RoadNetwork, xy: NDArray[np.float64], radius_m: float, max_candidates: int
) -> Candidates:
    """The ``max_candidates`` nearest edges within ``radius_m`` of each projected sample.

    A k-d tree over points sampled along every segment finds the segments near a sample; the
    sample is projected onto each exactly, and each edge keeps its nearest projection.
    """
    index = network.edge_index()
    n = xy.shape[0]
    if n == 0:
        empty = np.zeros(0, dtype=np.float64)
        return Candidates(np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.int64), empty, empty)
    found = index.tree.query_ball_point(xy, radius_m + SAMPLE_SPACING_M)
    counts = np.fromiter((len(f) for f in found), dtype=np.int64, count=n)
    owner = np.repeat(np.arange(n), counts)
    seg = np.fromiter((s for f in found for s in f), dtype=np.int64, count=int(counts.sum()))
    px, py = xy[owner, 0], xy[owner, 1]
    ax, ay = index.seg_ax[seg], index.seg_ay[seg]
    dx, dy = index.seg_dx[seg], index.seg_dy[seg]
    len2 = dx * dx + dy * dy
    t = np.clip(((px - ax) * dx + (py - ay) * dy) / np.where(len2 > 0, len2, 1.0), 0.0, 1.0)
    error = np.hypot(ax + t * dx - px, ay + t * dy - py)
    edge = index.seg_edge[seg]
    along = index.seg_along[seg] + t * np.sqrt(len2)
    keep = error <= radius_m
    owner, edge, along, error = owner[keep], edge[keep], along[keep], error[keep]
    # one row per (sample, edge): its nearest projection; then nearest edges first per sample
    order = np.lexsort((error, edge, owner))
    owner, edge, along, error = owner[order], edge[order], along[order], error[order]
    first = np.ones(owner.size, dtype=bool)
    first[1:] = (owner[1:] != owner[:-1]) | (edge[1:] != edge[:-1])
    owner, edge, along, error = owner[first], edge[first], along[first], error[first]
    order = np.lexsort((error, owner))
    owner, edge, along, error = owner[order], edge[order], along[order], error[order]
    start = np.searchsorted(owner, np.arange(n))
    rank = np.arange(owner.size) - start[owner]
    keep = rank < max_candidates
    owner, edge, along, error = owner[keep], edge[keep], along[keep], error[keep]
    ptr = np.zeros(n + 1, dtype=np.int64)
    np.add.at(ptr, owner + 1, 1)
    geometric = index.edge_length[edge]
    fraction = np.clip(along / np.where(geometric > 0, geometric, 1.0), 0.0, 1.0)
    offset = fraction * network.length_m[edge].astype(np.float64)
    return Candidates(np.cumsum(ptr), edge, offset, error)


@dataclass(slots=True)
class Distances:
    """Shortest road distances in metres on one network, from candidate to candidate.

    Searches are Dijkstra bounded by a radius, from the head of a candidate's edge; a row is kept
    per source node (with its radius) and reused while the ride stays near it.
    """

    network: RoadNetwork
    graph: csr_matrix = field(init=False)
    arc: dict[tuple[int, int], int] = field(init=False)  # (tail, head) → shortest such edge
    _rows: OrderedDict[int, tuple[float, NDArray[np.float64], NDArray[np.int32]]] = field(
        init=False, default_factory=OrderedDict
    )

    def __post_init__(self) -> None:
        net = self.network
        length = net.length_m.astype(np.float64)
        order = np.lexsort((length, net.head, net.tail))  # parallel edges: the shortest first
        tail, head = net.tail[order], net.head[order]
        first = np.ones(order.size, dtype=bool)
        first[1:] = (tail[1:] != tail[:-1]) | (head[1:] != head[:-1])
        keep = order[first]
        self.graph = csr_matrix(
            (length[keep], (net.tail[keep], net.head[keep])), shape=(net.n_nodes, net.n_nodes)
        )
        self.arc = {(int(net.tail[e]), int(net.head[e])): int(e) for e in keep.tolist()}

    def _row(self, node: int, limit_m: float) -> tuple[NDArray[np.float64], NDArray[np.int32]]:
        found = self._rows.get(node)
        if found is not None and found[0] >= limit_m:
            self._rows.move_to_end(node)
            return found[1], found[2]
        dist, pred = dijkstra(
            self.graph, indices=node, limit=limit_m, return_predecessors=True, min_only=False
        )
        self._rows[node] = (limit_m, dist, pred)
        if len(self._rows) > _CACHE_ROWS:
            self._rows.popitem(last=False)
        return dist, pred

    def between(
        self,
        edge_a: NDArray[np.int64],
        offset_a: NDArray[np.float64],
        edge_b: NDArray[np.int64],
        offset_b: NDArray[np.float64],
        limit_m: float,
        backtrack_m: float,
        u_turn_m: float,
    ) -> NDArray[np.float64]:
        """Road metres from each candidate ``a`` to each candidate ``b`` (``inf`` beyond
        ``limit_m``). On one edge, stepping back up to ``backtrack_m`` counts as standing still:
        GPS noise, not a ride around the block; turning onto the other direction of the way
        costs ``u_turn_m`` more."""
        net = self.network
        rest = net.length_m[edge_a].astype(np.float64) - offset_a
        out = np.full((edge_a.size, edge_b.size), np.inf)
        for i, e in enumerate(edge_a.tolist()):
            dist, _pred = self._row(int(net.head[e]), max(limit_m - rest[i], 0.0))
            out[i] = rest[i] + dist[net.tail[edge_b]] + offset_b
        # turning back onto the same way: noise on a short edge looks like it, a rider seldom
        out = out + np.where(net.twin[edge_a][:, None] == edge_b[None, :], u_turn_m, 0.0)
        same = edge_a[:, None] == edge_b[None, :]
        step = offset_b[None, :] - offset_a[:, None]
        along = same & (step >= -backtrack_m)
        out = np.where(along, np.maximum(step, 0.0), out)
        return np.where(out <= limit_m, out, np.inf)

    def path(self, edge_a: int, edge_b: int) -> list[int]:
        """The edges leading from the head of ``edge_a`` to the tail of ``edge_b`` (after a
        :meth:`between` that found them reachable)."""
        net = self.network
        source, target = int(net.head[edge_a]), int(net.tail[edge_b])
        _dist, pred = self._row(source, 0.0)
        if not np.isfinite(_dist[target]):
            _dist, pred = self._row(source, np.inf)
        nodes = [target]
        while nodes[-1] != source:
            nodes.append(int(pred[nodes[-1]]))
        nodes.reverse()
        return [self.arc[(a, b)] for a, b in itertools.pairwise(nodes)]
