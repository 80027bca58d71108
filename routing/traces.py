"""Synthetic ride traces: what a bike's or kickboard's gateway would send, made on a network.

A ride follows the shortest path between two random intersections at a steady speed, sampled
at 1 Hz with Gaussian GPS noise and a few silences; each sample carries a vertical-vibration
RMS drawn around the level of the edge it was really on. The true edges come with it, so the
map matcher, the road-surface index, the benchmark and the digital twin can be checked against
what really happened. Made by us for tests and benchmarks; no real trace is copied.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass

import networkx as nx
import numpy as np
from numpy.typing import NDArray

from fleet.exceptions import InvalidValue
from routing.network import RoadNetwork

#: Metres per degree of latitude (a local flat approximation is enough for a district).
M_PER_DEG_LAT = 111_320.0
#: Vertical vibration RMS on a sound surface at bike speed, m/s², and its spread between
#: samples: an assumption of the same order as smartphone studies of cycling comfort report.
SMOOTH_RMS_MS2 = 1.0
RMS_SPREAD = 0.3


@dataclass(frozen=True, slots=True)
class Trace:
    """One synthetic ride: ``samples`` as ``(lat, lon, t_s)``, the true edge of each sample,
    its vibration RMS (m/s²), the true path's edges in riding order and their lengths."""

    samples: list[tuple[float, float, float]]
    truth: NDArray[np.int64]
    vibration_ms2: NDArray[np.float64]
    edges: list[int]
    edge_lengths_m: tuple[float, ...]

    @property
    def length_m(self) -> float:
        """What the ride really covered: the true path from its first node to its last."""
        return float(sum(self.edge_lengths_m))


def ride(
    net: RoadNetwork,
    rng: np.random.Generator,
    *,
    sigma_m: float = 8.0,
    speed_mps: float = 4.5,
    gaps: int = 2,
    min_m: float = 900.0,
    roughness: Callable[[int], float] | None = None,
) -> Trace:
    """A ride between random intersections at least ``min_m`` apart (straight line) along the
    shortest path, sampled at 1 Hz with noise ``sigma_m`` and ``gaps`` silences of 10–20 s.

    ``roughness(edge)`` is the factor on the smooth vibration level of an edge (1: sound; a
    broken surface more); every edge is sound when it is omitted.
    """
    if sigma_m < 0 or speed_mps <= 0 or gaps < 0 or min_m <= 0:
        msg = "a ride needs sigma_m ≥ 0, speed_mps > 0, gaps ≥ 0 and min_m > 0"
        raise InvalidValue(msg)
    lat0 = float(net.lat.mean())
    m_lon = M_PER_DEG_LAT * math.cos(math.radians(lat0))
    x, y = net.lon * m_lon, (net.lat - lat0) * M_PER_DEG_LAT
    for _ in range(10_000):
        a, b = (int(v) for v in rng.choice(net.n_nodes, 2, replace=False))
        if math.hypot(x[a] - x[b], y[a] - y[b]) >= min_m:
            break
    else:
        msg = f"no two intersections of the network lie {min_m:.0f} m apart"
        raise InvalidValue(msg)
    edges = _shortest_edges(net, int(net.node_ids[a]), int(net.node_ids[b]))
    return ride_along(
        net, edges, rng, sigma_m=sigma_m, speed_mps=speed_mps, gaps=gaps, roughness=roughness
    )


def ride_along(
    net: RoadNetwork,
    edges: list[int],
    rng: np.random.Generator,
    *,
    sigma_m: float = 8.0,
    speed_mps: float = 4.5,
    gaps: int = 2,
    roughness: Callable[[int], float] | None = None,
) -> Trace:
    """A ride along the connected ``edges`` (see :func:`ride` for the sampling)."""
    if not edges or any(net.head[a] != net.tail[b] for a, b in itertools.pairwise(edges)):
        msg = "a ride follows a non-empty chain of connected edges"
        raise InvalidValue(msg)
    lat0 = float(net.lat.mean())
    m_lon = M_PER_DEG_LAT * math.cos(math.radians(lat0))
    px, py, owner = [], [], []
    for e in edges:
        coords = np.array(net.edge_line(e).coords)
        px += list(coords[:, 0] * m_lon)
        py += list((coords[:, 1] - lat0) * M_PER_DEG_LAT)
        owner += [e] * len(coords)
    pxa, pya = np.array(px), np.array(py)
    along = np.concatenate(([0.0], np.cumsum(np.hypot(np.diff(pxa), np.diff(pya)))))
    t = np.arange(0.0, along[-1] / speed_mps)
    s = t * speed_mps
    sx = np.interp(s, along, pxa) + rng.normal(0, sigma_m, t.size)
    sy = np.interp(s, along, pya) + rng.normal(0, sigma_m, t.size)
    where = np.clip(np.searchsorted(along, s, side="right"), 1, len(owner) - 1)
    truth = np.array(owner, dtype=np.int64)[where]
    level = np.array([1.0 if roughness is None else roughness(int(e)) for e in truth])
    vibration = np.maximum(0.05, SMOOTH_RMS_MS2 * level * (1 + rng.normal(0, RMS_SPREAD, t.size)))
    keep = np.ones(t.size, dtype=bool)
    for _ in range(gaps):
        if t.size > 60:
            start = int(rng.integers(20, t.size - 40))
            keep[start : start + int(rng.integers(10, 21))] = False
    lat = sy / M_PER_DEG_LAT + lat0
    lon = sx / m_lon
    samples = list(zip(lat[keep].tolist(), lon[keep].tolist(), t[keep].tolist(), strict=True))
    return Trace(
        samples,
        truth[keep],
        vibration[keep],
        edges,
        tuple(float(net.length_m[e]) for e in edges),
    )


def _shortest_edges(net: RoadNetwork, source: int, target: int) -> list[int]:
    """The network's edge numbers along the shortest path between two OSM nodes."""
    g = net.graph
    nodes = nx.shortest_path(g, source, target, weight="length")
    number = {k: e for e, k in enumerate(net.edge_keys)}
    edges = []
    for u, v in itertools.pairwise(nodes):
        ways = g[u][v]
        k = min(ways, key=lambda key: float(ways[key]["length"]))
        edges.append(number[(u, v, k)])
    return edges
