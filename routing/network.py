"""A mode's road graph as arrays: what the matrix engine, snapping and routes compute on.

Edges are numbered ``0..m-1`` in the order of ``tail``/``head``; that number is the arc id the
contraction hierarchy reports in paths. Lengths are integer metres and base travel times integer
seconds (:mod:`routing.speeds`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np
from numpy.typing import NDArray
from shapely.geometry import LineString

from routing.ch import ContractionHierarchy
from routing.graph import BuildReport
from routing.modes import Mode
from routing.snap import EdgeIndex
from routing.speeds import edge_speed_kph, travel_time_s


@dataclass(slots=True)
class RoadNetwork:
    """Arrays of one mode's strongly connected road graph, plus the graph for geometry."""

    mode: Mode
    graph: nx.MultiDiGraph
    report: BuildReport
    node_ids: NDArray[np.int64]  # index → OSM node id
    lat: NDArray[np.float64]
    lon: NDArray[np.float64]
    tail: NDArray[np.int32]  # edge → node index
    head: NDArray[np.int32]
    edge_keys: list[tuple[int, int, int]]  # edge → (u, v, key) in ``graph``
    length_m: NDArray[np.int64]
    duration_s: NDArray[np.int64]
    speed_kph: NDArray[np.float64]
    twin: NDArray[np.int64]  # edge → the opposite edge on the same way, or -1
    #: CCH node order (nested dissection): one-off preprocessing, cached with the network.
    order: list[int] = field(default_factory=list)
    _edge_index: EdgeIndex | None = None
    _hierarchies: dict[str, ContractionHierarchy] = field(default_factory=dict)

    def edge_index(self) -> EdgeIndex:
        """The nearest-edge index (built on first use; cached with the network)."""
        if self._edge_index is None:
            lines = [list(self.edge_line(e).coords) for e in range(self.n_edges)]
            self._edge_index = EdgeIndex.of(lines, float(self.lat.mean()))
        return self._edge_index

    def hierarchy(self) -> ContractionHierarchy:
        """The contraction hierarchy of the base costs, (seconds, metres) packed as in
        :func:`routing.engine.pack` (built on first use; cached with the network)."""
        found = self._hierarchies.get("base")
        if found is None:
            packed = (self.duration_s << 24) | self.length_m
            found = ContractionHierarchy.build(
                self.n_nodes, self.tail.astype(np.int64), self.head.astype(np.int64), packed
            )
            self._hierarchies["base"] = found
        return found

    @classmethod
    def from_graph(cls, graph: nx.MultiDiGraph, mode: Mode, report: BuildReport) -> RoadNetwork:
        """Number the nodes and edges of ``graph`` and compute lengths and travel times."""
        node_ids = np.fromiter(graph.nodes, dtype=np.int64, count=graph.number_of_nodes())
        index = {int(n): i for i, n in enumerate(node_ids)}
        lat = np.array([graph.nodes[n]["y"] for n in node_ids], dtype=np.float64)
        lon = np.array([graph.nodes[n]["x"] for n in node_ids], dtype=np.float64)
        keys, tail, head, length, speed = [], [], [], [], []
        for u, v, k, data in graph.edges(keys=True, data=True):
            keys.append((int(u), int(v), int(k)))
            tail.append(index[int(u)])
            head.append(index[int(v)])
            length.append(max(1, round(float(data.get("length", 0.0)))))
            speed.append(edge_speed_kph(mode, data))
        length_m = np.array(length, dtype=np.int64)
        speed_kph = np.array(speed, dtype=np.float64)
        duration = np.array(
            [travel_time_s(m, s) for m, s in zip(length, speed, strict=True)], dtype=np.int64
        )
        tails, heads = np.array(tail, dtype=np.int32), np.array(head, dtype=np.int32)
        return cls(
            mode=mode,
            graph=graph,
            report=report,
            node_ids=node_ids,
            lat=lat,
            lon=lon,
            tail=tails,
            head=heads,
            edge_keys=keys,
            length_m=length_m,
            duration_s=duration,
            speed_kph=speed_kph,
            twin=_twins(tails, heads, length_m),
        )

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return int(self.node_ids.size)

    @property
    def n_edges(self) -> int:
        """Number of directed edges."""
        return int(self.tail.size)

    def edge_line(self, edge: int) -> LineString:
        """The edge's geometry from tail to head, ``(lon, lat)`` coordinates."""
        u, v, k = self.edge_keys[edge]
        data: dict[str, Any] = self.graph.edges[u, v, k]
        geometry = data.get("geometry")
        if geometry is not None:
            return LineString(geometry.coords)
        t, h = int(self.tail[edge]), int(self.head[edge])
        return LineString([(self.lon[t], self.lat[t]), (self.lon[h], self.lat[h])])


def _twins(
    tail: NDArray[np.int32], head: NDArray[np.int32], length_m: NDArray[np.int64]
) -> NDArray[np.int64]:
    """For each edge u→v, an edge v→u of about the same length (the other direction of a
    two-way way), else -1."""
    by_pair: dict[tuple[int, int], list[int]] = {}
    for e, (t, h) in enumerate(zip(tail.tolist(), head.tolist(), strict=True)):
        by_pair.setdefault((t, h), []).append(e)
    twin = np.full(tail.size, -1, dtype=np.int64)
    for e, (t, h) in enumerate(zip(tail.tolist(), head.tolist(), strict=True)):
        candidates = by_pair.get((h, t), [])
        close = [c for c in candidates if abs(int(length_m[c]) - int(length_m[e])) <= 2]
        if close:
            twin[e] = close[0]
    return twin
