"""Map matching: ride telemetry (GPS samples with noise and gaps) placed on a mode's road edges.

A hidden-Markov matcher after Newson & Krumm (2009), "Hidden Markov map matching through noise
and sparseness" (ACM SIGSPATIAL GIS '09): the hidden states of a sample are the edges within
``radius_m`` of it, each at the sample's projection; emissions are Gaussian in the distance from
sample to edge (``sigma_m``); transitions are exponential in how much the road distance between
two candidates differs from the straight distance between the samples (``beta_m``); Viterbi
finds the likeliest sequence. As in the paper, samples within a few sigma of the last one kept
wait (at 1 Hz the noise would drive the transitions) and are placed on the path afterwards; a turn
back onto the other direction of a way costs ``u_turn_m`` more. Samples with no edge near them
are left unmatched; where no road links two samples within reach, or after a silence longer than
``max_gap_s``, the chain breaks and starts afresh (see ``docs/map-matching.md``).

:func:`nearest_edge_snap` is the naive baseline with the same output: every sample on its nearest
edge, consecutive edges joined by shortest paths.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from fleet.exceptions import InvalidValue
from routing.engine import Router
from routing.exceptions import SamplesOutOfOrder
from routing.match_search import Candidates, Distances, candidates, project
from routing.network import RoadNetwork

#: One telemetry sample: latitude, longitude (WGS84 degrees) and time in seconds.
Sample = tuple[float, float, float]


@dataclass(frozen=True, slots=True)
class MatchParams:
    """Tuning of the matcher (defaults for 1 Hz phone or IoT GPS on a bike or kickboard)."""

    radius_m: float = 50.0  # candidate edges lie within this of a sample
    max_candidates: int = 8  # nearest edges kept per sample
    sigma_m: float = 8.0  # GPS noise: emission standard deviation
    beta_m: float = 5.0  # transitions: scale of |road distance − straight distance|
    max_speed_mps: float = 15.0  # no route longer than this times the time between samples...
    slack_m: float = 100.0  # ...plus this (noise at both ends)
    backtrack_m: float = 50.0  # stepping back on one edge up to this is noise, not a U-turn
    min_step_m: float = 40.0  # a sample this close to the last one kept waits (5 sigma)
    u_turn_m: float = 40.0  # turning back onto the other direction of a way counts this far
    max_gap_s: float = 120.0  # a longer silence breaks the chain

    def __post_init__(self) -> None:
        for name in ("radius_m", "sigma_m", "beta_m", "max_speed_mps", "max_gap_s"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                msg = f"MatchParams.{name} must be a positive number, got {value!r}"
                raise InvalidValue(msg)
        for name in ("slack_m", "backtrack_m", "u_turn_m", "min_step_m"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                msg = f"MatchParams.{name} must be zero or more, got {value!r}"
                raise InvalidValue(msg)
        if self.max_candidates < 1:
            msg = f"MatchParams.max_candidates must be at least 1, got {self.max_candidates}"
            raise InvalidValue(msg)


@dataclass(frozen=True, slots=True)
class MatchedSample:
    """Where one sample lies on the road: ``offset_m`` from the tail of edge ``edge``."""

    edge: int  # the network's edge number
    key: tuple[int, int, int]  # that edge as (u, v, key) in the network's graph
    offset_m: float
    error_m: float  # distance from the GPS fix to that point

    def __post_init__(self) -> None:
        if self.offset_m < 0 or self.error_m < 0:
            msg = f"offset_m and error_m must be non-negative, got {self.offset_m}, {self.error_m}"
            raise InvalidValue(msg)


@dataclass(frozen=True, slots=True)
class MatchedPath:
    """One unbroken stretch of the ride on the road, from sample ``first`` to sample ``last``."""

    first: int
    last: int
    edges: tuple[int, ...]  # network edge numbers, in riding order
    keys: tuple[tuple[int, int, int], ...]  # the same as (u, v, key)
    nodes: tuple[int, ...]  # OSM node ids: the tail of the first edge, then every head
    length_m: float  # from the first sample's point to the last's, along the edges

    def __post_init__(self) -> None:
        if self.last < self.first or len(self.nodes) != len(self.edges) + 1:
            msg = "a matched path runs forward and has one node more than it has edges"
            raise InvalidValue(msg)


@dataclass(frozen=True, slots=True)
class Match:
    """The matched ride: a point per sample (``None``: no road near it) and the paths."""

    samples: tuple[MatchedSample | None, ...]
    paths: tuple[MatchedPath, ...]  # more than one where the chain broke

    @property
    def length_m(self) -> float:
        """Metres ridden on the matched paths (the breaks between them not counted)."""
        return float(sum(p.length_m for p in self.paths))

    @property
    def n_matched(self) -> int:
        """Samples placed on an edge."""
        return sum(s is not None for s in self.samples)

    @property
    def breaks(self) -> tuple[int, ...]:
        """Samples where the chain broke and started afresh."""
        return tuple(p.first for p in self.paths[1:])


def match(
    network: RoadNetwork | Router, samples: Sequence[Sample], params: MatchParams | None = None
) -> Match:
    """Match a ride's samples to the edges of ``network`` with the hidden-Markov model.

    Parameters
    ----------
    network
        The road network of the ride's mode, or its router (bikes and kickboards: the bike
        router of :class:`routing.routers.CityRouters`).
    samples
        ``(lat, lon, t_s)`` in time order; equal times are allowed.
    params
        Tuning; :class:`MatchParams` defaults when omitted.

    Returns
    -------
    Match
        A point per sample and the matched paths.

    Raises
    ------
    SamplesOutOfOrder
        A sample's time is before the previous one's.
    InvalidValue
        A coordinate or time is not a finite number.
    """
    return _run(network, samples, params or MatchParams())


def nearest_edge_snap(
    network: RoadNetwork | Router, samples: Sequence[Sample], params: MatchParams | None = None
) -> Match:
    """The naive baseline: each sample on its nearest edge, joined by shortest paths.

    Same arguments, output and errors as :func:`match`, with ``max_candidates`` forced to 1 and
    no sample set aside (``min_step_m`` 0).
    """
    chosen = params or MatchParams()
    return _run(network, samples, replace(chosen, max_candidates=1, min_step_m=0.0))


def point_of(network: RoadNetwork | Router, point: MatchedSample) -> tuple[float, float]:
    """Where a matched point lies, as ``(lat, lon)``: ``offset_m`` along its edge's geometry
    (the offset is a share of the edge's routing length, as the candidates measure it)."""
    net = network.network if isinstance(network, Router) else network
    coords = np.asarray(net.edge_line(point.edge).coords, dtype=np.float64)  # (lon, lat)
    xy = project(net, coords[:, 1], coords[:, 0])
    along = np.concatenate(([0.0], np.cumsum(np.hypot(*np.diff(xy, axis=0).T))))
    length = float(net.length_m[point.edge])
    at = along[-1] * min(1.0, point.offset_m / length) if length > 0 else 0.0
    return float(np.interp(at, along, coords[:, 1])), float(np.interp(at, along, coords[:, 0]))


def _arrays(samples: Sequence[Sample]) -> NDArray[np.float64]:
    data = (
        np.asarray(samples, dtype=np.float64).reshape(-1, 3) if len(samples) else np.zeros((0, 3))
    )
    if not np.isfinite(data).all():
        msg = "every sample's lat, lon and t_s must be finite numbers"
        raise InvalidValue(msg)
    if (np.abs(data[:, 0]) > 90).any() or (np.abs(data[:, 1]) > 180).any():
        msg = "sample coordinates must be WGS84 degrees: |lat| ≤ 90 and |lon| ≤ 180"
        raise InvalidValue(msg)
    back = np.flatnonzero(np.diff(data[:, 2]) < 0)
    if back.size:
        i = int(back[0]) + 1
        raise SamplesOutOfOrder(i, float(data[i, 2]), float(data[i - 1, 2]))
    return data


def _run(source: RoadNetwork | Router, samples: Sequence[Sample], params: MatchParams) -> Match:
    network = source.network if isinstance(source, Router) else source
    data = _arrays(samples)
    xy = project(network, data[:, 0], data[:, 1])
    cand = candidates(network, xy, params.radius_m, params.max_candidates)
    distances = Distances(network)
    kept = _thin(xy, data[:, 2], cand.ptr, params)
    chains = _viterbi(cand, xy, data[:, 2], kept, distances, params)
    rows: list[int] = [-1] * data.shape[0]
    paths = []
    ends = [chain[0][0] for chain in chains[1:]] + [data.shape[0]] if chains else []
    for chain, end in zip(chains, ends, strict=True):
        path, at = _path(network, distances, cand, chain, params.backtrack_m)
        paths.append(path)
        for (i, row), (j, _row), k, k_next in zip(
            chain, [*chain[1:], (end, -1)], at, [*at[1:], len(path.edges) - 1], strict=True
        ):
            rows[i] = row
            on_way = path.edges[k : k_next + 1]
            for skipped in range(i + 1, j):
                rows[skipped] = _nearest_on(cand, skipped, on_way)
    points = [
        None
        if row < 0
        else MatchedSample(
            int(cand.edge[row]),
            network.edge_keys[int(cand.edge[row])],
            float(cand.offset_m[row]),
            float(cand.error_m[row]),
        )
        for row in rows
    ]
    return Match(tuple(points), tuple(paths))


def _thin(
    xy: NDArray[np.float64], t_s: NDArray[np.float64], ptr: NDArray[np.int64], params: MatchParams
) -> list[int]:
    """Samples the model sees: those near a road and farther than ``min_step_m`` from the last
    one kept (or later than ``max_gap_s`` after it), and the last near a road.

    Newson & Krumm drop steps within 2 sigma: there the noise, not the ride, drives the
    transitions, and on short edges the path zig-zags. 1 Hz rides need more (5 sigma by
    default); the samples set aside are placed afterwards on the path found."""
    near = np.flatnonzero(ptr[1:] > ptr[:-1]).tolist()
    kept: list[int] = []
    for i in near:
        if (
            not kept
            or math.dist(xy[i], xy[kept[-1]]) > params.min_step_m
            or t_s[i] - t_s[kept[-1]] > params.max_gap_s
        ):
            kept.append(i)
    if near and kept[-1] != near[-1]:
        kept.append(near[-1])
    return kept


def _nearest_on(cand: Candidates, sample: int, edges: Sequence[int]) -> int:
    """The sample's candidate row nearest to it on one of ``edges`` (-1: none near)."""
    lo, hi = int(cand.ptr[sample]), int(cand.ptr[sample + 1])
    on = np.flatnonzero(np.isin(cand.edge[lo:hi], np.asarray(edges, dtype=np.int64)))
    return lo + int(on[0]) if on.size else -1  # rows run nearest first


def _viterbi(
    cand: Candidates,
    xy: NDArray[np.float64],
    t_s: NDArray[np.float64],
    kept: list[int],
    distances: Distances,
    params: MatchParams,
) -> list[list[tuple[int, int]]]:
    """Chains of (sample, candidate row), each the likeliest through its samples."""
    chains: list[list[tuple[int, int]]] = []
    steps: list[tuple[int, NDArray[np.int64]]] = []  # sample and back-pointers per candidate
    score = np.zeros(0)
    prev = -1
    for i in kept:  # samples with no road near are not among them: the chain goes on past
        lo, hi = int(cand.ptr[i]), int(cand.ptr[i + 1])
        emission = -0.5 * (cand.error_m[lo:hi] / params.sigma_m) ** 2
        if prev >= 0 and t_s[i] - t_s[prev] <= params.max_gap_s:
            plo, phi = int(cand.ptr[prev]), int(cand.ptr[prev + 1])
            straight = float(np.hypot(*(xy[i] - xy[prev])))
            limit = params.max_speed_mps * float(t_s[i] - t_s[prev]) + params.slack_m
            road = distances.between(
                cand.edge[plo:phi],
                cand.offset_m[plo:phi],
                cand.edge[lo:hi],
                cand.offset_m[lo:hi],
                limit,
                params.backtrack_m,
                params.u_turn_m,
            )
            total = score[:, None] - np.abs(road - straight) / params.beta_m
            best = np.argmax(total, axis=0)
            reach = total[best, np.arange(hi - lo)]
            if np.isfinite(reach).any():
                score = reach + emission
                steps.append((i, best.astype(np.int64)))
                prev = i
                continue
        if steps:
            chains.append(_backtrack(steps, score, cand))
        steps, score, prev = [(i, np.full(hi - lo, -1, dtype=np.int64))], emission, i
    if steps:
        chains.append(_backtrack(steps, score, cand))
    return chains


def _backtrack(
    steps: list[tuple[int, NDArray[np.int64]]], score: NDArray[np.float64], cand: Candidates
) -> list[tuple[int, int]]:
    state = int(np.argmax(score))
    chain = []
    for i, back in reversed(steps):
        chain.append((i, int(cand.ptr[i]) + state))
        state = int(back[state])
    chain.reverse()
    return chain


def _path(
    network: RoadNetwork,
    distances: Distances,
    cand: Candidates,
    chain: list[tuple[int, int]],
    backtrack_m: float,
) -> tuple[MatchedPath, list[int]]:
    """The chain's path, and where each of its states is in the path's edges."""
    edges = [int(cand.edge[chain[0][1]])]
    at = [0]
    for (_i, a), (_j, b) in itertools.pairwise(chain):
        ea, eb = int(cand.edge[a]), int(cand.edge[b])
        if not (ea == eb and cand.offset_m[b] >= cand.offset_m[a] - backtrack_m):
            edges += [*distances.path(ea, eb), eb]
        at.append(len(edges) - 1)
    lengths = network.length_m[edges].astype(np.float64)
    first, last = chain[0][1], chain[-1][1]
    length = float(lengths.sum() - cand.offset_m[first] - (lengths[-1] - cand.offset_m[last]))
    nodes = [int(network.node_ids[network.tail[edges[0]]])]
    nodes += [int(network.node_ids[network.head[e]]) for e in edges]
    path = MatchedPath(
        first=chain[0][0],
        last=chain[-1][0],
        edges=tuple(edges),
        keys=tuple(network.edge_keys[e] for e in edges),
        nodes=tuple(nodes),
        length_m=max(length, 0.0),
    )
    return path, at
