"""The road-surface index: how rough each road is, from the vibration that bikes and kickboards
measured on it, with how sure that value is (issue 17, docs/road-surface.md).

Samples are first placed on edges by the map matcher (:mod:`routing.matching`). A road is an
edge together with its twin (the other direction of the same way): both directions share the
surface. Per road the index keeps

- ``roughness_ms2``: the **median** vertical vibration RMS of the samples taken at riding speed
  (a walking or standing vehicle says nothing of the surface), robust to a few wild readings,
  each sample first **brought to the city's typical speed**: a frame shakes harder the faster
  it goes, and riders slow down on broken roads, so raw values would rank a road by how fast it
  is ridden. A sample is scaled by the city's median vibration over the median of its speed
  band (``speed_band_kph`` wide, all roads); a band with fewer than ``min_band_samples`` is
  left as it is. The bands' medians are taken over every road, so a few rough roads ridden
  slowly do not move them much; no law of vibration against speed is assumed;
- a 95 % confidence interval of that median from the samples' spread (MAD), so a value read from
  a dozen samples is not trusted like one read from a thousand;
- ``confident``: enough samples (``min_samples``) to rank it at all. Roads with fewer are kept,
  marked low-confidence, and left out of the ranking and of routing;
- ``percentile`` among the confident roads (1.0 the roughest) and whether it lies in the
  ``worst`` decile;
- ``penalty``: the factor on a bike's travel time over it, read from the *low* end of the
  interval (a road is made costlier only as far as the samples are sure of it): 1 up to
  ``free_ratio`` × the city's median roughness, then growing with it (twice the free level costs
  twice as long), capped at ``max_penalty``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray

from fleet.exceptions import InvalidValue
from routing.matching import Match

#: Scale of a median's standard error from the MAD (1.4826 · MAD estimates σ of a normal;
#: the median's standard error is √(π/2) ≈ 1.2533 · σ/√n).
_MAD_TO_SIGMA = 1.4826
_MEDIAN_SE = 1.2533
_Z95 = 1.96


class Confidence(StrEnum):
    """How far a road's roughness can be trusted."""

    LOW = "low"  # too few samples: shown, not ranked, not used in routing
    MEDIUM = "medium"  # ranked; its 95 % interval is wider than ±25 % of the value
    HIGH = "high"  # ranked; interval within ±25 % and at least 10 samples


@dataclass(frozen=True, slots=True)
class SurfaceParams:
    """Tuning of the index (defaults: 1 Hz samples of bikes and kickboards)."""

    min_samples: int = 3  # fewer than this on a road: low confidence, not ranked
    min_speed_kph: float = 4.0  # slower samples (walking, standing) are not about the surface
    worst_share: float = 0.10  # the share of ranked roads called the worst
    free_ratio: float = 1.25  # roughness up to this × the median costs nothing extra
    max_penalty: float = 3.0  # the most a bad surface multiplies a bike's travel time
    tight_share: float = 0.25  # a 95 % half-interval within this share of the value: high...
    high_min_samples: int = 10  # ...from this many samples (three alike prove little)
    speed_band_kph: float = 4.0  # samples are brought to the city's typical speed per band...
    min_band_samples: int = 30  # ...of at least this many samples (else left as they are)

    def __post_init__(self) -> None:
        if self.min_samples < 1:
            msg = f"SurfaceParams.min_samples must be at least 1, got {self.min_samples}"
            raise InvalidValue(msg)
        if not 0 < self.worst_share < 1 or not self.tight_share > 0:
            msg = "SurfaceParams.worst_share lies in (0, 1) and tight_share is positive"
            raise InvalidValue(msg)
        if not (self.free_ratio >= 1 and self.max_penalty >= 1 and self.min_speed_kph >= 0):
            msg = "SurfaceParams: free_ratio and max_penalty ≥ 1, min_speed_kph ≥ 0"
            raise InvalidValue(msg)
        if not (self.speed_band_kph > 0 and self.min_band_samples >= 1):
            msg = "SurfaceParams: speed_band_kph is positive and min_band_samples at least 1"
            raise InvalidValue(msg)


@dataclass(frozen=True, slots=True)
class RoadSurface:
    """The index of one road (edge ``road`` and, if two-way, its ``twin``)."""

    road: int  # the lower edge number of the pair: the road's id in this network
    twin: int  # the other direction's edge, or -1
    samples: int
    roughness_ms2: float  # median vibration RMS, brought to the city's typical speed
    low_ms2: float  # 95 % confidence interval of that median
    high_ms2: float
    confidence: Confidence
    percentile: float | None  # among ranked roads, 1.0 the roughest; None when not ranked
    worst: bool  # in the worst ``worst_share`` of ranked roads
    penalty: float  # factor ≥ 1 on a bike's travel time over the road

    @property
    def edges(self) -> tuple[int, ...]:
        """The network edges of the road (one or both directions)."""
        return (self.road,) if self.twin < 0 else (self.road, self.twin)


@dataclass(frozen=True, slots=True)
class SurfaceIndex:
    """Every road with samples, and the city's median roughness of ranked roads."""

    roads: tuple[RoadSurface, ...]
    median_ms2: float | None  # None while no road is ranked

    def penalties(self) -> dict[int, float]:
        """Edge → travel-time factor for the roads that cost extra (both directions)."""
        return {e: r.penalty for r in self.roads if r.penalty > 1 for e in r.edges}

    def by_road(self) -> dict[int, RoadSurface]:
        """The roads by their id."""
        return {r.road: r for r in self.roads}


