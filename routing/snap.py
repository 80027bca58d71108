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