def road_of(edge: int, twin: NDArray[np.int64]) -> int:
    """A road's id: the lower of an edge's number and its twin's."""
    other = int(twin[edge])
    return edge if other < 0 else min(edge, other)


def surface_index(
    readings: Iterable[tuple[int, float, float]],
    twin: NDArray[np.int64],
    params: SurfaceParams | None = None,
) -> SurfaceIndex:
    """The index from matched readings ``(edge, vibration_rms_ms2, speed_kph)``.

    ``twin`` is the network's edge → opposite edge array (-1 for one-way edges). Readings on
    edges the network does not have, or with a value that is not a finite non-negative number,
    are refused (:class:`InvalidValue`): they mean the samples were matched on another network.
    """
    p = params or SurfaceParams()
    roads_of, vibrations, speeds = [], [], []
    n_edges = len(twin)
    for edge, vibration, speed in readings:
        if not 0 <= edge < n_edges:
            msg = f"edge {edge} is not in the network ({n_edges} edges): re-match the samples"
            raise InvalidValue(msg)
        if not (math.isfinite(vibration) and vibration >= 0 and math.isfinite(speed)):
            msg = f"a reading on edge {edge} is not a finite non-negative vibration"
            raise InvalidValue(msg)
        if speed >= p.min_speed_kph:
            roads_of.append(road_of(edge, twin))
            vibrations.append(vibration)
            speeds.append(speed)
    normalised = at_typical_speed(np.asarray(vibrations), np.asarray(speeds), p)
    by_road: dict[int, list[float]] = {}
    for road, vibration in zip(roads_of, normalised.tolist(), strict=True):
        by_road.setdefault(road, []).append(vibration)
    stats = {road: _median_interval(np.asarray(v)) for road, v in by_road.items()}
    ranked = sorted(
        (r for r in by_road if len(by_road[r]) >= p.min_samples), key=lambda r: stats[r][0]
    )
    median = float(np.median([stats[r][0] for r in ranked])) if ranked else None
    rank = {r: i for i, r in enumerate(ranked)}
    n_worst = math.ceil(len(ranked) * p.worst_share)
    roads = []
    for road in sorted(by_road):
        value, low, high = stats[road]
        n = len(by_road[road])
        if road in rank:
            i = rank[road]
            percentile: float | None = 1.0 if len(ranked) == 1 else i / (len(ranked) - 1)
            worst = i >= len(ranked) - n_worst
            confidence = _confidence(value, low, high, p)
            if n < p.high_min_samples:
                confidence = Confidence.MEDIUM
            penalty = _penalty(low, median, p)
        else:
            percentile, worst, confidence, penalty = None, False, Confidence.LOW, 1.0
        roads.append(
            RoadSurface(
                road, int(twin[road]), n, value, low, high, confidence, percentile, worst, penalty
            )
        )
    return SurfaceIndex(tuple(roads), median)


def at_typical_speed(
    vibration_ms2: NDArray[np.float64], speed_kph: NDArray[np.float64], p: SurfaceParams
) -> NDArray[np.float64]:
    """Each vibration scaled by the median of all over the median of its speed band (bands of
    ``p.speed_band_kph``; a band of fewer than ``p.min_band_samples`` samples, or of a zero
    median, keeps its values)."""
    if vibration_ms2.size == 0:
        return vibration_ms2.astype(np.float64)
    overall = float(np.median(vibration_ms2))
    band = np.floor(speed_kph / p.speed_band_kph).astype(np.int64)
    scale = np.ones(vibration_ms2.size)
    for b in np.unique(band):
        members = band == b
        if members.sum() < p.min_band_samples:
            continue
        typical = float(np.median(vibration_ms2[members]))
        if typical > 0:
            scale[members] = overall / typical
    return np.asarray(vibration_ms2 * scale, dtype=np.float64)


def readings(
    match: Match, vibration_ms2: Sequence[float | None], speed_kph: Sequence[float]
) -> list[tuple[int, float, float]]:
    """The ``(edge, vibration, speed)`` of a matched ride's samples that lie on an edge and
    carry a vibration (the inputs of :func:`surface_index`)."""
    if not len(match.samples) == len(vibration_ms2) == len(speed_kph):
        msg = "one vibration and one speed per matched sample"
        raise InvalidValue(msg)
    return [
        (point.edge, float(v), float(s))
        for point, v, s in zip(match.samples, vibration_ms2, speed_kph, strict=True)
        if point is not None and v is not None
    ]


def _median_interval(values: NDArray[np.float64]) -> tuple[float, float, float]:
    median = float(np.median(values))
    if values.size < 2:
        return median, 0.0, math.inf
    mad = float(np.median(np.abs(values - median)))
    half = _Z95 * _MEDIAN_SE * _MAD_TO_SIGMA * mad / math.sqrt(values.size)
    return median, max(0.0, median - half), median + half


def _confidence(value: float, low: float, high: float, p: SurfaceParams) -> Confidence:
    half = (high - low) / 2
    return Confidence.HIGH if half <= p.tight_share * max(value, 1e-9) else Confidence.MEDIUM


def _penalty(value: float, median: float | None, p: SurfaceParams) -> float:
    if not median:
        return 1.0
    free = p.free_ratio * median
    if value <= free:
        return 1.0
    return round(min(p.max_penalty, value / free), 3)
